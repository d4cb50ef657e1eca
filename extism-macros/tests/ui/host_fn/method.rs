use extism_host::host_fn;

struct KvStore;

impl KvStore {
    #[host_fn]
    fn read(&self, key: &str) -> Vec<u8> {
        key.as_bytes().to_vec()
    }
}

fn main() {}
