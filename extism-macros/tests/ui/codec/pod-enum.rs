use extism_codec::Codec;

#[derive(Codec, Clone, Copy)]
#[codec(pod)]
#[repr(u8)]
enum Level {
    Low,
    High,
}

fn main() {}
