use extism_host::host_fn;

/// Not an error type: it does not convert into `HostError`.
struct Refusal(u32);

#[host_fn]
fn kv_read(key: &str) -> Result<Vec<u8>, Refusal> {
    Err(Refusal(key.len() as u32))
}

fn main() {}
