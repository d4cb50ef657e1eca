//! `poll_oneoff`, the one WASI preview 1 function that waits on a clock (the
//! guest's `sleep`, `nanosleep`, `time.Sleep`, a timer in an event loop).
//!
//! wasmtime-wasi sleeps the calling thread (sync) or awaits a tokio timer
//! (async), neither of which sees the call's deadline or cancel. This
//! version waits through the call's [`CallInterrupt`]: a sleep ends at the
//! deadline with a timeout, at a cancel with a cancellation, and on async
//! plug-ins it never blocks the executor. Subscriptions that include file
//! descriptors go to wasmtime-wasi's own implementation (files, stdin and
//! stdout are always ready there, so it does not wait).
//!
//! The layouts are those of `wasi_snapshot_preview1`: a subscription is 48
//! bytes (userdata u64, tag u8 at 8, clock id u32 at 16, timeout u64 at 24,
//! precision u64 at 32, flags u16 at 40), an event 32 (userdata u64, errno
//! u16 at 8, type u8 at 10, then the fd fields, zero for clocks).

use std::time::{Duration, Instant, SystemTime};

use wasmtime::{Caller, Extern, Linker};

use crate::interrupt::{CallInterrupt, Interruption};
use crate::store::StoreData;

const NAMESPACE: &str = "wasi_snapshot_preview1";
const NAME: &str = "poll_oneoff";

/// `subscription` and `event` of `wasi_snapshot_preview1`.
const SUBSCRIPTION_SIZE: usize = 48;
const EVENT_SIZE: usize = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const SUBCLOCK_ABSTIME: u16 = 1;
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;

/// The guest's monotonic clock: nanoseconds since the instance's WASI
/// context was made, as wasmtime-wasi's own, but with a known origin so that
/// absolute deadlines can be waited for here.
pub(crate) struct GuestClock {
    origin: Instant,
}

impl GuestClock {
    pub(crate) fn new() -> Self {
        GuestClock {
            origin: Instant::now(),
        }
    }

    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }
}

impl wasmtime_wasi::HostMonotonicClock for GuestClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Replaces wasmtime-wasi's `poll_oneoff` in `linker`.
pub(crate) fn shadow_poll_oneoff(
    linker: &mut Linker<StoreData>,
    asyncness: bool,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    if asyncness {
        linker.func_wrap_async(
            NAMESPACE,
            NAME,
            |mut caller: Caller<'_, StoreData>,
             (subs, events, n, nevents): (i32, i32, i32, i32)| {
                Box::new(async move {
                    match clock_wait(&mut caller, subs, n)? {
                        Plan::Delegate => {
                            let (memory, ctx) = wasi_parts(&mut caller)?;
                            let mut memory = wiggle::GuestMemory::Unshared(memory);
                            original(ctx, &mut memory, subs, events, n, nevents).await
                        }
                        Plan::Errno(errno) => Ok(errno),
                        Plan::Wait(wait) => {
                            let woke = wait.interrupt.sleep_async(wait.duration).await;
                            finish(&mut caller, &wait, woke, events, nevents)
                        }
                    }
                })
            },
        )?;
    } else {
        linker.func_wrap(
            NAMESPACE,
            NAME,
            |mut caller: Caller<'_, StoreData>, subs: i32, events: i32, n: i32, nevents: i32| {
                match clock_wait(&mut caller, subs, n)? {
                    Plan::Delegate => {
                        let (memory, ctx) = wasi_parts(&mut caller)?;
                        let mut memory = wiggle::GuestMemory::Unshared(memory);
                        // As wasmtime-wasi's own synchronous binding runs it.
                        wasmtime_wasi::runtime::in_tokio(original(
                            ctx,
                            &mut memory,
                            subs,
                            events,
                            n,
                            nevents,
                        ))
                    }
                    Plan::Errno(errno) => Ok(errno),
                    Plan::Wait(wait) => {
                        let woke = wait.interrupt.sleep(wait.duration);
                        finish(&mut caller, &wait, woke, events, nevents)
                    }
                }
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// wasmtime-wasi's own `poll_oneoff`.
use wasmtime_wasi::p1::wasi_snapshot_preview1::poll_oneoff as original;

/// The guest's memory and its WASI context, for wasmtime-wasi's functions.
fn wasi_parts<'a>(
    caller: &'a mut Caller<'_, StoreData>,
) -> wasmtime::Result<(&'a mut [u8], &'a mut wasmtime_wasi::p1::WasiP1Ctx)> {
    let memory = guest_memory(caller)?;
    let (memory, data) = memory.data_and_store_mut(caller);
    Ok((memory, data.wasi_mut()))
}

/// What to do with one `poll_oneoff`.
enum Plan {
    /// Some subscription is not a clock.
    Delegate,
    /// Fail at once with this errno.
    Errno(i32),
    Wait(Wait),
}

/// A wait for the earliest of the clock subscriptions.
struct Wait {
    interrupt: CallInterrupt,
    duration: Duration,
    /// Each subscription's userdata and when it is due (`None`: never).
    due: Vec<(u64, Option<Instant>)>,
}

fn guest_memory(caller: &mut Caller<'_, StoreData>) -> wasmtime::Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::Error::msg(
            "poll_oneoff: the module exports no memory named `memory`",
        )),
    }
}

/// Reads the subscriptions; clock-only ones become a [`Wait`].
fn clock_wait(caller: &mut Caller<'_, StoreData>, subs: i32, n: i32) -> wasmtime::Result<Plan> {
    let n = n as u32 as usize;
    if n == 0 {
        // An indefinite sleep is not allowed in preview 1.
        return Ok(Plan::Errno(ERRNO_INVAL));
    }
    let memory = guest_memory(caller)?;
    let (data, store) = memory.data_and_store_mut(&mut *caller);
    let Some(bytes) = (subs as u32 as usize)
        .checked_add(n.saturating_mul(SUBSCRIPTION_SIZE))
        .and_then(|end| data.get(subs as u32 as usize..end))
    else {
        return Ok(Plan::Errno(ERRNO_FAULT));
    };
    let Some(wasi) = store.wasi.as_ref() else {
        return Ok(Plan::Delegate);
    };
    let now = Instant::now();
    let mut due = Vec::with_capacity(n);
    for sub in bytes.chunks_exact(SUBSCRIPTION_SIZE) {
        let u64_at = |at: usize| u64::from_le_bytes(sub[at..at + 8].try_into().unwrap_or([0; 8]));
        if sub[8] != EVENTTYPE_CLOCK {
            return Ok(Plan::Delegate);
        }
        let id = u32::from_le_bytes(sub[16..20].try_into().unwrap_or([0; 4]));
        let timeout = u64_at(24);
        let absolute = u16::from_le_bytes([sub[40], sub[41]]) & SUBCLOCK_ABSTIME != 0;
        let at = match (id, absolute) {
            (CLOCK_MONOTONIC | CLOCK_REALTIME, false) => {
                now.checked_add(Duration::from_nanos(timeout))
            }
            (CLOCK_MONOTONIC, true) => wasi.clock_origin.checked_add(Duration::from_nanos(timeout)),
            (CLOCK_REALTIME, true) => {
                let wall = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                now.checked_add(Duration::from_nanos(timeout).saturating_sub(wall))
            }
            _ => return Ok(Plan::Errno(ERRNO_INVAL)),
        };
        due.push((u64_at(0), at));
    }
    let earliest = due.iter().filter_map(|(_, at)| *at).min();
    let duration = earliest.map_or(Duration::MAX, |at| at.saturating_duration_since(now));
    Ok(Plan::Wait(Wait {
        interrupt: store.interrupt.signal(),
        duration,
        due,
    }))
}

/// Writes an event for every clock that is due, or stops the call.
fn finish(
    caller: &mut Caller<'_, StoreData>,
    wait: &Wait,
    woke: Result<(), Interruption>,
    events: i32,
    nevents: i32,
) -> wasmtime::Result<i32> {
    if let Err(why) = woke {
        return Err(crate::interrupt::stop(caller.data_mut(), why));
    }
    let now = Instant::now();
    let memory = guest_memory(caller)?;
    let data = memory.data_mut(&mut *caller);
    let mut count: u32 = 0;
    for (userdata, at) in &wait.due {
        if !at.is_some_and(|at| at <= now) {
            continue;
        }
        let offset = (events as u32 as usize).saturating_add(count as usize * EVENT_SIZE);
        let Some(event) = data.get_mut(offset..offset.saturating_add(EVENT_SIZE)) else {
            return Ok(ERRNO_FAULT);
        };
        event.fill(0);
        event[0..8].copy_from_slice(&userdata.to_le_bytes());
        // error: success (0), type: clock (0), no fd fields.
        count += 1;
    }
    let at = nevents as u32 as usize;
    let Some(slot) = data.get_mut(at..at.saturating_add(4)) else {
        return Ok(ERRNO_FAULT);
    };
    slot.copy_from_slice(&count.to_le_bytes());
    Ok(ERRNO_SUCCESS)
}
