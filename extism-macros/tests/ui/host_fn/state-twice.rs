use extism_host::host_fn;

struct KvStore;

#[host_fn]
fn kv_copy(#[state] from: &KvStore, #[state] to: &mut KvStore, key: &str) {
    let _ = (from, to, key);
}

fn main() {}
