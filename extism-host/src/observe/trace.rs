//! What an instrumented plug-in reported during one call: the tree of its
//! function calls and spans, with the events that happened inside each.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::log::LogLevel;

/// One call's trace, handed to each [`ObserveAdapter`](super::ObserveAdapter)
/// when the call ends.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Trace {
    /// The plug-in's name.
    pub plugin: Arc<str>,
    /// The export that was called.
    pub function: Arc<str>,
    /// What the host attached ([`Plugin::set_trace_metadata`](crate::Plugin::set_trace_metadata)),
    /// such as `http.url` or `http.status_code`.
    pub metadata: BTreeMap<String, String>,
    /// The version the instrumentation exported (`wasm_instr_version_major`,
    /// `_minor`), when it did.
    pub instrumentation_version: Option<(u32, u32)>,
    /// Function calls and spans that began at the top level, and events
    /// that happened outside any.
    pub events: Vec<TraceEvent>,
    /// Calls and events left out because a limit was reached
    /// ([`Observe::with_max_events`](super::Observe::with_max_events) and
    /// the others).
    pub dropped: u64,
    /// What was wrong with what the plug-in reported (bad pointers,
    /// unbalanced exits, unknown levels...); the first few.
    pub problems: Vec<String>,
}

/// Something an instrumented plug-in reported.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    /// A function call, or a span the plug-in opened with `span-enter`.
    Call(FunctionCall),
    /// The plug-in's memory grew.
    MemoryGrow {
        /// Pages added.
        pages: u32,
        /// When, from the start of the call.
        #[serde(serialize_with = "crate::stats::nanos")]
        at: Duration,
    },
    /// Tags for the span they are in (`span-tags`), split at commas.
    Tags {
        /// Each tag, usually `key:value`.
        tags: Vec<String>,
    },
    /// A metric (`metric`).
    Metric {
        /// Its format.
        format: MetricFormat,
        /// The metric, in that format (`vowels.count:1|c`).
        message: String,
    },
    /// A log line (`log`).
    Log {
        /// Its level.
        #[serde(serialize_with = "level_name")]
        level: LogLevel,
        /// Its text.
        message: String,
    },
}

/// A function call or a span, with what happened inside it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The function's name from the module's name section, demangled
    /// (`func[N]` when it has none), or the span's name.
    pub name: Arc<str>,
    /// The function's index; None for a span opened with `span-enter`.
    pub index: Option<u32>,
    /// When it started, from the start of the call.
    #[serde(serialize_with = "crate::stats::nanos")]
    pub start: Duration,
    /// How long it ran.
    #[serde(serialize_with = "crate::stats::nanos")]
    pub duration: Duration,
    /// Whether it returned; false when the call ended first (a trap, a
    /// timeout, a missing `exit`).
    pub finished: bool,
    /// Calls made and events reported inside it, in order.
    pub within: Vec<TraceEvent>,
}

/// The format of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetricFormat {
    /// StatsD text (format code 1).
    Statsd,
}

fn level_name<S: serde::Serializer>(level: &LogLevel, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(level)
}

impl Trace {
    /// Every function call and span in the trace, depth first, with its
    /// depth (0 for the top level).
    pub fn calls(&self) -> Vec<(usize, &FunctionCall)> {
        let mut out = Vec::new();
        let mut stack: Vec<(usize, std::slice::Iter<'_, TraceEvent>)> =
            vec![(0, self.events.iter())];
        while let Some((depth, iter)) = stack.last_mut() {
            let depth = *depth;
            match iter.next() {
                Some(TraceEvent::Call(call)) => {
                    out.push((depth, call));
                    stack.push((depth + 1, call.within.iter()));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                }
            }
        }
        out
    }
}
