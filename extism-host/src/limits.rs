//! Enforcing the manifest's limits inside a store: memory growth, and the
//! deadline / cancellation checks that epoch interruption runs.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Instant;

/// The page size of wasm memories.
pub(crate) const PAGE: u64 = 64 * 1024;

/// How large a memory may be declared, in pages, when `max_pages` is lower.
const INITIAL_ALLOWANCE_PAGES: u64 = 256;

/// The most elements a plug-in's tables may have together (toolchains emit
/// a few hundred).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Raised (as a trap) when a memory would grow past the plug-in's budget.
#[derive(Debug)]
pub(crate) struct MemoryLimitExceeded {
    pub(crate) max_pages: u32,
}

impl std::fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "memory limit exceeded: the plug-in's memories may grow by at most {} pages",
            self.max_pages
        )
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// One budget for the growth of every memory in the store (the plug-in's
/// modules and the kernel), as the reference counts `max_pages`. The budget
/// starts once the plug-in is instantiated, so a module's declared initial
/// memory does not count against it.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    max_pages: Option<u32>,
    bytes_left: u64,
    counting: bool,
    /// Bytes of memory declared by the modules, during instantiation.
    initial_bytes: u64,
    /// Elements of all the plug-in's tables together.
    table_elements: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(max_pages: Option<u32>) -> Self {
        MemoryLimiter {
            max_pages,
            bytes_left: max_pages.map_or(u64::MAX, |p| u64::from(p) * PAGE),
            counting: false,
            initial_bytes: 0,
            table_elements: 0,
        }
    }

    /// Starts charging growth against the budget.
    pub(crate) fn start_counting(&mut self) {
        self.counting = true;
        self.bytes_left = self.max_pages.map_or(u64::MAX, |p| u64::from(p) * PAGE);
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let Some(max_pages) = self.max_pages else {
            return Ok(true);
        };
        if !self.counting {
            // Instantiation: declared initial memories are not charged (as in
            // the reference, so a Rust PDK plug-in's 17 pages run under
            // `max_pages: 16`), but together they may not exceed the larger
            // of the limit and 16 MiB, or modules could simply declare
            // gigabytes.
            let allowance = u64::from(max_pages).max(INITIAL_ALLOWANCE_PAGES) * PAGE;
            let total = self
                .initial_bytes
                .saturating_add(desired.saturating_sub(current) as u64);
            if total > allowance {
                return Err(wasmtime::Error::new(MemoryLimitExceeded { max_pages }));
            }
            self.initial_bytes = total;
            return Ok(true);
        }
        let growth = desired.saturating_sub(current) as u64;
        if growth > self.bytes_left {
            return Err(wasmtime::Error::new(MemoryLimitExceeded { max_pages }));
        }
        self.bytes_left -= growth;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Table elements live in host memory (8 bytes or more each), outside
        // any page budget: cap all tables together so `table.grow` cannot
        // exhaust the host.
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        if total > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.table_elements = total;
        Ok(true)
    }
}

/// Why a call was stopped by epoch interruption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interruption {
    Timeout,
    Cancelled,
}

/// No call is running: a cancel has nothing to stop.
const IDLE: u8 = 0;
/// A call is running.
const RUNNING: u8 = 1;
/// The running call was asked to stop.
const CANCELLED: u8 = 2;

/// The cancel state of one plug-in instance, shared with its
/// [`CancelHandle`](crate::CancelHandle)s. A cancel stops only the call that is
/// running when it is made; later calls run normally.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    state: AtomicU8,
    /// The task of a running async call: a cancel must reach it even while a
    /// host function awaits, when no wasm runs to see the epoch tick.
    waker: Mutex<Option<Waker>>,
}

impl CancelState {
    pub(crate) fn begin_call(&self) {
        self.state.store(RUNNING, Ordering::Release);
    }

    pub(crate) fn end_call(&self) {
        self.state.store(IDLE, Ordering::Release);
        self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Returns whether a running call was marked.
    pub(crate) fn cancel(&self) -> bool {
        let marked = self
            .state
            .compare_exchange(RUNNING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if marked {
            let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        marked
    }

    fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(|p| p.into_inner());
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

/// Runs an async call until it finishes, its deadline passes or it is
/// cancelled, whichever comes first.
///
/// Epoch interruption stops a call only while wasm runs; an async host
/// function that awaits (a slow network, a lock) runs no wasm, so without
/// this the call's time limit and its cancel handle would wait for it.
/// Dropping the call's future unwinds the plug-in's stack (wasmtime resumes
/// its fiber with an error), so the instance must be recycled afterwards.
pub(crate) async fn interruptible<F: Future>(
    call: F,
    deadline: Option<Instant>,
    cancel: &CancelState,
) -> Result<F::Output, Interruption> {
    let mut call = std::pin::pin!(call);
    let mut timer = crate::timer::WakeAt::default();
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = call.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        cancel.register(cx.waker());
        if cancel.is_cancelled() {
            return Poll::Ready(Err(Interruption::Cancelled));
        }
        if let Some(deadline) = deadline {
            if Instant::now() >= deadline {
                return Poll::Ready(Err(Interruption::Timeout));
            }
            timer.arm(deadline, cx.waker());
        }
        Poll::Pending
    })
    .await
}

/// The per-store state the epoch callback checks.
#[derive(Debug, Default)]
pub(crate) struct CallDeadline {
    pub(crate) deadline: Option<Instant>,
    pub(crate) cancel: Arc<CancelState>,
    pub(crate) fired: Option<Interruption>,
}

impl CallDeadline {
    /// Called on each epoch tick while the store runs wasm: stops the call
    /// when this store's own deadline has passed or it was cancelled, and
    /// otherwise lets it run on (another store's deadline caused the tick).
    pub(crate) fn check(&mut self) -> Option<Interruption> {
        if self.cancel.is_cancelled() {
            self.fired = Some(Interruption::Cancelled);
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.fired = Some(Interruption::Timeout);
        }
        self.fired
    }
}
