//! Compiled plug-ins shared across threads, and the instance pool.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use extism_host::{
    CompiledPlugin, CurrentPlugin, Error, HostFunction, Manifest, Plugin, PluginBuilder, Pool, Wasm,
};

use crate::support::plugin_path as wasm;

fn compiled(name: &str) -> CompiledPlugin {
    // reflect.rust.wasm imports `echo`; others ignore it.
    let echo = HostFunction::wrap("echo", |plugin: &mut CurrentPlugin<'_>, data: u64| {
        let bytes = plugin.read_bytes(data)?.to_vec();
        plugin.write_bytes(&bytes)
    });
    PluginBuilder::new(Manifest::new([Wasm::file(wasm(name))]))
        .with_function(echo)
        .compile()
        .expect("the test plug-in compiles")
}

#[test]
fn shared_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<CompiledPlugin>();
    send_sync::<Pool>();
    send::<Plugin>();
    send::<extism_host::PooledPlugin>();
    send_sync::<extism_host::CancelHandle>();
}

#[test]
fn instances_of_one_compiled_plugin_are_independent() {
    let compiled = compiled("count_vowels.rust.wasm");
    let mut a = compiled.instantiate().expect("instance a");
    let mut b = compiled.instantiate().expect("instance b");
    for _ in 0..2 {
        a.call_bytes("count_vowels", b"Hello, World!").expect("a");
    }
    let out = b
        .call_bytes("count_vowels", b"Hello, World!")
        .expect("b")
        .to_vec();
    assert_eq!(out, br#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#);
    let out = a
        .call_bytes("count_vowels", b"Hello, World!")
        .expect("a")
        .to_vec();
    assert_eq!(out, br#"{"count":3,"total":9,"vowels":"aeiouAEIOU"}"#);
}

#[test]
fn pool_bounds_instances_under_contention() {
    let pool = Pool::builder()
        .with_max_instances(2)
        .build(compiled("reflect.rust.wasm"));
    let in_use = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for t in 0..6 {
            let (pool, in_use, peak) = (&pool, in_use.clone(), peak.clone());
            s.spawn(move || {
                for i in 0..40 {
                    let mut plugin = pool.get(Duration::from_secs(30)).expect("checkout");
                    let now = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let input = format!("thread {t} call {i}");
                    let out = plugin
                        .call_bytes("reflect", input.as_bytes())
                        .expect("call");
                    assert_eq!(out, input.as_bytes());
                    in_use.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "more instances in use than allowed"
    );
    let m = pool.metrics();
    assert_eq!(m.checkouts, 240);
    assert!(m.created <= 2, "created {}", m.created);
    assert_eq!(m.in_use, 0);
    assert_eq!(m.waiting, 0);
}

#[test]
fn checkout_times_out_when_all_instances_are_busy() {
    let pool = Pool::builder()
        .with_max_instances(1)
        .build(compiled("reflect.rust.wasm"));
    let held = pool.get(Duration::from_secs(5)).expect("first");
    let err = pool
        .get(Duration::from_millis(50))
        .expect_err("second must time out");
    assert!(
        matches!(err, Error::PoolTimeout { timeout_ms: 50, .. }),
        "{err}"
    );
    drop(held);
    let mut again = pool.get(Duration::from_secs(5)).expect("free again");
    assert_eq!(again.call_bytes("reflect", b"x").expect("call"), b"x");
    assert_eq!(pool.metrics().timeouts, 1);
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let pool = Pool::builder()
        .with_max_instances(1)
        .build(compiled("reflect.rust.wasm"));
    let held = pool.get(Duration::from_secs(5)).expect("first");
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for id in 0..3 {
            let (pool, order) = (&pool, order.clone());
            s.spawn(move || {
                let _plugin = pool.get(Duration::from_secs(30)).expect("checkout");
                order.lock().expect("lock").push(id);
            });
            // Queue them in a known order.
            while pool.metrics().waiting < id + 1 {
                std::thread::yield_now();
            }
        }
        drop(held);
    });
    assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2]);
}

#[test]
fn instances_are_retired_after_max_calls() {
    let pool = Pool::builder()
        .with_max_instances(1)
        .with_max_calls_per_instance(2)
        // The total is a var: kept across checkouts, lost with the instance.
        .with_keep_vars(true)
        .build(compiled("count_vowels.rust.wasm"));
    let mut totals = Vec::new();
    for _ in 0..3 {
        let mut plugin = pool.get(Duration::from_secs(5)).expect("checkout");
        let out = plugin
            .call_bytes("count_vowels", b"aaa")
            .expect("call")
            .to_vec();
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        totals.push(v["total"].as_u64().expect("total"));
    }
    // A fresh instance (with fresh vars) after two calls.
    assert_eq!(totals, vec![3, 6, 3]);
    assert_eq!(pool.metrics().retired, 1);
}

#[test]
fn async_checkout_waits_without_blocking_and_times_out() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let pool = Pool::builder()
        .with_max_instances(1)
        .build(compiled("reflect.rust.wasm"));
    rt.block_on(async {
        let held = pool.get_async(Duration::from_secs(5)).await.expect("first");
        // On a single-threaded runtime a blocking wait would deadlock: the
        // holder runs only if the waiter yields.
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut p = pool
                    .get_async(Duration::from_secs(5))
                    .await
                    .expect("second");
                p.call_bytes("reflect", b"async").expect("call").to_vec()
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert_eq!(waiter.await.expect("join"), b"async");

        let held = pool.get_async(Duration::from_secs(5)).await.expect("again");
        let err = pool
            .get_async(Duration::from_millis(30))
            .await
            .expect_err("times out");
        assert!(matches!(err, Error::PoolTimeout { .. }), "{err}");
        drop(held);
        // A cancelled (dropped) async checkout leaves the pool consistent.
        let held = pool.get_async(Duration::from_secs(5)).await.expect("held");
        let dropped = tokio::time::timeout(
            Duration::from_millis(10),
            pool.get_async(Duration::from_secs(5)),
        )
        .await;
        assert!(dropped.is_err(), "the outer timeout drops the checkout");
        drop(held);
        let m = pool.metrics();
        assert_eq!((m.in_use, m.waiting), (0, 0));
        pool.get_async(Duration::from_secs(1))
            .await
            .expect("still usable");
    });
}

#[test]
fn pooling_engine_bounds_live_plugins() {
    use extism_host::{Engine, PoolingAllocator};
    let engine = Engine::builder()
        .with_pooling_allocator(PoolingAllocator {
            max_plugins: 3,
            max_memory_bytes: 64 << 20,
        })
        .build()
        .expect("pooling engine");
    let compiled = PluginBuilder::new(Manifest::new([Wasm::file(wasm("count_vowels.rust.wasm"))]))
        .with_engine(engine)
        .compile()
        .expect("compiles");
    let mut live: Vec<Plugin> = (0..3)
        .map(|_| compiled.instantiate().expect("within the pool"))
        .collect();
    let err = compiled
        .instantiate()
        .expect_err("a fourth instance does not fit");
    assert!(matches!(err, Error::Instantiate { .. }), "{err}");
    live.pop();
    let mut again = compiled.instantiate().expect("a slot was freed");
    let out = again
        .call_bytes("count_vowels", b"Hello, World!")
        .expect("call")
        .to_vec();
    assert_eq!(out, br#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#);
}

#[test]
fn compilation_cache_persists_compiled_code() {
    use extism_host::Engine;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::builder()
        .with_compilation_cache(dir.path())
        .build()
        .expect("engine with cache");
    let build = || {
        PluginBuilder::new(Manifest::new([Wasm::file(wasm("count_vowels.rust.wasm"))]))
            .with_engine(engine.clone())
            .build()
            .expect("plug-in")
    };
    build();
    let files = walk(dir.path());
    assert!(files > 0, "nothing was written to the cache");
    let mut plugin = build();
    assert_eq!(
        plugin
            .call_bytes("count_vowels", b"Hello, World!")
            .expect("call"),
        br#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#
    );
    assert_eq!(
        walk(dir.path()),
        files,
        "the second compile reused the cache"
    );
}

/// Compiled-code files under `dir`. wasmtime's cache worker also writes
/// usage statistics (`*.stats`) from a background thread, whenever it gets
/// to it: those are not counted, or a busy machine makes the count flaky.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        usize::from(path.extension().is_none_or(|ext| ext != "stats"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
