use std::rc::Rc;

use extism_host::host_fn;

#[host_fn]
async fn count(#[state] counter: &mut Rc<u64>) -> u64 {
    **counter
}

fn main() {}
