use extism_host::host_fn;

#[host_fn]
fn first<const N: usize>(bytes: [u8; N]) -> u8 {
    bytes[0]
}

fn main() {}
