// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[derive(Codec)]
//     #[codec(json)]
//     struct Name<'a> {
//         first: &'a str,
//     }

const _: () = {
    #[automatically_derived]
    impl<'a> ::extism_codec::Encode for Name<'a>
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
    impl<'__codec, 'a> ::extism_codec::Decode<'__codec> for Name<'a>
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
