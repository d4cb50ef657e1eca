use extism_host::host_fn;

#[host_fn]
fn echo<T: Clone>(value: T) -> T {
    value
}

fn main() {}
