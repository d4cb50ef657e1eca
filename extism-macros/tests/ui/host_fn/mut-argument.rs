use extism_host::host_fn;

struct KvStore;

#[host_fn]
fn kv_write(store: &mut KvStore, key: &str, value: &[u8]) {
    let _ = (store, key, value);
}

fn main() {}
