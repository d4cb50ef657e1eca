use extism_host::{host_fn, Manifest, PluginBuilder, Wasm};

struct KvStore;

// The only error is the macro's: the function is still there to call, and
// `kv_read::host_function()` still resolves.
#[host_fn(name = "")]
async fn kv_read(#[state] store: &KvStore, key: &str) -> Vec<u8> {
    let _ = store;
    key.as_bytes().to_vec()
}

fn main() {
    let _ = kv_read(&KvStore, "key");
    let _ = PluginBuilder::new(Manifest::new([Wasm::file("kv.wasm")]))
        .with_state(KvStore)
        .with_function(kv_read::host_function());
}
