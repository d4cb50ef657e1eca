//! The pool's synchronization core: who gets the next instance.
//!
//! Generic over the instance type and free of wasmtime, so that `loom/`
//! compiles this very file (through `#[path]`) against loom's primitives and
//! model-checks it. It only reaches threads and locks through `super::sync`,
//! which is `std` here and loom there; anything else (clocks, creating
//! instances, metrics) stays in the pool.
//!
//! Waiting is first come, first served, without polling: a released instance
//! (or the right to create one) is placed in the oldest waiter's slot while
//! the pool is locked, then that waiter is woken by `unpark` (threads) or its
//! `Waker` (tasks). A waiter that gives up takes the same lock to leave the
//! queue, so it either is still queued or finds its grant: nothing is lost.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::sync::{self, Arc, Mutex, MutexGuard};

/// Idle instances, how many exist, and the queue of waiters, for at most
/// `max` instances.
pub(crate) struct Handoff<T> {
    max: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    idle: Vec<T>,
    /// Instances in existence or being created (idle + in use + creating).
    live: usize,
    /// Non-empty only while `idle` is empty and `live == max`: a release
    /// serves the queue first, and a checkout queues behind anyone there.
    waiters: VecDeque<Arc<Waiter<T>>>,
}

/// What a checkout is given: an idle instance, or the right to create one
/// (which counts towards the bound from the moment it is granted).
pub(crate) enum Grant<T> {
    Instance(T),
    Create,
}

/// A place in the queue. It must end in [`Handoff::wait`] or
/// [`Handoff::wait_async`], which leave the queue when they give up.
pub(crate) struct Ticket<T>(Arc<Waiter<T>>);

struct Waiter<T> {
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    grant: Option<Grant<T>>,
    /// Who to wake when the grant arrives.
    wake: Option<Wake>,
}

enum Wake {
    Thread(sync::Thread),
    Task(Waker),
}

/// How many instances are checked out (or being created), idle, and how
/// many checkouts wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) in_use: usize,
    pub(crate) idle: usize,
    pub(crate) waiting: usize,
}

fn lock<U>(m: &Mutex<U>) -> MutexGuard<'_, U> {
    // Every critical section leaves the state consistent, so a panic in one
    // (there is no user code inside) does not make the pool unusable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T> Handoff<T> {
    pub(crate) fn new(max: usize) -> Self {
        Handoff {
            max,
            state: Mutex::new(State {
                idle: Vec::new(),
                live: 0,
                waiters: VecDeque::new(),
            }),
        }
    }

    /// An immediate grant, or a place at the back of the queue.
    pub(crate) fn try_grant(&self) -> Result<Grant<T>, Ticket<T>> {
        let mut state = lock(&self.state);
        self.debug_check(&state);
        if state.waiters.is_empty() {
            if let Some(instance) = state.idle.pop() {
                return Ok(Grant::Instance(instance));
            }
            if state.live < self.max {
                state.live += 1;
                return Ok(Grant::Create);
            }
        }
        let waiter = Arc::new(Waiter {
            slot: Mutex::new(Slot {
                grant: None,
                wake: None,
            }),
        });
        state.waiters.push_back(waiter.clone());
        Err(Ticket(waiter))
    }

    /// Blocks the thread until the ticket's grant arrives, or until
    /// `remaining` (the time left, asked after each wake-up) says the
    /// deadline passed: then `None`, unless the grant came meanwhile.
    pub(crate) fn wait(
        &self,
        ticket: Ticket<T>,
        mut remaining: impl FnMut() -> Option<Duration>,
    ) -> Option<Grant<T>> {
        loop {
            {
                let mut slot = lock(&ticket.0.slot);
                if let Some(grant) = slot.grant.take() {
                    return Some(grant);
                }
                // Registered before the deadline check and the park: a
                // release from now on unparks us, and an unpark that comes
                // before the park makes it return at once.
                slot.wake = Some(Wake::Thread(sync::current()));
            }
            match remaining() {
                Some(left) => sync::park_timeout(left),
                None => return self.abandon(&ticket),
            }
        }
    }

    /// A future of the ticket's grant; dropping it (cancelled, or timed out
    /// by the caller) leaves the queue and passes on a grant that came
    /// meanwhile.
    pub(crate) fn wait_async(&self, ticket: Ticket<T>) -> WaitGrant<'_, T> {
        WaitGrant {
            handoff: self,
            ticket: Some(ticket),
        }
    }

    /// Gives an instance (or, with `None`, the slot of one that was retired
    /// or could not be created) to the oldest waiter, or back to the pool.
    pub(crate) fn release(&self, instance: Option<T>) {
        let mut state = lock(&self.state);
        self.debug_check(&state);
        let Some(waiter) = state.waiters.pop_front() else {
            match instance {
                Some(instance) => state.idle.push(instance),
                None => state.live -= 1,
            }
            return;
        };
        let grant = match instance {
            Some(instance) => Grant::Instance(instance),
            None => Grant::Create,
        };
        // Placed while the pool is locked: see `abandon`.
        let mut slot = lock(&waiter.slot);
        slot.grant = Some(grant);
        let wake = slot.wake.take();
        drop(slot);
        drop(state);
        match wake {
            Some(Wake::Thread(thread)) => thread.unpark(),
            Some(Wake::Task(waker)) => waker.wake(),
            // Not registered yet: it looks at its slot before it sleeps.
            None => {}
        }
    }

    pub(crate) fn counts(&self) -> Counts {
        let state = lock(&self.state);
        Counts {
            in_use: state.live - state.idle.len(),
            idle: state.idle.len(),
            waiting: state.waiters.len(),
        }
    }

    /// The invariants, in debug builds (and under loom, in every
    /// interleaving it runs).
    fn debug_check(&self, state: &State<T>) {
        debug_assert!(state.idle.len() <= state.live && state.live <= self.max);
        debug_assert!(
            state.waiters.is_empty() || (state.idle.is_empty() && state.live == self.max),
            "a checkout waits while an instance is idle or may be created"
        );
    }

    /// Leaves the queue; returns the grant if one arrived meanwhile.
    fn abandon(&self, ticket: &Ticket<T>) -> Option<Grant<T>> {
        let mut state = lock(&self.state);
        state.waiters.retain(|w| !Arc::ptr_eq(w, &ticket.0));
        // Under the pool lock, which `release` holds while it places a grant:
        // we were either still queued (and are not any more) or the grant is
        // in the slot.
        let grant = lock(&ticket.0.slot).grant.take();
        drop(state);
        grant
    }
}

/// Waits for a grant in an async checkout (see [`Handoff::wait_async`]).
pub(crate) struct WaitGrant<'a, T> {
    handoff: &'a Handoff<T>,
    /// `None` once the grant was taken.
    ticket: Option<Ticket<T>>,
}

impl<T> Future for WaitGrant<'_, T> {
    type Output = Grant<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Grant<T>> {
        let this = self.get_mut();
        let Some(ticket) = &this.ticket else {
            return Poll::Pending;
        };
        let mut slot = lock(&ticket.0.slot);
        if let Some(grant) = slot.grant.take() {
            drop(slot);
            this.ticket = None;
            return Poll::Ready(grant);
        }
        slot.wake = Some(Wake::Task(cx.waker().clone()));
        Poll::Pending
    }
}

impl<T> Drop for WaitGrant<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            // The grant already passed the pool's retirement check when it
            // was released, so it goes straight on.
            match self.handoff.abandon(&ticket) {
                Some(Grant::Instance(instance)) => self.handoff.release(Some(instance)),
                Some(Grant::Create) => self.handoff.release(None),
                None => {}
            }
        }
    }
}
