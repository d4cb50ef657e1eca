use extism_host::host_fn;

struct KvStore;

#[host_fn]
fn kv_read(#[state(KvStore)] store: &KvStore, key: &str) -> Vec<u8> {
    let _ = store;
    key.as_bytes().to_vec()
}

fn main() {}
