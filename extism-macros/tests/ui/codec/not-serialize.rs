use extism_codec::Codec;

// Forgot `serde::Serialize` and `serde::Deserialize`.
#[derive(Codec)]
#[codec(json)]
struct Greeting {
    name: String,
}

fn main() {}
