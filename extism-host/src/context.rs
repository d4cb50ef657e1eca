//! A typed value the host lends to its host functions for one call
//! ([`Plugin::call_with_context`](crate::Plugin::call_with_context)).

use std::any::Any;
use std::ptr::NonNull;

/// A pointer to the context of the call running in a store.
///
/// The value is borrowed `&mut` by `call_with_context` for the whole call;
/// the store keeps only this pointer. `ActiveCall::enter` installs it (every
/// call replaces the store's context before any wasm runs) and
/// `ActiveCall::leave` clears it; a call that unwound before `leave` leaves a
/// pointer that the next call's `enter` overwrites before any host function
/// can run, and a panicking or dropped call's store is recycled anyway. So a
/// host function (which runs only inside a call) never sees a pointer that
/// outlived its borrow.
pub(crate) struct CallContext(NonNull<dyn Any + Send>);

// SAFETY: the pointee is `Send` (bound on `lend`), and the pointer is only
// dereferenced by host functions running on the thread that holds the `&mut`
// borrow, during the call; moving the store to another thread between calls
// moves no live borrow because the pointer is cleared by then.
unsafe impl Send for CallContext {}

impl CallContext {
    /// The context, if it is a `T`.
    pub(crate) fn get_mut<T: 'static>(&mut self) -> Option<&mut T> {
        // SAFETY: the pointer comes from a `&mut (dyn Any + Send)` that
        // `call_with_context` holds for the duration of the call, and
        // `ActiveCall::enter` installs it right before calling wasm and
        // `ActiveCall::leave` clears it right after, so it is valid whenever a
        // host function (running inside that call) gets here. Host functions reach it through
        // `&mut CurrentPlugin`, so no two references to it exist at once.
        let value: &mut (dyn Any + Send) = unsafe { self.0.as_mut() };
        value.downcast_mut()
    }

    /// Borrows `value` as the context of the next call.
    pub(crate) fn lend<T: Send + 'static>(value: &mut T) -> Self {
        let value: &mut (dyn Any + Send) = value;
        CallContext(NonNull::from(value))
    }
}
