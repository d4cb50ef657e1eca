use extism_codec::Codec;

#[derive(Codec, Clone, Copy)]
#[codec(json)]
#[repr(C)]
union Word {
    int: u32,
    float: f32,
}

fn main() {}
