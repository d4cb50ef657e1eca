//! Async calls and async host functions on a tokio runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use extism_host::{CurrentPlugin, Error, HostFunction, Manifest, PluginBuilder, Wasm};

use crate::support::plugin_path as wasm;

type Store = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// kv_read / kv_write that await a timer, as a host function doing I/O would.
fn async_kv(store: &Store) -> [HostFunction; 2] {
    let s = store.clone();
    let read = HostFunction::wrap_async(
        "kv_read",
        move |mut plugin: CurrentPlugin<'_>, (key,): (u64,)| {
            let s = s.clone();
            Box::new(async move {
                let key = plugin.read_str(key)?.to_string();
                tokio::time::sleep(Duration::from_millis(5)).await;
                let value = s
                    .lock()
                    .expect("lock")
                    .get(&key)
                    .cloned()
                    .unwrap_or_default();
                plugin.write_bytes(&value)
            })
        },
    );
    let s = store.clone();
    let write = HostFunction::wrap_async(
        "kv_write",
        move |plugin: CurrentPlugin<'_>, (key, value): (u64, u64)| {
            let s = s.clone();
            Box::new(async move {
                let key = plugin.read_str(key)?.to_string();
                let value = plugin.read_bytes(value)?.to_vec();
                tokio::time::sleep(Duration::from_millis(5)).await;
                s.lock().expect("lock").insert(key, value);
                Ok(())
            })
        },
    );
    [read, write]
}

/// Counts ticks of a task that shares the (single) runtime thread with the
/// plug-in: it only advances while the plug-in is not holding the thread.
fn ticker() -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let handle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(2)).await;
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    (ticks, handle)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

#[test]
fn async_host_functions_await_without_blocking_the_thread() {
    runtime().block_on(async {
        let store = Store::default();
        let mut plugin = PluginBuilder::new(Manifest::new([Wasm::file(wasm(
            "count_vowels_kvstore.rust.wasm",
        ))]))
        .with_functions(async_kv(&store))
        .with_async(true)
        .build_async()
        .await
        .expect("plug-in");
        let (ticks, handle) = ticker();
        let mut totals = Vec::new();
        for _ in 0..3 {
            let out: String = plugin
                .call_async("count_vowels", "Hello, World!")
                .await
                .expect("call");
            let v: serde_json::Value = serde_json::from_str(&out).expect("json");
            totals.push(v["total"].as_u64().expect("total"));
        }
        handle.abort();
        assert_eq!(totals, [3, 6, 9]);
        // Each call read and wrote the store once, 5 ms each, awaited.
        let last = plugin.last_call().expect("figures");
        assert_eq!(last.host_calls, 2);
        assert!(last.host_time >= Duration::from_millis(10), "{last:?}");
        assert_eq!(last.duration, None, "not timed: no timeout, no subscriber");
        let stored = store.lock().expect("lock")["count-vowels"].clone();
        assert_eq!(
            u32::from_le_bytes(stored[..4].try_into().expect("4 bytes")),
            9
        );
        // Six host calls slept 5 ms each; the ticker ran meanwhile.
        assert!(
            ticks.load(Ordering::Relaxed) > 3,
            "the runtime thread was blocked"
        );
    });
}

#[test]
fn sync_apis_on_an_async_plugin_say_what_to_use() {
    let store = Store::default();
    let builder = || {
        PluginBuilder::new(Manifest::new([Wasm::file(wasm(
            "count_vowels_kvstore.rust.wasm",
        ))]))
        .with_functions(async_kv(&store))
    };
    let err = builder()
        .build()
        .expect_err("async host functions need with_async");
    assert!(err.to_string().contains("with_async(true)"), "{err}");
    let err = builder()
        .with_async(true)
        .build()
        .expect_err("sync build refused");
    assert!(err.to_string().contains("build_async"), "{err}");
}

#[test]
fn long_async_calls_yield_and_time_out() {
    runtime().block_on(async {
        let manifest = Manifest::new([Wasm::file(wasm("kitchen.rust.wasm"))])
            .with_timeout(Duration::from_millis(200));
        let mut plugin = PluginBuilder::new(manifest)
            .with_async(true)
            .build_async()
            .await
            .expect("plug-in");
        // A task that counts how often it gets the thread: only when the
        // plug-in yields.
        let turns = Arc::new(AtomicU64::new(0));
        let t = turns.clone();
        let handle = tokio::spawn(async move {
            loop {
                t.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        tokio::task::yield_now().await;
        let before = turns.load(Ordering::Relaxed);
        let err = plugin
            .call_bytes_async("infinite_loop", b"")
            .await
            .expect_err("loops");
        handle.abort();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        // 200 ms in slices of 10 ms.
        let during = turns.load(Ordering::Relaxed) - before;
        assert!(during >= 5, "the plug-in yielded only {during} times");
        let out: String = plugin
            .call_async("utf8", "")
            .await
            .expect("usable afterwards");
        assert!(out.contains('✓'));
    });
}

#[test]
fn async_calls_can_be_cancelled() {
    runtime().block_on(async {
        let mut plugin = PluginBuilder::new(Manifest::new([Wasm::file(wasm("kitchen.rust.wasm"))]))
            .with_async(true)
            .build_async()
            .await
            .expect("plug-in");
        for _ in 0..2 {
            let cancel = plugin.cancel_handle();
            let canceller = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                cancel.cancel()
            });
            let err = plugin
                .call_bytes_async("infinite_loop", b"")
                .await
                .expect_err("cancelled");
            assert!(matches!(err, Error::Cancelled { .. }), "{err}");
            assert!(
                canceller.await.expect("join"),
                "the call was running when cancelled"
            );
        }
        // Plain (non-async) plug-ins can be called through the async API too.
        let mut plain = PluginBuilder::new(Manifest::new([Wasm::file(wasm("kitchen.rust.wasm"))]))
            .build()
            .expect("plain plug-in");
        let out = plain
            .call_bytes_async("utf8", b"")
            .await
            .expect("call")
            .to_vec();
        assert!(String::from_utf8(out).expect("utf8").contains('✓'));
    });
}

/// kv_read that hangs (until the test's runtime ends) while `hang` is set.
fn hanging_kv(hang: &Arc<std::sync::atomic::AtomicBool>) -> [HostFunction; 2] {
    let store = Store::default();
    let [fast_read, write] = async_kv(&store);
    drop(fast_read);
    let hang = hang.clone();
    let read = HostFunction::wrap_async(
        "kv_read",
        move |mut plugin: CurrentPlugin<'_>, (_key,): (u64,)| {
            let hang = hang.load(Ordering::Relaxed);
            Box::new(async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                plugin.write_bytes(&[])
            })
        },
    );
    [read, write]
}

/// Fails the test instead of hanging it when an interruption is lost.
async fn bounded<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the call ended long after its deadline or cancel")
}

#[test]
fn timeouts_and_cancels_reach_a_call_awaiting_in_a_host_function() {
    runtime().block_on(async {
        let hang = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let manifest = Manifest::new([Wasm::file(wasm("count_vowels_kvstore.rust.wasm"))])
            .with_timeout(Duration::from_millis(100));
        let mut plugin = PluginBuilder::new(manifest)
            .with_functions(hanging_kv(&hang))
            .with_async(true)
            .build_async()
            .await
            .expect("plug-in");

        // No wasm runs while kv_read awaits, so epoch interruption alone
        // would wait forever; the call must still end at its deadline.
        for _ in 0..2 {
            let err = bounded(plugin.call_bytes_async("count_vowels", b"Hello, World!"))
                .await
                .expect_err("times out");
            assert!(matches!(err, Error::Timeout { .. }), "{err}");
        }

        plugin.set_timeout(None);
        for _ in 0..2 {
            let cancel = plugin.cancel_handle();
            let canceller = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                cancel.cancel()
            });
            let err = bounded(plugin.call_bytes_async("count_vowels", b"Hello, World!"))
                .await
                .expect_err("cancelled");
            assert!(matches!(err, Error::Cancelled { .. }), "{err}");
            assert!(canceller.await.expect("join"), "the call was running");
        }

        // The interrupted instance was recycled; the next call runs normally.
        hang.store(false, Ordering::Relaxed);
        let out: String = plugin
            .call_async("count_vowels", "Hello, World!")
            .await
            .expect("usable afterwards");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["count"], 3, "{out}");
    });
}

#[test]
fn a_dropped_async_call_leaves_the_plugin_usable() {
    runtime().block_on(async {
        let hang = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut plugin = PluginBuilder::new(Manifest::new([Wasm::file(wasm(
            "count_vowels_kvstore.rust.wasm",
        ))]))
        .with_functions(hanging_kv(&hang))
        .with_async(true)
        .build_async()
        .await
        .expect("plug-in");
        let call = plugin.call_bytes_async("count_vowels", b"Hello, World!");
        let dropped = tokio::time::timeout(Duration::from_millis(20), call).await;
        assert!(dropped.is_err(), "the call hangs in kv_read until dropped");

        hang.store(false, Ordering::Relaxed);
        let out: String = plugin
            .call_async("count_vowels", "Hello, World!")
            .await
            .expect("usable after a dropped call");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["count"], 3, "{out}");
    });
}
