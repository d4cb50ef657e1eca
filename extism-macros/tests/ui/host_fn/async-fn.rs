use extism_host::host_fn;

#[host_fn]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

fn main() {}
