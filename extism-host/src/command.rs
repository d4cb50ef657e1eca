//! Functions of a plug-in's WASI command modules, as other modules import
//! them: wasmtime's `Linker::module` (which the reference links with) gives
//! every call of a command's export a fresh instance of the command, so a
//! command's state never outlives one call.
//!
//! Instances cannot be freed inside a store, so each call leaves its
//! command instance behind until the store goes. Their memories are charged
//! as declared memories (each at most `max_pages`, all together within the
//! limiter's allowance), and the plug-in gets a fresh store once they take
//! half the allowance or [`MAX_PER_STORE`] of them exist.

use std::sync::Arc;

use wasmtime::{Caller, Extern, Func, FuncType, Instance, Module, Store, Val};

use crate::store::StoreData;

/// Command instances one store keeps before the plug-in gets a fresh store.
pub(crate) const MAX_PER_STORE: u32 = 64;

/// What one command needs to be instantiated again: the module and the
/// imports it was linked with in this store.
#[derive(Clone)]
pub(crate) struct Command {
    pub(crate) name: Arc<str>,
    pub(crate) module: Module,
    pub(crate) imports: Arc<[Extern]>,
}

/// The function `export` of `command`, each call in a fresh instance.
pub(crate) fn function(
    store: &mut Store<StoreData>,
    command: Command,
    export: &str,
    ty: FuncType,
    asyncness: bool,
) -> Func {
    let export: Arc<str> = export.into();
    #[cfg(not(feature = "async"))]
    let _ = asyncness;
    #[cfg(feature = "async")]
    if asyncness {
        return Func::new_async(&mut *store, ty, move |mut caller, params, results| {
            let (command, export) = (command.clone(), export.clone());
            Box::new(async move {
                begin(&mut caller);
                let made =
                    Instance::new_async(&mut caller, &command.module, &command.imports).await;
                let instance = end(&mut caller, made)?;
                let f = export_of(&mut caller, &instance, &command, &export)?;
                f.call_async(&mut caller, params, results).await
            })
        });
    }
    Func::new(
        &mut *store,
        ty,
        move |mut caller, params: &[Val], results: &mut [Val]| {
            begin(&mut caller);
            let made = Instance::new(&mut caller, &command.module, &command.imports);
            let instance = end(&mut caller, made)?;
            let f = export_of(&mut caller, &instance, &command, &export)?;
            f.call(&mut caller, params, results)
        },
    )
}

/// The instance's memories are declared memories, not growth.
fn begin(caller: &mut Caller<'_, StoreData>) {
    let data = caller.data_mut();
    data.limiter.pause_counting();
    data.command_instances += 1;
}

fn end(
    caller: &mut Caller<'_, StoreData>,
    made: wasmtime::Result<Instance>,
) -> wasmtime::Result<Instance> {
    caller.data_mut().limiter.resume_counting();
    made
}

fn export_of(
    caller: &mut Caller<'_, StoreData>,
    instance: &Instance,
    command: &Command,
    export: &str,
) -> wasmtime::Result<Func> {
    instance.get_func(&mut *caller, export).ok_or_else(|| {
        wasmtime::Error::msg(format!(
            "module `{}` has no function `{export}`",
            command.name
        ))
    })
}

/// Whether the store holds enough command instances that the next call
/// should start from a fresh store.
pub(crate) fn store_is_full(data: &StoreData) -> bool {
    data.command_instances >= MAX_PER_STORE || data.limiter.declared_over_half()
}
