//! The host functions the committed plug-ins import (`kv`, `echo`) and a
//! collector for their log lines.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use extism_host::{
    CurrentPlugin, HostError, HostFunction, LogLevel, Manifest, Plugin, PluginBuilder, PTR,
};

use super::plugin_wasm;

/// The state of the `kv` host-function set: what `kv_write` stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KvStore(pub BTreeMap<String, Vec<u8>>);

/// The `kv` set of `plugins/README.md`, in `extism:host/user`:
///
/// * `kv_read(key) -> value`: a new block with the stored bytes, 0 when absent.
///   Written with [`HostFunction::new`] (raw stack of `u64` slots).
/// * `kv_write(key, value)`: stores the value's bytes. Written with
///   [`HostFunction::wrap`] (typed arguments).
///
/// Both reach the [`KvStore`] lent with `PluginBuilder::with_state`.
pub fn kv_functions() -> Vec<HostFunction> {
    let kv_read = HostFunction::new(
        "kv_read",
        [PTR],
        [PTR],
        |plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            let key = plugin.read_str(stack[0])?.to_string();
            let value = plugin
                .borrow_state(|_, store: &mut KvStore| store.0.get(&key).cloned())?
                .unwrap_or_default();
            // Empty or absent: offset 0, as the recorder's host does.
            stack[0] = plugin.write_bytes(&value)?;
            Ok(())
        },
    );
    let kv_write = HostFunction::wrap(
        "kv_write",
        |plugin: &mut CurrentPlugin<'_>, key: u64, value: u64| -> Result<(), HostError> {
            let key = plugin.read_str(key)?.to_string();
            let value = plugin.read_bytes(value)?.to_vec();
            plugin.borrow_state(|_, store: &mut KvStore| {
                store.0.insert(key, value);
            })
        },
    );
    vec![kv_read, kv_write]
}

/// The state of the `echo` host-function set: how often `echo` ran.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EchoCalls(pub u64);

/// The `echo` set: `echo(data) -> data`, a new block with a copy (0 for
/// empty), counting its calls in the [`EchoCalls`] state.
pub fn echo_functions() -> Vec<HostFunction> {
    let echo = HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let bytes = plugin.read_bytes(data)?.to_vec();
            match plugin.state_mut::<EchoCalls>() {
                Some(calls) => calls.0 += 1,
                None => return Err(HostError::msg("echo: no EchoCalls state")),
            }
            plugin.write_bytes(&bytes)
        },
    );
    vec![echo]
}

/// Collects the log lines a plug-in emits through `PluginBuilder::with_logger`.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<(LogLevel, String)>>>);

impl LogCapture {
    /// A logger callback that appends to this capture.
    pub fn logger(&self) -> impl Fn(LogLevel, &str) + Send + Sync + 'static {
        let lines = self.0.clone();
        move |level, message| {
            lines
                .lock()
                .expect("log capture poisoned")
                .push((level, message.to_string()));
        }
    }

    /// The lines collected since the last call, as `[LEVEL, MESSAGE]` pairs
    /// with the upper-case level names the goldens use.
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().expect("log capture poisoned"))
            .into_iter()
            .map(|(level, message)| (level.to_string().to_ascii_uppercase(), message))
            .collect()
    }
}

/// The [`LogLevel`] of a golden `log_level` name.
pub fn log_level(name: &str) -> LogLevel {
    name.parse()
        .unwrap_or_else(|e| panic!("bad log level `{name}`: {e}"))
}

/// The `echo` host function `reflect.rust.wasm` imports: a new block with a
/// copy of its argument.
pub fn echo() -> HostFunction {
    HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let bytes = plugin.read_bytes(data)?.to_vec();
            plugin.write_bytes(&bytes)
        },
    )
}

/// `reflect.rust.wasm` (with its `echo` import) under `manifest`'s limits.
pub fn reflect(manifest: Manifest) -> Plugin {
    let mut manifest = manifest;
    manifest.wasm = vec![plugin_wasm("reflect.rust.wasm")];
    PluginBuilder::new(manifest)
        .with_function(echo())
        .build()
        .expect("reflect builds")
}
