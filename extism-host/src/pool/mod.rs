//! A bounded pool of instances of one compiled plug-in, shared by threads
//! and async tasks.
//!
//! Waiting is first come, first served, without polling: a returned instance
//! (or the right to create one) is handed straight to the oldest waiter, which
//! is woken by `unpark` (threads) or its `Waker` (tasks). That logic is
//! `handoff.rs`, model-checked by `loom/`; this file adds instantiation,
//! retirement, clocks and metrics.

mod handoff;
mod sync;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use self::handoff::{Grant, Handoff, Ticket};
use crate::compiled::CompiledPlugin;
use crate::error::{Error, Result};
use crate::plugin::Plugin;
use crate::stats::PluginStats;

/// Options of a [`Pool`].
///
/// ```
/// use extism_host::{Pool, PluginBuilder};
/// use std::time::Duration;
///
/// let compiled = PluginBuilder::from_wasm(r#"(module (func (export "noop")))"#).compile()?;
/// let pool = Pool::builder()
///     .with_max_instances(2)
///     .with_max_calls_per_instance(1000)
///     .build(compiled);
/// std::thread::scope(|threads| {
///     for _ in 0..8 {
///         threads.spawn(|| -> extism_host::Result<()> {
///             let mut plugin = pool.get(Duration::from_secs(5))?;
///             plugin.call_bytes("noop", b"")?;
///             Ok(())
///         });
///     }
/// });
/// let metrics = pool.metrics();
/// assert_eq!(metrics.checkouts, 8);
/// assert!(metrics.created <= 2);
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    max_instances: usize,
    max_calls_per_instance: Option<u64>,
    keep_vars: bool,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        PoolBuilder {
            max_instances: std::thread::available_parallelism().map_or(4, |n| n.get()),
            max_calls_per_instance: None,
            keep_vars: false,
        }
    }
}

impl PoolBuilder {
    /// At most this many instances exist at once (default: the number of
    /// CPUs). Checkouts beyond it wait.
    pub fn with_max_instances(mut self, n: usize) -> Self {
        self.max_instances = n.max(1);
        self
    }

    /// Replaces an instance by a fresh one after it served this many calls
    /// (default: never; instances are also replaced after a trap, see
    /// [`PluginBuilder::with_recycle_after_trap`](crate::PluginBuilder::with_recycle_after_trap)).
    pub fn with_max_calls_per_instance(mut self, calls: u64) -> Self {
        self.max_calls_per_instance = Some(calls.max(1));
        self
    }

    /// Keeps an instance's vars from one checkout to the next (default: off).
    ///
    /// By default every checkout starts clean of the last one: the vars, the
    /// last HTTP response and the kernel memory's contents are cleared when an
    /// instance comes back, its time limit, config and log level return to
    /// the manifest's and the builder's, and
    /// [`CancelHandle`](crate::CancelHandle)s taken during a checkout stop
    /// working when it ends. The plug-in's own memory is kept either way (as
    /// between calls); [`with_max_calls_per_instance(1)`](Self::with_max_calls_per_instance)
    /// gives every checkout a fresh instance.
    pub fn with_keep_vars(mut self, keep: bool) -> Self {
        self.keep_vars = keep;
        self
    }

    /// A pool of instances of `compiled`; none is created until needed.
    pub fn build(self, compiled: CompiledPlugin) -> Pool {
        Pool {
            inner: Arc::new(PoolInner {
                compiled,
                handoff: Handoff::new(self.max_instances),
                options: self,
                metrics: Counters::default(),
                stats: Mutex::default(),
            }),
        }
    }
}

/// A `Send + Sync` pool of instances of one [`CompiledPlugin`].
///
/// ```
/// use extism_host::{PluginBuilder, Pool};
/// use std::time::Duration;
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
/// let pool = Pool::builder().with_max_instances(4).build(compiled);
/// std::thread::scope(|s| {
///     for _ in 0..8 {
///         s.spawn(|| {
///             let mut plugin = pool.get(Duration::from_secs(1)).expect("an instance");
///             assert_eq!(plugin.call_bytes("reflect", b"hi").expect("call"), b"hi");
///         });
///     }
/// });
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    compiled: CompiledPlugin,
    options: PoolBuilder,
    handoff: Handoff<Box<Plugin>>,
    metrics: Counters,
    /// The figures of every checkout that came back, added up.
    stats: Mutex<PluginStats>,
}

#[derive(Default)]
struct Counters {
    checkouts: AtomicU64,
    waits: AtomicU64,
    timeouts: AtomicU64,
    created: AtomicU64,
    retired: AtomicU64,
}

/// A snapshot of a pool's use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolMetrics {
    /// Instances checked out now.
    pub in_use: usize,
    /// Instances waiting in the pool.
    pub idle: usize,
    /// Checkouts waiting now.
    pub waiting: usize,
    /// Checkouts so far.
    pub checkouts: u64,
    /// Checkouts that had to wait.
    pub waits: u64,
    /// Checkouts that gave up after their timeout.
    pub timeouts: u64,
    /// Instances created.
    pub created: u64,
    /// Instances dropped for having served `max_calls_per_instance` calls.
    pub retired: u64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.inner.compiled.name())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// The options of a new pool, to finish with [`PoolBuilder::build`].
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// The compiled plug-in the pool instantiates.
    pub fn compiled(&self) -> &CompiledPlugin {
        &self.inner.compiled
    }

    /// Checks out an instance, waiting up to `timeout` for one.
    ///
    /// # Errors
    /// [`Error::PoolTimeout`] when none became free in time; instantiation
    /// errors when a new instance had to be created.
    pub fn get(&self, timeout: Duration) -> Result<PooledPlugin> {
        // `None`: no limit (`Duration::MAX`).
        let deadline = crate::timer::deadline_after(timeout);
        let grant = match self.try_grant() {
            Ok(grant) => grant,
            Err(ticket) => {
                self.inner.metrics.waits.fetch_add(1, Ordering::Relaxed);
                let remaining = || match deadline {
                    Some(deadline) => deadline
                        .checked_duration_since(Instant::now())
                        .filter(|left| !left.is_zero()),
                    // Parked until a grant comes; woken now and then anyway.
                    None => Some(Duration::from_secs(3600)),
                };
                match self.inner.handoff.wait(ticket, remaining) {
                    Some(grant) => grant,
                    None => return Err(self.timeout_error(timeout)),
                }
            }
        };
        self.fulfil(grant)
    }

    #[cfg(feature = "async")]
    /// Checks out an instance, waiting asynchronously (fairly, with the
    /// blocking [`get`](Self::get) callers) up to `timeout`.
    ///
    /// The timeout is measured when the future is polled, so it works on any
    /// executor; dropping the future gives up the place in the queue.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_async(&self, timeout: Duration) -> Result<PooledPlugin> {
        let grant = match self.try_grant() {
            Ok(grant) => grant,
            Err(ticket) => {
                self.inner.metrics.waits.fetch_add(1, Ordering::Relaxed);
                let wait = self.inner.handoff.wait_async(ticket);
                match with_timeout(wait, timeout).await {
                    Some(grant) => grant,
                    None => return Err(self.timeout_error(timeout)),
                }
            }
        };
        self.fulfil_async(grant).await
    }

    /// The pool's use right now.
    pub fn metrics(&self) -> PoolMetrics {
        let counts = self.inner.handoff.counts();
        let m = &self.inner.metrics;
        PoolMetrics {
            in_use: counts.in_use,
            idle: counts.idle,
            waiting: counts.waiting,
            checkouts: m.checkouts.load(Ordering::Relaxed),
            waits: m.waits.load(Ordering::Relaxed),
            timeouts: m.timeouts.load(Ordering::Relaxed),
            created: m.created.load(Ordering::Relaxed),
            retired: m.retired.load(Ordering::Relaxed),
        }
    }

    /// The figures of every call made on this pool's instances, added up
    /// when each checkout comes back (calls on instances still checked out
    /// are not in them yet).
    pub fn stats(&self) -> PluginStats {
        lock(&self.inner.stats).clone()
    }

    fn timeout_error(&self, timeout: Duration) -> Error {
        self.inner.metrics.timeouts.fetch_add(1, Ordering::Relaxed);
        Error::PoolTimeout {
            plugin: self.inner.compiled.name().to_string(),
            timeout_ms: timeout.as_millis().try_into().unwrap_or(u64::MAX),
        }
    }

    /// An immediate grant, or a place at the back of the queue.
    fn try_grant(&self) -> std::result::Result<Grant<Box<Plugin>>, Ticket<Box<Plugin>>> {
        self.inner.metrics.checkouts.fetch_add(1, Ordering::Relaxed);
        self.inner.handoff.try_grant()
    }

    /// Turns a grant into a checked-out instance.
    fn fulfil(&self, grant: Grant<Box<Plugin>>) -> Result<PooledPlugin> {
        match grant {
            Grant::Instance(plugin) => Ok(self.checked_out(plugin)),
            Grant::Create => {
                let right = CreateRight(self);
                let plugin = self.inner.compiled.instantiate()?;
                Ok(right.created(plugin))
            }
        }
    }

    #[cfg(feature = "async")]
    /// [`fulfil`](Self::fulfil), creating async plug-ins asynchronously.
    async fn fulfil_async(&self, grant: Grant<Box<Plugin>>) -> Result<PooledPlugin> {
        match grant {
            Grant::Instance(plugin) => Ok(self.checked_out(plugin)),
            Grant::Create => {
                // Held across the await: a dropped future gives the place back.
                let right = CreateRight(self);
                let plugin = if self.inner.compiled.is_async() {
                    self.inner.compiled.instantiate_async().await?
                } else {
                    self.inner.compiled.instantiate()?
                };
                Ok(right.created(plugin))
            }
        }
    }

    fn checked_out(&self, plugin: Box<Plugin>) -> PooledPlugin {
        PooledPlugin {
            pool: self.clone(),
            plugin: Some(plugin),
        }
    }

    /// Gives an instance back, or retires it (which frees its place for a
    /// new one) once it served `max_calls_per_instance` calls.
    fn release(&self, mut plugin: Box<Plugin>) {
        let stats = plugin.take_stats();
        if stats.calls > 0 {
            lock(&self.inner.stats).merge(&stats);
        }
        let retire = self
            .inner
            .options
            .max_calls_per_instance
            .is_some_and(|max| plugin.calls() >= max)
            || plugin.check_in(self.inner.options.keep_vars).is_err();
        if retire {
            self.inner.metrics.retired.fetch_add(1, Ordering::Relaxed);
            // Gone before its place is: with the pooling allocator's
            // `max_plugins`, its successor must not be instantiated while
            // it still holds a slot.
            drop(plugin);
            self.inner.handoff.release(None);
        } else {
            self.inner.handoff.release(Some(plugin));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Figures stay usable after a panic elsewhere.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The right to create one instance, granted by the handoff. Until it is
/// used, dropping it (an instantiation that failed, panicked, or whose
/// future was dropped) passes the right on or gives the place back, so a
/// hostile module cannot use up a pool's places.
struct CreateRight<'a>(&'a Pool);

impl CreateRight<'_> {
    fn created(self, plugin: Plugin) -> PooledPlugin {
        let pool = self.0;
        std::mem::forget(self);
        pool.inner.metrics.created.fetch_add(1, Ordering::Relaxed);
        pool.checked_out(Box::new(plugin))
    }
}

impl Drop for CreateRight<'_> {
    fn drop(&mut self) {
        self.0.inner.handoff.release(None);
    }
}

/// Runs `future` until it completes or `timeout` passes, on any async
/// runtime: the shared wake-up thread of `timer.rs` wakes the task at the
/// deadline.
async fn with_timeout<F: Future>(future: F, timeout: Duration) -> Option<F::Output> {
    let Some(deadline) = crate::timer::deadline_after(timeout) else {
        return Some(future.await);
    };
    let mut future = std::pin::pin!(future);
    let mut timer = crate::timer::WakeAt::default();
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(v) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if Instant::now() >= deadline {
            return Poll::Ready(None);
        }
        if timer.arm(deadline, cx.waker()).is_err() {
            // No wake-up thread can be started: poll again rather than
            // miss the deadline.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    })
    .await
}

/// An instance checked out of a [`Pool`]; it goes back when dropped.
pub struct PooledPlugin {
    pool: Pool,
    plugin: Option<Box<Plugin>>,
}

impl std::fmt::Debug for PooledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledPlugin").field(&self.plugin).finish()
    }
}

impl Deref for PooledPlugin {
    type Target = Plugin;

    fn deref(&self) -> &Plugin {
        // Present until drop.
        self.plugin
            .as_deref()
            .expect("a pooled plug-in is present until dropped")
    }
}

impl DerefMut for PooledPlugin {
    fn deref_mut(&mut self) -> &mut Plugin {
        self.plugin
            .as_deref_mut()
            .expect("a pooled plug-in is present until dropped")
    }
}

impl Drop for PooledPlugin {
    fn drop(&mut self) {
        if let Some(plugin) = self.plugin.take() {
            self.pool.release(plugin);
        }
    }
}

// So that typed wrappers generic over `BorrowMut<Plugin>` (such as the ones
// `#[plugin_interface]` generates) work on pooled instances.
impl std::borrow::Borrow<Plugin> for PooledPlugin {
    fn borrow(&self) -> &Plugin {
        self
    }
}

impl std::borrow::BorrowMut<Plugin> for PooledPlugin {
    fn borrow_mut(&mut self) -> &mut Plugin {
        self
    }
}
