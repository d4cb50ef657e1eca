//! The models. Each runs two to four loom threads over a pool of one or two
//! instances; loom runs every interleaving of their lock, park/unpark and
//! wake operations (up to a preemption bound for the larger ones) and reports
//! a deadlock when every thread is parked: that is how a lost wake-up or a
//! lost grant shows, since the waiters below wait without a deadline unless a
//! model gives them one.

use std::future::Future;
use std::pin::pin;
// Bookkeeping for the assertions, not part of what is modelled: loom runs
// one thread at a time, so plain atomics and locks are exact and add no
// interleavings to explore.
use std::sync::atomic::{AtomicBool as PlainBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex as PlainMutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use loom::future::{block_on, AtomicWaker};
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread::{self, JoinHandle};

use crate::handoff::{Counts, Grant, Handoff, Ticket};

/// A pool of numbered instances, as `Pool` drives its handoff, with the
/// counts the models assert on.
struct Pool {
    handoff: Handoff<usize>,
    max: usize,
    /// Instances checked out now.
    out: AtomicUsize,
    /// Instances created and not retired.
    existing: AtomicUsize,
    /// Instances created so far (the next one's number).
    created: AtomicUsize,
}

impl Pool {
    fn new(max: usize) -> Arc<Pool> {
        Arc::new(Pool {
            handoff: Handoff::new(max),
            max,
            out: AtomicUsize::new(0),
            existing: AtomicUsize::new(0),
            created: AtomicUsize::new(0),
        })
    }

    /// Checks out what a grant gives: the instance, or a new one.
    fn fulfil(&self, grant: Grant<usize>) -> usize {
        let id = match grant {
            Grant::Instance(id) => id,
            Grant::Create => {
                let existing = self.existing.fetch_add(1, SeqCst) + 1;
                assert!(existing <= self.max, "{existing} instances exist");
                self.created.fetch_add(1, SeqCst)
            }
        };
        let out = self.out.fetch_add(1, SeqCst) + 1;
        assert!(out <= self.max, "{out} instances checked out");
        id
    }

    /// As `Pool::created` when instantiation fails: the slot is passed on.
    fn fail_creation(&self, grant: Grant<usize>) -> Option<usize> {
        match grant {
            Grant::Create => {
                self.handoff.release(None);
                None
            }
            grant => Some(self.fulfil(grant)),
        }
    }

    fn give_back(&self, id: usize) {
        self.out.fetch_sub(1, SeqCst);
        self.handoff.release(Some(id));
    }

    /// As `Pool::release` after `max_calls_per_instance`: the instance is
    /// dropped, then its slot freed.
    fn retire(&self, _id: usize) {
        self.out.fetch_sub(1, SeqCst);
        self.existing.fetch_sub(1, SeqCst);
        self.handoff.release(None);
    }

    /// `Pool::get` without a deadline: it must be woken, or loom reports a
    /// deadlock.
    fn grant(&self) -> Grant<usize> {
        match self.handoff.try_grant() {
            Ok(grant) => grant,
            Err(ticket) => self
                .handoff
                .wait(ticket, || Some(Duration::MAX))
                .expect("no deadline"),
        }
    }

    fn get(&self) -> usize {
        let grant = self.grant();
        self.fulfil(grant)
    }

    /// `Pool::get_async` without a deadline, on loom's executor.
    fn get_async(&self) -> usize {
        let grant = block_on(async {
            match self.handoff.try_grant() {
                Ok(grant) => grant,
                Err(ticket) => self.handoff.wait_async(ticket).await,
            }
        });
        self.fulfil(grant)
    }

    /// `Pool::get` with a deadline that passes whenever loom chooses.
    fn get_until(&self, deadline: &Deadline) -> Option<usize> {
        let grant = match self.handoff.try_grant() {
            Ok(grant) => Some(grant),
            Err(ticket) => self.handoff.wait(ticket, || deadline.remaining()),
        };
        grant.map(|grant| self.fulfil(grant))
    }

    /// `Pool::get_async` with a deadline: `with_timeout` over `wait_async`,
    /// the timer waking the task when the deadline passes.
    fn get_async_until(&self, deadline: &Deadline) -> Option<usize> {
        let grant = match self.handoff.try_grant() {
            Ok(grant) => Some(grant),
            Err(ticket) => {
                let mut wait = pin!(self.handoff.wait_async(ticket));
                block_on(std::future::poll_fn(|cx| {
                    if let Poll::Ready(grant) = wait.as_mut().poll(cx) {
                        return Poll::Ready(Some(grant));
                    }
                    // Registered before the check, so a deadline passing
                    // after it still wakes us.
                    deadline.waker.register_by_ref(cx.waker());
                    if deadline.passed.load(SeqCst) {
                        return Poll::Ready(None);
                    }
                    Poll::Pending
                }))
                // `wait` is dropped here, leaving the queue.
            }
        };
        grant.map(|grant| self.fulfil(grant))
    }

    /// A checkout whose future is polled once, then dropped (cancelled)
    /// unless it was ready.
    fn get_async_cancelled(&self) -> Option<usize> {
        let grant = match self.handoff.try_grant() {
            Ok(grant) => Some(grant),
            Err(ticket) => {
                let wait = pin!(self.handoff.wait_async(ticket));
                match wait.poll(&mut Context::from_waker(Waker::noop())) {
                    Poll::Ready(grant) => Some(grant),
                    Poll::Pending => None,
                }
            }
        };
        grant.map(|grant| self.fulfil(grant))
    }

    /// Once every thread is done: nothing checked out or being created,
    /// nobody queued, every existing instance idle. A grant lost on the way
    /// would show as an instance counted in use.
    fn assert_quiescent(&self) {
        assert_eq!(self.out.load(SeqCst), 0);
        assert_eq!(
            self.handoff.counts(),
            Counts {
                in_use: 0,
                idle: self.existing.load(SeqCst),
                waiting: 0,
            }
        );
    }
}

/// A deadline that passes at a point of loom's choosing: a timer thread
/// marks it passed, then unparks the waiting thread (as an expiring
/// `park_timeout` returns) and wakes the waiting task (as `timer.rs` does).
struct Deadline {
    passed: Arc<AtomicBool>,
    waker: Arc<AtomicWaker>,
    timer: JoinHandle<()>,
}

impl Deadline {
    /// Arms a deadline for the current thread.
    fn start() -> Deadline {
        let passed = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(AtomicWaker::new());
        let waiter = crate::sync::current();
        let timer = {
            let (passed, waker) = (passed.clone(), waker.clone());
            thread::spawn(move || {
                passed.store(true, SeqCst);
                waiter.unpark();
                waker.wake();
            })
        };
        Deadline {
            passed,
            waker,
            timer,
        }
    }

    /// 0: served before the deadline passed, 1: served though it passed
    /// (the grant raced the timeout), 2: timed out.
    fn outcome(&self, served: bool) -> usize {
        match (served, self.passed.load(SeqCst)) {
            (true, false) => 0,
            (true, true) => 1,
            (false, _) => 2,
        }
    }

    fn remaining(&self) -> Option<Duration> {
        (!self.passed.load(SeqCst)).then_some(Duration::MAX)
    }

    fn join(self) {
        self.timer.join().expect("timer");
    }
}

/// Runs a model, exhaustively or with at most `preemptions` preemptions per
/// execution (bounding the larger models to seconds instead of hours);
/// `LOOM_MAX_PREEMPTIONS` overrides the bound.
fn check(preemptions: Option<usize>, model: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = preemptions;
    }
    builder.check(model);
}

/// Which outcomes of a race some execution reached: a model that asserts a
/// property also asserts that the race it is about did happen.
struct Seen<const N: usize>([PlainBool; N]);

impl<const N: usize> Seen<N> {
    const fn new() -> Self {
        Seen([const { PlainBool::new(false) }; N])
    }

    fn saw(&self, outcome: usize) {
        self.0[outcome].store(true, SeqCst);
    }

    fn assert_all(&self, names: [&str; N]) {
        for (seen, name) in self.0.iter().zip(names) {
            assert!(seen.load(SeqCst), "no execution reached: {name}");
        }
    }
}

fn spawn(pool: &Arc<Pool>, f: impl FnOnce(&Pool) + 'static) -> JoinHandle<()> {
    let pool = pool.clone();
    thread::spawn(move || f(&pool))
}

fn join(threads: impl IntoIterator<Item = JoinHandle<()>>) {
    for t in threads {
        t.join().expect("a model thread panicked");
    }
}

/// Three checkouts (blocking, async, and one that retires its instance) over
/// two instances: never more than two exist or are checked out, and all of
/// them finish.
#[test]
fn bound_holds_under_contention() {
    check(None, || {
        let pool = Pool::new(2);
        let a = spawn(&pool, |pool| {
            let id = pool.get_async();
            pool.give_back(id);
        });
        let b = spawn(&pool, |pool| {
            let id = pool.get();
            pool.retire(id);
        });
        let id = pool.get();
        pool.give_back(id);
        join([a, b]);
        pool.assert_quiescent();
    });
}

/// A released instance goes to the oldest waiter, async or blocking, and a
/// checkout that arrives later queues behind them instead of taking it.
#[test]
fn release_goes_to_the_oldest_waiter() {
    check(Some(5), || {
        let pool = Pool::new(1);
        let order = Arc::new(PlainMutex::new(Vec::new()));
        let record = |order: &PlainMutex<Vec<&'static str>>, who| {
            order.lock().expect("order").push(who);
        };
        let held = pool.get();
        let first = queue(&pool);
        let second = queue(&pool);
        let a = {
            let order = order.clone();
            spawn(&pool, move |pool| {
                let id = pool.fulfil(block_on(pool.handoff.wait_async(first)));
                record(&order, "first");
                pool.give_back(id);
            })
        };
        let late = {
            let order = order.clone();
            spawn(&pool, move |pool| {
                let id = pool.get();
                record(&order, "late");
                pool.give_back(id);
            })
        };
        pool.give_back(held);
        let grant = pool.handoff.wait(second, || Some(Duration::MAX));
        let id = pool.fulfil(grant.expect("no deadline"));
        record(&order, "second");
        pool.give_back(id);
        join([a, late]);
        assert_eq!(*order.lock().expect("order"), ["first", "second", "late"]);
        pool.assert_quiescent();
    });
}

fn queue(pool: &Pool) -> Ticket<usize> {
    match pool.handoff.try_grant() {
        Ok(_) => panic!("every instance is taken"),
        Err(ticket) => ticket,
    }
}

/// A thread that queues concurrently with the release is unparked (or finds
/// its grant before it parks).
#[test]
fn blocking_waiter_is_woken() {
    check(None, || {
        let pool = Pool::new(1);
        let held = pool.get();
        let w = spawn(&pool, |pool| {
            let id = pool.get();
            pool.give_back(id);
        });
        pool.give_back(held);
        join([w]);
        pool.assert_quiescent();
    });
}

/// The same for a task: its waker is called (or it finds its grant when
/// first polled).
#[test]
fn async_waiter_is_woken() {
    check(None, || {
        let pool = Pool::new(1);
        let held = pool.get();
        let w = spawn(&pool, |pool| {
            let id = pool.get_async();
            pool.give_back(id);
        });
        pool.give_back(held);
        join([w]);
        pool.assert_quiescent();
    });
}

/// A blocking waiter whose deadline passes while the instance is released:
/// it either gets the instance (and gives it back) or leaves the queue, and
/// the waiter behind it is served either way.
#[test]
fn timed_out_blocking_waiter_loses_no_instance() {
    static SEEN: Seen<3> = Seen::new();
    timed_out_waiter_loses_no_instance(&SEEN, Pool::get_until);
}

/// The same for an async waiter timed out by `with_timeout`: its dropped
/// future passes on a grant that arrived meanwhile.
#[test]
fn timed_out_async_waiter_loses_no_instance() {
    static SEEN: Seen<3> = Seen::new();
    timed_out_waiter_loses_no_instance(&SEEN, Pool::get_async_until);
}

fn timed_out_waiter_loses_no_instance(
    seen: &'static Seen<3>,
    get_until: fn(&Pool, &Deadline) -> Option<usize>,
) {
    check(Some(4), move || {
        let pool = Pool::new(1);
        let held = pool.get();
        let w = spawn(&pool, move |pool| {
            let deadline = Deadline::start();
            let got = get_until(pool, &deadline);
            seen.saw(deadline.outcome(got.is_some()));
            if let Some(id) = got {
                pool.give_back(id);
            }
            deadline.join();
        });
        let next = spawn(&pool, |pool| {
            let id = pool.get();
            pool.give_back(id);
        });
        pool.give_back(held);
        join([w, next]);
        pool.assert_quiescent();
    });
    seen.assert_all([
        "served in time",
        "served, the deadline passed by then",
        "timed out",
    ]);
}

/// An async checkout dropped after one poll (cancelled by its caller) while
/// the instance is released: the next waiter is served.
#[test]
fn cancelled_async_checkout_loses_no_instance() {
    static SEEN: Seen<2> = Seen::new();
    check(None, || {
        cancelled_checkout(&SEEN, |pool, id| pool.give_back(id))
    });
    SEEN.assert_all(["cancelled", "ready when first polled"]);
}

/// The same while the instance is retired: the right to create its
/// successor is passed on.
#[test]
fn cancelled_async_checkout_loses_no_slot() {
    static SEEN: Seen<2> = Seen::new();
    check(None, || {
        cancelled_checkout(&SEEN, |pool, id| pool.retire(id))
    });
    SEEN.assert_all(["cancelled", "ready when first polled"]);
}

fn cancelled_checkout(seen: &'static Seen<2>, release: fn(&Pool, usize)) {
    let pool = Pool::new(1);
    let held = pool.get();
    let w = spawn(&pool, |pool| {
        let got = pool.get_async_cancelled();
        seen.saw(usize::from(got.is_some()));
        if let Some(id) = got {
            pool.give_back(id);
        }
    });
    let next = spawn(&pool, |pool| {
        let id = pool.get();
        pool.give_back(id);
    });
    release(&pool, held);
    join([w, next]);
    pool.assert_quiescent();
}

/// Retiring the only instance lets exactly one replacement be created, by
/// whichever waiter (blocking or async) is first; the other reuses it.
#[test]
fn retirement_frees_a_slot_for_creation() {
    check(None, || {
        let pool = Pool::new(1);
        let held = pool.get();
        let a = spawn(&pool, |pool| {
            let id = pool.get();
            pool.give_back(id);
        });
        let b = spawn(&pool, |pool| {
            let id = pool.get_async();
            pool.give_back(id);
        });
        pool.retire(held);
        join([a, b]);
        pool.assert_quiescent();
        assert_eq!(pool.created.load(SeqCst), 2);
    });
}

/// A waiter handed the right to create whose instantiation fails passes the
/// right on: the next waiter creates instead.
#[test]
fn failed_creation_passes_the_slot_on() {
    check(None, || {
        let pool = Pool::new(1);
        let held = pool.get();
        let failing = spawn(&pool, |pool| {
            let grant = pool.grant();
            if let Some(id) = pool.fail_creation(grant) {
                pool.give_back(id);
            }
        });
        let next = spawn(&pool, |pool| {
            let id = pool.get();
            pool.give_back(id);
        });
        pool.retire(held);
        join([failing, next]);
        pool.assert_quiescent();
    });
}
