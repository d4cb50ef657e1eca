//! The primitives `handoff.rs` is written against: `std`'s here; `loom/`
//! supplies loom's under the same names to model-check it.

pub(crate) use std::sync::{Arc, Mutex, MutexGuard};
pub(crate) use std::thread::{current, Thread};

pub(crate) fn park_timeout(timeout: std::time::Duration) {
    std::thread::park_timeout(timeout);
}
