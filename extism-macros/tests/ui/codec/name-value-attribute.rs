use extism_codec::Codec;

#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec = "json"]
struct Greeting {
    name: String,
}

fn main() {}
