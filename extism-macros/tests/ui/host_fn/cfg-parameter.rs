use extism_host::host_fn;

#[host_fn]
fn log(message: &str, #[cfg(debug_assertions)] _level: u32) {
    let _ = message;
}

fn main() {}
