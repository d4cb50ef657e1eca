//! loom models of the instance pool's handoff (`extism-host/src/pool/handoff.rs`).
//!
//! The file under test is compiled here as it is, through `#[path]`, against
//! the loom versions of the primitives it takes from `super::sync`; the models
//! are this crate's tests. See README.md for what is and is not covered.
#![cfg(test)]

/// The loom side of `extism-host/src/pool/sync.rs`.
mod sync {
    pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

    /// `std::thread::Thread` as far as parking goes: a token that `unpark`
    /// sets and `park_timeout` waits for and consumes. Not loom's own
    /// park/unpark: loom lets an unpark wake a thread blocked on a lock or a
    /// join (it panics then), which `std` never does, and a waiter here can
    /// be unparked late, once it has moved on to take the pool's lock.
    #[derive(Clone)]
    pub(crate) struct Thread(std::sync::Arc<loom::sync::Notify>);

    impl Thread {
        pub(crate) fn unpark(&self) {
            self.0.notify();
        }
    }

    loom::thread_local! {
        static TOKEN: std::sync::Arc<loom::sync::Notify> = Default::default();
    }

    pub(crate) fn current() -> Thread {
        TOKEN.with(|token| Thread(token.clone()))
    }

    /// loom has no clock: a model's deadline is a timer thread that marks it
    /// passed and unparks the waiter. loom also returns spuriously here now
    /// and then, as `std`'s park may.
    pub(crate) fn park_timeout(_timeout: std::time::Duration) {
        TOKEN.with(|token| token.wait());
    }
}

#[path = "../../extism-host/src/pool/handoff.rs"]
mod handoff;

mod models;
