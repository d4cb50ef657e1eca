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

    pub(crate) fn initialize(
        self,
        mut store: impl AsContextMut<Data = StoreData>,
        instance: &Instance,
    ) -> wasmtime::Result<()> {
        let mut call_unit = |name: &str| -> wasmtime::Result<()> {
            if let Ok(f) = instance.get_typed_func::<(), ()>(&mut store, name) {
                f.call(&mut store, ())?;
            }
            Ok(())
        };
        match self {
            GuestRuntime::Haskell => {
                call_unit("_initialize")?;
                let hs_init = instance.get_typed_func::<(i32, i32), ()>(&mut store, "hs_init")?;
                hs_init.call(&mut store, (0, 0))
            }
            GuestRuntime::Ctors => call_unit("__wasm_call_ctors"),
            GuestRuntime::Reactor => call_unit("_initialize"),
            GuestRuntime::None => Ok(()),
        }
    }
}
