//! `timeout_ms` and `CancelHandle::cancel` against everything a plug-in can
//! block on: WASI sleeps, HTTP (redirect chains, slow servers), host
//! functions, re-instantiation after a trap, async executors. Also the
//! timer queues' memory, `Duration::MAX` as "no limit", and fuel plug-ins
//! sharing one engine.
//!
//! Each bound is asserted: a timeout of 500 ms ends the call in under 1.5 s,
//! a cancel ends it less than 1 s after it is issued, a 100 ms ticker keeps
//! ticking while async calls wait.

use crate::support;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use extism_host::{
    CurrentPlugin, Error, HostError, HostFunction, Interruption, Manifest, Plugin, PluginBuilder,
    Pool, ValType, Wasm,
};
use support::{kitchen, plugin_wasm, rss, Reply, Server};

/// What a correct run never comes near; only a lost interruption reaches it.
const SANITY: Duration = Duration::from_secs(20);
/// The longest a timeout of 500 ms may take to end a call.
const TIMEOUT_BOUND: Duration = Duration::from_millis(1500);
/// The longest a call may run on after a cancel.
const CANCEL_BOUND: Duration = Duration::from_secs(1);
const HALF_SECOND: Duration = Duration::from_millis(500);

/// Runs `f` on a thread of its own; fails the test if it hangs.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(SANITY)
        .expect("the call ended long after its deadline or cancel (or never)")
}

/// Cancels through `plugin`'s handle after `after`; the join handle gives
/// the time of the cancel and whether a call was running.
fn cancel_after(plugin: &Plugin, after: Duration) -> std::thread::JoinHandle<(Instant, bool)> {
    let handle = plugin.cancel_handle();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        (Instant::now(), handle.cancel())
    })
}

fn nanos(d: Duration) -> [u8; 8] {
    u64::try_from(d.as_nanos())
        .unwrap_or(u64::MAX)
        .to_le_bytes()
}

/// The 32 bytes `wasi_sleep.wasm` outputs: errno, events, first userdata,
/// first event type.
fn report(out: &[u8]) -> [u64; 4] {
    assert_eq!(out.len(), 32, "wasi_sleep outputs 32 bytes");
    std::array::from_fn(|i| u64::from_le_bytes(out[i * 8..i * 8 + 8].try_into().unwrap()))
}

fn sleeper(timeout: Option<Duration>) -> Plugin {
    let mut manifest = Manifest::new([plugin_wasm("wat/wasi_sleep.wasm")]);
    manifest.timeout_ms = timeout.map(|t| t.as_millis() as u64);
    PluginBuilder::new(manifest)
        .with_wasi(true)
        .build()
        .expect("wasi_sleep builds")
}

fn assert_timeout(result: Result<impl std::fmt::Debug, Error>, started: Instant) {
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(Error::Timeout { .. })),
        "expected a timeout, got {result:?}"
    );
    eprintln!("figure: the call ended {elapsed:?} after it started");
    assert!(elapsed < TIMEOUT_BOUND, "a 500 ms timeout took {elapsed:?}");
}

fn assert_cancelled(result: Result<impl std::fmt::Debug, Error>, cancel: (Instant, bool)) {
    let late = cancel.0.elapsed();
    assert!(cancel.1, "cancel() found the call running");
    assert!(
        matches!(result, Err(Error::Cancelled { .. })),
        "expected a cancellation, got {result:?}"
    );
    assert!(
        late < CANCEL_BOUND,
        "the call ran on {late:?} after the cancel"
    );
}

// ------------------------------------------------------------------ WASI clocks

#[test]
fn a_wasi_sleep_ends_at_the_deadline() {
    let (result, started, usable) = bounded(|| {
        let mut plugin = sleeper(Some(HALF_SECOND));
        let started = Instant::now();
        let result = plugin
            .call_bytes("sleep", &nanos(Duration::from_secs(5)))
            .map(report);
        // The same instance sleeps normally afterwards.
        let usable = plugin
            .call_bytes("sleep", &nanos(Duration::from_millis(10)))
            .map(report);
        (result, started, usable)
    });
    assert_timeout(result, started);
    assert_eq!(usable.expect("a short sleep works"), [0, 1, 7, 0]);
}

#[test]
fn a_wasi_sleep_is_cancelled() {
    for (export, duration) in [
        ("sleep", Duration::from_secs(5)),
        ("sleep_until", Duration::from_secs(5)),
        // u64::MAX nanoseconds: forever, unless cancelled.
        ("sleep", Duration::MAX),
    ] {
        let (result, cancel) = bounded(move || {
            let mut plugin = sleeper(None);
            let canceller = cancel_after(&plugin, Duration::from_millis(300));
            let result = plugin.call_bytes(export, &nanos(duration)).map(report);
            (result, canceller.join().unwrap())
        });
        assert_cancelled(result, cancel);
    }
}

#[test]
fn wasi_clocks_wait_as_asked() {
    let mut plugin = sleeper(Some(Duration::from_secs(10)));
    let short = Duration::from_millis(50);

    let started = Instant::now();
    let out = report(plugin.call_bytes("sleep", &nanos(short)).unwrap());
    assert!(started.elapsed() >= short, "slept {:?}", started.elapsed());
    assert_eq!(out, [0, 1, 7, 0], "errno, events, userdata, type");

    let started = Instant::now();
    let out = report(plugin.call_bytes("sleep_until", &nanos(short)).unwrap());
    assert!(started.elapsed() >= short, "slept {:?}", started.elapsed());
    assert_eq!(out, [0, 1, 8, 0]);

    // Two clocks: only the earlier one fires.
    let started = Instant::now();
    let out = report(plugin.call_bytes("sleep_two", &nanos(short)).unwrap());
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(out, [0, 1, 9, 0]);

    // A clock and stdout: stdout is writable at once (fd_write event).
    let started = Instant::now();
    let out = report(
        plugin
            .call_bytes("sleep_or_stdout", &nanos(Duration::from_secs(5)))
            .unwrap(),
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((out[0], out[2], out[3]), (0, 12, 2), "{out:?}");

    // No subscriptions: EINVAL, as wasmtime-wasi answers.
    let out = report(plugin.call_bytes("sleep_none", &nanos(short)).unwrap());
    assert_eq!(out[0], 28);
}

// ------------------------------------------------------------------ async executors

/// Counts 100 ms ticks of a task on the same single-threaded runtime as the
/// call: it ticks only while the call leaves the thread to the executor.
fn ticker() -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let handle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    (ticks, handle)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

async fn async_bounded<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(SANITY, call)
        .await
        .expect("the call ended long after its deadline or cancel (or never)")
}

#[test]
fn async_wasi_sleeps_leave_the_executor_free_and_stop_on_time() {
    current_thread().block_on(async {
        let manifest = Manifest::new([plugin_wasm("wat/wasi_sleep.wasm")]);
        let mut plugin = PluginBuilder::new(manifest)
            .with_wasi(true)
            .with_async(true)
            .build_async()
            .await
            .expect("async wasi_sleep builds");
        let (ticks, ticking) = ticker();

        let out = plugin
            .call_bytes_async("sleep", &nanos(Duration::from_secs(1)))
            .await
            .map(report)
            .expect("a one-second sleep");
        assert_eq!(out, [0, 1, 7, 0]);
        let during = ticks.load(Ordering::Relaxed);
        assert!(during >= 5, "the ticker ticked {during} times in 1 s");

        plugin.set_timeout(Some(HALF_SECOND));
        let started = Instant::now();
        let result =
            async_bounded(plugin.call_bytes_async("sleep", &nanos(Duration::from_secs(5))))
                .await
                .map(|out| out.to_vec());
        assert_timeout(result, started);

        plugin.set_timeout(None);
        let cancel = plugin.cancel_handle();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            (Instant::now(), cancel.cancel())
        });
        let result = async_bounded(plugin.call_bytes_async("sleep", &nanos(Duration::MAX)))
            .await
            .map(|out| out.to_vec());
        assert_cancelled(result, canceller.await.unwrap());
        ticking.abort();
    });
}

// ------------------------------------------------------------------ HTTP

/// `/chain/N` answers after 0.9 s with a redirect to `/chain/N+1`, ten times;
/// `/slow` answers after 10 s.
fn slow_server() -> Server {
    Server::start(|req| {
        if let Some(n) = req.path.strip_prefix("/chain/") {
            let n: u32 = n.parse().unwrap_or(0);
            let reply = if n < 10 {
                Reply::redirect(format!("/chain/{}", n + 1))
            } else {
                Reply::ok("end of the chain")
            };
            return reply.with_delay(Duration::from_millis(900));
        }
        match req.path.as_str() {
            "/slow" => Reply::ok("late").with_delay(Duration::from_secs(10)),
            "/slowish" => Reply::ok("soon").with_delay(Duration::from_millis(800)),
            "/hello" => Reply::ok("hello"),
            _ => Reply::new(404, "no such path"),
        }
    })
}

#[test]
fn a_redirect_chain_shares_the_call_budget() {
    let server = slow_server();
    let url = server.url("/chain/0");
    let (result, started) = bounded(move || {
        let manifest = kitchen()
            .with_allowed_host("127.0.0.1")
            .with_timeout(Duration::from_secs(1));
        let mut plugin = Plugin::new(manifest, [], false).unwrap();
        let started = Instant::now();
        let result = plugin
            .call_bytes("http_get", url.as_bytes())
            .map(<[u8]>::to_vec);
        (result, started)
    });
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    eprintln!("figure: a redirect chain under a 1 s timeout ended after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn without_a_call_timeout_the_http_timeout_bounds_the_whole_chain() {
    let server = slow_server();
    let url = server.url("/chain/0");
    let (result, started) = bounded(move || {
        let manifest = kitchen().with_allowed_host("127.0.0.1");
        let mut plugin = PluginBuilder::new(manifest)
            .with_http_timeout(Some(Duration::from_secs(1)))
            .build()
            .unwrap();
        let started = Instant::now();
        let result = plugin
            .call_bytes("http_get", url.as_bytes())
            .map(<[u8]>::to_vec);
        (result, started)
    });
    let elapsed = started.elapsed();
    match result {
        Err(Error::HostFunction { message, .. }) => {
            assert!(message.contains("127.0.0.1"), "{message}")
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn a_waiting_http_request_is_cancelled() {
    let server = slow_server();
    let url = server.url("/slow");
    let (result, cancel) = bounded(move || {
        let mut plugin = Plugin::new(kitchen().with_allowed_host("127.0.0.1"), [], false).unwrap();
        let canceller = cancel_after(&plugin, Duration::from_millis(300));
        let result = plugin
            .call_bytes("http_get", url.as_bytes())
            .map(<[u8]>::to_vec);
        (result, canceller.join().unwrap())
    });
    assert_cancelled(result, cancel);
}

#[test]
fn async_http_leaves_the_executor_free_and_stops_on_time() {
    let server = slow_server();
    current_thread().block_on(async {
        let mut plugin = PluginBuilder::new(kitchen().with_allowed_host("127.0.0.1"))
            .with_async(true)
            .build_async()
            .await
            .expect("async kitchen builds");
        let (ticks, ticking) = ticker();

        let out = plugin
            .call_bytes_async("http_get", server.url("/slowish").as_bytes())
            .await
            .expect("a slow answer")
            .to_vec();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["body"], "soon");
        let during = ticks.load(Ordering::Relaxed);
        assert!(during >= 4, "the ticker ticked {during} times in 0.8 s");

        plugin.set_timeout(Some(HALF_SECOND));
        let started = Instant::now();
        let result =
            async_bounded(plugin.call_bytes_async("http_get", server.url("/slow").as_bytes()))
                .await
                .map(|out| out.to_vec());
        assert_timeout(result, started);
        ticking.abort();
    });
}

// ------------------------------------------------------------------ re-instantiation

/// `init_loop.wasm`, whose `_initialize` loops forever while `mode` is 1.
fn init_loop(mode: &Arc<AtomicU32>) -> Plugin {
    let mode = mode.clone();
    let init_mode = HostFunction::new(
        "init_mode",
        [],
        [ValType::I32],
        move |_: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            stack[0] = u64::from(mode.load(Ordering::SeqCst));
            Ok(())
        },
    );
    PluginBuilder::new(Manifest::new([plugin_wasm("wat/init_loop.wasm")]))
        .with_function(init_mode)
        .build()
        .expect("init_loop builds")
}

#[test]
fn a_cancel_reaches_the_reinstantiation_after_a_trap() {
    let mode = Arc::new(AtomicU32::new(0));
    let m = mode.clone();
    let (result, cancel, after) = bounded(move || {
        let mut plugin = init_loop(&m);
        assert!(matches!(
            plugin.call_bytes("trap", b""),
            Err(Error::Trap { .. })
        ));
        // The next call re-creates the instance first; its initialiser hangs.
        m.store(1, Ordering::SeqCst);
        let canceller = cancel_after(&plugin, Duration::from_millis(300));
        let result = plugin.call_bytes("ok", b"").map(<[u8]>::to_vec);
        let cancel = canceller.join().unwrap();
        m.store(0, Ordering::SeqCst);
        let after = plugin.call_bytes("ok", b"").map(<[u8]>::to_vec);
        (result, cancel, after)
    });
    assert_cancelled(result, cancel);
    assert!(
        after.is_ok(),
        "usable once the initialiser returns: {after:?}"
    );
}

#[test]
fn the_deadline_reaches_the_reinstantiation_after_a_trap() {
    let mode = Arc::new(AtomicU32::new(0));
    let m = mode.clone();
    let (result, started) = bounded(move || {
        let mut plugin = init_loop(&m);
        assert!(plugin.call_bytes("trap", b"").is_err());
        m.store(1, Ordering::SeqCst);
        plugin.set_timeout(Some(HALF_SECOND));
        let started = Instant::now();
        (plugin.call_bytes("ok", b"").map(<[u8]>::to_vec), started)
    });
    assert_timeout(result, started);
}

// ------------------------------------------------------------------ host functions

/// `host_wait.wasm` with `wait` as given.
fn host_wait(
    timeout: Option<Duration>,
    wait: impl Fn(&mut CurrentPlugin<'_>) -> Result<(), HostError> + Send + Sync + 'static,
) -> Plugin {
    let mut manifest = Manifest::new([plugin_wasm("wat/host_wait.wasm")]);
    manifest.timeout_ms = timeout.map(|t| t.as_millis() as u64);
    let wait = HostFunction::new("wait", [], [], move |plugin, _| wait(plugin));
    PluginBuilder::new(manifest)
        .with_function(wait)
        .build()
        .expect("host_wait builds")
}

/// A host function that sleeps 5 s through the call's interrupt.
fn interruptible_nap(plugin: &mut CurrentPlugin<'_>) -> Result<(), HostError> {
    let interrupt = plugin.interrupt();
    interrupt
        .sleep(Duration::from_secs(5))
        .map_err(|why| HostError::msg(format!("nap cut short: {why}")))
}

#[test]
fn host_functions_wait_through_the_call_interrupt() {
    let (result, started) = bounded(|| {
        let mut plugin = host_wait(Some(HALF_SECOND), interruptible_nap);
        let started = Instant::now();
        (plugin.call_bytes("run", b"").map(<[u8]>::to_vec), started)
    });
    assert_timeout(result, started);

    let (result, cancel) = bounded(|| {
        let mut plugin = host_wait(None, interruptible_nap);
        let canceller = cancel_after(&plugin, Duration::from_millis(300));
        let result = plugin.call_bytes("run", b"").map(<[u8]>::to_vec);
        (result, canceller.join().unwrap())
    });
    assert_cancelled(result, cancel);
}

#[test]
fn the_call_interrupt_tells_host_functions_the_time_left() {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s = seen.clone();
    let mut plugin = host_wait(Some(Duration::from_secs(10)), move |plugin| {
        let interrupt = plugin.interrupt();
        *s.lock().unwrap() = Some((interrupt.remaining(), interrupt.interrupted()));
        Ok(())
    });
    plugin.call_bytes("run", b"").expect("runs");
    let (remaining, interrupted) = seen.lock().unwrap().take().expect("wait ran");
    let remaining = remaining.expect("a deadline");
    assert!(remaining > Duration::from_secs(5) && remaining <= Duration::from_secs(10));
    assert_eq!(interrupted, None);

    plugin.set_timeout(None);
    plugin.call_bytes("run", b"").expect("runs");
    let (remaining, _) = seen.lock().unwrap().take().expect("wait ran");
    assert_eq!(remaining, None, "no limit, no deadline");
}

#[test]
fn a_call_that_overran_its_deadline_unnoticed_is_a_timeout() {
    // `wait` ignores the interrupt and blocks past the deadline; the guest
    // returns right after it, with no epoch check in between.
    let mut plugin = host_wait(Some(Duration::from_millis(100)), |_| {
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    });
    let result = plugin.call_bytes("run", b"").map(<[u8]>::to_vec);
    assert!(
        matches!(
            result,
            Err(Error::Timeout {
                timeout_ms: 100,
                ..
            })
        ),
        "{result:?}"
    );
    // A call that keeps to its time still succeeds.
    plugin.set_timeout(Some(Duration::from_secs(10)));
    plugin.call_bytes("run", b"").expect("in time");
}

#[test]
fn an_interruption_is_displayed_with_its_cause() {
    assert_eq!(
        Interruption::Timeout.to_string(),
        "the call's time limit passed"
    );
    assert_eq!(
        Interruption::Cancelled.to_string(),
        "the call was cancelled"
    );
}

// ------------------------------------------------------------------ no limit

#[test]
fn duration_max_means_no_limit() {
    let server = Server::start(|_| Reply::ok("hello"));
    let mut plugin = sleeper(None);
    plugin.set_timeout(Some(Duration::MAX));
    let out = report(
        plugin
            .call_bytes("sleep", &nanos(Duration::from_millis(5)))
            .expect("runs"),
    );
    assert_eq!(out[0], 0);

    let mut http = PluginBuilder::new(kitchen().with_allowed_host("127.0.0.1"))
        .with_http_timeout(Some(Duration::MAX))
        .build()
        .unwrap();
    http.set_timeout(Some(Duration::MAX));
    let out = http
        .call_bytes("http_get", server.url("/").as_bytes())
        .expect("an HTTP call without limits");
    assert!(String::from_utf8_lossy(out).contains("hello"));

    let manifest = Manifest::new([plugin_wasm("count_vowels.rust.wasm")]);
    let pool = Pool::builder()
        .with_max_instances(1)
        .build(PluginBuilder::new(manifest).compile().unwrap());
    drop(pool.get(Duration::MAX).expect("an idle instance"));
    current_thread().block_on(async {
        drop(
            pool.get_async(Duration::MAX)
                .await
                .expect("an idle instance"),
        );
    });
}

// ------------------------------------------------------------------ engines and timers

#[test]
fn fuel_plugins_share_one_engine() {
    let build = || {
        PluginBuilder::new(Manifest::new([plugin_wasm("count_vowels.rust.wasm")]))
            .with_fuel_limit(10_000_000)
            .build()
            .unwrap()
    };
    let (mut a, b) = (build(), build());
    assert!(a.compiled().engine().same(b.compiled().engine()));
    assert!(a.compiled().engine().fuel_enabled());
    a.call_bytes("count_vowels", b"aeiou")
        .expect("metered call");
    assert!(a.fuel_consumed().is_some_and(|f| f > 0));
}

const RSS_CHILD: &str = "EXTISM_HOST_RSS_CHILD";

/// Runs `name` alone in a child process of this test binary, so that other
/// tests' memory does not count; true in the child.
fn in_child_process(name: &str) -> bool {
    if std::env::var_os(RSS_CHILD).is_some() {
        return true;
    }
    support::run_alone(&format!("interruption::{name}"), &[(RSS_CHILD, Some("1"))]);
    false
}

/// kv_read / kv_write that yield once, so every call waits outside wasm.
fn yielding_kv() -> [HostFunction; 2] {
    let read = HostFunction::wrap_async("kv_read", |plugin: CurrentPlugin<'_>, (_key,): (u64,)| {
        Box::new(async move {
            let _ = &plugin;
            tokio::task::yield_now().await;
            Ok(0u64)
        })
    });
    let write = HostFunction::wrap_async(
        "kv_write",
        |plugin: CurrentPlugin<'_>, (_key, _value): (u64, u64)| {
            Box::new(async move {
                let _ = &plugin;
                tokio::task::yield_now().await;
                Ok(())
            })
        },
    );
    [read, write]
}

#[test]
fn abandoned_async_waits_hold_no_memory() {
    if !in_child_process("abandoned_async_waits_hold_no_memory") {
        return;
    }
    const WAITS: usize = 100_000;
    let hour = Duration::from_secs(3600);
    // One thread: a spawned task runs (and registers its wait) when the
    // test's task yields, before it is aborted.
    current_thread().block_on(async {
        let manifest =
            Manifest::new([plugin_wasm("count_vowels_kvstore.rust.wasm")]).with_timeout(hour);
        let compiled = PluginBuilder::new(manifest)
            .with_functions(yielding_kv())
            .with_async(true)
            .compile()
            .unwrap();
        let pool = Pool::builder().with_max_instances(1).build(compiled);

        let round = |n: usize| {
            let pool = pool.clone();
            async move {
                // Async calls with an hour to go, each in a task of its own.
                for _ in 0..n {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        let mut plugin = pool.get_async(hour).await.unwrap();
                        plugin
                            .call_bytes_async("count_vowels", b"Hello")
                            .await
                            .map(drop)
                            .unwrap();
                    })
                    .await
                    .unwrap();
                }
                // Checkouts that wait an hour for the busy instance, abandoned.
                let held = pool.get_async(hour).await.unwrap();
                for _ in 0..n {
                    let pool = pool.clone();
                    let waiter = tokio::spawn(async move { drop(pool.get_async(hour).await) });
                    tokio::task::yield_now().await;
                    waiter.abort();
                    let _ = waiter.await;
                }
                drop(held);
            }
        };
        round(2_000).await;
        let before = rss();
        round(WAITS).await;
        let grown = rss().saturating_sub(before);
        eprintln!(
            "RSS grew by {} KiB over {WAITS} calls and {WAITS} abandoned checkouts",
            grown / 1024
        );
        assert!(grown <= 32 << 20, "RSS grew by {} MiB", grown >> 20);
    });
}

#[test]
fn a_plugin_with_no_engine_given_uses_the_default_engine() {
    let a = Plugin::new(
        Manifest::new([Wasm::file(support::plugin_path("count_vowels.rust.wasm"))]),
        [],
        false,
    )
    .unwrap();
    assert!(a.compiled().engine().same(&extism_host::Engine::default()));
}
