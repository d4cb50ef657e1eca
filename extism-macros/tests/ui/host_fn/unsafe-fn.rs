use extism_host::host_fn;

#[host_fn]
unsafe fn peek(address: u64) -> u8 {
    *(address as usize as *const u8)
}

fn main() {}
