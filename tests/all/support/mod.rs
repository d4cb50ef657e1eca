//! What the integration tests share: paths of the committed plug-ins, the
//! host functions they import, a local HTTP server, and running a test alone
//! in a child process.
#![allow(dead_code)]

#[macro_use]
mod wat;

#[macro_use]
mod child;
mod host_functions;
mod http_server;
mod memory;
mod trace;

use std::path::{Path, PathBuf};

use extism_host::{Error, Manifest, Wasm};

pub use child::{run_alone, CHILD};
pub use host_functions::{
    echo, echo_functions, kv_functions, log_level, reflect, EchoCalls, KvStore, LogCapture,
};
pub use http_server::{Reply, Server};
pub use memory::{peak_rss, reset_peak, rss};
pub use trace::Capture;

/// The root of the repository (the root package's directory).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// `plugins/wasm/<file>`.
pub fn plugin_path(file: &str) -> PathBuf {
    repo_path("plugins/wasm").join(file)
}

/// A manifest entry for `plugins/wasm/<file>`.
pub fn plugin_wasm(file: &str) -> Wasm {
    Wasm::file(plugin_path(file))
}

/// Lower-case hex SHA-256, as manifests and the goldens write it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A manifest with the kitchen-sink plug-in only.
pub fn kitchen() -> Manifest {
    Manifest::new([plugin_wasm("kitchen.rust.wasm")])
}

/// `error` and its causes, as a reporter that walks `source()` prints them:
/// `outer: cause: cause of the cause`.
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The plug-in, function, host function and message of an
/// `Error::HostFunction`; any other error fails the test.
pub fn host_fn_error(error: &Error) -> [&str; 4] {
    let Error::HostFunction {
        plugin,
        function,
        host_function,
        message,
        ..
    } = error
    else {
        panic!("expected a host-function error, got {error:?}");
    };
    [plugin, function, host_function, message]
}
