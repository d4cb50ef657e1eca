//! Debug dumps of a plug-in that trapped, as the reference runtime's
//! `with_memdump` / `with_coredump` write them: the main module's memory as
//! raw bytes, and a wasm core dump (the standard format wasmgdb and other
//! tools read) captured by wasmtime at the trap.

use std::path::{Path, PathBuf};

use wasmtime::{Instance, Store, WasmCoreDump};

use crate::store::StoreData;

/// Where to write the dumps of a trapped call, if anywhere.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dumps {
    pub(crate) memory: Option<PathBuf>,
    pub(crate) core: Option<PathBuf>,
}

impl Dumps {
    /// Whether any dump is asked for.
    pub(crate) fn any(&self) -> bool {
        self.memory.is_some() || self.core.is_some()
    }

    /// Writes the dumps for a call that ended with `error`, when it is a
    /// trap. A dump that cannot be written is reported with a warning and
    /// never changes the call's outcome.
    pub(crate) fn after(
        &self,
        store: &mut Store<StoreData>,
        main: &Instance,
        error: &wasmtime::Error,
        function: &str,
    ) {
        if error.downcast_ref::<wasmtime::Trap>().is_none() {
            return;
        }
        let plugin = store.data().info.name.clone();
        if let Some(path) = &self.memory {
            let bytes = main
                .get_memory(&mut *store, "memory")
                .map(|memory| memory.data(&*store).to_vec());
            match bytes {
                Some(bytes) => write(path, &bytes, &plugin, function, "memory dump"),
                None => tracing::warn!(
                    target: "extism_host",
                    plugin = &*plugin,
                    function,
                    "no memory dump: the main module exports no `memory`"
                ),
            }
        }
        if let Some(path) = &self.core {
            match error.downcast_ref::<WasmCoreDump>() {
                Some(dump) => {
                    let bytes = dump.serialize(&mut *store, &plugin);
                    write(path, &bytes, &plugin, function, "core dump");
                }
                None => tracing::warn!(
                    target: "extism_host",
                    plugin = &*plugin,
                    function,
                    "no core dump: the engine does not capture them (EngineBuilder::with_coredump_on_trap)"
                ),
            }
        }
    }
}

fn write(path: &Path, bytes: &[u8], plugin: &str, function: &str, what: &str) {
    match std::fs::write(path, bytes) {
        Ok(()) => tracing::debug!(
            target: "extism_host",
            plugin,
            function,
            path = %path.display(),
            bytes = bytes.len(),
            "{what} written"
        ),
        Err(e) => tracing::warn!(
            target: "extism_host",
            plugin,
            function,
            path = %path.display(),
            "cannot write the {what}: {e}"
        ),
    }
}
