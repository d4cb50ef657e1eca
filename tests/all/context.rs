//! A typed per-call context lent to host functions.

use std::collections::HashMap;

use extism_host::{CurrentPlugin, HostError, HostFunction, Manifest, PluginBuilder, Wasm};

/// The kv store of one request: each call gets its own.
#[derive(Default)]
struct Kv {
    map: HashMap<String, Vec<u8>>,
    reads: u32,
}

fn kv_functions() -> [HostFunction; 2] {
    let read = HostFunction::wrap("kv_read", |plugin: &mut CurrentPlugin<'_>, key: u64| {
        let key = plugin.read_str(key)?.to_string();
        let kv = plugin
            .context::<Kv>()
            .ok_or_else(|| HostError::msg("no kv store lent to this call"))?;
        kv.reads += 1;
        let value = kv.map.get(&key).cloned().unwrap_or_default();
        plugin.write_bytes(&value)
    });
    let write = HostFunction::wrap(
        "kv_write",
        |plugin: &mut CurrentPlugin<'_>, key: u64, value: u64| {
            let key = plugin.read_str(key)?.to_string();
            let value = plugin.read_bytes(value)?.to_vec();
            let kv = plugin
                .context::<Kv>()
                .ok_or_else(|| HostError::msg("no kv store lent to this call"))?;
            kv.map.insert(key, value);
            Ok(())
        },
    );
    [read, write]
}

fn total(kv: &Kv) -> u32 {
    let bytes = kv.map.get("count-vowels").expect("written");
    u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"))
}

#[test]
fn each_call_sees_the_context_it_was_lent() {
    let wasm = crate::support::plugin_path("count_vowels_kvstore.rust.wasm");
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::file(wasm)]))
        .with_functions(kv_functions())
        .build()
        .expect("plug-in");
    let (mut alice, mut bob) = (Kv::default(), Kv::default());
    for _ in 0..3 {
        let _: &[u8] = plugin
            .call_with_context("count_vowels", "Hello, World!", &mut alice)
            .expect("alice's call");
    }
    let _: &[u8] = plugin
        .call_with_context("count_vowels", "aaaa", &mut bob)
        .expect("bob's call");
    assert_eq!((total(&alice), alice.reads), (9, 3));
    assert_eq!((total(&bob), bob.reads), (4, 1));

    // Without a context the host function reports it, naming itself, and
    // the plug-in is fine afterwards.
    let err = plugin
        .call_bytes("count_vowels", b"Hello")
        .expect_err("no context");
    let text = crate::support::report(&err);
    assert!(
        text.contains("kv_read") && text.contains("no kv store lent"),
        "{text}"
    );
    let _: &[u8] = plugin
        .call_with_context("count_vowels", "e", &mut bob)
        .expect("usable again");
    assert_eq!(total(&bob), 5);

    // A context of another type is not handed out.
    let mut wrong = 5u32;
    assert!(plugin
        .call_with_context::<_, &[u8], _>("count_vowels", "a", &mut wrong)
        .is_err());
}

/// Every way to call with a context reaches the same host functions with the
/// context it was given: bytes or typed, sync or async, and an async plug-in.
#[test]
fn every_call_shape_lends_its_context() {
    let wasm = crate::support::plugin_path("count_vowels_kvstore.rust.wasm");
    let builder =
        || PluginBuilder::new(Manifest::new([Wasm::file(&wasm)])).with_functions(kv_functions());
    let mut plugin = builder().build().expect("plug-in");
    let mut kv = Kv::default();
    plugin
        .call_bytes_with_context("count_vowels", b"aa", &mut kv)
        .expect("bytes with context");
    assert_eq!((total(&kv), kv.reads), (2, 1));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let future = plugin.call_bytes_async_with_context("count_vowels", b"aaa", &mut kv);
        assert_send(&future);
        future.await.expect("async bytes with context");
        assert_eq!((total(&kv), kv.reads), (5, 2));
        let _: &[u8] = plugin
            .call_async_with_context("count_vowels", "a", &mut kv)
            .await
            .expect("async typed with context");
        assert_eq!((total(&kv), kv.reads), (6, 3));

        let mut async_plugin = builder()
            .with_async(true)
            .build_async()
            .await
            .expect("async plug-in");
        let mut other = Kv::default();
        let _: &[u8] = async_plugin
            .call_async_with_context("count_vowels", "eee", &mut other)
            .await
            .expect("async plug-in with context");
        assert_eq!((total(&other), other.reads), (3, 1));
        // The context was this call's only.
        assert!(async_plugin
            .call_bytes_async("count_vowels", b"e")
            .await
            .is_err());
    });
}

fn assert_send<T: Send>(_: &T) {}
