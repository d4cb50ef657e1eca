//! Rules that need the whole [`Input`]: one encoding, and an encoding that can apply to
//! the shape of the type. Each rule is a function, called from [`validate`], that
//! reports to the [`Ctxt`] at the offending tokens.

use quote::quote;

use super::parse::{Input, Shape};
use super::Encoding;
use crate::attr_option::Once;
use crate::ctxt::Ctxt;

/// The encoding to derive with, if the input is valid. Returns `None` only after
/// reporting at least one error.
pub(crate) fn validate(cx: &Ctxt, input: &Input) -> Option<Encoding> {
    let encoding = check_one_encoding(cx, input)?;
    check_shape(cx, input, encoding);
    Some(encoding)
}

/// Exactly one encoding: without one there is nothing to derive, and with several the
/// derive would have to guess which one the other side of the boundary uses.
fn check_one_encoding(cx: &Ctxt, input: &Input) -> Option<Encoding> {
    let mut chosen = Once::default();
    for attr in &input.encodings {
        chosen.choose(cx, &attr.original, attr.encoding);
    }
    // Malformed `#[codec ...]` attributes were reported by `parse`: not also missing.
    if chosen.get().is_none() && !input.has_codec_attr {
        cx.error_spanned_by(
            &input.original.ident,
            "`#[derive(Codec)]` needs an encoding: add `#[codec(json)]`, \
             `#[codec(msgpack)]` or `#[codec(pod)]`",
        );
    }
    chosen.get().copied()
}

/// Enums are never `bytemuck::Pod` (not every bit pattern is a valid discriminant), and
/// serde cannot derive for unions (it cannot know which field is active): reject these
/// combinations here, with a hint, rather than through a trait-bound error later.
fn check_shape(cx: &Ctxt, input: &Input, encoding: Encoding) {
    let ident = &input.original.ident;
    match (&input.shape, encoding) {
        (Shape::Enum(token), Encoding::Pod) => cx.error_spanned_by(
            quote!(#token #ident),
            "`#[codec(pod)]` cannot apply to an enum: enums are never `bytemuck::Pod`, \
             since not every bit pattern is a valid variant; use `#[codec(json)]` or \
             `#[codec(msgpack)]`",
        ),
        (Shape::Union(token), Encoding::Json | Encoding::Msgpack) => cx.error_spanned_by(
            quote!(#token #ident),
            format!(
                "`#[codec({})]` cannot apply to a union: serde cannot serialize unions; \
                 use `#[codec(pod)]` for a `bytemuck::Pod` union",
                encoding.name()
            ),
        ),
        _ => {}
    }
}
