//! The lifecycle of one call: [`ActiveCall`] owns it from the moment the
//! call is accepted to the report that decides its outcome.
//!
//! `begin` marks the instance's cancel state running and schedules the
//! deadline *before* anything else happens (re-instantiating after a trap
//! included), so a cancel or a deadline is never lost in a phase of the call;
//! `enter` arms a store for wasm; `leave` yields the [`CallReport`]. Dropping
//! the call (a dropped future, a panic) ends it too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::Store;

use crate::context::CallContext;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::interrupt::{CallInterrupt, CancelState, Interruption};
use crate::stats::CallCounters;
use crate::store::StoreData;
use crate::timer::{self, TimerEntry};

/// A call (or an instantiation) in progress.
pub(crate) struct ActiveCall {
    cancel: Arc<CancelState>,
    /// When the call began, if it is timed (or has a deadline, which needs
    /// the clock anyway).
    started: Option<Instant>,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    asyncness: bool,
    fuel: Option<u64>,
    engine: Engine,
    /// The deadline's place in the engine's timer, taken out when the call ends.
    _timer: Option<TimerEntry>,
}

/// What happened to a call, beyond its wasm result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallReport {
    /// What stopped the call, if anything did (also when it overran its
    /// deadline unnoticed, or was cancelled as it returned).
    pub(crate) fired: Option<Interruption>,
    /// Fuel used, when metered.
    pub(crate) fuel_consumed: Option<u64>,
    /// What the call's host functions and HTTP requests did.
    pub(crate) counters: CallCounters,
    /// Bytes of the store's memories at the end, and the most during the call.
    pub(crate) memory: (u64, u64),
    /// How long the call took, when it was timed.
    pub(crate) duration: Option<Duration>,
}

/// What every call of a plug-in runs under, fixed when it is built; a
/// [`Plugin`](crate::Plugin) keeps its own copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallOptions {
    /// The manifest's `timeout_ms`: each instance's time limit until changed.
    pub(crate) timeout: Option<Duration>,
    /// Fuel per call, when metered.
    pub(crate) fuel: Option<u64>,
    /// Built with `with_async(true)`: calls and instantiation are async.
    pub(crate) asyncness: bool,
    /// A trapped call gives the next one a fresh instance.
    pub(crate) recycle_after_trap: bool,
    /// Every call's duration is measured, subscriber or not.
    pub(crate) timing: bool,
}

/// What an [`ActiveCall`] needs to know about the instance.
pub(crate) struct CallLimits<'a> {
    pub(crate) plugin: &'a str,
    pub(crate) engine: &'a Engine,
    pub(crate) timeout: Option<Duration>,
    pub(crate) asyncness: bool,
    pub(crate) fuel: Option<u64>,
}

impl ActiveCall {
    /// Starts a call on the instance whose cancel state is `cancel`;
    /// `timed`: its duration is wanted.
    ///
    /// # Errors
    /// When the timer threads the call's deadline needs cannot be started.
    pub(crate) fn begin(
        cancel: Arc<CancelState>,
        limits: CallLimits<'_>,
        timed: bool,
    ) -> Result<Self> {
        let timer_error = |e: timer::TimerUnavailable| Error::Runtime {
            plugin: limits.plugin.to_string(),
            message: e.to_string(),
        };
        // One clock read serves the deadline and the duration.
        let started = (timed || limits.timeout.is_some()).then(Instant::now);
        let deadline = limits
            .timeout
            .zip(started)
            .and_then(|(timeout, started)| started.checked_add(timeout));
        // Marked running before the deadline is scheduled, so that a cancel
        // from now on is seen by every later phase.
        cancel.begin_call();
        let mut call = ActiveCall {
            cancel,
            started,
            deadline,
            timeout: limits.timeout,
            asyncness: limits.asyncness,
            fuel: limits.fuel,
            engine: limits.engine.clone(),
            _timer: None,
        };
        if let Some(deadline) = deadline {
            call._timer = Some(
                limits
                    .engine
                    .timer()
                    .register(deadline)
                    .map_err(timer_error)?,
            );
            if limits.asyncness {
                timer::ensure_wake_thread().map_err(timer_error)?;
            }
        }
        if limits.asyncness {
            limits
                .engine
                .timer()
                .ensure_running()
                .map_err(timer_error)?;
        }
        Ok(call)
    }

    /// The call's deadline and cancellation, for waits outside wasm.
    pub(crate) fn interrupt(&self) -> CallInterrupt {
        self.store_interrupt().signal()
    }

    fn store_interrupt(&self) -> crate::interrupt::StoreInterrupt {
        crate::interrupt::StoreInterrupt {
            deadline: self.deadline,
            cancel: self.cancel.clone(),
            fired: None,
        }
    }

    /// How long the call has run, when it is timed.
    pub(crate) fn elapsed(&self) -> Option<Duration> {
        self.started.map(|s| s.elapsed())
    }

    /// The configured time limit (for error messages).
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Arms `store` for running wasm under this call: the epoch deadline, the
    /// call's deadline and cancel state, fuel, and what host functions see.
    /// Returns what already stopped the call, if anything (then no wasm may
    /// run).
    pub(crate) fn enter(
        &self,
        store: &mut Store<StoreData>,
        function: Option<Arc<str>>,
        context: Option<CallContext>,
    ) -> Option<Interruption> {
        // The epoch deadline is armed before the state is checked: a tick
        // (timeout or cancel) after the check then stops the wasm, and one
        // before it is seen by the check.
        store.set_epoch_deadline(1);
        if let Some(fuel) = self.fuel {
            // A fresh budget for every call; fails only without fuel metering,
            // which the builder refuses.
            let _ = store.set_fuel(fuel);
        }
        let data = store.data_mut();
        data.counters = CallCounters::default();
        data.limiter.start_call();
        if let Some(collector) = data.observe.as_deref_mut() {
            collector.begin();
        }
        data.interrupt = self.store_interrupt();
        data.function = function;
        data.context = context;
        data.async_call = self.asyncness;
        if self.asyncness {
            self.engine
                .timer()
                .schedule_soon(Instant::now() + timer::YIELD_SLICE);
        }
        store.data_mut().interrupt.check()
    }

    /// Ends the call on `store`.
    pub(crate) fn leave(self, store: &mut Store<StoreData>) -> CallReport {
        let fuel_consumed = self
            .fuel
            .and_then(|fuel| store.get_fuel().ok().map(|left| fuel.saturating_sub(left)));
        let data = store.data_mut();
        let mut counters = std::mem::take(&mut data.counters);
        if self.asyncness {
            // Only async calls run async host functions.
            counters.host_nanos = counters
                .host_nanos
                .saturating_add(data.async_host_time.take());
        }
        let memory = data.limiter.memory();
        data.context = None;
        data.async_call = false;
        data.function = None;
        let mut fired = data.interrupt.fired.take();
        data.interrupt.deadline = None;
        let cancelled = self.cancel.end_call();
        let now = self.started.map(|_| Instant::now());
        let duration = self
            .started
            .zip(now)
            .map(|(s, n)| n.saturating_duration_since(s));
        if fired.is_none() {
            // One rule for every way a call can end: a cancel that was
            // accepted fails the call, and so does a deadline that passed,
            // also while a host function ignored it.
            fired = if cancelled {
                Some(Interruption::Cancelled)
            } else if self.deadline.zip(now).is_some_and(|(d, now)| now >= d) {
                Some(Interruption::Timeout)
            } else {
                None
            };
        }
        CallReport {
            fired,
            fuel_consumed,
            counters,
            memory,
            duration,
        }
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        // After `leave` this finds the state idle already; after a dropped
        // future or a panic it ends the call, so a later cancel is a no-op.
        self.cancel.end_call();
    }
}
