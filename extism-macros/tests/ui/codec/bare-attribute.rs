use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec]
struct Greeting {
    name: String,
}

fn main() {}
