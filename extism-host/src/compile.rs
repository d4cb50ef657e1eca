//! The build pipeline, once per plug-in: load the manifest's modules, check
//! their shape, compile them (through the engine's module cache), and link
//! them into a [`LinkPlan`] that every instance is made from.

use std::sync::Arc;

use crate::abi::MAIN;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::host_function::HostFunction;
use crate::inspect::Inspection;
use crate::linker::{self, LinkPlan};
use crate::manifest::Manifest;
use crate::observe::Instrumentation;
use crate::{module_shape, source};

/// The options compilation and linking depend on, and nothing else.
pub(crate) struct CompileOptions<'a> {
    /// The plug-in's name, for errors.
    pub(crate) plugin: &'a str,
    pub(crate) functions: &'a [HostFunction],
    pub(crate) wasi: bool,
    pub(crate) asyncness: bool,
    /// The Observe SDK's imports are provided.
    pub(crate) observe: bool,
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
            self.observe,
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
    let span = tracing::info_span!(
        target: "extism_host",
        "compile",
        plugin = options.plugin,
        modules = tracing::field::Empty,
        cached = tracing::field::Empty,
    );
    let _entered = span.enter();
    let mut instrumented = Vec::new();
    let read_names = options.observe.then_some(&mut instrumented);
    let (modules, cached) = compile_modules(engine, manifest, options.plugin, read_names)?;
    span.record("modules", modules.len());
    span.record("cached", cached);
    let linker = options.linker(engine)?;
    let mut plan = linker::plan(engine, options.plugin, linker, modules, options.wasi)?;
    // Names come from the main module when it is instrumented, else from
    // the first module that is (`compile_modules` reads main last).
    plan.instrumentation = instrumented
        .iter()
        .rev()
        .find(|(name, _)| name == MAIN)
        .or(instrumented.first())
        .map(|(_, info)| info.clone());
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
    let (modules, _) = compile_modules(engine, manifest, options.plugin, None)?;
    let exports = modules
        .iter()
        .find(|(name, _)| name == MAIN)
        .map(|(_, main)| crate::inspect::exports(main))
        .unwrap_or_default();
    let linker = options.linker(engine)?;
    let imports = linker::survey(engine, &linker, modules, options.wasi);
    Ok(Inspection { exports, imports })
}

/// The modules of a plug-in, named, and how many came from the module cache.
type Modules = (Vec<(String, wasmtime::Module)>, usize);

/// Loads, checks and compiles each module, main last; with `instrumented`,
/// also reads what Observe-instrumented modules tell about themselves.
fn compile_modules(
    engine: &Engine,
    manifest: &Manifest,
    plugin: &str,
    mut instrumented: Option<&mut Vec<(String, Arc<Instrumentation>)>>,
) -> Result<Modules> {
    let mut cached = 0;
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
        if let Some(list) = instrumented.as_deref_mut() {
            if let Some(info) = Instrumentation::read(&bytes) {
                list.push((source.name.clone(), Arc::new(info)));
            }
        }
        let (module, hit) = engine
            .compile(&bytes)
            .map_err(|e| compile_error(format!("{e:#}")))?;
        cached += usize::from(hit);
        modules.push((source.name, module));
    }
    Ok((modules, cached))
}
