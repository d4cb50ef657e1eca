//! The attributes of one trait method: `#[export(name = "...")]`, `#[optional]` and
//! `#[codec(json|msgpack|pod)]`, read into [`MethodAttrs`].
//!
//! Contract: [`MethodAttrs::from_attrs`] never fails. A malformed attribute is reported to
//! the [`Ctxt`] at its own tokens and left out; a repeated option is reported at its
//! second occurrence by [`Once`], as in the other macros.

use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, Lit, LitStr, Meta, Token};

use crate::attr_option::Once;
use crate::codec::Encoding;
use crate::ctxt::Ctxt;

/// The encodings `#[codec(...)]` accepts on a method, for error messages.
pub(super) const ENCODINGS: &str = Encoding::EXPECTED;

/// What the attributes of one method ask for.
#[derive(Default)]
pub(super) struct MethodAttrs<'a> {
    /// `#[export(name = "...")]`: the export's name, when it is not the method's.
    pub(super) export_name: Once<LitStr>,
    /// `#[optional]`: the export may be absent.
    pub(super) optional: Once<()>,
    /// `#[codec(...)]`: the wrapper for the input and the output.
    pub(super) codec: Once<Encoding>,
    /// Every attribute of ours, well-formed or not: on a method that is not an export,
    /// each one is an error.
    pub(super) originals: Vec<&'a Attribute>,
}

impl<'a> MethodAttrs<'a> {
    pub(super) fn from_attrs(cx: &Ctxt, attrs: &'a [Attribute]) -> Self {
        let mut parsed = MethodAttrs::default();
        for attr in attrs {
            if attr.path().is_ident("export") {
                parsed.export(cx, attr);
            } else if attr.path().is_ident("optional") {
                parsed.optional(cx, attr);
            } else if attr.path().is_ident("codec") {
                parsed.codec(cx, attr);
            } else {
                continue;
            }
            parsed.originals.push(attr);
        }
        parsed
    }

    /// `#[export(name = "...")]`.
    fn export(&mut self, cx: &Ctxt, attr: &Attribute) {
        const USAGE: &str = "write `#[export(name = \"...\")]`";
        let list = match &attr.meta {
            Meta::List(list) => list,
            Meta::Path(_) => {
                cx.error_spanned_by(
                    attr,
                    format!("`#[export]` needs the export's name: {USAGE}"),
                );
                return;
            }
            Meta::NameValue(name_value) => {
                let hint = match string(&name_value.value) {
                    Some(name) => format!("write `#[export(name = {})]`", name.to_token_stream()),
                    None => USAGE.to_string(),
                };
                cx.error_spanned_by(
                    attr,
                    format!(
                        "expected `#[export(name = \"...\")]`, found `#[export = ...]`: {hint}"
                    ),
                );
                return;
            }
        };
        if list.tokens.is_empty() {
            cx.error_spanned_by(attr, format!("`#[export()]` names nothing: {USAGE}"));
            return;
        }
        let parser = |input: ParseStream| {
            while !input.is_empty() {
                if input.peek(LitStr) {
                    let name: LitStr = input.parse()?;
                    cx.error_spanned_by(
                        &name,
                        format!(
                            "name the option: write `#[export(name = {})]`",
                            name.to_token_stream()
                        ),
                    );
                } else {
                    let meta: Meta = input.parse()?;
                    self.export_option(cx, meta);
                }
                if input.is_empty() {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(list.tokens.clone()) {
            cx.push(syn::Error::new(
                error.span(),
                format!("expected `name = \"...\"` in `#[export(...)]`: {USAGE}"),
            ));
        }
    }

    /// One item of `#[export(...)]`.
    fn export_option(&mut self, cx: &Ctxt, meta: Meta) {
        if !meta.path().is_ident("name") {
            cx.error_spanned_by(
                meta.path(),
                format!(
                    "unknown option `{}` in `#[export(...)]`: the only option is `name = \"...\"`",
                    meta.path().to_token_stream().to_string().replace(' ', "")
                ),
            );
            return;
        }
        let value = match &meta {
            Meta::NameValue(name_value) => string(&name_value.value),
            Meta::Path(_) | Meta::List(_) => None,
        };
        let Some(name) = value else {
            cx.error_spanned_by(
                &meta,
                "the export's name is a string: write `name = \"...\"`",
            );
            return;
        };
        if name.value().is_empty() {
            cx.error_spanned_by(&name, "the export's name cannot be empty");
            return;
        }
        self.export_name.set(cx, "option `name`", &meta, name);
    }

    /// `#[optional]`.
    fn optional(&mut self, cx: &Ctxt, attr: &Attribute) {
        if !matches!(attr.meta, Meta::Path(_)) {
            cx.error_spanned_by(attr, "`#[optional]` takes no arguments");
            return;
        }
        self.optional.set(cx, "`#[optional]`", attr, ());
    }

    /// `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`.
    fn codec(&mut self, cx: &Ctxt, attr: &Attribute) {
        let usage = format!("write `#[codec(json)]`; the encodings are {ENCODINGS}");
        let list = match &attr.meta {
            Meta::List(list) => list,
            Meta::Path(_) => {
                cx.error_spanned_by(attr, format!("`#[codec]` needs an encoding: {usage}"));
                return;
            }
            Meta::NameValue(_) => {
                cx.error_spanned_by(
                    attr,
                    format!("expected `#[codec(<encoding>)]`, found `#[codec = ...]`: {usage}"),
                );
                return;
            }
        };
        let items = match Parser::parse2(
            syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated,
            list.tokens.clone(),
        ) {
            Ok(items) => items,
            Err(error) => {
                cx.push(syn::Error::new(
                    error.span(),
                    format!("expected an encoding name in `#[codec(...)]`: {ENCODINGS}"),
                ));
                return;
            }
        };
        if items.is_empty() {
            cx.error_spanned_by(attr, format!("`#[codec()]` names no encoding: {usage}"));
        }
        for meta in items {
            let path = meta.path();
            let Some(encoding) = Encoding::from_path(cx, path) else {
                continue;
            };
            if !matches!(meta, Meta::Path(_)) {
                cx.error_spanned_by(
                    &meta,
                    format!(
                        "the `{0}` encoding takes no arguments: write `#[codec({0})]`",
                        encoding.name()
                    ),
                );
                continue;
            }
            self.codec.choose(cx, path, encoding);
        }
    }
}

/// The string literal `expr` is, if it is one.
fn string(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_message_lists_every_encoding() {
        for name in ["json", "msgpack", "pod"] {
            assert!(Encoding::from_name(name).is_some());
            assert!(ENCODINGS.contains(&format!("`{name}`")));
        }
    }
}
