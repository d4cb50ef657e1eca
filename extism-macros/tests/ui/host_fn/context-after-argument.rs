use extism_host::{host_fn, CurrentPlugin};

struct KvStore;

#[host_fn]
fn kv_read(key: &str, #[state] store: &KvStore, plugin: &CurrentPlugin<'_>) -> Vec<u8> {
    let _ = (store, plugin);
    key.as_bytes().to_vec()
}

fn main() {}
