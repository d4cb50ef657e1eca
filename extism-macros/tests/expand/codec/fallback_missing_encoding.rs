// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[derive(Codec)]
//     struct Plain<T> {
//         value: T,
//     }

::core::compile_error! {
    "`#[derive(Codec)]` needs an encoding: add `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`"
}
const _: () = {
    #[automatically_derived]
    impl<T> ::extism_codec::Encode for Plain<T> {
        fn encode(
            &self,
        ) -> ::core::result::Result<
            ::std::borrow::Cow<'_, [u8]>,
            ::extism_codec::Error,
        > {
            ::core::unreachable!()
        }
    }
    #[automatically_derived]
    impl<'__codec, T> ::extism_codec::Decode<'__codec> for Plain<T> {
        fn decode(
            _: &'__codec [u8],
        ) -> ::core::result::Result<Self, ::extism_codec::Error> {
            ::core::unreachable!()
        }
    }
};
