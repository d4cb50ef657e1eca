//! From the attribute's arguments and the `fn` item to [`Options`] and [`HostFn`]: the
//! options as written, and each parameter classified as the current plug-in, a state or
//! an argument from the plug-in.
//!
//! Contract: [`Options::from_args`] and [`HostFn::from_syn`] never fail. Malformed
//! options and `#[state]` attributes are reported to the [`Ctxt`] at their own tokens and
//! left out of the model; rules about the signature (what may be async, generic, where a
//! parameter may stand, which types are accepted) belong to `validate`, which sees the
//! whole model.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, FnArg, ItemFn, Lit, LitStr, Meta, Pat, PatType, Token, Type};

use super::{Numbers, STATE_ATTR, WASM_NUMBERS};
use crate::attr_option::Once;
use crate::ctxt::Ctxt;
use crate::types::{is_unit, result_types};

/// The options of `#[host_fn(...)]`, each with the tokens that gave it, for spans.
#[derive(Default)]
pub(crate) struct Options {
    /// `name = "..."`: the import name (default: the function's name).
    pub(crate) name: Once<LitStr>,
    /// `namespace = "..."`: the import module (default: `extism:host/user`).
    pub(crate) namespace: Once<LitStr>,
    /// `numbers = "block" | "wasm"`.
    pub(crate) numbers: Once<Numbers>,
}

/// The option names, for error messages.
const OPTIONS: &str = "`name`, `namespace` or `numbers`";

impl Options {
    pub(crate) fn from_args(cx: &Ctxt, args: TokenStream) -> Self {
        let mut options = Options::default();
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
            Ok(metas) => metas,
            Err(error) => {
                cx.push(syn::Error::new(
                    error.span(),
                    format!(
                        "expected options as `key = \"value\"`, separated by commas: {OPTIONS}"
                    ),
                ));
                return options;
            }
        };
        for meta in &metas {
            options.parse_option(cx, meta);
        }
        options
    }

    fn parse_option(&mut self, cx: &Ctxt, meta: &Meta) {
        let path = meta.path();
        let key = path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let slot = match key.as_str() {
            "name" | "namespace" | "numbers" => key.as_str(),
            _ => {
                cx.error_spanned_by(
                    path,
                    format!(
                        "unknown option `{}`: expected {OPTIONS}",
                        path.to_token_stream().to_string().replace(' ', "")
                    ),
                );
                return;
            }
        };
        let Meta::NameValue(name_value) = meta else {
            cx.error_spanned_by(meta, format!("expected `{slot} = \"...\"`"));
            return;
        };
        let Expr::Lit(syn::ExprLit {
            lit: Lit::Str(value),
            ..
        }) = &name_value.value
        else {
            cx.error_spanned_by(
                &name_value.value,
                format!("expected a string literal: `{slot} = \"...\"`"),
            );
            return;
        };
        let option = format!("option `{slot}`");
        match slot {
            "name" => self.name.set(cx, &option, path, value.clone()),
            "namespace" => self.namespace.set(cx, &option, path, value.clone()),
            _ => match Numbers::from_name(&value.value()) {
                Some(numbers) => self.numbers.set(cx, &option, path, numbers),
                None => cx.error_spanned_by(
                    value,
                    format!(
                        "unknown value {:?} for `numbers`: expected {}",
                        value.value(),
                        Numbers::EXPECTED
                    ),
                ),
            },
        }
    }

    /// How numbers cross the boundary.
    pub(crate) fn numbers(&self) -> Numbers {
        self.numbers.get().copied().unwrap_or_default()
    }
}

/// The function, borrowing the syn tree for spans.
pub(crate) struct HostFn<'a> {
    pub(crate) original: &'a ItemFn,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
}

/// One parameter of the function.
pub(crate) struct Param<'a> {
    pub(crate) original: &'a FnArg,
    pub(crate) kind: ParamKind<'a>,
}

/// What a parameter receives.
pub(crate) enum ParamKind<'a> {
    /// `self`, `&self`, ...: not a free function.
    Receiver,
    /// The plug-in calling: `&CurrentPlugin`, `&mut CurrentPlugin` (or, wrongly, by
    /// value).
    Plugin { typed: &'a PatType, access: Access },
    /// `#[state] name: &T` or `&mut T`: state lent with `PluginBuilder::with_state`.
    State {
        typed: &'a PatType,
        attr: &'a Attribute,
        /// `T`, and whether the reference is `&mut`; `None` when the type is not a
        /// reference.
        target: Option<(&'a Type, bool)>,
    },
    /// An argument the plug-in passes: a wasm number or a block to decode.
    Arg {
        typed: &'a PatType,
        /// Whether the type is written as one of the wasm number types.
        number: bool,
    },
}

/// How a parameter holds the current plug-in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Shared,
    Mutable,
    ByValue,
}

/// What the function returns.
pub(crate) struct Output<'a> {
    /// The whole return type when it is written `Result<T, E>` or `Result<T>` (any path
    /// ending in `Result`): an `Err` fails the call.
    pub(crate) fallible: Option<&'a Type>,
    /// `E` of a `Result<T, E>` written with both arguments, for spans.
    pub(crate) error: Option<&'a Type>,
    /// The value given back to the plug-in (`T` of a `Result`); `None` for `()`, which
    /// gives no wasm result.
    pub(crate) value: Option<&'a Type>,
}

impl<'a> HostFn<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, original: &'a ItemFn) -> Self {
        let params = original
            .sig
            .inputs
            .iter()
            .map(|input| Param::from_syn(cx, input))
            .collect();
        HostFn {
            original,
            params,
            output: Output::from_syn(&original.sig.output),
        }
    }

    /// The arguments the plug-in passes, in order.
    pub(crate) fn args(&self) -> impl Iterator<Item = (&'a PatType, bool)> + '_ {
        self.params.iter().filter_map(|param| match param.kind {
            ParamKind::Arg { typed, number } => Some((typed, number)),
            _ => None,
        })
    }
}

impl<'a> Param<'a> {
    fn from_syn(cx: &Ctxt, original: &'a FnArg) -> Self {
        let typed = match original {
            FnArg::Receiver(_) => {
                return Param {
                    original,
                    kind: ParamKind::Receiver,
                }
            }
            FnArg::Typed(typed) => typed,
        };
        for attr in &typed.attrs {
            if attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr") {
                cx.error_spanned_by(
                    attr,
                    "`#[host_fn]` parameters cannot be conditional: the plug-in imports \
                     one fixed signature",
                );
            }
        }
        let mut state = Once::default();
        for attr in typed.attrs.iter().filter(|a| a.path().is_ident(STATE_ATTR)) {
            // A repeated `#[state]` is reported as such, whatever its arguments.
            if state.get().is_none() && !matches!(attr.meta, Meta::Path(_)) {
                cx.error_spanned_by(attr, "`#[state]` takes no arguments");
            }
            state.set(cx, "`#[state]`", attr, attr);
        }
        if let Some(&attr) = state.get() {
            let target = match &*typed.ty {
                Type::Reference(reference) => {
                    Some((&*reference.elem, reference.mutability.is_some()))
                }
                _ => None,
            };
            return Param {
                original,
                kind: ParamKind::State {
                    typed,
                    attr,
                    target,
                },
            };
        }
        let kind = match &*typed.ty {
            Type::Reference(reference) if is_current_plugin(&reference.elem) => ParamKind::Plugin {
                typed,
                access: if reference.mutability.is_some() {
                    Access::Mutable
                } else {
                    Access::Shared
                },
            },
            ty if is_current_plugin(ty) => ParamKind::Plugin {
                typed,
                access: Access::ByValue,
            },
            ty => ParamKind::Arg {
                typed,
                number: is_wasm_number(ty),
            },
        };
        Param { original, kind }
    }

    /// The parameter's name when its pattern is a plain identifier (`name`, `mut name`).
    pub(crate) fn ident(typed: &PatType) -> Option<&syn::Ident> {
        match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => Some(&pat.ident),
            _ => None,
        }
    }
}

impl<'a> Output<'a> {
    fn from_syn(output: &'a syn::ReturnType) -> Self {
        let ty = match output {
            syn::ReturnType::Default => {
                return Output {
                    fallible: None,
                    error: None,
                    value: None,
                }
            }
            syn::ReturnType::Type(_, ty) => &**ty,
        };
        let (fallible, error, value) = match result_types(ty) {
            Some((ok, error)) => (Some(ty), error, ok),
            None => (None, None, ty),
        };
        Output {
            fallible,
            error,
            value: (!is_unit(value)).then_some(value),
        }
    }
}

/// Whether `ty` names extism-host's `CurrentPlugin` (by its last path segment).
pub(crate) fn is_current_plugin(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "CurrentPlugin"),
        _ => false,
    }
}

/// Whether `ty` is written as one of the wasm number types: `u32`, or
/// `core::primitive::u32` / `std::primitive::u32` (with or without a leading `::`). The
/// macro only sees tokens: an alias of a number is not one.
pub(crate) fn is_wasm_number(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    if path.qself.is_some() {
        return false;
    }
    let segments: Vec<_> = path.path.segments.iter().collect();
    if segments.iter().any(|s| !s.arguments.is_empty()) {
        return false;
    }
    let name = match segments.as_slice() {
        [name] if path.path.leading_colon.is_none() => &name.ident,
        [krate, primitive, name]
            if (krate.ident == "core" || krate.ident == "std")
                && primitive.ident == "primitive" =>
        {
            &name.ident
        }
        _ => return false,
    };
    WASM_NUMBERS.iter().any(|n| name == n)
}
