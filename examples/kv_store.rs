//! Host functions written as plain Rust functions with `#[host_fn]`: the committed
//! `count_vowels_kvstore` plug-in (Rust PDK) keeps its running total in the host's key-value
//! store through `kv_read` and `kv_write`. Three calls print totals 3, 6 and 9, and the
//! store then holds 9 under "count-vowels". A read-only store then shows how an `Err` from
//! a host function reaches the caller.
//!
//! ```sh
//! cargo run --release --example kv_store
//! ```
//!
//! What `#[host_fn]` generates for `kv_read` is the `HostFunction::wrap` closure one would
//! write by hand (borrow the state with `CurrentPlugin::borrow_state`, decode the key in place, call,
//! encode the result into a new block), so a host function costs the same either way;
//! `tests/host_fn.rs` runs this scenario with both.

use std::collections::HashMap;
use std::fmt;

use extism_host::codec::Json;
use extism_host::{host_fn, Manifest, PluginBuilder, Wasm};

/// The host's store, lent to the plug-in's host functions with `PluginBuilder::with_state`.
#[derive(Debug, Default)]
struct KvStore {
    map: HashMap<String, Vec<u8>>,
    read_only: bool,
}

/// Why the store refused a write.
#[derive(Debug)]
struct KvError {
    key: String,
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the store is read-only: cannot write `{}`", self.key)
    }
}

impl std::error::Error for KvError {}

/// `kv_read(key) -> value`: the stored bytes, empty when the key is absent.
#[host_fn]
fn kv_read(#[state] store: &KvStore, key: &str) -> Vec<u8> {
    store.map.get(key).cloned().unwrap_or_default()
}

/// `kv_write(key, value)`, refused while the store is read-only.
#[host_fn]
fn kv_write(#[state] store: &mut KvStore, key: &str, value: &[u8]) -> Result<(), KvError> {
    if store.read_only {
        return Err(KvError { key: key.into() });
    }
    store.map.insert(key.to_string(), value.to_vec());
    Ok(())
}

#[derive(Debug, serde::Deserialize)]
struct Report {
    count: u32,
    total: u32,
}

fn main() -> Result<(), extism_host::Error> {
    let wasm = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/plugins/wasm/count_vowels_kvstore.rust.wasm"
    );
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::file(wasm)]))
        .with_state(KvStore::default())
        .with_function(kv_read::host_function())
        .with_function(kv_write::host_function())
        .build()?;

    for _ in 0..3 {
        let Json(report): Json<Report> = plugin.call("count_vowels", "Hello, World!")?;
        println!("count = {}, total = {}", report.count, report.total);
    }
    let store = plugin.state::<KvStore>().expect("the store is lent");
    let total = &store.map["count-vowels"];
    println!("the host's store holds {total:?} under \"count-vowels\" (9 as a u32 LE)");

    // An `Err` from a host function fails the call with `Error::HostFunction`...
    plugin.state_mut::<KvStore>().expect("lent").read_only = true;
    let error = plugin
        .call_bytes("count_vowels", b"Hello, World!")
        .unwrap_err();
    println!("read-only store: {error}");
    // ...and the plug-in stays usable.
    plugin.state_mut::<KvStore>().expect("lent").read_only = false;
    let Json(report): Json<Report> = plugin.call("count_vowels", "aeiou")?;
    println!("count = {}, total = {}", report.count, report.total);

    // The host functions are still plain Rust functions.
    let store = plugin.state::<KvStore>().expect("lent");
    assert_eq!(kv_read(store, "count-vowels"), 14u32.to_le_bytes());
    Ok(())
}
