use extism_host::host_fn;

#[host_fn]
fn sum(first: i64, rest: ...) -> i64 {
    first
}

fn main() {}
