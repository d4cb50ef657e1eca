use extism_host::host_fn;

#[host_fn(numbers = "values")]
fn add(a: i32, b: i32) -> i32 {
    a + b
}

fn main() {}
