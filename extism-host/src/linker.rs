//! Resolving every import of a plug-in's modules, once, when it is compiled.
//!
//! Store-independent definitions (kernel host functions, services, WASI,
//! user host functions) live in one shared [`Linker`]. What belongs to a store
//! (the kernel instance's functions, other manifest modules' exports) cannot
//! be in a shared linker, so each import gets an [`ImportSource`] saying where
//! to find it when an instance is made. Type checks and "missing import"
//! errors all happen here, at load time.

use std::collections::{HashMap, HashSet};

use wasmtime::{ExternType, ImportType, Linker, Module, ModuleExport, Store};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::host_function::{HostFunction, USER_NAMESPACE};
use crate::kernel;
use crate::source::{KERNEL_NAMESPACE, MAIN};
use crate::store::StoreData;

/// The legacy (pre-1.0 PDK) module plug-ins imported the kernel from, with
/// every name prefixed `extism_`.
const LEGACY_NAMESPACE: &str = "env";
const LEGACY_PREFIX: &str = "extism_";
const WASI_NAMESPACES: &[&str] = &["wasi_snapshot_preview1", "wasi_unstable"];

/// Where one import comes from when an instance is made.
#[derive(Clone)]
pub(crate) enum ImportSource {
    /// An export of the store's kernel instance.
    Kernel(ModuleExport),
    /// A definition of the shared linker.
    Linker { module: String, name: String },
    /// An export of another module of the plug-in, already instantiated.
    Module { index: usize, export: ModuleExport },
}

/// One module of the plug-in, ready to instantiate.
pub(crate) struct LinkedModule {
    pub(crate) name: String,
    pub(crate) module: Module,
    pub(crate) imports: Vec<ImportSource>,
}

/// The shared linker and the modules in instantiation order (main last).
pub(crate) struct LinkPlan {
    pub(crate) linker: Linker<StoreData>,
    pub(crate) modules: Vec<LinkedModule>,
}

/// Builds the shared linker for a plug-in.
pub(crate) fn build_linker(
    engine: &Engine,
    functions: &[HostFunction],
    wasi: bool,
    asyncness: bool,
) -> Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine.wasmtime());
    let runtime_error = |e: wasmtime::Error| Error::Runtime {
        plugin: String::new(),
        message: format!("cannot define host functions: {e}"),
    };
    kernel::add_to_linker(&mut linker, KERNEL_NAMESPACE).map_err(runtime_error)?;
    crate::env::add_to_linker(&mut linker, KERNEL_NAMESPACE, asyncness).map_err(runtime_error)?;
    if wasi {
        if asyncness {
            wasmtime_wasi::p1::add_to_linker_async(&mut linker, StoreData::wasi_mut)
        } else {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, StoreData::wasi_mut)
        }
        .and_then(|()| crate::wasi::shadow_poll_oneoff(&mut linker, asyncness))
        .map_err(runtime_error)?;
    }
    let mut seen = HashSet::new();
    for f in functions {
        if f.namespace() == KERNEL_NAMESPACE && is_builtin(f.name()) {
            return Err(Error::Manifest(format!(
                "host function `{}::{}` would replace a built-in Extism function",
                f.namespace(),
                f.name()
            )));
        }
        if !seen.insert((f.namespace(), f.name())) {
            return Err(Error::Manifest(format!(
                "host function `{}::{}` is registered twice",
                f.namespace(),
                f.name()
            )));
        }
        f.define_as(&mut linker, f.namespace(), f.name())
            .map_err(runtime_error)?;
    }
    Ok(linker)
}

fn is_builtin(name: &str) -> bool {
    kernel::WASM_FUNCTIONS.contains(&name)
        || KERNEL_HOST_FUNCTIONS.contains(&name)
        || crate::env::SERVICE_FUNCTIONS.contains(&name)
}

/// Kernel functions implemented on the host side (see `kernel::add_to_linker`).
const KERNEL_HOST_FUNCTIONS: &[&str] = &[
    "alloc",
    "free",
    "length",
    "length_unsafe",
    "output_set",
    "output_length",
    "output_offset",
    "error_set",
    "error_get",
    "input_set",
    "reset",
    "memory_bytes",
];

/// Orders the modules so that each comes after the modules it imports,
/// and resolves every import.
pub(crate) fn plan(
    engine: &Engine,
    plugin: &str,
    linker: Linker<StoreData>,
    modules: Vec<(String, Module)>,
    wasi: bool,
) -> Result<LinkPlan> {
    let order = instantiation_order(plugin, &modules)?;
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
    let mut linked = Vec::with_capacity(ordered.len());
    for (position, (name, module)) in ordered.iter().enumerate() {
        let mut imports = Vec::new();
        for import in module.imports() {
            let source = check_order(position, &by_name, &import)
                .and_then(|()| {
                    resolve(
                        engine,
                        &linker,
                        &mut scratch,
                        &by_name,
                        &ordered,
                        &import,
                        wasi,
                    )
                })
                .and_then(|source| {
                    check_type(engine, &linker, &mut scratch, &ordered, &source, &import)?;
                    Ok(source)
                })
                .map_err(|reason| Error::Link {
                    plugin: plugin.to_string(),
                    module: name.clone(),
                    import: format!("{}::{}", import.module(), import.name()),
                    signature: describe(&import.ty()),
                    reason,
                })?;
            imports.push(source);
        }
        linked.push(LinkedModule {
            name: name.clone(),
            module: module.clone(),
            imports,
        });
    }
    Ok(LinkPlan {
        linker,
        modules: linked,
    })
}

/// Depth-first order over "imports from module named X"; a cycle is an error.
fn instantiation_order(plugin: &str, modules: &[(String, Module)]) -> Result<Vec<usize>> {
    let index: HashMap<&str, usize> = modules
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let mut state = vec![0u8; modules.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::with_capacity(modules.len());
    fn visit(
        i: usize,
        plugin: &str,
        modules: &[(String, Module)],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                return Err(Error::Instantiate {
                    plugin: plugin.to_string(),
                    module: modules[i].0.clone(),
                    cause: "modules import each other in a cycle".into(),
                })
            }
            _ => {}
        }
        state[i] = 1;
        let deps: Vec<usize> = modules[i]
            .1
            .imports()
            .filter_map(|imp| index.get(imp.module()).copied())
            .filter(|&d| d != i)
            .collect();
        for d in deps {
            visit(d, plugin, modules, index, state, order)?;
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    // Main last: visit every other module first.
    let main = index.get(MAIN).copied();
    for i in (0..modules.len()).filter(|i| Some(*i) != main) {
        visit(i, plugin, modules, &index, &mut state, &mut order)?;
    }
    if let Some(main) = main {
        visit(main, plugin, modules, &index, &mut state, &mut order)?;
    }
    Ok(order)
}

/// Instances are made in order, so a module can only import from one made
/// before it; its own exports do not exist yet.
fn check_order(
    position: usize,
    by_name: &HashMap<String, usize>,
    import: &ImportType<'_>,
) -> std::result::Result<(), String> {
    let (module, name) = (import.module(), import.name());
    match by_name.get(module) {
        Some(&index) if index == position => Err(format!(
            "but module `{module}` cannot import its own export `{name}`"
        )),
        Some(&index) if index > position => Err(format!(
            "but module `{module}` is instantiated after the module importing from it"
        )),
        _ => Ok(()),
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
    let kernel_name = if module == KERNEL_NAMESPACE {
        Some(name)
    } else if module == LEGACY_NAMESPACE {
        name.strip_prefix(LEGACY_PREFIX)
    } else {
        None
    };
    if let Some(kernel_name) = kernel_name {
        if !matches!(import.ty(), ExternType::Func(_)) {
            return Err("but plug-ins may import only functions from the Extism kernel".into());
        }
        if kernel::WASM_FUNCTIONS.contains(&kernel_name) {
            let export = engine
                .kernel_module()
                .get_export_index(kernel_name)
                .ok_or_else(|| format!("but the kernel does not export `{kernel_name}`"))?;
            return Ok(ImportSource::Kernel(export));
        }
        if defined(scratch, KERNEL_NAMESPACE, kernel_name) {
            return Ok(from_linker(KERNEL_NAMESPACE, kernel_name));
        }
        if module == KERNEL_NAMESPACE {
            return Err(format!(
                "which is not an Extism kernel function (the plug-in's PDK may be newer than this host; known functions: {})",
                known_kernel_functions()
            ));
        }
    }

    if let Some(&index) = by_name.get(module) {
        let (_, dep) = &ordered[index];
        let export = dep.get_export_index(name).ok_or_else(|| {
            format!("but module `{module}` of the plug-in has no export `{name}`")
        })?;
        return Ok(ImportSource::Module { index, export });
    }

    if WASI_NAMESPACES.contains(&module) {
        if !wasi {
            return Err(
                "but WASI is not enabled for this plug-in (PluginBuilder::with_wasi(true))".into(),
            );
        }
        if defined(scratch, module, name) {
            return Ok(from_linker(module, name));
        }
        return Err("which is not a WASI preview 1 function".into());
    }

    if defined(scratch, module, name) {
        return Ok(from_linker(module, name));
    }
    // Pre-1.0 PDKs imported user functions from `env` as well.
    if module == LEGACY_NAMESPACE && defined(scratch, USER_NAMESPACE, name) {
        return Ok(from_linker(USER_NAMESPACE, name));
    }
    Err(format!(
        "but no host function `{name}` is registered in namespace `{module}`"
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
            .get_export(kernel_name_of(import))
            .ok_or("but the kernel does not export it")?,
        ImportSource::Linker { module, name } => linker
            .get(&mut *scratch, module, name)
            .map_err(|e| e.to_string())?
            .ty(&*scratch),
        ImportSource::Module { index, .. } => ordered[*index]
            .1
            .get_export(import.name())
            .ok_or("but the module does not export it")?,
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
        Err(format!(
            "but this host provides it as {}",
            describe(&provided)
        ))
    }
}

fn kernel_name_of<'a>(import: &'a ImportType<'_>) -> &'a str {
    import
        .name()
        .strip_prefix(LEGACY_PREFIX)
        .unwrap_or(import.name())
}

fn known_kernel_functions() -> String {
    let mut names: Vec<&str> = kernel::WASM_FUNCTIONS
        .iter()
        .chain(KERNEL_HOST_FUNCTIONS)
        .chain(crate::env::SERVICE_FUNCTIONS)
        .copied()
        .collect();
    names.sort_unstable();
    names.join(", ")
}

/// An import or export type the way a WAT reader would write it.
pub(crate) fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => {
            let list = |it: &mut dyn Iterator<Item = wasmtime::ValType>| {
                it.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
            };
            format!(
                "(func ({}) -> ({}))",
                list(&mut f.params()),
                list(&mut f.results())
            )
        }
        ExternType::Memory(_) => "(memory)".into(),
        ExternType::Global(_) => "(global)".into(),
        ExternType::Table(_) => "(table)".into(),
        ExternType::Tag(_) => "(tag)".into(),
    }
}
