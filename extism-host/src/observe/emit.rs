//! A trace as `tracing` spans and events (target `extism_host::observe`),
//! under the call's span: each function call and span becomes a span named
//! `function` or `span` with its name, start and duration as fields; memory
//! growth, tags and metrics become events, and logs events at their level.
//!
//! They are made when the call ends (the tree is only known, and filtered
//! by duration, then), so a subscriber's own timestamps are those of the
//! emission: the `start_us` and `duration_us` fields are the plug-in's.

use tracing::Span;

use super::trace::{Trace, TraceEvent};
use crate::log::LogLevel;
use crate::stats::micros;

/// Emits `trace` under `parent`.
pub(crate) fn to_tracing(parent: &Span, trace: &Trace) {
    if !tracing::enabled!(target: "extism_host::observe", tracing::Level::ERROR) {
        return;
    }
    if !trace.metadata.is_empty() {
        tracing::info!(target: "extism_host::observe", parent: parent, metadata = ?trace.metadata, "trace metadata");
    }
    if trace.dropped > 0 || !trace.problems.is_empty() {
        tracing::warn!(
            target: "extism_host::observe",
            parent: parent,
            plugin = &*trace.plugin,
            dropped = trace.dropped,
            problems = ?trace.problems,
            "the plug-in's trace is incomplete"
        );
    }
    events(parent, &trace.events);
}

fn events(parent: &Span, list: &[TraceEvent]) {
    for event in list {
        match event {
            TraceEvent::Call(call) => {
                let start_us = micros(call.start);
                let duration_us = micros(call.duration);
                let span = match call.index {
                    Some(index) => tracing::info_span!(
                        target: "extism_host::observe",
                        parent: parent,
                        "function",
                        name = &*call.name,
                        index,
                        start_us,
                        duration_us,
                        finished = call.finished,
                    ),
                    None => tracing::info_span!(
                        target: "extism_host::observe",
                        parent: parent,
                        "span",
                        name = &*call.name,
                        start_us,
                        duration_us,
                        finished = call.finished,
                    ),
                };
                // Depth is bounded by the collector's `max_depth`.
                events(&span, &call.within);
            }
            TraceEvent::MemoryGrow { pages, at } => tracing::info!(
                target: "extism_host::observe",
                parent: parent,
                pages,
                at_us = micros(*at),
                "memory grow"
            ),
            TraceEvent::Tags { tags } => {
                tracing::info!(target: "extism_host::observe", parent: parent, tags = ?tags, "span tags")
            }
            TraceEvent::Metric { message, .. } => tracing::info!(
                target: "extism_host::observe",
                parent: parent,
                format = "statsd",
                metric = message.as_str(),
                "metric"
            ),
            TraceEvent::Log { level, message } => match level {
                LogLevel::Error => {
                    tracing::error!(target: "extism_host::observe", parent: parent, "{message}")
                }
                LogLevel::Warn => {
                    tracing::warn!(target: "extism_host::observe", parent: parent, "{message}")
                }
                LogLevel::Info => {
                    tracing::info!(target: "extism_host::observe", parent: parent, "{message}")
                }
                LogLevel::Debug => {
                    tracing::debug!(target: "extism_host::observe", parent: parent, "{message}")
                }
                LogLevel::Trace | LogLevel::Off => {
                    tracing::trace!(target: "extism_host::observe", parent: parent, "{message}")
                }
            },
        }
    }
}
