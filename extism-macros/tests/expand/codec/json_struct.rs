// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[derive(Codec, Serialize, Deserialize)]
//     #[codec(json)]
//     struct Greeting {
//         name: String,
//     }

const _: () = {
    #[automatically_derived]
    impl ::extism_codec::Encode for Greeting
    where
        Self: ::extism_codec::serde::Serialize,
    {
        fn encode(
            &self,
        ) -> ::extism_codec::__private::Result<
            ::extism_codec::__private::Cow<'_, [u8]>,
            ::extism_codec::Error,
        > {
            ::extism_codec::__private::encode_json(self)
        }
    }
    #[automatically_derived]
    impl<'__codec> ::extism_codec::Decode<'__codec> for Greeting
    where
        Self: ::extism_codec::serde::Deserialize<'__codec>,
    {
        fn decode(
            bytes: &'__codec [u8],
        ) -> ::extism_codec::__private::Result<Self, ::extism_codec::Error> {
            ::extism_codec::__private::decode_json(bytes)
        }
    }
};
