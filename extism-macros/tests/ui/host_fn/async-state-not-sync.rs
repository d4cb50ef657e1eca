use std::cell::Cell;

use extism_host::host_fn;

struct Counter(Cell<u64>);

// The future holds `&Counter` across `.await`: `Counter` must be `Sync` for it to be
// `Send` (a `&mut Counter` would need only `Send`).
#[host_fn]
async fn count(#[state] counter: &Counter) -> u64 {
    std::future::ready(()).await;
    counter.0.get()
}

fn main() {}
