use extism_host::host_fn;

#[host_fn]
struct KvStore;

fn main() {}
