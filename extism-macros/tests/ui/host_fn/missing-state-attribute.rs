use extism_host::host_fn;

struct KvStore;

// Without `#[state]`, `store` is an argument from the plug-in, decoded from its memory.
#[host_fn]
fn kv_read(store: &KvStore, key: &str) -> Vec<u8> {
    let _ = store;
    key.as_bytes().to_vec()
}

fn main() {}
