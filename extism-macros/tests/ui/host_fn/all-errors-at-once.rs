use extism_host::{host_fn, CurrentPlugin};

struct KvStore;

// Every mistake is reported in one compile.
#[host_fn(nmae = "read", namespace = "", namespace = "kv")]
async fn kv_read<T>(
    key: &str,
    #[state] store: KvStore,
    plugin: &CurrentPlugin<'_>,
    value: &mut T,
) -> Vec<u8> {
    let _ = (store, plugin, value);
    key.as_bytes().to_vec()
}

fn main() {}
