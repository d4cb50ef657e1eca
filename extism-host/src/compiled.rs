//! A plug-in compiled and linked once, instantiated many times.

use std::sync::Arc;

use crate::call::{ActiveCall, CallLimits, CallOptions};
use crate::dump::Dumps;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::inspect::{ExportItem, ImportItem};
use crate::instance::{InstanceTemplate, Instantiation, StateInit};
use crate::interrupt::CancelState;
use crate::linker::LinkPlan;
use crate::plugin::Plugin;

/// A compiled, linked plug-in: the expensive work done once. Instances made
/// from it ([`CompiledPlugin::instantiate`]) are independent plug-ins with
/// their own memory and vars. Cheap to clone, `Send + Sync`.
///
/// ```
/// use extism_host::PluginBuilder;
///
/// # let wat = r#"(module
/// #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
/// #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
/// #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
/// #     ;; The input is a kernel block too: make it the output.
/// #     (func (export "reflect") (result i32)
/// #         (call $output_set (call $input_offset) (call $input_length))
/// #         (i32.const 0)))"#;
/// let compiled = PluginBuilder::from_wasm(wat).compile()?;
/// let mut a = compiled.instantiate()?;
/// let mut b = compiled.instantiate()?;
/// assert_eq!(a.call_bytes("reflect", b"a")?, b"a");
/// assert_eq!(b.call_bytes("reflect", b"b")?, b"b");
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct CompiledPlugin {
    inner: Arc<CompiledInner>,
}

struct CompiledInner {
    engine: Engine,
    plan: LinkPlan,
    template: InstanceTemplate,
    calls: CallOptions,
    dumps: Dumps,
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin")
            .field("name", &self.name())
            .field("async", &self.is_async())
            .field("functions", &self.functions().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl CompiledPlugin {
    pub(crate) fn new(
        engine: Engine,
        plan: LinkPlan,
        template: InstanceTemplate,
        calls: CallOptions,
        dumps: Dumps,
    ) -> Self {
        CompiledPlugin {
            inner: Arc::new(CompiledInner {
                engine,
                plan,
                template,
                calls,
                dumps,
            }),
        }
    }

    /// The plug-in's name.
    pub fn name(&self) -> &str {
        &self.inner.template.info.name
    }

    /// The engine the plug-in was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Whether the plug-in was built for async use.
    pub fn is_async(&self) -> bool {
        self.inner.calls.asyncness
    }

    /// The names of the main module's exports that can be called as
    /// plug-in functions (`() -> i32` or `() -> ()`).
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.main_module().exports().filter_map(|e| match e.ty() {
            wasmtime::ExternType::Func(f) if crate::abi::is_plugin_function(&f) => Some(e.name()),
            _ => None,
        })
    }

    /// Whether the plug-in exports a callable function named `name`.
    pub fn function_exists(&self, name: &str) -> bool {
        matches!(self.main_module().get_export(name), Some(wasmtime::ExternType::Func(f)) if crate::abi::is_plugin_function(&f))
    }

    /// The main module's exports with their types.
    pub fn exports(&self) -> Vec<ExportItem> {
        crate::inspect::exports(self.main_module())
    }

    /// Every import of every module of the plug-in, with what provides it.
    pub fn imports(&self) -> Vec<ImportItem> {
        crate::inspect::imports(&self.inner.plan)
    }

    pub(crate) fn main_module(&self) -> &wasmtime::Module {
        self.inner.plan.main()
    }

    pub(crate) fn plan(&self) -> &LinkPlan {
        &self.inner.plan
    }

    pub(crate) fn template(&self) -> &InstanceTemplate {
        &self.inner.template
    }

    /// The dumps to write when a call traps.
    pub(crate) fn dumps(&self) -> &Dumps {
        &self.inner.dumps
    }

    /// What every call of this plug-in runs under.
    pub(crate) fn call_options(&self) -> CallOptions {
        self.inner.calls
    }

    /// What a call (or an instantiation) of this plug-in runs under.
    pub(crate) fn call_limits(&self, timeout: Option<std::time::Duration>) -> CallLimits<'_> {
        CallLimits {
            plugin: self.name(),
            engine: &self.inner.engine,
            timeout,
            asyncness: self.inner.calls.asyncness,
            fuel: self.inner.calls.fuel,
        }
    }

    /// A new instantiation of this plug-in under `call`; `function` is the
    /// export whose call needed a fresh instance, if any.
    pub(crate) fn instantiation<'a>(
        &'a self,
        call: &'a ActiveCall,
        function: Option<&'a str>,
    ) -> Instantiation<'a> {
        Instantiation {
            compiled: self,
            call,
            function,
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

    /// A new, independent instance of the plug-in.
    ///
    /// # Errors
    /// When instantiation or the plug-in's initialisation fails.
    pub fn instantiate(&self) -> Result<Plugin> {
        self.instantiate_with(Vec::new())
    }

    pub(crate) fn instantiate_with(&self, states: Vec<StateInit>) -> Result<Plugin> {
        let cancel = Arc::new(CancelState::default());
        let call = ActiveCall::begin(
            cancel.clone(),
            self.call_limits(self.inner.calls.timeout),
            false,
        )?;
        let (store, main) = self.instantiation(&call, None).run(states)?;
        Ok(Plugin::new_instance(self.clone(), store, main, cancel))
    }

    #[cfg(feature = "async")]
    /// A new, independent instance, created asynchronously (required for
    /// plug-ins built with [`PluginBuilder::with_async`](crate::PluginBuilder::with_async)).
    ///
    /// # Errors
    /// As [`instantiate`](Self::instantiate).
    pub async fn instantiate_async(&self) -> Result<Plugin> {
        self.instantiate_async_with(Vec::new()).await
    }

    #[cfg(feature = "async")]
    pub(crate) async fn instantiate_async_with(&self, states: Vec<StateInit>) -> Result<Plugin> {
        let cancel = Arc::new(CancelState::default());
        let call = ActiveCall::begin(
            cancel.clone(),
            self.call_limits(self.inner.calls.timeout),
            false,
        )?;
        let (store, main) = self.instantiation(&call, None).run_async(states).await?;
        Ok(Plugin::new_instance(self.clone(), store, main, cancel))
    }
}
