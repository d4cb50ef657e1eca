//! Wakes running plug-ins when a deadline passes.
//!
//! Each engine has at most one timer thread. It sleeps until the earliest
//! registered deadline and then bumps the engine's epoch; every store running
//! at that moment checks its *own* deadline and cancel flag in its epoch
//! callback (see [`CallDeadline::check`](crate::limits::CallDeadline::check)),
//! so one plug-in's deadline never stops another's call. Nothing ticks while
//! no deadline is pending.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long an async call runs before it yields to its executor.
pub(crate) const YIELD_SLICE: Duration = Duration::from_millis(10);

struct Shared {
    /// The origin of the deadline keys.
    base: Instant,
    /// Pending deadlines, in whole milliseconds after `base` (rounded up).
    /// Calls that end early leave theirs in: the tick then wakes nobody, which
    /// costs less than taking it out, and rounding keeps the set no larger
    /// than the longest timeout in milliseconds. A steady stream of calls with
    /// the same timeout adds deadlines later than the earliest pending one,
    /// so it never has to wake the timer thread.
    deadlines: Mutex<BTreeSet<u64>>,
    wake: Condvar,
}

impl Shared {
    fn key(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }

    fn instant(&self, key: u64) -> Instant {
        self.base + Duration::from_millis(key)
    }
}

/// The deadline queue of one engine.
pub(crate) struct Timer {
    shared: Arc<Shared>,
    engine: wasmtime::Engine,
    started: std::sync::Once,
}

impl Timer {
    pub(crate) fn new(engine: wasmtime::Engine) -> Self {
        Timer {
            shared: Arc::new(Shared {
                base: Instant::now(),
                deadlines: Mutex::new(BTreeSet::new()),
                wake: Condvar::new(),
            }),
            engine,
            started: std::sync::Once::new(),
        }
    }

    /// Makes sure the epoch is bumped at (or just after) `deadline`.
    pub(crate) fn schedule(&self, deadline: Instant) {
        self.started.call_once(|| self.spawn());
        let key = self.shared.key(deadline);
        let mut deadlines = lock(&self.shared.deadlines);
        let earliest = deadlines.first().is_none_or(|first| key < *first);
        let added = deadlines.insert(key);
        drop(deadlines);
        if added && earliest {
            self.shared.wake.notify_one();
        }
    }

    fn spawn(&self) {
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        let engine = self.engine.weak();
        let spawned = std::thread::Builder::new()
            .name("extism-host-timer".into())
            .spawn(move || run(shared, engine));
        if let Err(e) = spawned {
            tracing::error!("cannot start the timeout thread: {e}; timeouts will not fire");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The queue stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(shared: Weak<Shared>, engine: wasmtime::EngineWeak) {
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut deadlines = lock(&shared.deadlines);
        let now = Instant::now();
        let mut due = false;
        while deadlines.first().is_some_and(|k| shared.instant(*k) <= now) {
            deadlines.pop_first();
            due = true;
        }
        if due {
            drop(deadlines);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
            continue;
        }
        // With nothing pending, wake now and then to notice a dropped engine.
        let wait = deadlines.first().map_or(Duration::from_secs(5), |k| {
            shared.instant(*k).saturating_duration_since(now)
        });
        let (guard, _) = shared
            .wake
            .wait_timeout(deadlines, wait)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(guard);
    }
}

/// Wakes async tasks at their deadlines (pool checkouts with a timeout),
/// from one shared thread that sleeps until the earliest one.
struct WakeQueue {
    entries: Mutex<BinaryHeap<Reverse<WakeEntry>>>,
    wake: Condvar,
}

struct WakeEntry {
    at: Instant,
    seq: u64,
    waker: std::task::Waker,
}

impl PartialEq for WakeEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for WakeEntry {}
impl PartialOrd for WakeEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for WakeEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Wakes a polled future's task at a deadline, registering again whenever the
/// future is polled with another waker (it moved to another task or
/// executor), so a deadline is never lost.
#[derive(Default)]
pub(crate) struct WakeAt {
    registered: Option<std::task::Waker>,
}

impl WakeAt {
    pub(crate) fn arm(&mut self, at: Instant, waker: &std::task::Waker) {
        if !self.registered.as_ref().is_some_and(|w| w.will_wake(waker)) {
            self.registered = Some(waker.clone());
            wake_at(at, waker.clone());
        }
    }
}

/// Calls `waker.wake()` at `at`.
pub(crate) fn wake_at(at: Instant, waker: std::task::Waker) {
    static QUEUE: std::sync::OnceLock<Arc<WakeQueue>> = std::sync::OnceLock::new();
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let queue = QUEUE.get_or_init(|| {
        let queue = Arc::new(WakeQueue {
            entries: Mutex::new(BinaryHeap::new()),
            wake: Condvar::new(),
        });
        let q = queue.clone();
        let spawned = std::thread::Builder::new()
            .name("extism-host-wake".into())
            .spawn(move || run_wake_queue(&q));
        if let Err(e) = spawned {
            tracing::error!("cannot start the wake-up thread: {e}; async timeouts will not fire");
        }
        queue
    });
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    lock(&queue.entries).push(Reverse(WakeEntry { at, seq, waker }));
    queue.wake.notify_one();
}

fn run_wake_queue(queue: &WakeQueue) {
    let mut entries = lock(&queue.entries);
    loop {
        let now = Instant::now();
        while entries.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(entry)) = entries.pop() {
                entry.waker.wake();
            }
        }
        entries = match entries.peek() {
            Some(Reverse(next)) => {
                let wait = next.at.saturating_duration_since(now);
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
