//! The rules of a `#[plugin_interface]` trait, and the [`Plan`] of the generated calls.
//!
//! Each rule is a function reporting to the [`Ctxt`] at the offending tokens and never
//! stopping the others, so that the user sees every problem of the trait in one compile.
//! [`validate`] returns the plan even when it reported errors; the caller checks the
//! context before using it.

use std::collections::HashMap;

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;
use syn::{FnArg, Ident, Receiver, ReturnType, Signature, TraitItem, Type};

use super::parse::{Interface, Item, Method};
use crate::codec::Encoding;
use crate::ctxt::Ctxt;
use crate::types::{find_impl_trait, result_types};

/// What to generate: one call per export method.
pub(super) struct Plan<'a> {
    /// `<Trait>Plugin`.
    pub(super) wrapper: Ident,
    pub(super) calls: Vec<Call<'a>>,
}

/// A method that calls an export.
pub(super) struct Call<'a> {
    pub(super) method: &'a Method<'a>,
    /// The export's name.
    pub(super) export: String,
    /// `#[optional]`: absent is not a load error.
    pub(super) optional: bool,
    /// The input's type; `None` when the method takes none (the export gets no bytes).
    pub(super) input: Option<&'a Type>,
    /// `T` of the returned `Result<T, E>`.
    pub(super) output: &'a Type,
    /// `E` of the returned `Result<T, E>`, or the whole type for a `Result<T>` alias:
    /// where rustc reports an error type that does not convert from the host's.
    pub(super) error: &'a Type,
    /// The wrapper of the input: `#[codec(...)]`, or a schema's content type.
    pub(super) input_encoding: Option<Encoding>,
    /// The wrapper of the output (never of `()`).
    pub(super) output_encoding: Option<Encoding>,
}

/// Methods of the generated wrapper that take `self`: a trait method of the same name
/// would be hidden by them in method-call syntax.
pub(super) const RESERVED: [&str; 3] = ["plugin", "plugin_mut", "into_inner"];

/// The name of the generated wrapper of `trait_ident`.
pub(super) fn wrapper_ident(trait_ident: &Ident) -> Ident {
    format_ident!("{}Plugin", trait_ident.unraw(), span = trait_ident.span())
}

pub(super) fn validate<'a>(cx: &Ctxt, interface: &'a Interface<'a>) -> Plan<'a> {
    check_trait(cx, interface);
    let wrapper = wrapper_ident(&interface.original.ident);
    let mut calls = Vec::new();
    for item in &interface.items {
        match item {
            Item::Export(method) => {
                check_reserved(cx, method, &wrapper);
                if let Some(call) = check_export(cx, method) {
                    calls.push(call);
                }
            }
            Item::Provided(method) => {
                check_reserved(cx, method, &wrapper);
                check_provided(cx, method);
            }
            Item::Other(item) => check_other(cx, item),
        }
    }
    check_unique_exports(cx, &calls);
    Plan { wrapper, calls }
}

/// The wrapper implements the trait for any plug-in: nothing may depend on parameters
/// or on other traits it cannot implement.
fn check_trait(cx: &Ctxt, interface: &Interface) {
    let original = interface.original;
    if let Some(token) = &original.unsafety {
        cx.error_spanned_by(
            token,
            "a `#[plugin_interface]` trait cannot be `unsafe`: the generated implementation \
             has no safety contract to uphold",
        );
    }
    if let Some(token) = &original.auto_token {
        cx.error_spanned_by(
            token,
            "a `#[plugin_interface]` trait cannot be an auto trait",
        );
    }
    if !original.generics.params.is_empty() {
        cx.error_spanned_by(
            &original.generics,
            "a `#[plugin_interface]` trait cannot be generic: each export has one input \
             type and one output type",
        );
    }
    if let Some(where_clause) = &original.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "a `#[plugin_interface]` trait cannot have a `where` clause",
        );
    }
    if let Some(colon) = &original.colon_token {
        let supertraits = &original.supertraits;
        cx.error_spanned_by(
            quote!(#colon #supertraits),
            "a `#[plugin_interface]` trait cannot have supertraits: the generated \
             `XPlugin` could not implement them; add bounds where the trait is used \
             (`dyn Trait + Send`)"
                .replace("XPlugin", &wrapper_ident(&original.ident).to_string()),
        );
    }
}

/// Associated types and consts would need values the plug-in cannot give; the
/// expansion of a macro is unknown to this one.
fn check_other(cx: &Ctxt, item: &TraitItem) {
    let message = match item {
        TraitItem::Type(_) => {
            "a `#[plugin_interface]` trait cannot have associated types: write each \
             method's input and output types out"
        }
        TraitItem::Const(_) => "a `#[plugin_interface]` trait cannot have associated consts",
        TraitItem::Macro(_) => {
            "a `#[plugin_interface]` trait cannot contain macro invocations: \
             write the methods out"
        }
        _ => "unsupported item in a `#[plugin_interface]` trait: expected methods",
    };
    cx.error_spanned_by(item, message);
}

/// A method with a default body is an ordinary provided method; export options on it
/// would silently do nothing.
fn check_provided(cx: &Ctxt, method: &Method) {
    for attr in &method.attrs.originals {
        let name = attr.path().to_token_stream();
        cx.error_spanned_by(
            attr,
            format!(
                "`#[{name}]` on a method with a body: a method with a default body is \
                 a provided method, not an export; remove the body to call the export"
            ),
        );
    }
}

/// A trait method named like a `self` method of the wrapper would be hidden by it.
fn check_reserved(cx: &Ctxt, method: &Method, wrapper: &Ident) {
    let ident = &method.original.sig.ident;
    let name = ident.unraw().to_string();
    if RESERVED.contains(&name.as_str()) {
        cx.error_spanned_by(
            ident,
            format!(
                "`{name}` is also a method of the generated `{wrapper}`, which would hide \
                 this one: rename the method, and keep the export's name with \
                 `#[export(name = \"{name}\")]`"
            ),
        );
    }
}

/// Two methods bound to one export are almost surely a copy-paste mistake.
fn check_unique_exports(cx: &Ctxt, calls: &[Call]) {
    let mut seen: HashMap<&str, &Ident> = HashMap::new();
    for call in calls {
        let ident = &call.method.original.sig.ident;
        if let Some(first) = seen.get(call.export.as_str()) {
            let at = match call.method.attrs.export_name.tokens() {
                Some(tokens) => tokens.clone(),
                None => ident.to_token_stream(),
            };
            cx.error_spanned_by(
                at,
                format!(
                    "export `{}` is already called by method `{first}`: each export is \
                     bound to one method",
                    call.export
                ),
            );
        } else {
            seen.insert(&call.export, ident);
        }
    }
}

/// The signature of an export method: `&mut self`, at most one input, a `Result`
/// output. Returns the call when the pieces it needs are there (errors elsewhere in the
/// signature are still reported).
fn check_export<'a>(cx: &Ctxt, method: &'a Method<'a>) -> Option<Call<'a>> {
    let sig = &method.original.sig;
    check_qualifiers(cx, sig);
    check_generics(cx, sig);
    check_receiver(cx, sig);
    let input = check_inputs(cx, sig);
    let result = check_output(cx, sig);
    let export = match method.attrs.export_name.get() {
        Some(name) => name.value(),
        None => sig.ident.unraw().to_string(),
    };
    Some(Call {
        method,
        export,
        optional: method.attrs.optional.get().is_some(),
        input: input?,
        output: result?.0,
        error: result?.1,
        input_encoding: method.attrs.codec.get().copied(),
        output_encoding: method.attrs.codec.get().copied(),
    })
}

/// `const`, `async`, `unsafe`, `extern` and variadics say something the call cannot do.
fn check_qualifiers(cx: &Ctxt, sig: &Signature) {
    if let Some(token) = &sig.constness {
        cx.error_spanned_by(token, "a plug-in method cannot be `const`");
    }
    if let Some(token) = &sig.asyncness {
        cx.error_spanned_by(
            token,
            "a plug-in method cannot be `async`: plug-in calls are synchronous",
        );
    }
    if let Some(token) = &sig.unsafety {
        cx.error_spanned_by(
            token,
            "a plug-in method cannot be `unsafe`: the call is safe",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "a plug-in method cannot have an ABI");
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "a plug-in method cannot be variadic");
    }
}

/// One export has one input type and one output type.
fn check_generics(cx: &Ctxt, sig: &Signature) {
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "a plug-in method cannot be generic: an export has one input type and one \
             output type",
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "a plug-in method cannot have a `where` clause",
        );
    }
}

/// `&mut self`: a call changes the plug-in's memory and vars, and a borrowed output
/// points into the plug-in until the next call.
fn check_receiver(cx: &Ctxt, sig: &Signature) {
    const NEED: &str = "a plug-in method takes `&mut self`: each call changes the \
                        plug-in's memory and vars";
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) if is_ref_mut_self(receiver) => {}
        Some(FnArg::Receiver(receiver)) if receiver.colon_token.is_none() => {
            let found = if receiver.reference.is_some() {
                "`&self`"
            } else {
                "`self` by value"
            };
            cx.error_spanned_by(receiver, format!("{found}: {NEED}"));
        }
        Some(FnArg::Receiver(receiver)) => cx.error_spanned_by(receiver, NEED),
        _ => cx.error_spanned_by(
            &sig.ident,
            format!("`{}` has no receiver: {NEED}", sig.ident),
        ),
    }
}

/// `&mut self`, `&'_ mut self` or `self: &mut Self`.
fn is_ref_mut_self(receiver: &Receiver) -> bool {
    if receiver.colon_token.is_none() {
        return receiver.reference.is_some() && receiver.mutability.is_some();
    }
    matches!(&*receiver.ty, Type::Reference(r)
        if r.mutability.is_some()
            && matches!(&*r.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self")))
}

/// At most one input (an export reads one block); `None` when the inputs are invalid,
/// `Some(None)` when there are none.
fn check_inputs<'a>(cx: &Ctxt, sig: &'a Signature) -> Option<Option<&'a Type>> {
    let inputs: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let mut valid = true;
    if let [_, extra @ ..] = inputs.as_slice() {
        if !extra.is_empty() {
            valid = false;
            cx.error_spanned_by(
                quote!(#(#extra)*),
                format!(
                    "an export takes one input, but `{}` has {}: pass one value that \
                     holds them all, such as a struct in `Json<...>`, or a tuple with \
                     `#[codec(json)]`",
                    sig.ident,
                    inputs.len()
                ),
            );
        }
    }
    for input in &inputs {
        if let Some(ty) = find_impl_trait(&input.ty) {
            valid = false;
            cx.error_spanned_by(
                ty,
                "`impl Trait` as an input makes the method generic: name the input's type",
            );
        }
    }
    valid.then(|| inputs.first().map(|input| &*input.ty))
}

/// `Result<T, E>` (or a `Result<T>` alias) whose `T` borrows only through elided
/// lifetimes, which tie it to `&mut self`. Returns `T`, and `E` (or the alias).
fn check_output<'a>(cx: &Ctxt, sig: &'a Signature) -> Option<(&'a Type, &'a Type)> {
    const NEED: &str = "a plug-in method returns `Result<T, extism_host::Error>`: \
                        every plug-in call can fail";
    let ty = match &sig.output {
        ReturnType::Default => {
            cx.error_spanned_by(
                &sig.ident,
                format!("`{}` returns nothing: {NEED}", sig.ident),
            );
            return None;
        }
        ReturnType::Type(_, ty) => ty,
    };
    let Some((output, error)) = result_types(ty) else {
        cx.error_spanned_by(ty, format!("expected `Result<...>`: {NEED}"));
        return None;
    };
    let lifetimes = named_lifetimes(output.to_token_stream());
    for (lifetime, tokens) in &lifetimes {
        cx.error_spanned_by(
            tokens,
            format!(
                "an output can borrow only from the plug-in, through an elided lifetime \
                 (`&str`, `Cow<'_, [u8]>`), which ties it to `&mut self` until the next \
                 call; remove `{lifetime}`"
            ),
        );
    }
    let impl_trait = find_impl_trait(output);
    if let Some(impl_trait) = impl_trait {
        cx.error_spanned_by(
            impl_trait,
            "`impl Trait` cannot be an output: name the type the output decodes to",
        );
    }
    (lifetimes.is_empty() && impl_trait.is_none()).then_some((output, error.unwrap_or(ty)))
}

/// The lifetimes other than `'_` in `tokens`, as text and as tokens (for spans).
fn named_lifetimes(tokens: TokenStream) -> Vec<(String, TokenStream)> {
    let mut found = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Group(group) => found.extend(named_lifetimes(group.stream())),
            TokenTree::Punct(quote) if quote.as_char() == '\'' => {
                if let Some(TokenTree::Ident(ident)) = tokens.peek() {
                    if ident != "_" {
                        let text = format!("'{ident}");
                        let lifetime = TokenStream::from_iter([
                            TokenTree::Punct(quote),
                            TokenTree::Ident(ident.clone()),
                        ]);
                        found.push((text, lifetime));
                    }
                }
            }
            _ => {}
        }
    }
    found
}
