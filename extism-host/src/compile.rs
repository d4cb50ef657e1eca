//! The build pipeline, once per plug-in: load the manifest's modules, check
//! their shape, compile them (through the engine's module cache), and link
//! them into a [`LinkPlan`] that every instance is made from.

use crate::abi::MAIN;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::host_function::HostFunction;
use crate::inspect::Inspection;
use crate::linker::{self, LinkPlan};
use crate::manifest::Manifest;
use crate::{module_shape, source};

/// The options compilation and linking depend on, and nothing else.
pub(crate) struct CompileOptions<'a> {
    /// The plug-in's name, for errors.
    pub(crate) plugin: &'a str,
    pub(crate) functions: &'a [HostFunction],
    pub(crate) wasi: bool,
    pub(crate) asyncness: bool,
}

impl CompileOptions<'_> {
    /// The shared linker these options give the plug-in.
    fn linker(&self, engine: &Engine) -> Result<wasmtime::Linker<crate::store::StoreData>> {
        linker::build_linker(
            engine,
            self.plugin,
            self.functions,
            self.wasi,
            self.asyncness,
        )
    }
}

/// Loads, checks, compiles and links the modules of `manifest`.
///
/// # Errors
/// Unreadable or mismatching modules, modules over this host's limits,
/// invalid wasm, imports this host does not provide.
pub(crate) fn compile(
    engine: &Engine,
    manifest: &Manifest,
    options: CompileOptions<'_>,
) -> Result<LinkPlan> {
    let modules = compile_modules(engine, manifest, options.plugin)?;
    let linker = options.linker(engine)?;
    let plan = linker::plan(engine, options.plugin, linker, modules, options.wasi)?;
    // `load_modules` always names one module main, and `plan` puts it last.
    debug_assert!(plan.modules.last().is_some_and(|m| m.name == MAIN));
    Ok(plan)
}

/// What [`compile`] would link, import by import, without failing at
/// imports this host does not provide.
///
/// # Errors
/// As [`compile`], except for [`Error::Link`].
pub(crate) fn inspect(
    engine: &Engine,
    manifest: &Manifest,
    options: CompileOptions<'_>,
) -> Result<Inspection> {
    let modules = compile_modules(engine, manifest, options.plugin)?;
    let exports = modules
        .iter()
        .find(|(name, _)| name == MAIN)
        .map(|(_, main)| crate::inspect::exports(main))
        .unwrap_or_default();
    let linker = options.linker(engine)?;
    let imports = linker::survey(engine, &linker, modules, options.wasi);
    Ok(Inspection { exports, imports })
}

/// Loads, checks and compiles each module, main last.
fn compile_modules(
    engine: &Engine,
    manifest: &Manifest,
    plugin: &str,
) -> Result<Vec<(String, wasmtime::Module)>> {
    let sources = source::load_modules(manifest)?;
    let mut modules = Vec::with_capacity(sources.len());
    for source in sources {
        let compile_error = |cause: String| Error::Compile {
            plugin: plugin.to_string(),
            module: source.name.clone(),
            cause,
        };
        let bytes = module_shape::binary(&source.bytes).map_err(compile_error)?;
        module_shape::check(&bytes).map_err(|over| Error::ModuleLimit {
            plugin: plugin.to_string(),
            module: source.name.clone(),
            what: over.what,
            found: over.found,
            max: over.max,
        })?;
        let module = engine
            .compile(&bytes)
            .map_err(|e| compile_error(format!("{e:#}")))?;
        modules.push((source.name, module));
    }
    Ok(modules)
}
