//! From the attribute's tokens to [`Interface`]: the trait, its items sorted into
//! exports, provided methods and the rest, and each method's attributes.
//!
//! Contract: [`parse_trait`] fails only when the item is not a trait (there is nothing
//! to re-emit then); [`Interface::from_syn`] never fails. Malformed method attributes are
//! reported to the [`Ctxt`] by [`MethodAttrs`]; every rule about signatures and about the
//! trait as a whole belongs to `validate`.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, ItemTrait, Token, TraitItem, TraitItemFn, Visibility};

use super::attr::MethodAttrs;
use crate::ctxt::Ctxt;

/// The trait, borrowing the syn tree for spans.
pub(super) struct Interface<'a> {
    pub(super) original: &'a ItemTrait,
    /// The trait's items, in source order.
    pub(super) items: Vec<Item<'a>>,
}

/// One item of the trait.
pub(super) enum Item<'a> {
    /// A method without a body: calls an export.
    Export(Method<'a>),
    /// A method with a default body: kept as written, not an export.
    Provided(Method<'a>),
    /// An associated type, const or macro invocation.
    Other(&'a TraitItem),
}

pub(super) struct Method<'a> {
    pub(super) original: &'a TraitItemFn,
    pub(super) attrs: MethodAttrs<'a>,
}

/// The item under the attribute, which must be a trait.
pub(super) fn parse_trait(item: TokenStream) -> syn::Result<ItemTrait> {
    syn::parse2::<TraitOnly>(item).map(|t| t.0)
}

/// A trait; anything else is an error at its first token (after attributes and
/// visibility), like `struct` in `pub struct S;`.
struct TraitOnly(ItemTrait);

impl Parse for TraitOnly {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let ahead = input.fork();
        ahead.call(Attribute::parse_outer)?;
        ahead.parse::<Visibility>()?;
        if ahead.peek(Token![trait]) || ahead.peek(Token![unsafe]) || ahead.peek(Token![auto]) {
            input.parse().map(TraitOnly)
        } else {
            Err(syn::Error::new(
                ahead.span(),
                "expected `trait`: `#[plugin_interface]` applies to a trait",
            ))
        }
    }
}

impl<'a> Interface<'a> {
    pub(super) fn from_syn(cx: &Ctxt, original: &'a ItemTrait) -> Self {
        let items = original
            .items
            .iter()
            .map(|item| match item {
                TraitItem::Fn(method) => {
                    let parsed = Method {
                        original: method,
                        attrs: MethodAttrs::from_attrs(cx, &method.attrs),
                    };
                    if method.default.is_some() {
                        Item::Provided(parsed)
                    } else {
                        Item::Export(parsed)
                    }
                }
                other => Item::Other(other),
            })
            .collect();
        Interface { original, items }
    }
}
