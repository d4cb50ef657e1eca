//! Procedural macros of extism-rs.
//!
//! - `#[derive(Codec)]`: implements `extism_codec::Encode` and `extism_codec::Decode`
//!   through JSON, MessagePack or `bytemuck::Pod`. Use it through its re-export,
//!   `extism_codec::Codec` (or `extism_host::codec::Codec`), where it is documented.
//!
//! Each macro lives in its own module, split into `parse` (attributes into a typed model
//! that keeps the original tokens for spans), `validate` (rules that need the whole
//! model) and `expand` (code generation: `fn expand(TokenStream) -> syn::Result<TokenStream>`,
//! snapshot-tested). The entry points below only convert token streams. Generated code
//! names its runtime crate by an absolute path resolved by [`crate_path`], so it never
//! depends on the user's imports.

mod codec;
mod crate_path;
mod ctxt;
#[cfg(test)]
mod snapshot;

use proc_macro::TokenStream;

/// Implements `Encode` and `Decode` of extism-codec through the encoding named by
/// `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`. See `extism_codec::Codec`.
#[proc_macro_derive(Codec, attributes(codec))]
pub fn derive_codec(input: TokenStream) -> TokenStream {
    codec::derive(input.into()).into()
}
