//! Observing what plug-ins do inside: modules instrumented with the Dylibso
//! Observe SDK's tools report each function they enter and leave, their
//! memory growth, and their own spans, tags, metrics and logs. With
//! [`PluginBuilder::with_observe`](crate::PluginBuilder::with_observe) the
//! host provides those imports, and at the end of each call turns what the
//! plug-in reported into a [`Trace`]: `tracing` spans under the call's span,
//! and a value for each [`ObserveAdapter`].
//!
//! The imports follow the Observe SDK's ABI as its `observe-api` guest
//! libraries and its Go host define them (observe-sdk `main` of August 2024,
//! the version the Extism Go SDK 1.7 uses):
//!
//! | module | function | wasm signature |
//! |---|---|---|
//! | `dylibso:observe/instrument` | `enter`, `exit` | `(i32 function index)` |
//! | | `memory-grow` | `(i32 pages)` |
//! | `dylibso:observe/api` | `span-enter`, `span-tags` | `(i32 ptr, i32 len)` |
//! | | `span-exit` | `()` |
//! | | `metric` | `(i32 format, i32 ptr, i32 len)`, format 1: statsd |
//! | | `log` | `(i32 level, i32 ptr, i32 len)`, 1 error … 4 debug (5 trace) |
//! | `dylibso_observe` (deprecated) | `instrument_enter`, `instrument_exit`, `instrument_memory_grow` | `(i32)` |
//! | | `span_enter`, `span_tags` | `(i64 ptr, i32 len)` |
//! | | `span_exit` | `()` |
//! | | `metric`, `log` | `(i32, i64 ptr, i32 len)` |
//!
//! Text is read from the calling module's own exported `memory`, not the
//! kernel's. Function names come from the module's `name` section,
//! demangled (Rust and C++); the `wasm_instr_version_major` / `_minor`
//! globals the instrumentation exports are accepted and reported in
//! [`Trace::instrumentation_version`]. Instrumented modules may be Extism
//! plug-ins or WASI commands (call `_start`). When several modules of a
//! plug-in are instrumented, names come from the main module if it is one
//! of them, else from the first.
//!
//! What the plug-in reports is plug-in data: bad pointers, exits that match
//! no call, unknown formats or levels are dropped and listed in
//! [`Trace::problems`] (never a trap), and the limits of [`Observe`] bound
//! what one call can make the host hold.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use extism_host::observe::{Observe, Trace};
//! use extism_host::PluginBuilder;
//!
//! let wat = r#"(module
//!     (import "dylibso:observe/instrument" "enter" (func $enter (param i32)))
//!     (import "dylibso:observe/instrument" "exit" (func $exit (param i32)))
//!     ;; Functions 0 and 1 are the imports: `inner` is 2, `run` 3.
//!     (func $inner (call $enter (i32.const 2)) (call $exit (i32.const 2)))
//!     (func $run (export "run") (result i32)
//!         (call $enter (i32.const 3)) (call $inner) (call $exit (i32.const 3))
//!         (i32.const 0)))"#;
//! let traces: Arc<Mutex<Vec<Trace>>> = Arc::default();
//! let sink = traces.clone();
//! let observe = Observe::new()
//!     .with_min_duration(std::time::Duration::ZERO)
//!     .with_adapter(move |trace: &Trace| sink.lock().unwrap().push(trace.clone()));
//! let mut plugin = PluginBuilder::from_wasm(wat).with_observe(observe).build()?;
//! plugin.call_bytes("run", b"")?;
//! let traces = traces.lock().unwrap();
//! let tree: Vec<_> = traces[0].calls().iter().map(|(depth, call)| (*depth, call.name.to_string())).collect();
//! assert_eq!(tree, [(0, "run".to_string()), (1, "inner".to_string())]);
//! # Ok::<(), extism_host::Error>(())
//! ```

mod collector;
mod emit;
mod imports;
mod names;
mod stdout;
mod trace;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use collector::Collector;
pub(crate) use imports::add_to_linker;
pub(crate) use names::Instrumentation;
pub use stdout::StdoutAdapter;
pub use trace::{FunctionCall, MetricFormat, Trace, TraceEvent};

/// Receives each call's [`Trace`] (the Go SDK's `ObserveAdapter`): export
/// it, print it, count it. Called on the calling thread when the call ends;
/// keep it quick (send to a channel for slow exporters).
///
/// Closures `Fn(&Trace)` are adapters.
pub trait ObserveAdapter: Send + Sync + 'static {
    /// One call's trace.
    fn handle_trace(&self, trace: &Trace);
}

impl<F: Fn(&Trace) + Send + Sync + 'static> ObserveAdapter for F {
    fn handle_trace(&self, trace: &Trace) {
        self(trace)
    }
}

/// How a plug-in is observed: the adapters, the minimum duration of a kept
/// call, and the limits on what one call's trace may hold.
#[derive(Clone)]
pub struct Observe {
    pub(crate) adapters: Vec<Arc<dyn ObserveAdapter>>,
    pub(crate) tracing: bool,
    pub(crate) min_duration: Duration,
    pub(crate) max_events: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_text_bytes: usize,
    pub(crate) max_trace_text_bytes: usize,
}

impl fmt::Debug for Observe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observe")
            .field("adapters", &self.adapters.len())
            .field("tracing", &self.tracing)
            .field("min_duration", &self.min_duration)
            .field("max_events", &self.max_events)
            .field("max_depth", &self.max_depth)
            .field("max_text_bytes", &self.max_text_bytes)
            .field("max_trace_text_bytes", &self.max_trace_text_bytes)
            .finish()
    }
}

impl Default for Observe {
    fn default() -> Self {
        Observe::new()
    }
}

impl Observe {
    /// Traces go to `tracing` only; calls shorter than 20 µs are left out
    /// (the Observe SDKs' default); at most 65,536 calls and events and
    /// 1 MiB of text per call, nesting to depth 256, 4 KiB per text.
    pub fn new() -> Self {
        Observe {
            adapters: Vec::new(),
            tracing: true,
            min_duration: Duration::from_micros(20),
            max_events: 65_536,
            max_depth: 256,
            max_text_bytes: 4096,
            max_trace_text_bytes: 1 << 20,
        }
    }

    /// Hands every trace to `adapter` too.
    pub fn with_adapter(mut self, adapter: impl ObserveAdapter) -> Self {
        self.adapters.push(Arc::new(adapter));
        self
    }

    /// Whether traces become `tracing` spans (on by default).
    pub fn with_tracing(mut self, enabled: bool) -> Self {
        self.tracing = enabled;
        self
    }

    /// Calls and spans shorter than `min` are left out, and what happened
    /// inside them (but their tags) is kept in their parent (the Go SDK's
    /// `SpanFilter{MinDuration}`). Top-level calls are always kept.
    /// `Duration::ZERO` keeps everything.
    pub fn with_min_duration(mut self, min: Duration) -> Self {
        self.min_duration = min;
        self
    }

    /// The most calls and events one trace keeps; the rest are counted in
    /// [`Trace::dropped`].
    pub fn with_max_events(mut self, max: usize) -> Self {
        self.max_events = max;
        self
    }

    /// The deepest nesting kept; calls deeper are counted, not kept.
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// The longest span name, tag list, metric or log line kept (longer
    /// ones are cut, ending with `…`).
    pub fn with_max_text_bytes(mut self, max: usize) -> Self {
        self.max_text_bytes = max;
        self
    }

    /// The most text one trace keeps; events past it are dropped.
    pub fn with_max_trace_text_bytes(mut self, max: usize) -> Self {
        self.max_trace_text_bytes = max;
        self
    }
}

/// What every store of an observed plug-in shares.
#[derive(Debug)]
pub(crate) struct ObserveSetup {
    pub(crate) options: Observe,
    pub(crate) instrumentation: Option<Arc<Instrumentation>>,
}

impl ObserveSetup {
    /// The name of the instrumented module's function `index`.
    pub(crate) fn function_name(&self, index: u32) -> Arc<str> {
        match &self.instrumentation {
            Some(names) => names.name(index),
            None => names::unnamed(index),
        }
    }
}

/// Ends a call's trace: to `tracing` under `span`, and to each adapter.
pub(crate) fn deliver(span: &tracing::Span, trace: &Trace, setup: &ObserveSetup) {
    if setup.options.tracing {
        emit::to_tracing(span, trace);
    }
    for adapter in &setup.options.adapters {
        adapter.handle_trace(trace);
    }
}
