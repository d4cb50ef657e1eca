//! Initialising the language runtime inside a plug-in before its first call,
//! as the reference does: Haskell's `hs_init`, C/C++ constructors, or a WASI
//! reactor's `_initialize`. `_start` is never called implicitly.

use wasmtime::{AsContextMut, Instance, Module};

use crate::store::StoreData;

/// Which initialisation a module needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GuestRuntime {
    /// `hs_init(0, 0)`, after `_initialize` if the module has one.
    Haskell,
    /// `__wasm_call_ctors()`.
    Ctors,
    /// `_initialize()`.
    Reactor,
    None,
}

fn exports_unit_fn(module: &Module, name: &str) -> bool {
    match module.get_export(name) {
        Some(wasmtime::ExternType::Func(f)) => f.params().len() == 0 && f.results().len() == 0,
        _ => false,
    }
}

impl GuestRuntime {
    pub(crate) fn detect(module: &Module) -> Self {
        if module.get_export("hs_init").is_some() {
            GuestRuntime::Haskell
        } else if exports_unit_fn(module, "__wasm_call_ctors") {
            GuestRuntime::Ctors
        } else if exports_unit_fn(module, "_initialize") {
            GuestRuntime::Reactor
        } else {
            GuestRuntime::None
        }
    }

    /// Runs the initialisation; with `asyncness` through wasmtime's async
    /// calls (needed when the plug-in has async host functions).
    pub(crate) async fn initialize(
        self,
        mut store: impl AsContextMut<Data = StoreData>,
        instance: &Instance,
        asyncness: bool,
    ) -> wasmtime::Result<()> {
        #[cfg(not(feature = "async"))]
        let _ = asyncness;
        let names: &[&str] = match self {
            GuestRuntime::Haskell => &["_initialize"],
            GuestRuntime::Ctors => &["__wasm_call_ctors"],
            GuestRuntime::Reactor => &["_initialize"],
            GuestRuntime::None => &[],
        };
        for name in names {
            if let Ok(f) = instance.get_typed_func::<(), ()>(&mut store, name) {
                match () {
                    #[cfg(feature = "async")]
                    () if asyncness => f.call_async(&mut store, ()).await?,
                    () => f.call(&mut store, ())?,
                }
            }
        }
        if self == GuestRuntime::Haskell {
            let hs_init = instance.get_typed_func::<(i32, i32), ()>(&mut store, "hs_init")?;
            match () {
                #[cfg(feature = "async")]
                () if asyncness => hs_init.call_async(&mut store, (0, 0)).await?,
                () => hs_init.call(&mut store, (0, 0))?,
            }
        }
        let plugin = &*store.as_context().data().info.name;
        match self {
            // The line both official hosts log.
            GuestRuntime::Haskell => {
                tracing::debug!(target: "extism_host", plugin, "Initialized Haskell language runtime.")
            }
            GuestRuntime::Ctors => {
                tracing::debug!(target: "extism_host", plugin, "called __wasm_call_ctors")
            }
            GuestRuntime::Reactor => {
                tracing::debug!(target: "extism_host", plugin, "called _initialize")
            }
            GuestRuntime::None => {}
        }
        Ok(())
    }
}
