use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
struct Greeting {
    name: String,
}

fn main() {}
