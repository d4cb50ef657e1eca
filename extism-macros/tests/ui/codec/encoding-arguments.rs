use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec(json(pretty = true))]
struct Greeting {
    name: String,
}

fn main() {}
