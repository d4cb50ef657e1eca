//! Resolving every import of a plug-in's modules, once, when it is compiled.
//!
//! Store-independent definitions (kernel host functions, services, WASI,
//! user host functions) live in one shared [`Linker`]. What belongs to a store
//! (the kernel instance's functions, other manifest modules' exports) cannot
//! be in a shared linker, so each import gets an [`ImportSource`] saying where
//! to find it when an instance is made. Type checks and "missing import"
//! errors all happen here, at load time.

use std::collections::HashMap;

use wasmtime::{ExternType, ImportType, Linker, Module, ModuleExport, Store};

use crate::abi::{
    self, Home, KERNEL_NAMESPACE, LEGACY_NAMESPACE, MAIN, USER_NAMESPACE, WASI_NAMESPACES,
};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::guest_runtime::GuestRuntime;
use crate::host_function::HostFunction;
use crate::inspect::ImportItem;
use crate::kernel;
use crate::store::StoreData;

/// Where one import comes from when an instance is made.
#[derive(Clone)]
pub(crate) enum ImportSource {
    /// An export of the store's kernel instance.
    Kernel(ModuleExport),
    /// A definition of the shared linker.
    Linker { module: String, name: String },
    /// An export of another module of the plug-in, already instantiated.
    Module { index: usize, export: ModuleExport },
    /// A function of a module of the plug-in made after the importer (a
    /// cycle, or main): a trampoline that calls the export, named like the
    /// import, once that module exists.
    Late { index: usize },
    /// A function of another module of the plug-in that is a WASI command:
    /// as wasmtime's `Linker::module` links commands (and the reference with
    /// it), every call of it runs in a fresh instance of the command.
    Command { index: usize, export: String },
}

/// One module of the plug-in, ready to instantiate.
pub(crate) struct LinkedModule {
    pub(crate) name: String,
    pub(crate) module: Module,
    pub(crate) imports: Vec<ImportSource>,
    /// The language runtime initialisation it needs once instantiated.
    pub(crate) runtime: GuestRuntime,
}

/// The shared linker and the modules in instantiation order (main last).
pub(crate) struct LinkPlan {
    pub(crate) linker: Linker<StoreData>,
    pub(crate) modules: Vec<LinkedModule>,
    /// What the instrumented module tells about itself, when observed.
    pub(crate) instrumentation: Option<std::sync::Arc<crate::observe::Instrumentation>>,
}

/// Builds the shared linker for a plug-in. The builder has already refused
/// host functions that are registered twice or named like built-ins.
pub(crate) fn build_linker(
    engine: &Engine,
    plugin: &str,
    functions: &[HostFunction],
    wasi: bool,
    asyncness: bool,
    observe: bool,
) -> Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine.wasmtime());
    let define_error = |e: wasmtime::Error| Error::Builder {
        plugin: plugin.to_string(),
        message: format!("cannot define host functions: {e}"),
    };
    kernel::add_to_linker(&mut linker, KERNEL_NAMESPACE).map_err(define_error)?;
    crate::env::add_to_linker(&mut linker, KERNEL_NAMESPACE, asyncness).map_err(define_error)?;
    // The builder refuses WASI in a build without it.
    #[cfg(not(feature = "wasi"))]
    let _ = wasi;
    #[cfg(feature = "wasi")]
    if wasi {
        if asyncness {
            wasmtime_wasi::p1::add_to_linker_async(&mut linker, StoreData::wasi_mut)
        } else {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, StoreData::wasi_mut)
        }
        .and_then(|()| crate::wasi::shadow_poll_oneoff(&mut linker, asyncness))
        .and_then(|()| crate::wasi::shadow_proc_exit(&mut linker))
        .map_err(define_error)?;
    }
    if observe {
        crate::observe::add_to_linker(&mut linker).map_err(define_error)?;
    }
    for f in functions {
        f.define_as(&mut linker, f.namespace(), f.name())
            .map_err(define_error)?;
    }
    Ok(linker)
}

/// A function from a module made after its importer goes through a late
/// slot.
fn bind_late(source: ImportSource, late: bool) -> std::result::Result<ImportSource, String> {
    match source {
        ImportSource::Module { index, .. } if late => Ok(ImportSource::Late { index }),
        ImportSource::Command { .. } if late => {
            Err("that module is a WASI command made after the module importing from it".into())
        }
        other => Ok(other),
    }
}

/// Whether `module` is a WASI command (it exports `_start`); a plug-in's
/// other modules link to a command's functions through fresh instances.
pub(crate) fn is_command(module: &Module) -> bool {
    matches!(module.get_export("_start"), Some(ExternType::Func(_)))
}

impl LinkPlan {
    /// The main module (always the last one).
    pub(crate) fn main(&self) -> &Module {
        &self.modules[self.modules.len() - 1].module
    }
}

/// The modules in instantiation order, and every import of each resolved on
/// its own (in `Module::imports` order).
struct Resolution {
    ordered: Vec<(String, Module)>,
    imports: Vec<Vec<std::result::Result<ImportSource, String>>>,
}

/// Orders the modules so that each comes after the modules it imports, and
/// resolves every import without stopping at the first that fails.
fn resolve_all(
    engine: &Engine,
    linker: &Linker<StoreData>,
    modules: Vec<(String, Module)>,
    wasi: bool,
) -> Resolution {
    let order = instantiation_order(&modules);
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut ordered: Vec<(String, Module)> = Vec::with_capacity(modules.len());
    let mut slots: Vec<Option<(String, Module)>> = modules.into_iter().map(Some).collect();
    for index in order {
        if let Some(entry) = slots[index].take() {
            by_name.insert(entry.0.clone(), ordered.len());
            ordered.push(entry);
        }
    }
    // A store only to look at the types of the linker's definitions.
    let mut scratch = Store::new(engine.wasmtime(), StoreData::scratch());
    let imports = ordered
        .iter()
        .enumerate()
        .map(|(position, (_, module))| {
            module
                .imports()
                .map(|import| {
                    check_order(position, &by_name, &import)
                        .and_then(|late| {
                            resolve(
                                engine,
                                linker,
                                &mut scratch,
                                &by_name,
                                &ordered,
                                &import,
                                wasi,
                            )
                            .and_then(|source| bind_late(source, late))
                        })
                        .and_then(|source| {
                            check_type(engine, linker, &mut scratch, &ordered, &source, &import)?;
                            Ok(source)
                        })
                })
                .collect()
        })
        .collect();
    Resolution { ordered, imports }
}

/// Orders the modules and resolves every import; the first that fails is
/// the plug-in's [`Error::Link`].
pub(crate) fn plan(
    engine: &Engine,
    plugin: &str,
    linker: Linker<StoreData>,
    modules: Vec<(String, Module)>,
    wasi: bool,
) -> Result<LinkPlan> {
    let Resolution { ordered, imports } = resolve_all(engine, &linker, modules, wasi);
    let mut linked = Vec::with_capacity(ordered.len());
    for ((name, module), resolved) in ordered.into_iter().zip(imports) {
        let mut sources = Vec::with_capacity(resolved.len());
        for (import, source) in module.imports().zip(resolved) {
            let source = source.map_err(|reason| Error::Link {
                plugin: plugin.to_string(),
                module: name.clone(),
                import: format!("{}::{}", import.module(), import.name()),
                signature: describe(&import.ty()),
                reason,
            })?;
            sources.push(source);
        }
        linked.push(LinkedModule {
            runtime: GuestRuntime::detect(&module),
            name,
            module,
            imports: sources,
        });
    }
    Ok(LinkPlan {
        linker,
        modules: linked,
        instrumentation: None,
    })
}

/// Every import of the plug-in's modules and how it resolves, including
/// those that do not (for reports; [`plan`] fails at the first of those).
pub(crate) fn survey(
    engine: &Engine,
    linker: &Linker<StoreData>,
    modules: Vec<(String, Module)>,
    wasi: bool,
) -> Vec<ImportItem> {
    let Resolution { ordered, imports } = resolve_all(engine, linker, modules, wasi);
    let names: Vec<&str> = ordered.iter().map(|(n, _)| n.as_str()).collect();
    let mut items = Vec::new();
    for ((name, module), resolved) in ordered.iter().zip(&imports) {
        for (import, source) in module.imports().zip(resolved) {
            items.push(crate::inspect::item(
                name,
                &import,
                source.as_ref().map_err(String::as_str),
                &names,
            ));
        }
    }
    items
}

/// The order instances are made in: depth-first over "imports from module
/// X", memories, tables and globals first (they must exist before the
/// importer), main last. An edge back into a module being visited (a cycle)
/// or to main is not followed: such an import is bound late if it is a
/// function, and a load error otherwise (see [`check_order`]).
fn instantiation_order(modules: &[(String, Module)]) -> Vec<usize> {
    let index: HashMap<&str, usize> = modules
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let main = index.get(MAIN).copied();
    let mut state = vec![0u8; modules.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::with_capacity(modules.len());
    fn visit(
        i: usize,
        modules: &[(String, Module)],
        index: &HashMap<&str, usize>,
        main: Option<usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        let mut deps: Vec<(bool, usize)> = modules[i]
            .1
            .imports()
            .filter_map(|imp| {
                let d = index.get(imp.module()).copied()?;
                let soft = matches!(imp.ty(), ExternType::Func(_));
                (d != i && Some(d) != main).then_some((soft, d))
            })
            .collect();
        deps.sort_by_key(|&(soft, _)| soft);
        for (_, d) in deps {
            visit(d, modules, index, main, state, order);
        }
        state[i] = 2;
        order.push(i);
    }
    for i in (0..modules.len()).filter(|i| Some(*i) != main) {
        visit(i, modules, &index, main, &mut state, &mut order);
    }
    if let Some(main) = main {
        visit(main, modules, &index, None, &mut state, &mut order);
    }
    order
}

/// Instances are made in order: an import from a module made before is
/// bound directly; a function from one made after (a cycle, or main) is bound
/// late, through a trampoline filled in once that module exists (`true`).
/// Anything else from a later module, and a module's own exports, cannot be.
fn check_order(
    position: usize,
    by_name: &HashMap<String, usize>,
    import: &ImportType<'_>,
) -> std::result::Result<bool, String> {
    let (module, name) = (import.module(), import.name());
    match by_name.get(module) {
        Some(&index) if index == position => Err(format!(
            "module `{module}` cannot import its own export `{name}`"
        )),
        Some(&index) if index > position => {
            if matches!(import.ty(), ExternType::Func(_)) {
                Ok(true)
            } else {
                Err(format!(
                    "module `{module}` is instantiated after the module importing from it \
                     (it imports from that module too, or it is main): only functions can be \
                     imported from a module made later"
                ))
            }
        }
        _ => Ok(false),
    }
}

fn resolve(
    engine: &Engine,
    linker: &Linker<StoreData>,
    scratch: &mut Store<StoreData>,
    by_name: &HashMap<String, usize>,
    ordered: &[(String, Module)],
    import: &ImportType<'_>,
    wasi: bool,
) -> std::result::Result<ImportSource, String> {
    let (module, name) = (import.module(), import.name());
    let defined =
        |scratch: &mut Store<StoreData>, m: &str, n: &str| linker.get(&mut *scratch, m, n).is_ok();
    let from_linker = |m: &str, n: &str| ImportSource::Linker {
        module: m.to_string(),
        name: n.to_string(),
    };

    // The kernel, under its name or (pre-1.0 PDKs) as `env::extism_*`.
    if let Some(kernel_name) = abi::kernel_import(module, name) {
        if !matches!(import.ty(), ExternType::Func(_)) {
            return Err("plug-ins may import only functions from the Extism kernel".into());
        }
        if abi::home(kernel_name) == Some(Home::KernelWasm) {
            let export = engine
                .kernel_module()
                .get_export_index(kernel_name)
                .ok_or_else(|| format!("the kernel does not export `{kernel_name}`"))?;
            return Ok(ImportSource::Kernel(export));
        }
        if defined(scratch, KERNEL_NAMESPACE, kernel_name) {
            return Ok(from_linker(KERNEL_NAMESPACE, kernel_name));
        }
        if module == KERNEL_NAMESPACE {
            return Err(format!(
                "which is not an Extism kernel function (the plug-in's PDK may be newer than this host; known functions: {})",
                abi::function_names()
            ));
        }
    }

    if let Some(&index) = by_name.get(module) {
        let (_, dep) = &ordered[index];
        let export = dep
            .get_export_index(name)
            .ok_or_else(|| format!("module `{module}` of the plug-in has no export `{name}`"))?;
        if is_command(dep) {
            if !matches!(import.ty(), ExternType::Func(_)) {
                return Err(format!(
                    "module `{module}` is a WASI command, which gets a fresh instance for \
                     every call of its functions: only functions can be imported from it"
                ));
            }
            return Ok(ImportSource::Command {
                index,
                export: name.to_string(),
            });
        }
        return Ok(ImportSource::Module { index, export });
    }

    if WASI_NAMESPACES.contains(&module) {
        if !cfg!(feature = "wasi") {
            return Err(crate::wasi::UNAVAILABLE.into());
        }
        if !wasi {
            return Err(
                "WASI is not enabled for this plug-in (PluginBuilder::with_wasi(true))".into(),
            );
        }
        if defined(scratch, module, name) {
            return Ok(from_linker(module, name));
        }
        return Err("it is not a WASI preview 1 function".into());
    }

    if defined(scratch, module, name) {
        return Ok(from_linker(module, name));
    }
    // Pre-1.0 PDKs imported user functions from `env` as well.
    if module == LEGACY_NAMESPACE && defined(scratch, USER_NAMESPACE, name) {
        return Ok(from_linker(USER_NAMESPACE, name));
    }
    Err(format!(
        "no host function `{name}` is registered in namespace `{module}`"
    ))
}

fn check_type(
    engine: &Engine,
    linker: &Linker<StoreData>,
    scratch: &mut Store<StoreData>,
    ordered: &[(String, Module)],
    source: &ImportSource,
    import: &ImportType<'_>,
) -> std::result::Result<(), String> {
    let provided = match source {
        ImportSource::Kernel(_) => engine
            .kernel_module()
            .get_export(abi::kernel_import(import.module(), import.name()).unwrap_or_default())
            .ok_or("the kernel does not export it")?,
        ImportSource::Linker { module, name } => linker
            .get(&mut *scratch, module, name)
            .map_err(|e| e.to_string())?
            .ty(&*scratch),
        ImportSource::Module { index, .. }
        | ImportSource::Command { index, .. }
        | ImportSource::Late { index } => ordered[*index]
            .1
            .get_export(import.name())
            .ok_or("the module does not export it")?,
    };
    let matches = match (&import.ty(), &provided) {
        (ExternType::Func(want), ExternType::Func(have)) => have.matches(want),
        (ExternType::Memory(_), ExternType::Memory(_))
        | (ExternType::Global(_), ExternType::Global(_))
        | (ExternType::Table(_), ExternType::Table(_)) => true, // wasmtime checks limits at instantiation
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(format!("this host provides it as {}", describe(&provided)))
    }
}

/// An import or export type the way a WAT reader would write it.
pub(crate) fn describe(ty: &ExternType) -> String {
    crate::inspect::ItemType::from(ty).to_string()
}
