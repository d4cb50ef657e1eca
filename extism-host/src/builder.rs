//! Options for creating plug-ins.

use std::sync::Arc;
use std::time::Duration;

use crate::abi::{self, KERNEL_NAMESPACE};
use crate::call::CallOptions;
use crate::compile::{self, CompileOptions};
use crate::compiled::CompiledPlugin;
use crate::dump::Dumps;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::host_function::HostFunction;
use crate::http::HttpPolicy;
use crate::inspect::Inspection;
use crate::instance::{InstanceTemplate, StateInit};
use crate::log::{LogLevel, LogSink, Logger};
use crate::manifest::{Manifest, Wasm, DEFAULT_MAX_HTTP_RESPONSE_BYTES, DEFAULT_MAX_VAR_BYTES};
use crate::observe::{Observe, ObserveSetup};
use crate::plugin::Plugin;
use crate::source;
use crate::store::{PluginInfo, States};
use crate::wasi::WasiOptions;

/// Makes one instance's state; shared by every instance of a compiled plug-in.
pub(crate) type StateFactory = Arc<dyn Fn(&mut States) + Send + Sync>;

/// Everything about a plug-in that is not in its manifest: host functions,
/// WASI, logging, fuel, the engine, and state lent to host functions.
///
/// ```
/// use extism_host::{LogLevel, Manifest, PluginBuilder, Wasm};
///
/// # let wat = r#"(module
/// #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
/// #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
/// #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
/// #     ;; The input is a kernel block too: make it the output.
/// #     (func (export "reflect") (result i32)
/// #         (call $output_set (call $input_offset) (call $input_length))
/// #         (i32.const 0)))"#;
/// let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(wat)]))
///     .with_wasi(true)
///     .with_log_level(LogLevel::Warn)
///     .with_fuel_limit(1_000_000)
///     .build()?;
/// assert_eq!(plugin.call_bytes("reflect", b"Hello, World!")?, b"Hello, World!");
/// assert!(plugin.fuel_consumed().is_some_and(|fuel| fuel > 0));
/// # Ok::<(), extism_host::Error>(())
/// ```
pub struct PluginBuilder {
    manifest: Manifest,
    engine: Option<Engine>,
    functions: Vec<HostFunction>,
    wasi: bool,
    wasi_stdio: bool,
    name: Option<String>,
    log_level: Option<LogLevel>,
    logger: Option<Logger>,
    fuel_limit: Option<u64>,
    http_response_headers: bool,
    http_timeout: Option<Duration>,
    recycle_after_trap: bool,
    asyncness: bool,
    states: Vec<StateInit>,
    state_factories: Vec<StateFactory>,
    dumps: Dumps,
    observe: Option<Observe>,
    call_timing: bool,
}

impl std::fmt::Debug for PluginBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let functions: Vec<String> = self
            .functions
            .iter()
            .map(|function| format!("{}::{}", function.namespace(), function.name()))
            .collect();
        f.debug_struct("PluginBuilder")
            .field("manifest", &self.manifest)
            .field("name", &self.name)
            .field("functions", &functions)
            .field("wasi", &self.wasi)
            .field("async", &self.asyncness)
            .field("fuel_limit", &self.fuel_limit)
            .finish_non_exhaustive()
    }
}

impl PluginBuilder {
    /// Options for a plug-in described by `manifest` (owned, or borrowed and
    /// cloned).
    pub fn new(manifest: impl Into<Manifest>) -> Self {
        PluginBuilder {
            manifest: manifest.into(),
            engine: None,
            functions: Vec::new(),
            wasi: false,
            wasi_stdio: false,
            name: None,
            log_level: None,
            logger: None,
            fuel_limit: None,
            http_response_headers: false,
            http_timeout: Some(Duration::from_secs(30)),
            recycle_after_trap: true,
            asyncness: false,
            states: Vec::new(),
            state_factories: Vec::new(),
            dumps: Dumps::default(),
            observe: None,
            call_timing: false,
        }
    }

    /// Options for a plug-in made of one module (wasm bytes or WAT text).
    pub fn from_wasm(wasm: impl Into<Vec<u8>>) -> Self {
        PluginBuilder::new(Manifest::new([Wasm::data(wasm)]))
    }

    /// Compiles with this engine instead of the shared default one.
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Gives the plug-in a host function to import.
    pub fn with_function(mut self, function: HostFunction) -> Self {
        self.functions.push(function);
        self
    }

    /// Gives the plug-in several host functions.
    pub fn with_functions(mut self, functions: impl IntoIterator<Item = HostFunction>) -> Self {
        self.functions.extend(functions);
        self
    }

    /// Lets the plug-in import WASI preview 1 (off by default). Only the
    /// manifest's `allowed_paths` are visible to it.
    pub fn with_wasi(mut self, enabled: bool) -> Self {
        self.wasi = enabled;
        self
    }

    /// Passes the plug-in's WASI stdout and stderr to the host's (discarded
    /// by default).
    pub fn with_wasi_stdio(mut self, inherit: bool) -> Self {
        self.wasi_stdio = inherit;
        self
    }

    /// The name errors and log lines use for this plug-in (default: the
    /// main module's file name, or `plugin`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Provides the imports of modules instrumented with the Observe SDK
    /// and turns what they report into a [`Trace`](crate::observe::Trace)
    /// per call (see [`observe`](crate::observe)). Off by default: without
    /// it, a module importing them fails to link, naming the import.
    pub fn with_observe(mut self, observe: Observe) -> Self {
        self.observe = Some(observe);
        self
    }

    /// Drops the plug-in's log lines below `level` (and tells the plug-in,
    /// which then skips making them). Default: the global `tracing` level,
    /// or `info` when a logger is set.
    pub fn with_log_level(mut self, level: LogLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// Sends the plug-in's log lines to `logger` as well as to `tracing`.
    pub fn with_logger(mut self, logger: impl Fn(LogLevel, &str) + Send + Sync + 'static) -> Self {
        self.logger = Some(Arc::new(logger));
        self
    }

    /// Gives each call this much fuel; a call that uses it up fails with
    /// [`Error::OutOfFuel`](crate::Error::OutOfFuel). Needs an engine with
    /// fuel enabled ([`EngineBuilder::with_fuel`](crate::EngineBuilder::with_fuel)); the
    /// builder makes one when no engine is given.
    pub fn with_fuel_limit(mut self, fuel: u64) -> Self {
        self.fuel_limit = Some(fuel);
        self
    }

    /// Lets the plug-in read response headers with `http_headers` (off by
    /// default, as in the reference).
    pub fn with_http_response_headers(mut self, enabled: bool) -> Self {
        self.http_response_headers = enabled;
        self
    }

    /// The longest one HTTP request of the plug-in may take when the call has
    /// no timeout of its own (default 30 s; None: no limit). With a call
    /// timeout, a request gets the time the call has left.
    pub fn with_http_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// Measures every call's duration ([`CallStats::duration`](crate::CallStats::duration)),
    /// also with no `tracing` subscriber and no timeout. Off by default:
    /// two clock reads cost a no-op call about a quarter of its time, so a
    /// call is timed only when that is free (it has a timeout) or wanted (a
    /// subscriber takes its span).
    pub fn with_call_timing(mut self, enabled: bool) -> Self {
        self.call_timing = enabled;
        self
    }

    /// After a call that trapped, timed out, was cancelled or hit a limit,
    /// give the next call a fresh instance (on by default): the plug-in's
    /// memory may have been left half-updated. Vars and host states are kept;
    /// the plug-in's own globals and memory start over. Off: keep using the
    /// same instance, as the reference runtime does.
    pub fn with_recycle_after_trap(mut self, recycle: bool) -> Self {
        self.recycle_after_trap = recycle;
        self
    }

    #[cfg(feature = "async")]
    /// Builds the plug-in for async use: instances are created with
    /// [`build_async`](Self::build_async) /
    /// [`CompiledPlugin::instantiate_async`](crate::CompiledPlugin::instantiate_async)
    /// and called with [`Plugin::call_async`](crate::Plugin::call_async); host
    /// functions may be async ([`HostFunction::wrap_async`](crate::HostFunction::wrap_async),
    /// or an `async fn` with [`#[host_fn]`](crate::host_fn)),
    /// WASI runs without blocking, and a running call yields to the executor
    /// every few milliseconds, so it never holds a worker thread for long.
    pub fn with_async(mut self, enabled: bool) -> Self {
        self.asyncness = enabled;
        self
    }

    /// When a call traps, writes the main module's memory to `path` (raw
    /// bytes, replacing the file), as the reference's `with_memdump`.
    pub fn with_memdump(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.dumps.memory = Some(path.into());
        self
    }

    /// When a call traps, writes a wasm core dump of the plug-in to `path`,
    /// as the reference's `with_coredump`. Needs an engine that captures
    /// them ([`EngineBuilder::with_coredump_on_trap`](crate::EngineBuilder::with_coredump_on_trap));
    /// the builder picks one when no engine is given.
    pub fn with_coredump(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.dumps.core = Some(path.into());
        self
    }

    /// Lends `state` to the plug-in's host functions, which reach it with
    /// [`CurrentPlugin::state_mut`](crate::CurrentPlugin::state_mut) (or a
    /// `&mut T` parameter with `#[host_fn]`). One value per type.
    pub fn with_state<T: Send + 'static>(mut self, state: T) -> Self {
        self.states.push(Box::new(move |states: &mut States| {
            states.insert(state);
        }));
        self
    }

    /// Lends every instance of the plug-in its own state made by `make`, for
    /// plug-ins compiled once and instantiated many times (pools), where a
    /// single value given with [`with_state`](Self::with_state) cannot be shared.
    pub fn with_state_factory<T: Send + 'static>(
        mut self,
        make: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        self.state_factories
            .push(Arc::new(move |states: &mut States| {
                states.insert(make());
            }));
        self
    }

    /// Compiles the plug-in, ready to instantiate many times.
    ///
    /// # Errors
    /// [`Error::Builder`] for inconsistent options (reported before anything
    /// is loaded); malformed manifest, unreadable or mismatching modules,
    /// invalid wasm, imports this host does not provide.
    pub fn compile(self) -> Result<CompiledPlugin> {
        if !self.states.is_empty() {
            return Err(Error::Builder {
                plugin: self.plugin_name(),
                message: "states given with PluginBuilder::with_state belong to the one plug-in \
                          build() makes; for a compiled plug-in use with_state_factory (a state \
                          per instance) or Plugin::set_state"
                    .into(),
            });
        }
        let (compiled, _) = self.finish()?;
        Ok(compiled)
    }

    /// Compiles and instantiates the plug-in.
    ///
    /// # Errors
    /// As [`compile`](Self::compile), and when the plug-in's initialisation
    /// (`_initialize`, constructors, `hs_init`) fails.
    pub fn build(self) -> Result<Plugin> {
        let (compiled, states) = self.finish()?;
        compiled.instantiate_with(states)
    }

    #[cfg(feature = "async")]
    /// Compiles and instantiates the plug-in asynchronously (required with
    /// [`with_async`](Self::with_async)).
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub async fn build_async(self) -> Result<Plugin> {
        let (compiled, states) = self.finish()?;
        compiled.instantiate_async_with(states).await
    }

    /// Loads and compiles the plug-in's modules and reports their imports
    /// and exports, with what this host gives each import or why it gives
    /// nothing, without failing at the first import it does not provide (as
    /// [`compile`](Self::compile) does). For tools that report on plug-ins.
    ///
    /// ```
    /// use extism_host::{ImportProvider, PluginBuilder};
    ///
    /// let report = PluginBuilder::from_wasm(r#"(module
    ///     (import "extism:host/env" "alloc" (func (param i64) (result i64)))
    ///     (import "extism:host/user" "lookup" (func (param i64) (result i64)))
    ///     (func (export "run") (result i32) i32.const 0))"#)
    ///     .inspect()?;
    /// assert_eq!(report.imports[0].provider, ImportProvider::Kernel);
    /// assert!(report.imports[0].is_provided());
    /// assert_eq!(report.imports[1].provider, ImportProvider::HostFunction);
    /// assert!(!report.imports[1].is_provided());
    /// assert!(report.exports[0].plugin_function);
    /// # Ok::<(), extism_host::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`compile`](Self::compile), except that imports this host does not
    /// provide are reported, not errors.
    pub fn inspect(self) -> Result<Inspection> {
        let plugin = self.plugin_name();
        let engine = self.engine.clone().unwrap_or_default();
        // WASI is not refused here: the inspection reports each WASI import
        // as unavailable instead.
        check_options(
            &plugin,
            &engine,
            &self.functions,
            None,
            self.asyncness,
            false,
        )?;
        compile::inspect(&engine, &self.manifest, self.compile_options(&plugin))
    }

    /// The options compilation and linking take from this builder.
    fn compile_options<'a>(&'a self, plugin: &'a str) -> CompileOptions<'a> {
        CompileOptions {
            plugin,
            functions: &self.functions,
            wasi: self.wasi,
            asyncness: self.asyncness,
            observe: self.observe.is_some(),
        }
    }

    fn plugin_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| source::default_plugin_name(&self.manifest.wasm))
    }

    /// Splits the options into what each stage needs: compilation and
    /// linking, making instances, and calls. The states for the first
    /// instance come back with the compiled plug-in.
    fn finish(self) -> Result<(CompiledPlugin, Vec<StateInit>)> {
        let plugin = self.plugin_name();
        let engine = match self.engine.clone() {
            Some(engine) => engine,
            None => Engine::shared(self.fuel_limit.is_some(), self.dumps.core.is_some())?,
        };
        check_options(
            &plugin,
            &engine,
            &self.functions,
            self.fuel_limit,
            self.asyncness,
            self.wasi,
        )?;
        if self.dumps.core.is_some() && !engine.coredump_enabled() {
            return Err(Error::Builder {
                plugin,
                message: "it asks for core dumps, but its engine does not capture them \
                          (EngineBuilder::with_coredump_on_trap(true))"
                    .into(),
            });
        }
        let plan = compile::compile(&engine, &self.manifest, self.compile_options(&plugin))?;
        let manifest = self.manifest;
        let wasi = if self.wasi {
            Some(WasiOptions::new(
                manifest.allowed_paths.as_ref(),
                self.wasi_stdio,
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
            self.http_response_headers,
            self.http_timeout,
        );
        let template = InstanceTemplate {
            info: Arc::new(PluginInfo {
                name: plugin.into(),
            }),
            config: Arc::new(manifest.config),
            max_pages: manifest.memory.max_pages,
            max_var_bytes: manifest
                .memory
                .max_var_bytes
                .unwrap_or(DEFAULT_MAX_VAR_BYTES),
            http: Arc::new(http),
            wasi,
            log: LogSink {
                level: self.log_level,
                logger: self.logger,
            },
            state_factories: self.state_factories,
            observe: self.observe.map(|options| {
                Arc::new(ObserveSetup {
                    options,
                    instrumentation: plan.instrumentation.clone(),
                })
            }),
        };
        let calls = CallOptions {
            timeout: manifest.timeout_ms.map(Duration::from_millis),
            fuel: self.fuel_limit,
            asyncness: self.asyncness,
            recycle_after_trap: self.recycle_after_trap,
            timing: self.call_timing,
        };
        tracing::debug!(
            target: "extism_host",
            plugin = &*template.info.name,
            modules = plan.modules.len(),
            wasi = template.wasi.is_some(),
            asyncness = calls.asyncness,
            "plug-in compiled"
        );
        let compiled = CompiledPlugin::new(engine, plan, template, calls, self.dumps);
        Ok((compiled, self.states))
    }
}

/// The builder mistakes that need no module: reported before anything is
/// loaded or compiled.
fn check_options(
    plugin: &str,
    engine: &Engine,
    functions: &[HostFunction],
    fuel_limit: Option<u64>,
    asyncness: bool,
    wasi: bool,
) -> Result<()> {
    let mistake = |message: String| {
        Err(Error::Builder {
            plugin: plugin.to_string(),
            message,
        })
    };
    if wasi && !cfg!(feature = "wasi") {
        return mistake(crate::wasi::UNAVAILABLE.into());
    }
    if fuel_limit.is_some() && !engine.fuel_enabled() {
        return mistake(
            "it has a fuel limit, but its engine does not count fuel (EngineBuilder::with_fuel(true))"
                .into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for f in functions {
        let name = format!("{}::{}", f.namespace(), f.name());
        if f.is_async() && !asyncness {
            return mistake(format!(
                "host function `{name}` is async: build the plug-in with PluginBuilder::with_async(true)"
            ));
        }
        if f.namespace() == KERNEL_NAMESPACE && abi::home(f.name()).is_some() {
            return mistake(format!(
                "host function `{name}` would replace a built-in Extism function"
            ));
        }
        if !seen.insert((f.namespace(), f.name())) {
            return mistake(format!("host function `{name}` is registered twice"));
        }
    }
    Ok(())
}
