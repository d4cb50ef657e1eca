use extism_host::host_fn;

#[host_fn]
fn kv_read(key: &str) -> Result<Vec<u8>, String> {
    Err(format!("no key {key}"))
}

fn main() {}
