use extism_codec::Codec;

// `Clone + Copy` but not `bytemuck::Pod`.
#[derive(Codec, Clone, Copy)]
#[codec(pod)]
#[repr(C)]
struct Vertex {
    pos: [f32; 3],
    id: u32,
}

fn main() {}
