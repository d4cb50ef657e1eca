use extism_host::plugin_interface;

// The item is kept, so that its uses add no errors.
#[plugin_interface]
pub struct Counter {
    total: u64,
}

fn main() {
    let _ = Counter { total: 0 }.total;
}
