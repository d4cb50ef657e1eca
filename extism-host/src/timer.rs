//! Wakes running plug-ins when a deadline passes.
//!
//! Two clocks, each one thread sleeping until its earliest entry:
//!
//! * [`Timer`], one per engine, bumps the engine's epoch at call deadlines.
//!   Every store running at that moment checks its *own* deadline and cancel
//!   state in its epoch callback (see `interrupt.rs`), so one plug-in's
//!   deadline never stops another's call. Nothing ticks while no deadline is
//!   pending.
//! * [`WakeAt`] wakes async tasks (pool checkouts, calls awaiting in a host
//!   function or a WASI sleep) at their deadlines, from one process-wide
//!   thread.
//!
//! An entry lives exactly as long as whoever waits on it: a call that ends or a
//! future that is dropped takes its entry out, so a million abandoned waits
//! with an hour to go hold nothing. A thread that cannot be started is an
//! error for the caller, and the next caller tries again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

/// How long an async call runs before it yields to its executor.
pub(crate) const YIELD_SLICE: Duration = Duration::from_millis(10);

/// `now + timeout`, or `None` (no deadline) when that is past the end of time:
/// `Duration::MAX` means "no limit" everywhere.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// A timer thread could not be started (the process is out of threads or
/// memory). Reported to the caller that needed it; the next one retries.
#[derive(Debug)]
pub(crate) struct TimerUnavailable(pub(crate) std::io::Error);

impl std::fmt::Display for TimerUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot start the timeout thread ({}); timeouts cannot be enforced, so the call was not run",
            self.0
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every holder leaves the queues consistent before it can panic.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How threads are started; tests swap in one that fails.
type Spawner = fn(String, Box<dyn FnOnce() + Send>) -> std::io::Result<()>;

fn spawn_thread(name: String, body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    std::thread::Builder::new().name(name).spawn(body).map(drop)
}

// ------------------------------------------------------------------ epoch timer

struct Shared {
    /// The origin of the deadline keys.
    base: Instant,
    queue: Mutex<EpochQueue>,
    wake: Condvar,
}

#[derive(Default)]
struct EpochQueue {
    /// Pending deadlines, in whole milliseconds after `base` (rounded up),
    /// each with the number of calls waiting for it.
    deadlines: BTreeMap<u64, u32>,
    /// Set when the engine is dropped: the thread ends at once.
    stopped: bool,
}

impl Shared {
    fn key(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }

    fn instant(&self, key: u64) -> Option<Instant> {
        self.base.checked_add(Duration::from_millis(key))
    }
}

/// The deadline queue of one engine.
pub(crate) struct Timer {
    shared: Arc<Shared>,
    engine: wasmtime::EngineWeak,
    /// Whether the thread runs; a failed start leaves it `false` for a retry.
    started: Mutex<bool>,
    spawner: Spawner,
}

/// A deadline a call waits for; dropping it takes the deadline out of the
/// queue (unless it already passed).
pub(crate) struct TimerEntry {
    shared: Arc<Shared>,
    key: u64,
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        let mut queue = lock(&self.shared.queue);
        if let Some(count) = queue.deadlines.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                queue.deadlines.remove(&self.key);
            }
        }
    }
}

impl Timer {
    pub(crate) fn new(engine: &wasmtime::Engine) -> Self {
        Self::with_spawner(engine, spawn_thread)
    }

    fn with_spawner(engine: &wasmtime::Engine, spawner: Spawner) -> Self {
        Timer {
            shared: Arc::new(Shared {
                base: Instant::now(),
                queue: Mutex::new(EpochQueue::default()),
                wake: Condvar::new(),
            }),
            engine: engine.weak(),
            started: Mutex::new(false),
            spawner,
        }
    }

    /// Starts the thread if it is not running.
    ///
    /// # Errors
    /// When the thread cannot be started; the next call tries again.
    pub(crate) fn ensure_running(&self) -> Result<(), TimerUnavailable> {
        let mut started = lock(&self.started);
        if *started {
            return Ok(());
        }
        let shared = Arc::downgrade(&self.shared);
        let engine = self.engine.clone();
        (self.spawner)(
            "extism-host-timer".into(),
            Box::new(move || run(shared, engine)),
        )
        .map_err(TimerUnavailable)?;
        *started = true;
        Ok(())
    }

    /// Bumps the epoch at (or just after) `deadline`, for as long as the
    /// returned entry lives.
    ///
    /// # Errors
    /// When the timer thread cannot be started.
    pub(crate) fn register(&self, deadline: Instant) -> Result<TimerEntry, TimerUnavailable> {
        self.ensure_running()?;
        let key = self.shared.key(deadline);
        let mut queue = lock(&self.shared.queue);
        let earliest = queue
            .deadlines
            .first_key_value()
            .is_none_or(|(k, _)| key < *k);
        *queue.deadlines.entry(key).or_insert(0) += 1;
        drop(queue);
        if earliest {
            self.shared.wake.notify_one();
        }
        Ok(TimerEntry {
            shared: self.shared.clone(),
            key,
        })
    }

    /// [`register`](Self::register) for a deadline that is always soon (an
    /// async call's next yield): nobody takes it out, it simply passes.
    pub(crate) fn schedule_soon(&self, deadline: Instant) {
        if let Ok(entry) = self.register(deadline) {
            std::mem::forget(entry);
        }
    }

    /// Deadlines pending, for tests.
    #[cfg(test)]
    fn pending(&self) -> usize {
        lock(&self.shared.queue)
            .deadlines
            .values()
            .map(|c| *c as usize)
            .sum()
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        lock(&self.shared.queue).stopped = true;
        self.shared.wake.notify_all();
    }
}

fn run(shared: Weak<Shared>, engine: wasmtime::EngineWeak) {
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut queue = lock(&shared.queue);
    loop {
        if queue.stopped {
            return;
        }
        let now = Instant::now();
        let mut due = false;
        while let Some((&key, _)) = queue.deadlines.first_key_value() {
            if shared.instant(key).is_some_and(|at| at > now) {
                break;
            }
            queue.deadlines.pop_first();
            due = true;
        }
        if due {
            drop(queue);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
            queue = lock(&shared.queue);
            continue;
        }
        queue = match queue.deadlines.first_key_value() {
            Some((&key, _)) => {
                let wait = shared
                    .instant(key)
                    .map_or(Duration::MAX, |at| at.saturating_duration_since(now));
                shared
                    .wake
                    .wait_timeout(queue, wait)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0
            }
            None => shared
                .wake
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        };
    }
}

// ------------------------------------------------------------------ task wake-ups

/// Wakes async tasks at their deadlines, from one shared thread that sleeps
/// until the earliest one.
struct WakeQueue {
    entries: Mutex<BTreeMap<(Instant, u64), Waker>>,
    wake: Condvar,
    /// Whether the thread runs; a failed start leaves it `false` for a retry.
    started: Mutex<bool>,
}

fn wake_queue() -> &'static WakeQueue {
    static QUEUE: OnceLock<WakeQueue> = OnceLock::new();
    QUEUE.get_or_init(|| WakeQueue {
        entries: Mutex::new(BTreeMap::new()),
        wake: Condvar::new(),
        started: Mutex::new(false),
    })
}

/// Starts the process-wide wake-up thread if it is not running.
///
/// # Errors
/// When it cannot be started; the next caller tries again.
pub(crate) fn ensure_wake_thread() -> Result<(), TimerUnavailable> {
    ensure_wake_thread_with(spawn_thread)
}

fn ensure_wake_thread_with(spawner: Spawner) -> Result<(), TimerUnavailable> {
    let queue = wake_queue();
    let mut started = lock(&queue.started);
    if !*started {
        spawner(
            "extism-host-wake".into(),
            Box::new(|| run_wake_queue(wake_queue())),
        )
        .map_err(TimerUnavailable)?;
        *started = true;
    }
    Ok(())
}

/// Wakes a polled future's task at a deadline. Polled again with another
/// waker (the future moved to another task), it replaces its entry's waker,
/// so a deadline is never lost; dropped, it takes its entry out.
#[derive(Default)]
pub(crate) struct WakeAt {
    /// The entry in the queue and the waker it holds.
    registered: Option<((Instant, u64), Waker)>,
}

impl WakeAt {
    /// Makes sure `waker` is woken at `at`.
    ///
    /// # Errors
    /// When the wake-up thread cannot be started.
    pub(crate) fn arm(&mut self, at: Instant, waker: &Waker) -> Result<(), TimerUnavailable> {
        if let Some(((registered_at, _), registered)) = &self.registered {
            if *registered_at == at && registered.will_wake(waker) {
                return Ok(());
            }
        }
        ensure_wake_thread()?;
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let queue = wake_queue();
        let mut entries = lock(&queue.entries);
        if let Some((key, _)) = self.registered.take() {
            entries.remove(&key);
        }
        let key = (at, SEQ.fetch_add(1, Ordering::Relaxed));
        let earliest = entries.first_key_value().is_none_or(|(k, _)| key < *k);
        entries.insert(key, waker.clone());
        drop(entries);
        if earliest {
            queue.wake.notify_one();
        }
        self.registered = Some((key, waker.clone()));
        Ok(())
    }
}

impl Drop for WakeAt {
    fn drop(&mut self) {
        if let Some((key, _)) = self.registered.take() {
            lock(&wake_queue().entries).remove(&key);
        }
    }
}

fn run_wake_queue(queue: &WakeQueue) {
    let mut entries = lock(&queue.entries);
    loop {
        let now = Instant::now();
        while entries
            .first_key_value()
            .is_some_and(|((at, _), _)| *at <= now)
        {
            if let Some((_, waker)) = entries.pop_first() {
                waker.wake();
            }
        }
        entries = match entries.first_key_value() {
            Some(((at, _), _)) => {
                let wait = at.saturating_duration_since(now);
                queue
                    .wake
                    .wait_timeout(entries, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => queue.wake.wait(entries).unwrap_or_else(|p| p.into_inner()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing(_: String, _: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
        Err(std::io::Error::other("no threads left"))
    }

    #[test]
    fn a_failed_start_is_an_error_and_is_retried() {
        let engine = wasmtime::Engine::default();
        let mut timer = Timer::with_spawner(&engine, failing);
        let deadline = Instant::now() + Duration::from_secs(60);
        let err = timer.register(deadline).err().expect("the start fails");
        assert!(err.to_string().contains("no threads left"), "{err}");
        // The same timer starts once threads are available again.
        timer.spawner = spawn_thread;
        let entry = timer
            .register(deadline)
            .expect("the retry starts the thread");
        assert_eq!(timer.pending(), 1);
        drop(entry);
        assert_eq!(timer.pending(), 0);
    }

    #[test]
    fn entries_leave_with_their_waiters() {
        let engine = wasmtime::Engine::default();
        let timer = Timer::new(&engine);
        let at = Instant::now() + Duration::from_secs(3600);
        let entries: Vec<_> = (0..1000).map(|_| timer.register(at).unwrap()).collect();
        assert_eq!(timer.pending(), 1000);
        drop(entries);
        assert_eq!(timer.pending(), 0);
    }

    #[test]
    fn a_failed_wake_thread_start_is_an_error() {
        // Runs before or after the real thread started: either it fails
        // (not started yet) or it is already running; it never panics.
        match ensure_wake_thread_with(failing) {
            Ok(()) => {}
            Err(e) => assert!(e.to_string().contains("no threads left")),
        }
        ensure_wake_thread().expect("the real spawner starts it");
        ensure_wake_thread_with(failing).expect("running: nothing to start");
    }

    #[test]
    fn deadline_after_max_is_no_deadline() {
        assert_eq!(deadline_after(Duration::MAX), None);
        assert!(deadline_after(Duration::from_secs(1)).is_some());
    }
}
