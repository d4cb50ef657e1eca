//! Running the async code paths synchronously.
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
