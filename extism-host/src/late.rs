//! Function imports bound after the module exporting them exists: within a
//! cycle of modules importing each other's functions, or from main (always
//! made last), the importer gets a trampoline whose target is filled in once
//! the exporting module is instantiated. A call that comes earlier (a start
//! function calling into the cycle) traps with a message saying so.

use std::sync::Arc;

use wasmtime::{Func, FuncType, Store, Val};

use crate::store::StoreData;

/// A trampoline to the function that `slot` of the store's late table will
/// hold, `export` of `module`.
pub(crate) fn trampoline(
    store: &mut Store<StoreData>,
    slot: usize,
    module: &str,
    export: &str,
    ty: FuncType,
    asyncness: bool,
) -> Func {
    let missing: Arc<str> = format!(
        "module `{module}` is not instantiated yet, so its `{export}` cannot be called \
         (a start function called into a cycle of modules)"
    )
    .into();
    #[cfg(not(feature = "async"))]
    let _ = asyncness;
    #[cfg(feature = "async")]
    if asyncness {
        return Func::new_async(&mut *store, ty, move |mut caller, params, results| {
            let target = caller.data().late.get(slot).copied().flatten();
            let missing = missing.clone();
            Box::new(async move {
                let f = target.ok_or_else(|| wasmtime::Error::msg(missing))?;
                f.call_async(&mut caller, params, results).await
            })
        });
    }
    Func::new(
        &mut *store,
        ty,
        move |mut caller, params: &[Val], results: &mut [Val]| {
            let f = caller.data().late.get(slot).copied().flatten();
            let f = f.ok_or_else(|| wasmtime::Error::msg(missing.clone()))?;
            f.call(&mut caller, params, results)
        },
    )
}
