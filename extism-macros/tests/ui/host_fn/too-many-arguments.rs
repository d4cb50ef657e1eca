use extism_host::host_fn;

#[host_fn]
fn sum(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: u8, j: u8) -> u32 {
    [a, b, c, d, e, f, g, h, i, j].iter().map(|&n| u32::from(n)).sum()
}

fn main() {}
