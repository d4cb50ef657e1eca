// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[derive(Codec, Clone, Copy)]
//     #[codec(pod)]
//     #[repr(C)]
//     union Word {
//         int: u32,
//         float: f32,
//     }

const _: () = {
    #[automatically_derived]
    impl ::extism_codec::Encode for Word
    where
        Self: ::extism_codec::bytemuck::Pod,
    {
        fn encode(
            &self,
        ) -> ::extism_codec::__private::Result<
            ::extism_codec::__private::Cow<'_, [u8]>,
            ::extism_codec::Error,
        > {
            ::extism_codec::__private::Result::Ok(
                ::extism_codec::__private::encode_pod(self),
            )
        }
    }
    #[automatically_derived]
    impl<'__codec> ::extism_codec::Decode<'__codec> for Word
    where
        Self: ::extism_codec::bytemuck::Pod,
    {
        fn decode(
            bytes: &'__codec [u8],
        ) -> ::extism_codec::__private::Result<Self, ::extism_codec::Error> {
            ::extism_codec::__private::decode_pod(bytes)
        }
    }
};
