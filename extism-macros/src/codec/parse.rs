//! From a `syn::DeriveInput` to [`Input`]: the shape of the type and the encodings named
//! by its `#[codec(...)]` attributes.
//!
//! Contract: [`Input::from_syn`] never fails. Malformed attributes are reported to the
//! [`Ctxt`] at their own tokens and left out of the model; rules about *combinations*
//! (none, several, an encoding that cannot apply to the shape) belong to `validate`.

use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Data, DeriveInput, Lit, Meta, Token};

use super::Encoding;
use crate::ctxt::Ctxt;

/// The derive input, borrowing the syn tree for spans.
pub(crate) struct Input<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) shape: Shape<'a>,
    /// Every well-formed encoding, in source order (validation wants exactly one).
    pub(crate) encodings: Vec<EncodingAttr>,
    /// Whether any `#[codec ...]` attribute was present, well-formed or not: a malformed
    /// one is already reported and must not also count as "missing".
    pub(crate) has_codec_attr: bool,
}

/// What kind of item the derive is on, with its keyword for spans.
pub(crate) enum Shape<'a> {
    Struct,
    Enum(&'a Token![enum]),
    Union(&'a Token![union]),
}

/// One encoding named in a `#[codec(...)]` attribute.
pub(crate) struct EncodingAttr {
    pub(crate) encoding: Encoding,
    /// The name as written, for spans.
    pub(crate) original: syn::Path,
}

/// One item of the list in `#[codec(...)]`: a meta (`json`, `json(x)`, `json = x`) or a
/// literal (`"json"`), which `syn::Meta` alone cannot parse.
enum Item {
    Meta(Box<Meta>),
    Lit(Lit),
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, original: &'a DeriveInput) -> Self {
        let shape = match &original.data {
            Data::Struct(_) => Shape::Struct,
            Data::Enum(data) => Shape::Enum(&data.enum_token),
            Data::Union(data) => Shape::Union(&data.union_token),
        };
        let mut input = Input {
            original,
            shape,
            encodings: Vec::new(),
            has_codec_attr: false,
        };
        for attr in original.attrs.iter().filter(|a| a.path().is_ident("codec")) {
            input.has_codec_attr = true;
            input.parse_attr(cx, attr);
        }
        input
    }

    fn parse_attr(&mut self, cx: &Ctxt, attr: &Attribute) {
        let list = match &attr.meta {
            Meta::List(list) => list,
            Meta::Path(_) => {
                cx.error_spanned_by(
                    attr,
                    format!(
                        "`#[codec]` needs an encoding: write `#[codec(json)]`; \
                         the encodings are {}",
                        Encoding::EXPECTED
                    ),
                );
                return;
            }
            Meta::NameValue(name_value) => {
                let hint = match string_encoding(&name_value.value) {
                    Some(encoding) => format!("write `#[codec({})]`", encoding.name()),
                    None => format!("the encodings are {}", Encoding::EXPECTED),
                };
                cx.error_spanned_by(
                    attr,
                    format!("expected `#[codec(<encoding>)]`, found `#[codec = ...]`: {hint}"),
                );
                return;
            }
        };
        let items =
            match Punctuated::<Item, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
                Ok(items) => items,
                Err(error) => {
                    cx.push(syn::Error::new(
                        error.span(),
                        format!(
                            "expected an encoding name in `#[codec(...)]`: {}",
                            Encoding::EXPECTED
                        ),
                    ));
                    return;
                }
            };
        if items.is_empty() {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[codec()]` names no encoding: write `#[codec(json)]`; \
                     the encodings are {}",
                    Encoding::EXPECTED
                ),
            );
        }
        for item in items {
            self.parse_item(cx, item);
        }
    }

    fn parse_item(&mut self, cx: &Ctxt, item: Item) {
        let meta = match item {
            Item::Meta(meta) => *meta,
            Item::Lit(lit) => {
                let message = match string_encoding_lit(&lit) {
                    Some(encoding) => format!(
                        "write the encoding as a name, without quotes: `#[codec({})]`",
                        encoding.name()
                    ),
                    None => format!(
                        "expected an encoding name, found a literal: the encodings are {}",
                        Encoding::EXPECTED
                    ),
                };
                cx.error_spanned_by(lit, message);
                return;
            }
        };
        let path = meta.path();
        let Some(encoding) = Encoding::from_path(cx, path) else {
            return;
        };
        match &meta {
            Meta::Path(path) => self.encodings.push(EncodingAttr {
                encoding,
                original: path.clone(),
            }),
            Meta::List(_) | Meta::NameValue(_) => cx.error_spanned_by(
                &meta,
                format!(
                    "the `{0}` encoding takes no arguments: write `#[codec({0})]`",
                    encoding.name()
                ),
            ),
        }
    }
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Lit) {
            input.parse().map(Item::Lit)
        } else {
            input.parse().map(|meta| Item::Meta(Box::new(meta)))
        }
    }
}

/// The encoding named by a string literal such as `"json"`, for "did you mean" hints.
fn string_encoding(expr: &syn::Expr) -> Option<Encoding> {
    match expr {
        syn::Expr::Lit(lit) => string_encoding_lit(&lit.lit),
        _ => None,
    }
}

fn string_encoding_lit(lit: &Lit) -> Option<Encoding> {
    match lit {
        Lit::Str(s) => Encoding::from_name(&s.value()),
        _ => None,
    }
}
