use extism_codec::{Codec, Decode, Encode};

// Only the missing encoding is reported: the derive still provides (stub) impls, so the
// uses below do not add "`Encode` is not implemented" errors.
#[derive(Codec, serde::Serialize, serde::Deserialize)]
struct Greeting {
    name: String,
}

fn send(greeting: &Greeting) -> Vec<u8> {
    greeting.encode().unwrap().into_owned()
}

fn receive(bytes: &[u8]) -> Greeting {
    Greeting::decode(bytes).unwrap()
}

fn main() {
    let _ = receive(&send(&Greeting { name: String::new() }));
}
