use extism_host::host_fn;

#[host_fn(name = kv_get)]
fn kv_read(key: &str) -> Vec<u8> {
    key.as_bytes().to_vec()
}

fn main() {}
