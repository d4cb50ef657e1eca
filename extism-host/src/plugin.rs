//! A plug-in instance and its calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;
#[cfg(feature = "async")]
use tracing::Instrument;
use wasmtime::{Instance, Store, TypedFunc};

use crate::builder::PluginBuilder;
use crate::call::{ActiveCall, CallOptions};
use crate::compiled::CompiledPlugin;
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::host_function::HostFunction;
use crate::interrupt::{CancelHandle, CancelState};
use crate::kernel;
use crate::log::LogLevel;
use crate::manifest::Manifest;
use crate::outcome::{self, FailedCall, Finished};
use crate::stats::{self, CallOutcome, CallStats, PluginStats, Totals};
use crate::store::StoreData;

/// A plug-in instance: its own memory, vars and kernel, ready to call.
///
/// ```
/// use extism_host::{Manifest, Plugin, Wasm};
///
/// # let wat = r#"(module
/// #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
/// #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
/// #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
/// #     ;; The input is a kernel block too: make it the output.
/// #     (func (export "reflect") (result i32)
/// #         (call $output_set (call $input_offset) (call $input_length))
/// #         (i32.const 0)))"#;
/// let manifest = Manifest::new([Wasm::data(wat)]);
/// let mut plugin = Plugin::new(manifest, [], false)?;
/// let output = plugin.call_bytes("reflect", b"Hello, World!")?;
/// assert_eq!(output, b"Hello, World!");
/// # Ok::<(), extism_host::Error>(())
/// ```
///
/// State kept across calls: the plug-in's own memory and globals, and its
/// vars. Each call starts with an empty kernel (no blocks, input, output or
/// error from the previous call).
pub struct Plugin {
    compiled: CompiledPlugin,
    store: Store<StoreData>,
    main: Instance,
    exports: FxHashMap<Box<str>, Arc<Export>>,
    /// What every call runs under, copied from the compiled plug-in.
    options: CallOptions,
    /// What the next call must do first.
    pending: Pending,
    /// This instance's time limit per call (starts as the manifest's).
    timeout: Option<Duration>,
    /// Fuel the last call used, when fuel is metered.
    fuel_consumed: Option<u64>,
    /// Calls made on this instance (pools retire instances by it).
    calls: u64,
    /// Shared with the instance's cancel handles; outlives re-instantiation.
    cancel: Arc<CancelState>,
    /// The figures of the last call.
    last_call: Option<CallStats>,
    /// Every call's figures, added up (since the checkout, for a pool's).
    totals: Totals,
    /// What the host attaches to each trace of an observed plug-in.
    trace_metadata: BTreeMap<String, String>,
}

/// The wasm part of a call ended: what it reported, and the export.
struct Ran {
    report: crate::call::CallReport,
    function: Arc<str>,
}

/// Work left for the start of the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    /// A fresh instance first, keeping or dropping the vars, for the reason
    /// given (for the debug event).
    Fresh(Vars, &'static str),
}

/// What a fresh instance does with the old one's vars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vars {
    /// `_start` ran: a fresh instance, as in the reference, whose vars are
    /// dropped with the old one.
    Drop,
    /// The last call trapped, timed out or hit a limit: the guest's memory
    /// may be half-updated, so it gets a fresh instance that keeps the vars.
    Keep,
}

/// A callable export, resolved once.
struct Export {
    name: Arc<str>,
    func: ExportFunc,
}

enum ExportFunc {
    Code(TypedFunc<(), i32>),
    Unit(TypedFunc<(), ()>),
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name())
            .field("async", &self.compiled.is_async())
            .field("timeout", &self.timeout)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// Creates a plug-in from a manifest (owned or borrowed) with host
    /// functions, with or without WASI; [`PluginBuilder`] has every other
    /// option.
    ///
    /// # Errors
    /// See [`PluginBuilder::build`].
    pub fn new(
        manifest: impl Into<Manifest>,
        functions: impl IntoIterator<Item = HostFunction>,
        wasi: bool,
    ) -> Result<Plugin> {
        PluginBuilder::new(manifest)
            .with_functions(functions)
            .with_wasi(wasi)
            .build()
    }

    pub(crate) fn new_instance(
        compiled: CompiledPlugin,
        store: Store<StoreData>,
        main: Instance,
        cancel: Arc<CancelState>,
    ) -> Self {
        let options = compiled.call_options();
        Plugin {
            compiled,
            store,
            main,
            exports: FxHashMap::default(),
            options,
            pending: Pending::Nothing,
            timeout: options.timeout,
            fuel_consumed: None,
            calls: 0,
            cancel,
            last_call: None,
            totals: Totals::default(),
            trace_metadata: BTreeMap::new(),
        }
    }

    /// The plug-in's name, as errors and logs show it.
    pub fn name(&self) -> &str {
        self.compiled.name()
    }

    /// What this instance was made from.
    pub fn compiled(&self) -> &CompiledPlugin {
        &self.compiled
    }

    /// Whether the plug-in exports a callable function named `name`.
    pub fn function_exists(&self, name: &str) -> bool {
        self.compiled.function_exists(name)
    }

    /// The names of the plug-in's callable functions.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.compiled.functions()
    }

    /// Calls the export `name` with `input`; returns its output, borrowed
    /// from the kernel memory until the next call.
    ///
    /// # Errors
    /// The export is missing or not an Extism function; the plug-in set an
    /// error, returned a non-zero code, trapped, hit a limit, timed out or was
    /// cancelled. The plug-in stays usable after any of these.
    pub fn call_bytes(&mut self, name: &str, input: &[u8]) -> Result<&[u8]> {
        let (offset, len) = self.call_raw(name, input, None)?;
        self.output(name, offset, len)
    }

    /// [`call_bytes`](Self::call_bytes), lending `context` to the host
    /// functions the plug-in calls during this call (see
    /// [`call_with_context`](Self::call_with_context)).
    ///
    /// # Errors
    /// As [`call_bytes`](Self::call_bytes).
    pub fn call_bytes_with_context<C: Send + 'static>(
        &mut self,
        name: &str,
        input: &[u8],
        context: &mut C,
    ) -> Result<&[u8]> {
        let (offset, len) = self.call_raw(name, input, Some(CallContext::lend(context)))?;
        self.output(name, offset, len)
    }

    fn output(&self, name: &str, offset: u64, len: u64) -> Result<&[u8]> {
        kernel::range(&self.store, offset, len).map_err(|e| Error::Runtime {
            plugin: self.name().to_string(),
            message: format!("function `{name}`: output {e}"),
        })
    }

    /// Calls the export `name`, encoding `input` and decoding the output
    /// with [`extism_codec`](crate::codec): `&str`, `String`, `&[u8]`,
    /// `Vec<u8>`, `Json<T>`, `Msgpack<T>`, `Pod<T>`, numbers... Borrowed
    /// outputs (`&str`, `&[u8]`) point into the kernel memory until the next
    /// call.
    ///
    /// ```
    /// use extism_host::{codec::Json, PluginBuilder};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// struct Point { x: i32, y: i32 }
    ///
    /// # let wat = r#"(module
    /// #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
    /// #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
    /// #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    /// #     ;; The input is a kernel block too: make it the output.
    /// #     (func (export "reflect") (result i32)
    /// #         (call $output_set (call $input_offset) (call $input_length))
    /// #         (i32.const 0)))"#;
    /// let mut plugin = PluginBuilder::from_wasm(wat).build()?;
    /// // `reflect` answers with its input: the JSON goes there and back.
    /// let Json(point): Json<Point> = plugin.call("reflect", Json(Point { x: 1, y: 2 }))?;
    /// assert_eq!(point, Point { x: 1, y: 2 });
    /// let text: &str = plugin.call("reflect", "borrowed from the kernel")?;
    /// assert_eq!(text, "borrowed from the kernel");
    /// # Ok::<(), extism_host::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`call_bytes`](Self::call_bytes), and [`Error::Codec`] when the
    /// input cannot be encoded or the output decoded.
    pub fn call<'a, I, O>(&'a mut self, name: &str, input: I) -> Result<O>
    where
        I: extism_codec::Encode,
        O: extism_codec::Decode<'a>,
    {
        let plugin = self.compiled.template().info.name.clone();
        let bytes = input.encode().map_err(|e| codec_error(&plugin, name, e))?;
        let output = self.call_bytes(name, &bytes)?;
        O::decode(output).map_err(|e| codec_error(&plugin, name, e))
    }

    /// Calls the export `name` like [`call`](Self::call), lending `context`
    /// to the host functions the plug-in calls during this call; they reach
    /// it with [`CurrentPlugin::context`](crate::CurrentPlugin::context). The
    /// plug-in never sees it.
    ///
    /// ```
    /// use extism_host::{CurrentPlugin, HostFunction, PluginBuilder};
    ///
    /// struct Request { user: String, lookups: u32 }
    ///
    /// let whoami = HostFunction::wrap("whoami", |plugin: &mut CurrentPlugin<'_>, _arg: u64| {
    ///     let request = plugin.context::<Request>().ok_or_else(|| extism_host::HostError::msg("no request"))?;
    ///     request.lookups += 1;
    ///     let user = request.user.clone();
    ///     plugin.write_bytes(user.as_bytes())
    /// });
    /// // `greet` outputs the block `whoami` returns.
    /// let greeter = r#"(module
    ///     (import "extism:host/user" "whoami" (func $whoami (param i64) (result i64)))
    ///     (import "extism:host/env" "length" (func $length (param i64) (result i64)))
    ///     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    ///     (func (export "greet") (result i32) (local $name i64)
    ///         (local.set $name (call $whoami (i64.const 0)))
    ///         (call $output_set (local.get $name) (call $length (local.get $name)))
    ///         (i32.const 0)))"#;
    /// let mut plugin = PluginBuilder::from_wasm(greeter)
    ///     .with_function(whoami)
    ///     .build()?;
    /// let mut request = Request { user: "ada".into(), lookups: 0 };
    /// let greeting: String = plugin.call_with_context("greet", "", &mut request)?;
    /// assert_eq!((greeting.as_str(), request.lookups), ("ada", 1));
    /// # Ok::<(), extism_host::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub fn call_with_context<'a, I, O, C>(
        &'a mut self,
        name: &str,
        input: I,
        context: &mut C,
    ) -> Result<O>
    where
        I: extism_codec::Encode,
        O: extism_codec::Decode<'a>,
        C: Send + 'static,
    {
        let plugin = self.compiled.template().info.name.clone();
        let bytes = input.encode().map_err(|e| codec_error(&plugin, name, e))?;
        let output = self.call_bytes_with_context(name, &bytes, context)?;
        O::decode(output).map_err(|e| codec_error(&plugin, name, e))
    }

    /// The export `name`, resolved and type-checked once per instance; shared
    /// by reference so the hot path clones one `Arc`, not a `TypedFunc`.
    fn export(&mut self, name: &str) -> Result<Arc<Export>> {
        if let Some(export) = self.exports.get(name) {
            return Ok(export.clone());
        }
        let plugin = self.compiled.name();
        let func =
            self.main
                .get_func(&mut self.store, name)
                .ok_or_else(|| Error::FunctionNotFound {
                    plugin: plugin.to_string(),
                    function: name.to_string(),
                })?;
        let func = if let Ok(f) = func.typed::<(), i32>(&self.store) {
            ExportFunc::Code(f)
        } else if let Ok(f) = func.typed::<(), ()>(&self.store) {
            ExportFunc::Unit(f)
        } else {
            return Err(Error::FunctionSignature {
                plugin: plugin.to_string(),
                function: name.to_string(),
                found: crate::linker::describe(&wasmtime::ExternType::Func(func.ty(&self.store))),
            });
        };
        let export = Arc::new(Export {
            name: name.into(),
            func,
        });
        self.exports.insert(name.into(), export.clone());
        Ok(export)
    }

    /// Runs one call synchronously and returns the output range.
    fn call_raw(
        &mut self,
        name: &str,
        input: &[u8],
        context: Option<CallContext>,
    ) -> Result<(u64, u64)> {
        if self.options.asyncness {
            return Err(self.compiled.needs_async("call_async / call_bytes_async"));
        }
        let wasm_stack = self.compiled.engine().wasm_stack();
        let span = stats::call_span(self.name(), name, input.len());
        let _in_span = span.enter();
        let finished = crate::stack::with_room(wasm_stack, || {
            crate::blocking::now_or_never(self.call_in(name, input, context, false, &span))
        });
        finished.unwrap_or_else(|| {
            Err(Error::Runtime {
                plugin: self.name().to_string(),
                message: format!("function `{name}`: a synchronous call suspended"),
            })
        })
    }

    #[cfg(feature = "async")]
    /// Calls the export `name` asynchronously; the output is borrowed from
    /// the kernel memory until the next call. For plug-ins built with
    /// [`PluginBuilder::with_async`] this is the way to call them; it also
    /// works for the others.
    ///
    /// # Errors
    /// As [`call_bytes`](Self::call_bytes).
    pub async fn call_bytes_async(&mut self, name: &str, input: &[u8]) -> Result<&[u8]> {
        self.call_async_in(name, input, None).await
    }

    #[cfg(feature = "async")]
    /// [`call_bytes_async`](Self::call_bytes_async), lending `context` to the
    /// host functions the plug-in calls during this call (see
    /// [`call_with_context`](Self::call_with_context)); async host functions
    /// reach it too.
    ///
    /// # Errors
    /// As [`call_bytes`](Self::call_bytes).
    pub async fn call_bytes_async_with_context<C: Send + 'static>(
        &mut self,
        name: &str,
        input: &[u8],
        context: &mut C,
    ) -> Result<&[u8]> {
        self.call_async_in(name, input, Some(CallContext::lend(context)))
            .await
    }

    #[cfg(feature = "async")]
    /// An async call in its span.
    async fn call_async_in(
        &mut self,
        name: &str,
        input: &[u8],
        context: Option<CallContext>,
    ) -> Result<&[u8]> {
        let asyncness = self.options.asyncness;
        let span = stats::call_span(self.name(), name, input.len());
        let call = self.call_in(name, input, context, asyncness, &span);
        let (offset, len) = call.instrument(span.clone()).await?;
        self.output(name, offset, len)
    }

    #[cfg(feature = "async")]
    /// [`call`](Self::call), asynchronously.
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub async fn call_async<'a, I, O>(&'a mut self, name: &str, input: I) -> Result<O>
    where
        I: extism_codec::Encode,
        O: extism_codec::Decode<'a>,
    {
        let plugin = self.compiled.template().info.name.clone();
        // Owned, so that the future does not hold a borrow of `input` (which
        // would need `I: Sync` for the future to be `Send`).
        let bytes = input
            .encode()
            .map_err(|e| codec_error(&plugin, name, e))?
            .into_owned();
        let output = self.call_bytes_async(name, &bytes).await?;
        O::decode(output).map_err(|e| codec_error(&plugin, name, e))
    }

    #[cfg(feature = "async")]
    /// [`call_with_context`](Self::call_with_context), asynchronously.
    ///
    /// # Errors
    /// As [`call`](Self::call).
    pub async fn call_async_with_context<'a, I, O, C>(
        &'a mut self,
        name: &str,
        input: I,
        context: &mut C,
    ) -> Result<O>
    where
        I: extism_codec::Encode,
        O: extism_codec::Decode<'a>,
        C: Send + 'static,
    {
        let plugin = self.compiled.template().info.name.clone();
        let bytes = input
            .encode()
            .map_err(|e| codec_error(&plugin, name, e))?
            .into_owned();
        let output = self
            .call_bytes_async_with_context(name, &bytes, context)
            .await?;
        O::decode(output).map_err(|e| codec_error(&plugin, name, e))
    }

    /// One call, written once for both APIs (see `blocking.rs`), inside
    /// `span` (entered by the caller); its figures are kept for
    /// [`last_call`](Self::last_call) and recorded on the span.
    async fn call_in(
        &mut self,
        name: &str,
        input: &[u8],
        context: Option<CallContext>,
        asyncness: bool,
        span: &tracing::Span,
    ) -> Result<(u64, u64)> {
        // The call owns its deadline and cancel state from here on, through
        // every phase below. A step that fails before wasm runs ends the
        // call there, with its figures.
        let limits = self.compiled.call_limits(self.timeout);
        // Timed when asked for, or when a subscriber takes the span.
        let timed = self.options.timing || !span.is_disabled();
        let call = match ActiveCall::begin(self.cancel.clone(), limits, timed) {
            Ok(call) => call,
            Err(e) => return self.finished(span, None, name, input, None, Err(e)),
        };
        if let Err(e) = self.prepare(&call, name, asyncness).await {
            return self.finished(span, call.elapsed(), name, input, None, Err(e));
        }
        let export = match self.export(name) {
            Ok(export) => export,
            Err(e) => return self.finished(span, call.elapsed(), name, input, None, Err(e)),
        };
        self.calls += 1;
        // Until the call has finished, assume it will not: an async call whose
        // future is dropped (or a host function that panics) leaves the guest
        // stopped half-way, and the next call must not run on that state.
        let recycle = self.options.recycle_after_trap;
        if recycle {
            self.pending = Pending::Fresh(Vars::Keep, "the last call failed");
        }
        if let Err(e) = self.load_input(name, input) {
            return self.finished(span, call.elapsed(), name, input, None, Err(e));
        }
        let result = match call.enter(&mut self.store, Some(export.name.clone()), context) {
            Some(_) => Err(wasmtime::Trap::Interrupt.into()),
            None => self.run(&export.func, &call, asyncness).await,
        };
        let report = call.leave(&mut self.store);
        if let Err(error) = &result {
            let dumps = self.compiled.dumps();
            if dumps.any() {
                dumps.after(&mut self.store, &self.main, error, name);
            }
        }
        self.fuel_consumed = report.fuel_consumed;
        self.pending = if name == "_start" {
            Pending::Fresh(Vars::Drop, "_start ran")
        } else if result.is_err() && recycle {
            Pending::Fresh(Vars::Keep, "the last call failed")
        } else if crate::command::store_is_full(self.store.data()) {
            Pending::Fresh(Vars::Keep, "command instances filled the store")
        } else {
            Pending::Nothing
        };
        let error_text = self.error_text();
        kernel::end_call(self.store.data_mut());
        let outcome = outcome::of_call(
            Finished {
                plugin: self.name(),
                function: name,
                error_text,
                report,
                timeout: self.timeout,
                fuel: self.options.fuel,
            },
            result,
        );
        let ran = Ran {
            report,
            function: export.name.clone(),
        };
        self.finished(span, report.duration, name, input, Some(ran), outcome)
    }

    /// The end of every call: its figures, its trace, its debug event, and
    /// the output range when it succeeded. `ran` is None when the call
    /// failed before wasm ran (no such export, a failed fresh instance).
    fn finished(
        &mut self,
        span: &tracing::Span,
        duration: Option<Duration>,
        name: &str,
        input: &[u8],
        ran: Option<Ran>,
        outcome: Result<()>,
    ) -> Result<(u64, u64)> {
        let output = self.store.data().kernel.output();
        let (counters, memory, fuel_consumed, function) = match ran {
            Some(Ran { report, function }) => (
                report.counters,
                report.memory,
                report.fuel_consumed,
                function,
            ),
            None => {
                let (now, _) = self.store.data().limiter.memory();
                (Default::default(), (now, now), None, name.into())
            }
        };
        let stats = CallStats {
            function,
            input_bytes: input.len() as u64,
            output_bytes: if outcome.is_ok() { output.1 } else { 0 },
            duration,
            outcome: CallOutcome::of(&outcome),
            fuel_consumed,
            memory_pages: stats::pages(memory.0),
            peak_memory_pages: stats::pages(memory.1),
            host_calls: counters.host_calls,
            host_time: Duration::from_nanos(counters.host_nanos),
            http_requests: counters.http_requests,
        };
        self.finish_trace(span, &stats.function);
        stats::record(span, &stats);
        self.totals.add(&stats);
        self.last_call = Some(stats);
        match &outcome {
            Ok(()) => tracing::debug!(
                target: "extism_host",
                plugin = self.name(),
                function = name,
                input_bytes = input.len(),
                "call returned"
            ),
            Err(error) => tracing::debug!(
                target: "extism_host",
                plugin = self.name(),
                function = name,
                input_bytes = input.len(),
                %error,
                "call failed"
            ),
        }
        outcome.map(|()| output)
    }

    /// Hands what instrumented modules reported during the call to
    /// `tracing` (under the call's span) and the adapters.
    fn finish_trace(&mut self, span: &tracing::Span, function: &Arc<str>) {
        let data = self.store.data_mut();
        let Some(collector) = data.observe.as_deref_mut() else {
            return;
        };
        if let Some(trace) = collector.finish(&data.info.name, function, &self.trace_metadata) {
            let setup = collector.setup.clone();
            crate::observe::deliver(span, &trace, &setup);
        }
    }

    /// The work left by the last call (a fresh instance after `_start` or a
    /// trap), done under this call's deadline and cancel state.
    async fn prepare(&mut self, call: &ActiveCall, name: &str, asyncness: bool) -> Result<()> {
        match self.pending {
            Pending::Nothing => Ok(()),
            Pending::Fresh(vars, reason) => {
                tracing::debug!(
                    target: "extism_host",
                    plugin = self.name(),
                    function = name,
                    reason,
                    "fresh instance"
                );
                // Boxed: instantiation's future is large, and in line it
                // would make every call's future as large (moved on each
                // call) for what only a recycled instance needs.
                Box::pin(self.reinstantiate(vars, asyncness, call, name)).await
            }
        }
    }

    /// An empty kernel holding `input`.
    fn load_input(&mut self, name: &str, input: &[u8]) -> Result<()> {
        let loaded = kernel::reset(&mut self.store)
            .and_then(|()| kernel::load_input(&mut self.store, input));
        loaded.map_err(|e| {
            outcome::from_wasmtime(
                FailedCall {
                    plugin: self.name(),
                    function: name,
                    error_text: None,
                    interruption: None,
                    timeout_ms: 0,
                    fuel: 0,
                },
                e,
            )
        })
    }

    /// Runs the export; an async call is raced against its deadline and
    /// cancel handle, since epoch interruption acts only while wasm runs.
    async fn run(
        &mut self,
        func: &ExportFunc,
        call: &ActiveCall,
        asyncness: bool,
    ) -> wasmtime::Result<i32> {
        if !asyncness {
            return match func {
                ExportFunc::Code(f) => f.call(&mut self.store, ()),
                ExportFunc::Unit(f) => f.call(&mut self.store, ()).map(|()| 0),
            };
        }
        self.run_async(func, call).await
    }

    /// [`run`](Self::run) for a plug-in built with `with_async(true)`.
    #[cfg(feature = "async")]
    async fn run_async(&mut self, func: &ExportFunc, call: &ActiveCall) -> wasmtime::Result<i32> {
        let store = &mut self.store;
        let wasm = async {
            match func {
                ExportFunc::Code(f) => f.call_async(&mut *store, ()).await,
                ExportFunc::Unit(f) => f.call_async(&mut *store, ()).await.map(|()| 0),
            }
        };
        match call.interrupt().race(wasm).await {
            Ok(result) => result,
            // Dropping the call's future unwound the guest (wasmtime resumes
            // its fiber with an error): the instance is recycled.
            Err(why) => Err(crate::interrupt::stop(self.store.data_mut(), why)),
        }
    }

    /// A build without `async` makes no async plug-ins.
    #[cfg(not(feature = "async"))]
    async fn run_async(&mut self, _: &ExportFunc, _: &ActiveCall) -> wasmtime::Result<i32> {
        Err(wasmtime::Error::msg(
            "a build without the `async` feature makes no async plug-ins",
        ))
    }

    /// The text of the error block the plug-in set, if any (non-empty).
    fn error_text(&self) -> Option<String> {
        let offset = self.store.data().kernel.error();
        if offset == 0 {
            return None;
        }
        let bytes = kernel::block(&self.store, offset, "error").ok()?;
        if bytes.is_empty() {
            return None;
        }
        Some(crate::plugin_text::capped(bytes, crate::plugin_text::MAX_ERROR_BYTES).into_owned())
    }

    /// Makes the instance fit for another user of a pool: what the last user
    /// left (vars unless `keep_vars`, the last HTTP response, the kernel's
    /// blocks and bytes, the time limit, config and log level they set) is gone, and cancel handles
    /// taken before no longer reach it. The plug-in's own memory stays, as it
    /// does between calls.
    pub(crate) fn check_in(&mut self, keep_vars: bool) -> Result<()> {
        self.cancel = Arc::new(CancelState::default());
        self.timeout = self.options.timeout;
        self.trace_metadata.clear();
        self.fuel_consumed = None;
        let template = self.compiled.template();
        let (config, log) = (template.config.clone(), template.log.clone());
        let data = self.store.data_mut();
        data.config = config;
        data.log = log;
        data.http.clear();
        if !keep_vars {
            data.vars.clear();
        }
        kernel::scrub(&mut self.store).map_err(|e| Error::Runtime {
            plugin: self.name().to_string(),
            message: format!("cannot empty the kernel for the next checkout: {e}"),
        })
    }

    /// A fresh store and instance from the compiled plug-in. The host's
    /// states move over; vars too with [`Vars::Keep`].
    async fn reinstantiate(
        &mut self,
        vars: Vars,
        asyncness: bool,
        call: &ActiveCall,
        name: &str,
    ) -> Result<()> {
        let instantiation = self.compiled.instantiation(call, Some(name));
        let (mut store, main) = match () {
            #[cfg(feature = "async")]
            () if asyncness => instantiation.run_async(Vec::new()).await?,
            () => instantiation.run(Vec::new())?,
        };
        let (new, old) = (store.data_mut(), self.store.data_mut());
        // What the host set on this instance outlives its stores.
        std::mem::swap(&mut new.states, &mut old.states);
        std::mem::swap(&mut new.config, &mut old.config);
        std::mem::swap(&mut new.log, &mut old.log);
        if vars == Vars::Keep {
            std::mem::swap(&mut new.vars, &mut old.vars);
        }
        self.store = store;
        self.main = main;
        self.exports.clear();
        self.pending = Pending::Nothing;
        Ok(())
    }

    /// Changes this instance's time limit per call (the manifest's
    /// `timeout_ms` is the default; None: no limit).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// How many calls this plug-in has run.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// The fuel the last call used, when the plug-in has a fuel limit.
    pub fn fuel_consumed(&self) -> Option<u64> {
        self.fuel_consumed
    }

    /// What the last call did: its duration, outcome, bytes, memory, host
    /// calls and HTTP requests (None before the first call).
    ///
    /// ```
    /// use extism_host::PluginBuilder;
    ///
    /// # let wat = r#"(module
    /// #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
    /// #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
    /// #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    /// #     (memory (export "memory") 1)
    /// #     (func (export "reflect") (result i32)
    /// #         (call $output_set (call $input_offset) (call $input_length))
    /// #         (i32.const 0)))"#;
    /// let mut plugin = PluginBuilder::from_wasm(wat).build()?;
    /// plugin.call_bytes("reflect", b"four")?;
    /// let last = plugin.last_call().unwrap();
    /// assert_eq!((last.input_bytes, last.output_bytes), (4, 4));
    /// // Timed when free (a timeout) or asked for (`with_call_timing`, a subscriber).
    /// assert_eq!(last.duration, None);
    /// assert!(last.outcome.is_ok());
    /// assert!(last.memory_pages >= 1);
    /// assert_eq!(plugin.stats().calls, 1);
    /// # Ok::<(), extism_host::Error>(())
    /// ```
    pub fn last_call(&self) -> Option<&CallStats> {
        self.last_call.as_ref()
    }

    /// Every call's figures added up, since the plug-in was made (for an
    /// instance from a [`Pool`](crate::Pool): since it was checked out; the
    /// pool adds them to [`Pool::stats`](crate::Pool::stats) when it
    /// comes back).
    pub fn stats(&self) -> PluginStats {
        self.totals.snapshot()
    }

    /// Attaches `metadata` to the trace of every call from now on, for
    /// plug-ins built with [`PluginBuilder::with_observe`] (the Go SDK's
    /// `TraceCtx.Metadata`): `http.url`, `http.status_code`... A pool's
    /// next checkout starts without any.
    pub fn set_trace_metadata<K, V>(&mut self, metadata: impl IntoIterator<Item = (K, V)>)
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.trace_metadata = metadata
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
    }

    /// The metadata attached to traces.
    pub fn trace_metadata(&self) -> &BTreeMap<String, String> {
        &self.trace_metadata
    }

    /// Takes the figures added up so far, starting again from zero.
    pub(crate) fn take_stats(&mut self) -> PluginStats {
        self.last_call = None;
        std::mem::take(&mut self.totals).snapshot()
    }

    /// A handle that cancels this plug-in's running call from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            state: self.cancel.clone(),
            engine: self.compiled.engine().wasmtime().weak(),
        }
    }

    /// The config the plug-in reads with `config_get` (the manifest's
    /// `config` until changed).
    pub fn config(&self) -> &BTreeMap<String, String> {
        &self.store.data().config
    }

    /// Replaces the plug-in's config from the next call on, as the official
    /// SDKs let a host do between calls (the C API's `extism_plugin_config`,
    /// the Go SDK's `Plugin.Config`). It is kept when the instance is
    /// recycled; a [`Pool`](crate::Pool) gives the next checkout the
    /// manifest's config again.
    pub fn set_config<K, V>(&mut self, config: impl IntoIterator<Item = (K, V)>)
    where
        K: Into<String>,
        V: Into<String>,
    {
        let config = config
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.store.data_mut().config = Arc::new(config);
    }

    /// The plug-in's config, to change in place (see
    /// [`set_config`](Self::set_config)).
    pub fn config_mut(&mut self) -> &mut BTreeMap<String, String> {
        Arc::make_mut(&mut self.store.data_mut().config)
    }

    /// The level below which the plug-in's log lines are dropped (the
    /// plug-in reads it with `get_log_level` and skips making them).
    pub fn log_level(&self) -> LogLevel {
        self.store.data().log.threshold()
    }

    /// Changes the plug-in's log level from the next log line on (the
    /// builder's [`with_log_level`](PluginBuilder::with_log_level) is the
    /// default). Kept when the instance is recycled; a pool's next checkout
    /// starts at the builder's level again.
    pub fn set_log_level(&mut self, level: LogLevel) {
        self.store.data_mut().log.level = Some(level);
    }

    /// The plug-in's var `key`.
    pub fn var(&self, key: &str) -> Option<&[u8]> {
        self.store.data().vars.get(key)
    }

    /// Sets the plug-in's var `key` (empty bytes remove it).
    ///
    /// # Errors
    /// When vars are disabled or the store would exceed `max_var_bytes`.
    pub fn set_var(&mut self, key: &str, value: &[u8]) -> Result<()> {
        let plugin = self.name().to_string();
        self.store
            .data_mut()
            .vars
            .set(key, value)
            .map_err(|e| Error::Vars {
                plugin,
                message: format!("cannot set var `{key}`: {e}"),
            })
    }

    /// Removes the plug-in's var `key`, returning its value.
    pub fn remove_var(&mut self, key: &str) -> Option<Vec<u8>> {
        self.store.data_mut().vars.remove(key)
    }

    /// Every var of the plug-in.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.store.data().vars.iter()
    }

    /// Removes every var.
    pub fn clear_vars(&mut self) {
        self.store.data_mut().vars.clear();
    }

    /// The host state of type `T` lent to host functions.
    pub fn state<T: 'static>(&self) -> Option<&T> {
        self.store.data().states.get()
    }

    /// The host state of type `T`, writable.
    pub fn state_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.store.data_mut().states.get_mut()
    }

    /// Lends `state` to host functions (replacing a state of the same type,
    /// which is returned).
    pub fn set_state<T: Send + 'static>(&mut self, state: T) -> Option<T> {
        self.store.data_mut().states.insert(state)
    }

    /// The per-call time limit in force.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// Turns a codec failure of a typed call into the call's error.
fn codec_error(plugin: &str, function: &str, source: extism_codec::Error) -> Error {
    Error::Codec {
        plugin: plugin.to_string(),
        function: function.to_string(),
        source,
    }
}
