//! `#[plugin_interface]`: a Rust trait as the typed interface of a plug-in.
//!
//! The attribute keeps the trait and generates `<Trait>Plugin<P = Plugin>`, a wrapper of
//! a plug-in that implements the trait: each method without a body calls the export of
//! the same name (or `#[export(name = "...")]`), encoding its input and decoding its
//! output with extism-codec. Construction checks the plug-in's exports and reports every
//! missing or mistyped one at once.
//!
//! Stages, as in `codec`: [`parse`] reads the trait and the method attributes into
//! [`parse::Interface`] (reporting malformed attributes), [`validate`] checks the
//! signatures and turns the model into a [`validate::Plan`], [`expand`] generates the
//! code, and [`fallback`] turns errors into `compile_error!`s plus the trait and a stub
//! wrapper, so that code using them does not add a cascade of errors. With
//! `schema = "..."`, [`schema`] first adds the schema's exports to the trait as methods
//! (they then go through the same stages), sets their encodings in the plan from the
//! content types, and adds the schema's types and imports trait to the output.

mod attr;
mod expand;
mod fallback;
mod parse;
mod schema;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

pub(crate) use self::expand::expand;

/// The attribute: the trait and the generated wrapper, or the errors and a stub.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args, item.clone()) {
        Ok(output) => output,
        Err(error) => fallback::expand(item, error),
    }
}

/// The attributes `#[plugin_interface]` reads on trait methods (and removes from the
/// trait it re-emits).
const METHOD_ATTRS: [&str; 3] = ["export", "optional", "codec"];

/// Whether `attr` is one of [`METHOD_ATTRS`].
fn is_method_attr(attr: &syn::Attribute) -> bool {
    METHOD_ATTRS.iter().any(|name| attr.path().is_ident(name))
}
