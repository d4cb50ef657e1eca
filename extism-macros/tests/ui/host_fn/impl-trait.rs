use extism_host::host_fn;

#[host_fn]
fn shout(text: impl AsRef<str>) -> impl AsRef<str> {
    text.as_ref().to_uppercase()
}

fn main() {}
