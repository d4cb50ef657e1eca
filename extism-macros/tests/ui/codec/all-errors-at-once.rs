use extism_codec::Codec;

// Every mistake is reported in one compile.
#[derive(Codec, serde::Serialize, serde::Deserialize)]
#[codec(yaml, "msgpack")]
#[codec]
#[codec(pod, json)]
enum Event {
    Started,
}

fn main() {}
