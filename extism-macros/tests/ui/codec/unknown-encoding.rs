use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec(yaml)]
struct Greeting {
    name: String,
}

fn main() {}
