//! What an `Error` says and carries: one-line messages, causes as `source()`
//! chains that downcast to their types, host functions returning `anyhow` and
//! boxed errors, `Debug` of the runtime's types.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use extism_host::{
    host_fn, CurrentPlugin, Error, HostError, HostFunction, Manifest, Plugin, PluginBuilder, Pool,
    Wasm,
};

use crate::support::{self, plugin_wasm};

/// Calls `lookup` with a block holding the input; the host function's result
/// block is the output.
const CALLS_LOOKUP: &str = r#"(module
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "lookup" (func $lookup (param i64) (result i64)))
  (func (export "run") (result i32) (local $out i64)
    (local.set $out (call $lookup (call $input_offset)))
    (call $output_set (local.get $out) (call $length (local.get $out)))
    (i32.const 0)))"#;

fn run_lookup(function: HostFunction) -> Error {
    let mut plugin = PluginBuilder::from_wasm(CALLS_LOOKUP)
        .with_name("lookups")
        .with_function(function)
        .build()
        .expect("the plug-in builds");
    plugin.call_bytes("run", b"key").expect_err("lookup fails")
}

/// Every message in `error`'s chain, outermost first.
fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        messages.push(cause.to_string());
        source = cause.source();
    }
    messages
}

/// No message of the chain repeats the one after it, so a reporter that
/// prints the whole chain (anyhow's `{:#}`) says each cause once.
fn assert_no_repeats(error: &(dyn std::error::Error + 'static)) {
    let messages = chain(error);
    for pair in messages.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "`{}` repeats its source `{}`",
            pair[0],
            pair[1]
        );
    }
    for message in &messages {
        assert!(
            !message.contains('\n'),
            "a message of one line: {message:?}"
        );
    }
}

// ------------------------------------------------------------- host functions

/// A host function's error type with a cause of its own.
#[derive(Debug)]
struct StoreDown {
    cause: std::io::Error,
}

impl fmt::Display for StoreDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the store is down")
    }
}

impl std::error::Error for StoreDown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

#[host_fn(name = "lookup")]
fn lookup_std(_key: &str) -> Result<String, StoreDown> {
    Err(StoreDown {
        cause: std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
    })
}

#[test]
fn a_host_functions_error_is_the_source_with_its_own_cause() {
    let error = run_lookup(lookup_std::host_function());
    assert_eq!(
        error.to_string(),
        "plug-in `lookups`: function `run`: host function `extism:host/user::lookup` failed"
    );
    let Error::HostFunction { message, .. } = &error else {
        panic!("expected Error::HostFunction, got {error:?}");
    };
    assert_eq!(message, "the store is down: connection refused");
    let source = error.source().expect("the host function's error");
    let down = source
        .downcast_ref::<StoreDown>()
        .expect("downcasts to the host function's type");
    assert_eq!(down.cause.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(
        chain(&error)[1..],
        ["the store is down", "connection refused"]
    );
    assert_no_repeats(&error);
    // What an application using anyhow prints: each cause once.
    let report = format!("{:#}", anyhow::Error::from(error));
    assert_eq!(
        report,
        "plug-in `lookups`: function `run`: host function `extism:host/user::lookup` failed: \
         the store is down: connection refused"
    );
}

#[host_fn(name = "lookup")]
fn lookup_anyhow(key: &str) -> anyhow::Result<String> {
    let port: u16 = key
        .parse()
        .map_err(|e: std::num::ParseIntError| anyhow::Error::new(e).context("bad port"))?;
    Ok(port.to_string())
}

#[test]
fn a_host_function_may_return_anyhow_errors() {
    let error = run_lookup(lookup_anyhow::host_function());
    assert!(matches!(error, Error::HostFunction { .. }), "{error:?}");
    assert_eq!(
        chain(&error)[1..],
        ["bad port", "invalid digit found in string"]
    );
    assert_no_repeats(&error);
}

#[host_fn(name = "lookup")]
fn lookup_boxed(key: &str) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Err(format!("no key `{key}`").into())
}

#[test]
fn a_host_function_may_return_boxed_errors() {
    let error = run_lookup(lookup_boxed::host_function());
    assert_eq!(chain(&error)[1..], ["no key `key`"]);

    // In a `HostFunction::wrap` closure, `?` converts the same error types.
    let wrapped = HostFunction::wrap(
        "lookup",
        |_: &mut CurrentPlugin<'_>, _: u64| -> Result<u64, HostError> {
            Err(anyhow::anyhow!("wrapped anyhow"))?
        },
    );
    let error = run_lookup(wrapped);
    assert_eq!(chain(&error)[1..], ["wrapped anyhow"]);
    let wrapped = HostFunction::wrap(
        "lookup",
        |_: &mut CurrentPlugin<'_>, _: u64| -> Result<u64, HostError> {
            Err(std::io::Error::other("wrapped io"))?
        },
    );
    let error = run_lookup(wrapped);
    let io = error
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::Other));
}

#[test]
fn a_guest_error_stays_text_for_the_plug_in() {
    // `HostError::guest` is for the plug-in: the host function returns and the
    // plug-in, which does not clear it, fails with its text.
    let guest = HostFunction::wrap(
        "lookup",
        |_: &mut CurrentPlugin<'_>, _: u64| -> Result<u64, HostError> {
            Err(HostError::guest("not here"))
        },
    );
    match run_lookup(guest) {
        Error::Plugin { message, .. } => assert_eq!(message, "not here"),
        other => panic!("expected Error::Plugin, got {other:?}"),
    }
}

// ---------------------------------------------------------- module sources

#[test]
fn a_missing_module_file_keeps_its_io_error_kind() {
    let error = Plugin::new(
        Manifest::new([Wasm::file("/nonexistent/plugin.wasm")]),
        [],
        false,
    )
    .unwrap_err();
    assert!(matches!(error, Error::WasmSource { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "cannot load wasm module `main` from file `/nonexistent/plugin.wasm`: cannot open it"
    );
    let io = error
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the I/O error is the source");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_no_repeats(&error);

    // A directory is refused in words, with no error behind it.
    let dir = tempfile::tempdir().unwrap();
    let error = Plugin::new(Manifest::new([Wasm::file(dir.path())]), [], false).unwrap_err();
    assert!(
        error.to_string().ends_with(": it is not a regular file"),
        "{error}"
    );
    assert!(error.source().is_none());
}

#[test]
fn a_failed_module_download_carries_the_http_error() {
    // Nothing listens on port 1.
    let error = Plugin::new(
        Manifest::new([Wasm::url("http://127.0.0.1:1/plugin.wasm")]),
        [],
        false,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot load wasm module `main` from URL `http://127.0.0.1:1/plugin.wasm`: the request failed"
    );
    let http = error.source().expect("the HTTP client's error");
    assert!(!http.to_string().is_empty());
    assert_no_repeats(&error);
}

// ------------------------------------------------------------ call errors

#[test]
fn a_codec_error_says_which_side_and_does_not_repeat_its_source() {
    let mut plugin = support::reflect(Manifest::default());
    let error = plugin.call::<&str, u64>("reflect", "abc").unwrap_err();
    assert!(matches!(error, Error::Codec { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "plug-in `reflect.rust.wasm`: function `reflect`: cannot decode the output"
    );
    let codec = error
        .source()
        .and_then(|s| s.downcast_ref::<extism_host::codec::Error>())
        .expect("the codec's error is the source");
    assert!(codec.to_string().contains("u64"), "{codec}");
    assert_no_repeats(&error);
}

#[test]
fn a_trap_is_one_line_with_the_backtrace_beside_it() {
    let mut plugin = PluginBuilder::from_wasm(
        r#"(module (func $deep (unreachable)) (func (export "run") (call $deep)))"#,
    )
    .build()
    .unwrap();
    let error = plugin.call_bytes("run", b"").unwrap_err();
    assert_eq!(
        error.to_string(),
        "plug-in `plugin`: function `run` trapped: wasm trap: wasm `unreachable` instruction executed"
    );
    match &error {
        Error::Trap { backtrace, .. } => {
            let backtrace = backtrace.as_deref().expect("a backtrace");
            assert!(backtrace.contains("deep"), "{backtrace}");
        }
        other => panic!("expected Error::Trap, got {other:?}"),
    }
}

#[test]
fn a_link_error_reads_as_one_sentence() {
    let error = PluginBuilder::from_wasm(
        r#"(module (import "extism:host/user" "missing" (func (param i64) (result i64))))"#,
    )
    .build()
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "plug-in `plugin`: module `main` cannot import `extism:host/user::missing` \
         (func (i64) -> (i64)): no host function `missing` is registered in namespace \
         `extism:host/user`"
    );
    match &error {
        Error::Link { reason, .. } => assert!(!reason.starts_with("but"), "{reason}"),
        other => panic!("expected Error::Link, got {other:?}"),
    }
}

// ------------------------------------------------------------------ Debug

#[test]
fn an_error_stays_small_enough_to_return() {
    // clippy's `result_large_err` fires at 128 bytes, in callers' code too.
    assert!(
        std::mem::size_of::<Error>() < 128,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn the_runtime_types_have_debug_forms_that_name_the_plug_in() {
    let builder = PluginBuilder::new(Manifest::new([plugin_wasm("count_vowels.rust.wasm")]))
        .with_name("vowels")
        .with_function(lookup_std::host_function());
    let text = format!("{builder:?}");
    assert!(
        text.contains("\"vowels\"") && text.contains("extism:host/user::lookup"),
        "{text}"
    );

    let compiled = PluginBuilder::new(Manifest::new([plugin_wasm("count_vowels.rust.wasm")]))
        .with_name("vowels")
        .compile()
        .unwrap();
    let text = format!("{compiled:?}");
    assert!(
        text.contains("\"vowels\"") && text.contains("count_vowels"),
        "{text}"
    );

    let mut plugin = compiled.instantiate().unwrap();
    plugin.call_bytes("count_vowels", b"aaa").unwrap();
    let text = format!("{plugin:?}");
    assert!(
        text.contains("\"vowels\"") && text.contains("calls: 1"),
        "{text}"
    );
    assert!(format!("{:?}", plugin.cancel_handle()).starts_with("CancelHandle"));
    assert!(format!("{:?}", compiled.engine()).starts_with("Engine"));

    let pool = Pool::builder().with_max_instances(1).build(compiled);
    let pooled = pool.get(Duration::from_secs(5)).unwrap();
    let text = format!("{pooled:?}");
    assert!(
        text.starts_with("PooledPlugin") && text.contains("\"vowels\""),
        "{text}"
    );
    let text = format!("{pool:?}");
    assert!(text.contains("in_use: 1"), "{text}");
}
