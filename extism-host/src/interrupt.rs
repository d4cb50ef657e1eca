//! What stops a running call: its deadline (`timeout_ms`) and its
//! [`CancelHandle`].
//!
//! The rule, wherever a call can be: while wasm runs, the engine's epoch
//! ticks at every deadline and every cancel, and the store's epoch callback
//! ([`install_epoch_callback`]) stops the call if *its* deadline passed or it
//! was cancelled. Wherever the call can block outside wasm (a WASI sleep, an
//! HTTP request, an async host function, a host function that uses
//! [`CallInterrupt`]), the wait is raced against the same deadline and cancel
//! state ([`CallInterrupt::block_on`], [`CallInterrupt::race`]). The
//! [`ActiveCall`](crate::call::ActiveCall) that owns the call decides at the
//! end what fired.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use crate::engine::Engine;
use crate::store::StoreData;
use crate::timer::WakeAt;

/// Why a call was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// Its deadline (`timeout_ms`, [`Plugin::set_timeout`](crate::Plugin::set_timeout)) passed.
    Timeout,
    /// Its [`CancelHandle`] was used.
    Cancelled,
}

impl std::fmt::Display for Interruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interruption::Timeout => "the call's time limit passed",
            Interruption::Cancelled => "the call was cancelled",
        })
    }
}

impl std::error::Error for Interruption {}

/// No call is running: a cancel has nothing to stop.
const IDLE: u8 = 0;
/// A call is running (or being prepared: re-instantiation counts).
const RUNNING: u8 = 1;
/// The running call was asked to stop.
const CANCELLED: u8 = 2;

/// The cancel state of one plug-in instance, shared with its
/// [`CancelHandle`]s. A cancel stops only the call that is running when it is
/// made; later calls run normally.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    state: AtomicU8,
    /// Whoever waits outside wasm for the running call (an async task, a
    /// thread blocked in a WASI sleep or an HTTP request), by registration.
    wakers: Mutex<BTreeMap<u64, Waker>>,
    next_waiter: AtomicU64,
}

impl CancelState {
    pub(crate) fn begin_call(&self) {
        self.state.store(RUNNING, Ordering::Release);
    }

    /// Marks the call over; returns whether it had been cancelled.
    pub(crate) fn end_call(&self) -> bool {
        let was = self.state.swap(IDLE, Ordering::AcqRel);
        lock(&self.wakers).clear();
        was == CANCELLED
    }

    /// Returns whether a running call was marked.
    pub(crate) fn cancel(&self) -> bool {
        let marked = self
            .state
            .compare_exchange(RUNNING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if marked {
            let wakers = std::mem::take(&mut *lock(&self.wakers));
            for waker in wakers.into_values() {
                waker.wake();
            }
        }
        marked
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    /// Wakes `waker` on a cancel; `id` keeps the registration across polls.
    fn register(&self, id: &mut Option<u64>, waker: &Waker) {
        let mut wakers = lock(&self.wakers);
        let id = *id.get_or_insert_with(|| self.next_waiter.fetch_add(1, Ordering::Relaxed));
        match wakers.get(&id) {
            Some(w) if w.will_wake(waker) => {}
            _ => {
                wakers.insert(id, waker.clone());
            }
        }
    }

    fn unregister(&self, id: Option<u64>) {
        if let Some(id) = id {
            lock(&self.wakers).remove(&id);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A map of wakers cannot be left half-updated.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stops a running call of a plug-in from any thread.
///
/// ```
/// use extism_host::PluginBuilder;
///
/// let mut plugin = PluginBuilder::from_wasm(r#"(module
///     (func (export "infinite_loop") (result i32) (loop $spin (br $spin)) (i32.const 0)))"#)
///     .build()?;
/// let cancel = plugin.cancel_handle();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(100));
///     cancel.cancel();
/// });
/// assert!(matches!(
///     plugin.call_bytes("infinite_loop", b""),
///     Err(extism_host::Error::Cancelled { .. })
/// ));
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    pub(crate) state: Arc<CancelState>,
    pub(crate) engine: wasmtime::EngineWeak,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelHandle").finish_non_exhaustive()
    }
}

impl CancelHandle {
    /// Stops the call running now, if any, wherever it is: running wasm,
    /// re-creating its instance after a trap, sleeping in WASI, waiting for
    /// an HTTP response, or awaiting an async host function. Returns whether a
    /// call was running; if so, that call fails with
    /// [`Error::Cancelled`](crate::Error::Cancelled). Calls made afterwards
    /// run normally. A synchronous host function that blocks without looking
    /// at [`CurrentPlugin::interrupt`](crate::CurrentPlugin::interrupt) is
    /// stopped when it returns.
    pub fn cancel(&self) -> bool {
        let cancelled = self.state.cancel();
        if cancelled {
            if let Some(engine) = self.engine.upgrade() {
                engine.increment_epoch();
            }
        }
        cancelled
    }
}

/// The interruption state of a store, read by its epoch callback.
#[derive(Debug, Default)]
pub(crate) struct StoreInterrupt {
    pub(crate) deadline: Option<Instant>,
    pub(crate) cancel: Arc<CancelState>,
    /// What stopped the running call, once something did.
    pub(crate) fired: Option<Interruption>,
}

impl StoreInterrupt {
    /// Stops the call when this store's own deadline passed or it was
    /// cancelled; otherwise lets it run on (another store's deadline caused
    /// the tick).
    pub(crate) fn check(&mut self) -> Option<Interruption> {
        if self.fired.is_none() {
            self.fired = self.signal().interrupted();
        }
        self.fired
    }

    /// A handle for waits outside wasm.
    pub(crate) fn signal(&self) -> CallInterrupt {
        CallInterrupt {
            deadline: self.deadline,
            cancel: self.cancel.clone(),
        }
    }
}

/// Makes the epoch stop this store's calls at their deadline or cancel, and
/// an async call yield to its executor every slice.
pub(crate) fn install_epoch_callback(store: &mut Store<StoreData>, engine: Engine) {
    // Only async calls, which a build without `async` has none of, yield.
    #[cfg(not(feature = "async"))]
    let _ = engine;
    store.epoch_deadline_callback(move |mut ctx| {
        let data = ctx.data_mut();
        Ok(match data.interrupt.check() {
            Some(_) => UpdateDeadline::Interrupt,
            // An async call gives its thread back to the executor every
            // slice, so a long-running plug-in never holds a worker.
            #[cfg(feature = "async")]
            None if data.async_call => {
                engine
                    .timer()
                    .schedule_soon(Instant::now() + crate::timer::YIELD_SLICE);
                UpdateDeadline::Yield(1)
            }
            None => UpdateDeadline::Continue(1),
        })
    });
    store.set_epoch_deadline(1);
}

/// Records that `interruption` stopped the call and returns the trap that
/// unwinds it; for host services that saw it while waiting.
pub(crate) fn stop(data: &mut StoreData, interruption: Interruption) -> wasmtime::Error {
    data.interrupt.fired.get_or_insert(interruption);
    wasmtime::Trap::Interrupt.into()
}

/// The running call's deadline and cancellation, for host functions that
/// wait for something (a lock, a socket, a child process, a timer).
///
/// A host function runs outside wasm, where the engine cannot stop it: a
/// host function that blocks holds the call past its deadline and past a
/// cancel. Give the wait to [`block_on`](Self::block_on) (sync) or
/// [`race`](Self::race) (async), or bound it by
/// [`remaining`](Self::remaining), and return an error when it is
/// interrupted: the call then fails with [`Error::Timeout`](crate::Error::Timeout)
/// or [`Error::Cancelled`](crate::Error::Cancelled). A call whose deadline
/// passed while a host function ignored it is reported as a timeout anyway,
/// never as a success.
///
/// ```
/// use std::time::{Duration, Instant};
/// use extism_host::{CurrentPlugin, Error, HostError, HostFunction, Manifest, PluginBuilder, Wasm};
///
/// // `nap(ms)` sleeps, unless the call is cancelled or times out first.
/// let nap = HostFunction::wrap("nap", |plugin: &mut CurrentPlugin<'_>, ms: u64| {
///     plugin
///         .interrupt()
///         .sleep(Duration::from_millis(ms))
///         .map_err(|why| HostError::msg(format!("nap cut short: {why}")))
/// });
/// let wat = r#"(module
///     (import "extism:host/user" "nap" (func $nap (param i64)))
///     (memory (export "memory") 1)
///     (func (export "run") (result i32) (call $nap (i64.const 60000)) (i32.const 0)))"#;
/// let manifest = Manifest::new([Wasm::data(wat)]).with_timeout(Duration::from_millis(100));
/// let mut plugin = PluginBuilder::new(manifest).with_function(nap).build()?;
///
/// let started = Instant::now();
/// let err = plugin.call_bytes("run", b"").unwrap_err();
/// assert!(matches!(err, Error::Timeout { .. }), "{err}");
/// assert!(started.elapsed() < Duration::from_secs(30));
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CallInterrupt {
    deadline: Option<Instant>,
    cancel: Arc<CancelState>,
}

impl CallInterrupt {
    /// When the call's time runs out, if it has a limit.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The time the call has left (`None`: no limit; zero: none left).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the call must stop now, and why.
    pub fn interrupted(&self) -> Option<Interruption> {
        if self.cancel.is_cancelled() {
            Some(Interruption::Cancelled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Interruption::Timeout)
        } else {
            None
        }
    }

    /// Blocks the thread for `duration`, or less if the call is cancelled or
    /// its deadline comes first.
    ///
    /// # Errors
    /// The interruption that ended the wait early.
    pub fn sleep(&self, duration: Duration) -> Result<(), Interruption> {
        let until = Instant::now().checked_add(duration);
        self.block_on(Sleep {
            until,
            wake: WakeAt::default(),
        })
    }

    /// Runs `future` on this thread until it completes, the call is
    /// cancelled or its deadline passes; the future is dropped when
    /// interrupted.
    ///
    /// # Errors
    /// The interruption that stopped it.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Interruption> {
        let parker = Arc::new(Unpark(std::thread::current()));
        let waker = Waker::from(parker);
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        let mut id = None;
        let result = loop {
            // Registered before the checks: a cancel from now on unparks us,
            // and an unpark before the park makes it return at once.
            self.cancel.register(&mut id, &waker);
            if let Some(why) = self.interrupted() {
                break Err(why);
            }
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                break Ok(out);
            }
            match self.remaining() {
                Some(left) if left.is_zero() => {}
                Some(left) => std::thread::park_timeout(left),
                None => std::thread::park(),
            }
        };
        self.cancel.unregister(id);
        result
    }

    /// Runs `future` until it completes, the call is cancelled or its
    /// deadline passes, on any executor; the future is dropped when
    /// interrupted.
    ///
    /// # Errors
    /// The interruption that stopped it.
    pub async fn race<F: Future>(&self, future: F) -> Result<F::Output, Interruption> {
        let mut future = std::pin::pin!(future);
        let mut timer = WakeAt::default();
        let mut id = None;
        let result = std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            self.cancel.register(&mut id, cx.waker());
            if let Some(why) = self.interrupted() {
                return Poll::Ready(Err(why));
            }
            if let Some(deadline) = self.deadline {
                if timer.arm(deadline, cx.waker()).is_err() {
                    // Not reached once a call started (it starts the wake-up
                    // thread); without one, poll again rather than miss the
                    // deadline.
                    cx.waker().wake_by_ref();
                }
            }
            Poll::Pending
        })
        .await;
        self.cancel.unregister(id);
        result
    }

    /// [`sleep`](Self::sleep) for async host functions: resolves after
    /// `duration`, or earlier with the interruption.
    ///
    /// # Errors
    /// The interruption that ended the wait early.
    pub async fn sleep_async(&self, duration: Duration) -> Result<(), Interruption> {
        let until = Instant::now().checked_add(duration);
        self.race(Sleep {
            until,
            wake: WakeAt::default(),
        })
        .await
    }
}

/// Wakes a thread parked in [`CallInterrupt::block_on`].
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// A timer future on any executor (the wake-up thread of `timer.rs`).
struct Sleep {
    /// `None`: never (a sleep past the end of time).
    until: Option<Instant>,
    wake: WakeAt,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(until) = self.until else {
            return Poll::Pending;
        };
        if Instant::now() >= until {
            return Poll::Ready(());
        }
        if self.wake.arm(until, cx.waker()).is_err() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
