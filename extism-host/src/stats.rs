//! Figures of what calls did, readable without `tracing`: the last call's
//! [`CallStats`], the cumulative [`PluginStats`] of a plug-in or a pool, and
//! the counters a store keeps while a call runs.
//!
//! Every figure is gathered on every call (they cost a few counter updates,
//! and two clock reads per host-function call), so they can be left on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
use crate::limits::PAGE;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallOutcome {
    /// The export returned 0 without setting an error.
    Ok,
    /// The call failed.
    Failed {
        /// The [`Error`] variant, as [`Error::kind`] names it (`"trap"`,
        /// `"timeout"`, `"plugin"`...).
        kind: &'static str,
        /// The code the reference reports for it ([`Error::exit_code`]).
        exit_code: i32,
    },
}

impl CallOutcome {
    pub(crate) fn of(result: &Result<(), Error>) -> Self {
        match result {
            Ok(()) => CallOutcome::Ok,
            Err(error) => CallOutcome::Failed {
                kind: error.kind(),
                exit_code: error.exit_code(),
            },
        }
    }

    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, CallOutcome::Ok)
    }
}

/// What one call did: [`Plugin::last_call`](crate::Plugin::last_call).
///
/// The call's `tracing` span (target `extism_host`, name `call`) carries the
/// same figures as fields.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CallStats {
    /// The export that was called.
    pub function: Arc<str>,
    /// Bytes of input the call was given.
    pub input_bytes: u64,
    /// Bytes of output the plug-in set (0 when the call failed).
    pub output_bytes: u64,
    /// Wall-clock time from the call's start to its end, preparing a fresh
    /// instance included. Measured when it costs nothing extra or is
    /// wanted: for plug-ins with a timeout (whose deadline reads the clock
    /// anyway), when a `tracing` subscriber takes the call's span, or with
    /// [`PluginBuilder::with_call_timing`](crate::PluginBuilder::with_call_timing);
    /// None otherwise (two clock reads would be a quarter of a no-op call).
    #[serde(serialize_with = "opt_nanos")]
    pub duration: Option<Duration>,
    /// How the call ended.
    pub outcome: CallOutcome,
    /// Fuel the call used, when the plug-in has a fuel limit.
    pub fuel_consumed: Option<u64>,
    /// Pages of every memory in the plug-in's store when the call ended:
    /// the plug-in's own memories and the kernel's.
    pub memory_pages: u64,
    /// The most pages those memories held during the call.
    pub peak_memory_pages: u64,
    /// Calls of the host's functions (those given with
    /// [`PluginBuilder::with_function`](crate::PluginBuilder::with_function)).
    pub host_calls: u64,
    /// Time spent in those host functions.
    #[serde(serialize_with = "nanos")]
    pub host_time: Duration,
    /// HTTP requests the plug-in made (sent, whatever their answer).
    pub http_requests: u64,
}

/// What calls did, added up: [`Plugin::stats`](crate::Plugin::stats) and
/// [`Pool::stats`](crate::Pool::stats).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PluginStats {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub failed_calls: u64,
    /// Their durations, added up (of the calls that were timed).
    #[serde(serialize_with = "nanos")]
    pub call_time: Duration,
    /// Calls that were timed (see [`CallStats::duration`]).
    pub timed_calls: u64,
    /// Input bytes, added up.
    pub input_bytes: u64,
    /// Output bytes, added up.
    pub output_bytes: u64,
    /// Host-function calls, added up.
    pub host_calls: u64,
    /// Time in host functions, added up.
    #[serde(serialize_with = "nanos")]
    pub host_time: Duration,
    /// HTTP requests, added up.
    pub http_requests: u64,
    /// Fuel used by metered calls, added up.
    pub fuel_consumed: u64,
    /// The most memory pages any call saw.
    pub peak_memory_pages: u64,
}

impl PluginStats {
    /// Adds `other`'s figures to these.
    pub fn merge(&mut self, other: &PluginStats) {
        self.calls = self.calls.saturating_add(other.calls);
        self.failed_calls = self.failed_calls.saturating_add(other.failed_calls);
        self.call_time = self.call_time.saturating_add(other.call_time);
        self.timed_calls = self.timed_calls.saturating_add(other.timed_calls);
        self.input_bytes = self.input_bytes.saturating_add(other.input_bytes);
        self.output_bytes = self.output_bytes.saturating_add(other.output_bytes);
        self.host_calls = self.host_calls.saturating_add(other.host_calls);
        self.host_time = self.host_time.saturating_add(other.host_time);
        self.http_requests = self.http_requests.saturating_add(other.http_requests);
        self.fuel_consumed = self.fuel_consumed.saturating_add(other.fuel_consumed);
        self.peak_memory_pages = self.peak_memory_pages.max(other.peak_memory_pages);
    }
}

/// A plug-in's running sums, as plain integers: adding a call costs a few
/// additions (a `Duration` add normalises nanoseconds each time).
#[derive(Debug, Default, Clone)]
pub(crate) struct Totals {
    calls: u64,
    failed_calls: u64,
    call_nanos: u64,
    timed_calls: u64,
    input_bytes: u64,
    output_bytes: u64,
    host_calls: u64,
    host_nanos: u64,
    http_requests: u64,
    fuel_consumed: u64,
    peak_memory_pages: u64,
}

impl Totals {
    pub(crate) fn add(&mut self, call: &CallStats) {
        self.calls += 1;
        self.failed_calls += u64::from(!call.outcome.is_ok());
        if let Some(duration) = call.duration {
            self.call_nanos = self.call_nanos.saturating_add(nanos_of(duration));
            self.timed_calls += 1;
        }
        self.input_bytes = self.input_bytes.saturating_add(call.input_bytes);
        self.output_bytes = self.output_bytes.saturating_add(call.output_bytes);
        self.host_calls = self.host_calls.saturating_add(call.host_calls);
        self.host_nanos = self.host_nanos.saturating_add(nanos_of(call.host_time));
        self.http_requests = self.http_requests.saturating_add(call.http_requests);
        if let Some(fuel) = call.fuel_consumed {
            self.fuel_consumed = self.fuel_consumed.saturating_add(fuel);
        }
        self.peak_memory_pages = self.peak_memory_pages.max(call.peak_memory_pages);
    }

    pub(crate) fn snapshot(&self) -> PluginStats {
        PluginStats {
            calls: self.calls,
            failed_calls: self.failed_calls,
            call_time: Duration::from_nanos(self.call_nanos),
            timed_calls: self.timed_calls,
            input_bytes: self.input_bytes,
            output_bytes: self.output_bytes,
            host_calls: self.host_calls,
            host_time: Duration::from_nanos(self.host_nanos),
            http_requests: self.http_requests,
            fuel_consumed: self.fuel_consumed,
            peak_memory_pages: self.peak_memory_pages,
        }
    }
}

fn nanos_of(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// What a store counts while a call runs; zeroed when a call starts.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CallCounters {
    pub(crate) host_calls: u64,
    pub(crate) host_nanos: u64,
    pub(crate) http_requests: u64,
}

impl CallCounters {
    pub(crate) fn host_call(&mut self, started: Instant) {
        self.host_calls += 1;
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.host_nanos = self.host_nanos.saturating_add(took);
    }
}

/// Where an async host function's time goes: its future owns the store
/// while it runs, so the time is added here and moved into the store's
/// [`CallCounters`] when the call ends.
#[derive(Debug, Default, Clone)]
pub(crate) struct AsyncHostTime(Arc<AtomicU64>);

impl AsyncHostTime {
    pub(crate) fn finished(&self, started: Instant) {
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(took, Ordering::Relaxed);
    }

    /// The time added since the last take.
    pub(crate) fn take(&self) -> u64 {
        self.0.swap(0, Ordering::Relaxed)
    }
}

/// Pages for `bytes` of memory.
pub(crate) fn pages(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE)
}

fn opt_nanos<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_u64(nanos_of(*d)),
        None => s.serialize_none(),
    }
}

/// A `Duration` serialized as whole nanoseconds.
pub(crate) fn nanos<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(nanos_of(*d))
}

/// A call's `tracing` span, its figures to be recorded when it ends. With no
/// subscriber interested it is disabled, and costs a relaxed load.
pub(crate) fn call_span(plugin: &str, function: &str, input_bytes: usize) -> tracing::Span {
    tracing::info_span!(
        target: "extism_host",
        "call",
        plugin,
        function,
        input_bytes,
        output_bytes = tracing::field::Empty,
        duration_us = tracing::field::Empty,
        outcome = tracing::field::Empty,
        exit_code = tracing::field::Empty,
        fuel_consumed = tracing::field::Empty,
        memory_pages = tracing::field::Empty,
        peak_memory_pages = tracing::field::Empty,
        host_calls = tracing::field::Empty,
        host_time_us = tracing::field::Empty,
        http_requests = tracing::field::Empty,
    )
}

/// Records `stats` on the span made by [`call_span`].
pub(crate) fn record(span: &tracing::Span, stats: &CallStats) {
    if span.is_disabled() {
        return;
    }
    span.record("output_bytes", stats.output_bytes);
    if let Some(duration) = stats.duration {
        span.record("duration_us", micros(duration));
    }
    match stats.outcome {
        CallOutcome::Ok => {
            span.record("outcome", "ok");
            span.record("exit_code", 0);
        }
        CallOutcome::Failed { kind, exit_code } => {
            span.record("outcome", kind);
            span.record("exit_code", exit_code);
        }
    }
    if let Some(fuel) = stats.fuel_consumed {
        span.record("fuel_consumed", fuel);
    }
    span.record("memory_pages", stats.memory_pages);
    span.record("peak_memory_pages", stats.peak_memory_pages);
    span.record("host_calls", stats.host_calls);
    span.record("host_time_us", micros(stats.host_time));
    span.record("http_requests", stats.http_requests);
}

/// Microseconds, for span fields (tracing's values are integers or text).
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
