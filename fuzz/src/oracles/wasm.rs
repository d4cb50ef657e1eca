//! Oracle of the wasm-smith fuzz target (`fuzz/src/smith.rs` makes the
//! modules): loads a module as a plug-in on a fuel-metered engine, with a
//! timeout and `max_pages`, and calls `run`, `go`, `run`.
//!
//! Self-contained (extism-host only) so that `tests/regressions.rs` can
//! include this file with `#[path]`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use extism_host::{Engine, Error, Manifest, PluginBuilder, Wasm};

fn verbose() -> bool {
    std::env::var_os("EXTISM_FUZZ_VERBOSE").is_some()
}

/// Fuel per call (and for instantiation).
pub const FUEL: u64 = 2_000_000;
/// Wall-clock limit per call.
pub const TIMEOUT: Duration = Duration::from_millis(500);
/// A call that takes longer than this is a finding (fuel and timeout failed).
pub const HANG: Duration = Duration::from_secs(8);

/// The fuel-metered engine every fuzzed plug-in shares.
pub fn engine() -> Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builder().with_fuel(true).build().expect("engine"))
        .clone()
}

/// Loads `wasm` as a plug-in and calls it; panics on a finding.
pub fn check(wasm: &[u8], input: &[u8]) {
    let manifest = Manifest::new([Wasm::data(wasm.to_vec())])
        .with_max_pages(64)
        .with_timeout(TIMEOUT)
        .with_config("k", "v");
    let built = PluginBuilder::new(manifest)
        .with_engine(engine())
        .with_fuel_limit(FUEL)
        .with_name("smith")
        .build();
    let mut plugin = match built {
        Ok(p) => p,
        Err(e) => {
            // Every load failure is typed; make sure it formats.
            let _ = e.to_string();
            if verbose() {
                eprintln!("load: {e}");
            }
            return;
        }
    };
    for export in ["run", "go", "run"] {
        let start = Instant::now();
        let result = plugin.call_bytes(export, input).map(<[u8]>::to_vec);
        let took = start.elapsed();
        assert!(took < HANG, "call of {export} took {took:?}");
        match result {
            Ok(_) => {}
            Err(e) => {
                let _ = e.to_string();
                if let Error::Runtime { message, .. } = &e {
                    if verbose() {
                        eprintln!("{export}: runtime error: {message}");
                    }
                }
                if verbose() {
                    eprintln!("{export}: {e}");
                }
            }
        }
    }
}
