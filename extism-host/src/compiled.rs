//! A plug-in compiled and linked once, instantiated many times.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Extern, Instance, Module, Store};

use crate::builder::PluginBuilder;
use crate::call::{ActiveCall, CallLimits};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::guest_runtime::GuestRuntime;
use crate::http::{HttpPolicy, HttpState};
use crate::interrupt::{CancelState, Interruption, StoreInterrupt};
use crate::kernel::{Kernel, KernelInstance};
use crate::limits::MemoryLimiter;
use crate::linker::{self, ImportSource, LinkPlan};
use crate::log::LogSink;
use crate::manifest::{Wasm, DEFAULT_MAX_HTTP_RESPONSE_BYTES, DEFAULT_MAX_VAR_BYTES};
use crate::plugin::Plugin;
use crate::source::{self, MAIN};
use crate::store::{PluginInfo, States, StoreData};
use crate::vars::Vars;
use crate::wasi::WasiOptions;

/// A compiled, linked plug-in: the expensive work done once. Instances made
/// from it ([`CompiledPlugin::instantiate`]) are independent plug-ins with
/// their own memory and vars. Cheap to clone, `Send + Sync`.
///
/// ```no_run
/// use extism_host::{Manifest, PluginBuilder, Wasm};
///
/// let compiled = PluginBuilder::new(Manifest::new([Wasm::file("reflect.wasm")])).compile()?;
/// let mut a = compiled.instantiate()?;
/// let mut b = compiled.instantiate()?;
/// assert_eq!(a.call_bytes("reflect", b"a")?, b"a");
/// assert_eq!(b.call_bytes("reflect", b"b")?, b"b");
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct CompiledPlugin {
    pub(crate) inner: Arc<CompiledInner>,
}

pub(crate) struct CompiledInner {
    pub(crate) engine: Engine,
    pub(crate) info: Arc<PluginInfo>,
    pub(crate) plan: LinkPlan,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) max_pages: Option<u32>,
    pub(crate) max_var_bytes: u64,
    pub(crate) timeout: Option<Duration>,
    pub(crate) fuel: Option<u64>,
    pub(crate) http: Arc<HttpPolicy>,
    pub(crate) wasi: Option<WasiOptions>,
    pub(crate) log: LogSink,
    pub(crate) runtime: GuestRuntime,
    pub(crate) recycle_after_trap: bool,
    pub(crate) asyncness: bool,
    pub(crate) state_factories: Vec<crate::builder::StateFactory>,
}

type StateInit = Box<dyn FnOnce(&mut States) + Send>;

impl CompiledPlugin {
    pub(crate) fn new(builder: PluginBuilder) -> Result<(Self, Vec<StateInit>)> {
        let PluginBuilder {
            manifest,
            engine,
            functions,
            wasi,
            wasi_stdio,
            name,
            log_level,
            logger,
            fuel_limit,
            http_response_headers,
            http_timeout,
            recycle_after_trap,
            asyncness,
            states,
            state_factories,
        } = builder;
        let engine = match (engine, fuel_limit) {
            (Some(engine), _) => engine,
            (None, Some(_)) => Engine::shared_fuel()?,
            (None, None) => Engine::default(),
        };
        let plugin_name = name.unwrap_or_else(|| default_name(&manifest.wasm));
        // Builder mistakes are reported before anything is loaded or compiled.
        if fuel_limit.is_some() && !engine.fuel_enabled() {
            return Err(Error::Runtime {
                plugin: plugin_name,
                message: "it has a fuel limit, but its engine does not count fuel (EngineBuilder::fuel(true))".into(),
            });
        }
        if let Some(f) = functions.iter().find(|f| f.is_async() && !asyncness) {
            return Err(Error::Runtime {
                message: format!(
                    "host function `{}::{}` is async: build the plug-in with PluginBuilder::with_async(true)",
                    f.namespace(),
                    f.name()
                ),
                plugin: plugin_name,
            });
        }
        let sources = source::load_modules(&manifest)?;
        let mut modules = Vec::with_capacity(sources.len());
        for source in sources {
            let compile_error = |cause: String| Error::Compile {
                plugin: plugin_name.clone(),
                module: source.name.clone(),
                cause,
            };
            let bytes = crate::module_shape::binary(&source.bytes).map_err(compile_error)?;
            crate::module_shape::check(&bytes).map_err(|over| Error::ModuleLimit {
                plugin: plugin_name.clone(),
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
        let linker = linker::build_linker(&engine, &functions, wasi, asyncness)?;
        let plan = linker::plan(&engine, &plugin_name, linker, modules, wasi)?;
        let main = plan
            .modules
            .last()
            .filter(|m| m.name == MAIN)
            .ok_or_else(|| Error::Manifest("no main module".into()))?;
        let runtime = GuestRuntime::detect(&main.module);
        let wasi = if wasi {
            Some(WasiOptions::new(
                manifest.allowed_paths.as_ref(),
                wasi_stdio,
            )?)
        } else {
            None
        };
        let http = HttpPolicy::new(
            manifest.allowed_hosts.as_deref().unwrap_or_default(),
            manifest
                .memory
                .max_http_response_bytes
                .unwrap_or(DEFAULT_MAX_HTTP_RESPONSE_BYTES),
            http_response_headers,
            http_timeout,
        );
        let inner = CompiledInner {
            engine,
            info: Arc::new(PluginInfo {
                name: plugin_name.into(),
            }),
            plan,
            config: Arc::new(manifest.config),
            max_pages: manifest.memory.max_pages,
            max_var_bytes: manifest
                .memory
                .max_var_bytes
                .unwrap_or(DEFAULT_MAX_VAR_BYTES),
            timeout: manifest.timeout_ms.map(Duration::from_millis),
            fuel: fuel_limit,
            http: Arc::new(http),
            wasi,
            log: LogSink {
                level: log_level,
                logger,
            },
            runtime,
            recycle_after_trap,
            asyncness,
            state_factories,
        };
        Ok((
            CompiledPlugin {
                inner: Arc::new(inner),
            },
            states,
        ))
    }

    /// The plug-in's name.
    pub fn name(&self) -> &str {
        &self.inner.info.name
    }

    /// The names of the main module's exports that can be called as
    /// plug-in functions (`() -> i32` or `() -> ()`).
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.main_module().exports().filter_map(|e| match e.ty() {
            wasmtime::ExternType::Func(f) if is_plugin_function(&f) => Some(e.name()),
            _ => None,
        })
    }

    /// Whether the plug-in exports a callable function named `name`.
    pub fn function_exists(&self, name: &str) -> bool {
        matches!(self.main_module().get_export(name), Some(wasmtime::ExternType::Func(f)) if is_plugin_function(&f))
    }

    /// The main module's exports with their wasm types, for tools that
    /// report on a plug-in.
    pub fn exports(&self) -> Vec<(String, String)> {
        self.main_module()
            .exports()
            .map(|e| (e.name().to_string(), linker::describe(&e.ty())))
            .collect()
    }

    pub(crate) fn main_module(&self) -> &Module {
        // `new` checked that the last module is main.
        &self.inner.plan.modules[self.inner.plan.modules.len() - 1].module
    }

    /// A new, independent instance of the plug-in.
    ///
    /// # Errors
    /// When instantiation or the plug-in's initialisation fails.
    pub fn instantiate(&self) -> Result<Plugin> {
        self.instantiate_with(Vec::new())
    }

    pub(crate) fn instantiate_with(&self, states: Vec<StateInit>) -> Result<Plugin> {
        let cancel = Arc::new(CancelState::default());
        let call = ActiveCall::begin(cancel.clone(), self.call_limits(self.inner.timeout))?;
        let (store, main) = self.new_store(states, &call, None)?;
        Ok(Plugin::new_instance(self.clone(), store, main, cancel))
    }

    /// What a call (or an instantiation) of this plug-in runs under.
    pub(crate) fn call_limits(&self, timeout: Option<Duration>) -> CallLimits<'_> {
        CallLimits {
            plugin: &self.inner.info.name,
            engine: &self.inner.engine,
            timeout,
            asyncness: self.inner.asyncness,
            fuel: self.inner.fuel,
        }
    }

    /// Makes a store with a kernel and every module instantiated and
    /// initialised, under `call`'s deadline and cancel state. `function` is
    /// the export whose call needed a new instance, if any.
    pub(crate) fn new_store(
        &self,
        state_inits: Vec<StateInit>,
        call: &ActiveCall,
        function: Option<&str>,
    ) -> Result<(Store<StoreData>, Instance)> {
        if self.inner.asyncness {
            return Err(self.needs_async("instantiate_async / build_async"));
        }
        let made = crate::stack::with_room(self.inner.engine.wasm_stack(), || {
            crate::blocking::now_or_never(self.new_store_in(state_inits, false, call, function))
        });
        made.unwrap_or_else(|| {
            Err(Error::Runtime {
                plugin: self.name().to_string(),
                message: "synchronous instantiation suspended".into(),
            })
        })
    }

    /// [`new_store`](Self::new_store) for async plug-ins; raced against the
    /// call's deadline and cancel, since an async host function called by
    /// an initialiser may await outside wasm.
    pub(crate) async fn new_store_async(
        &self,
        state_inits: Vec<StateInit>,
        call: &ActiveCall,
        function: Option<&str>,
    ) -> Result<(Store<StoreData>, Instance)> {
        let asyncness = self.inner.asyncness;
        let made = self.new_store_in(state_inits, asyncness, call, function);
        match call.interrupt().race(made).await {
            Ok(made) => made,
            Err(why) => Err(self.interrupted_error(why, call, function)),
        }
    }

    /// The error of an instantiation stopped by its deadline or a cancel.
    fn interrupted_error(
        &self,
        why: Interruption,
        call: &ActiveCall,
        function: Option<&str>,
    ) -> Error {
        let plugin = self.name().to_string();
        let timeout_ms = call
            .timeout()
            .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        match (why, function) {
            (Interruption::Timeout, Some(function)) => Error::Timeout {
                plugin,
                function: function.to_string(),
                timeout_ms,
            },
            (Interruption::Cancelled, Some(function)) => Error::Cancelled {
                plugin,
                function: function.to_string(),
            },
            (Interruption::Timeout, None) => Error::Instantiate {
                plugin,
                module: MAIN.to_string(),
                cause: format!("initialisation timed out after {timeout_ms} ms"),
            },
            (Interruption::Cancelled, None) => Error::Instantiate {
                plugin,
                module: MAIN.to_string(),
                cause: "initialisation was cancelled".into(),
            },
        }
    }

    /// The error for a synchronous API used on an async plug-in.
    pub(crate) fn needs_async(&self, instead: &str) -> Error {
        Error::Runtime {
            plugin: self.name().to_string(),
            message: format!(
                "this plug-in was built with PluginBuilder::with_async(true) (it has async host functions): use {instead}"
            ),
        }
    }

    /// Whether the plug-in was built for async use.
    pub fn is_async(&self) -> bool {
        self.inner.asyncness
    }

    /// A new, independent instance, created asynchronously (required for
    /// plug-ins built with [`PluginBuilder::with_async`]).
    ///
    /// # Errors
    /// As [`instantiate`](Self::instantiate).
    pub async fn instantiate_async(&self) -> Result<Plugin> {
        self.instantiate_async_with(Vec::new()).await
    }

    pub(crate) async fn instantiate_async_with(&self, states: Vec<StateInit>) -> Result<Plugin> {
        let cancel = Arc::new(CancelState::default());
        let call = ActiveCall::begin(cancel.clone(), self.call_limits(self.inner.timeout))?;
        let (store, main) = self.new_store_async(states, &call, None).await?;
        Ok(Plugin::new_instance(self.clone(), store, main, cancel))
    }

    /// The engine the plug-in was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    async fn new_store_in(
        &self,
        state_inits: Vec<StateInit>,
        asyncness: bool,
        call: &ActiveCall,
        function: Option<&str>,
    ) -> Result<(Store<StoreData>, Instance)> {
        let inner = &*self.inner;
        let mut states = States::default();
        for make in &inner.state_factories {
            make(&mut states);
        }
        for init in state_inits {
            init(&mut states);
        }
        let wasi = inner
            .wasi
            .as_ref()
            .map(|w| w.build(asyncness))
            .transpose()?;
        let data = StoreData {
            info: inner.info.clone(),
            kernel: Kernel::new(),
            vars: Vars::new(inner.max_var_bytes),
            config: inner.config.clone(),
            wasi,
            limiter: MemoryLimiter::new(inner.max_pages),
            interrupt: StoreInterrupt::default(),
            log: inner.log.clone(),
            http: HttpState::new(inner.http.clone()),
            states,
            function: None,
            context: None,
            async_call: false,
        };
        let mut store = Store::new(inner.engine.wasmtime(), data);
        store.limiter(|data| &mut data.limiter);
        crate::interrupt::install_epoch_callback(&mut store, inner.engine.clone());
        // Start functions and guest initialisation run under the call's
        // deadline and cancel state too: a hostile module must not hang the
        // host while it is being created.
        // Within a call (re-instantiation), what already stopped the call
        // stops it here too. A plug-in's first instantiation is judged only
        // by what interrupts its wasm, so that a tiny `timeout_ms` bounds
        // calls without making the plug-in impossible to create.
        let interrupted = call.enter(&mut store, function.map(Arc::from), None);
        if let (Some(why), Some(_)) = (interrupted, function) {
            return Err(self.interrupted_error(why, call, function));
        }
        let instantiate_error =
            |module: &str, e: wasmtime::Error, store: &Store<StoreData>| match store
                .data()
                .interrupt
                .fired
            {
                Some(why) => self.interrupted_error(why, call, function),
                None => Error::Instantiate {
                    plugin: inner.info.name.to_string(),
                    module: module.to_string(),
                    cause: format!("{e:#}"),
                },
            };
        let kernel = if asyncness {
            inner.engine.kernel().instantiate_async(&mut store).await
        } else {
            inner.engine.kernel().instantiate(&mut store)
        }
        .map_err(|e| instantiate_error("extism:host/env", e, &store))?;
        let handles = KernelInstance::new(&mut store, &kernel).ok_or_else(|| {
            instantiate_error(
                "extism:host/env",
                wasmtime::Error::msg("kernel exports missing"),
                &store,
            )
        })?;
        store.data_mut().kernel.instance = Some(handles);

        let mut instances: Vec<Instance> = Vec::with_capacity(inner.plan.modules.len());
        for linked in &inner.plan.modules {
            let mut imports: Vec<Extern> = Vec::with_capacity(linked.imports.len());
            for source in &linked.imports {
                let found = match source {
                    ImportSource::Kernel(export) => kernel.get_module_export(&mut store, export),
                    ImportSource::Linker { module, name } => {
                        inner.plan.linker.get(&mut store, module, name).ok()
                    }
                    ImportSource::Module { index, export } => {
                        instances[*index].get_module_export(&mut store, export)
                    }
                };
                let found = found.ok_or_else(|| {
                    instantiate_error(
                        &linked.name,
                        wasmtime::Error::msg("an import resolved at load time is missing"),
                        &store,
                    )
                })?;
                imports.push(found);
            }
            let instance = if asyncness {
                Instance::new_async(&mut store, &linked.module, &imports).await
            } else {
                Instance::new(&mut store, &linked.module, &imports)
            }
            .map_err(|e| instantiate_error(&linked.name, e, &store))?;
            let runtime = if linked.name == MAIN {
                inner.runtime
            } else {
                GuestRuntime::detect(&linked.module)
            };
            runtime
                .initialize(&mut store, &instance, asyncness)
                .await
                .map_err(|e| instantiate_error(&linked.name, e, &store))?;
            instances.push(instance);
        }
        store.data_mut().limiter.start_counting();
        // Within a call, an initialiser that overran its deadline without an
        // epoch check noticing (blocked in a host function) fails it.
        if function.is_some() {
            if let Some(why) = store.data_mut().interrupt.check() {
                return Err(self.interrupted_error(why, call, function));
            }
        }
        let data = store.data_mut();
        data.interrupt.deadline = None;
        data.function = None;
        let main = instances
            .pop()
            .ok_or_else(|| Error::Manifest("no main module".into()))?;
        Ok((store, main))
    }
}

pub(crate) fn is_plugin_function(f: &wasmtime::FuncType) -> bool {
    f.params().len() == 0
        && (f.results().len() == 0
            || (f.results().len() == 1
                && matches!(f.results().next(), Some(wasmtime::ValType::I32))))
}

/// The main module's file name, or `plugin`.
fn default_name(wasm: &[Wasm]) -> String {
    let main = wasm
        .iter()
        .find(|w| w.meta().name.as_deref() == Some(MAIN))
        .or(wasm.last());
    match main {
        Some(Wasm::File { path, .. }) => path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into()),
        Some(Wasm::Url { request, .. }) => request.url.clone(),
        _ => "plugin".into(),
    }
}
