use std::rc::Rc;

use extism_host::host_fn;

#[host_fn]
fn count(#[state] counter: &Rc<u64>) -> u64 {
    **counter
}

fn main() {}
