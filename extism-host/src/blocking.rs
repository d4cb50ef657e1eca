//! Bridging blocking and async code: running the async code paths
//! synchronously, and running blocking work off the call's thread.
//!
//! Instantiation and calls are written once, as async functions that take
//! an `asyncness` flag: with the flag off every step is a synchronous wasmtime
//! call inside an `async` block that never suspends, so a single poll
//! finishes it. This keeps the sync and async APIs from drifting apart.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` once; `None` if it did not finish (a synchronous path that
/// suspended, which would be a bug).
pub(crate) fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Runs blocking `work` (an HTTP exchange) on a thread of its own and
/// returns a future of its result, so that the call waiting for it can be
/// interrupted (sync calls) and does not hold an executor thread (async
/// calls). An interrupted wait drops the future; the thread finishes its
/// work, which must be bounded by its own deadline, and the result is
/// dropped.
///
/// # Errors
/// When no thread can be started.
pub(crate) fn offload<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<Offloaded<T>> {
    let shared = std::sync::Arc::new(std::sync::Mutex::new(Handoff {
        value: None,
        waker: None,
    }));
    let sender = shared.clone();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let value = work();
            let mut slot = sender.lock().unwrap_or_else(|p| p.into_inner());
            slot.value = Some(value);
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        })?;
    Ok(Offloaded { shared })
}

struct Handoff<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The result of [`offload`]ed work, when it is ready.
pub(crate) struct Offloaded<T> {
    shared: std::sync::Arc<std::sync::Mutex<Handoff<T>>>,
}

impl<T> Future for Offloaded<T> {
    type Output = T;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
