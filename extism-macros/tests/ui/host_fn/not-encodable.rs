use extism_host::host_fn;

struct Entry {
    value: Vec<u8>,
}

#[host_fn]
fn kv_read(key: &str) -> Entry {
    Entry { value: key.as_bytes().to_vec() }
}

fn main() {}
