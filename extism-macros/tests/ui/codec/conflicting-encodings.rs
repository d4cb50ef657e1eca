use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec(json, msgpack)]
struct Greeting {
    name: String,
}

fn main() {}
