use std::rc::Rc;

use extism_host::host_fn;

// The future must be `Send`: nothing that is not may live across an `.await`.
#[host_fn]
async fn count(text: String) -> u64 {
    let shared = Rc::new(text);
    std::future::ready(()).await;
    shared.len() as u64
}

fn main() {}
