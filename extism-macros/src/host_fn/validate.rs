//! Rules on the whole [`HostFn`] and its [`Options`]. Each rule is a function, called from
//! [`validate`], that reports to the [`Ctxt`] at the offending tokens; every rule runs,
//! so that the user sees all the problems of a signature in one compile.

use quote::{quote, ToTokens};
use syn::{GenericParam, Type};

use super::parse::{Access, HostFn, Options, Param, ParamKind};
use super::MAX_WASM_PARAMS;
use crate::ctxt::Ctxt;
use crate::types::find_impl_trait;

pub(crate) fn validate(cx: &Ctxt, options: &Options, host_fn: &HostFn) {
    check_options(cx, options);
    check_signature(cx, host_fn);
    check_params(cx, host_fn);
    check_async_params(cx, host_fn);
    check_context_first(cx, host_fn);
    check_context_once(cx, host_fn);
    check_arity(cx, host_fn);
    check_output(cx, host_fn);
}

/// An import name or namespace is never empty: no plug-in can import such a function.
fn check_options(cx: &Ctxt, options: &Options) {
    for (option, value) in [("name", &options.name), ("namespace", &options.namespace)] {
        if let Some(value) = value.get() {
            if value.value().is_empty() {
                cx.error_spanned_by(value, format!("`{option}` cannot be empty"));
            }
        }
    }
}

/// What a plug-in can call: a safe function with one fixed signature, which the macro can
/// name without choosing types for it. Lifetime parameters are fine (they are inferred at
/// the call); type and const parameters are not (nothing could choose them).
fn check_signature(cx: &Ctxt, host_fn: &HostFn) {
    let sig = &host_fn.original.sig;
    if let Some(token) = &sig.unsafety {
        cx.error_spanned_by(
            token,
            "`#[host_fn]` functions cannot be `unsafe`: a plug-in may call them with any \
             arguments; check them in a safe function",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(
            variadic,
            "`#[host_fn]` functions cannot be variadic: the plug-in imports one fixed signature",
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Type(ty) => cx.error_spanned_by(
                ty,
                "`#[host_fn]` functions cannot have type parameters: a plug-in cannot choose \
                 a type; use a concrete type",
            ),
            GenericParam::Const(constant) => cx.error_spanned_by(
                constant,
                "`#[host_fn]` functions cannot have const parameters: a plug-in cannot \
                 choose a constant",
            ),
            GenericParam::Lifetime(_) => {}
        }
    }
}

/// Each parameter on its own: what its type may be for what it receives.
fn check_params(cx: &Ctxt, host_fn: &HostFn) {
    for param in &host_fn.params {
        match &param.kind {
            ParamKind::Receiver => cx.error_spanned_by(
                param.original,
                "`#[host_fn]` applies to free functions, not methods: remove `self`",
            ),
            ParamKind::Plugin { typed, access } => {
                if *access == Access::ByValue {
                    cx.error_spanned_by(
                        &typed.ty,
                        "take the current plug-in by reference: `&CurrentPlugin` or \
                         `&mut CurrentPlugin`",
                    );
                }
            }
            ParamKind::State {
                typed,
                attr,
                target,
            } => match target {
                None => cx.error_spanned_by(
                    &typed.ty,
                    "a `#[state]` parameter is a reference, `&T` or `&mut T`, to the state \
                     lent with `PluginBuilder::with_state`",
                ),
                Some((target, _)) if super::parse::is_current_plugin(target) => cx
                    .error_spanned_by(
                        attr,
                        "the current plug-in is not a state: remove `#[state]`",
                    ),
                Some((target, _)) => check_no_impl_trait(cx, target),
            },
            ParamKind::Arg { typed, .. } => {
                if let Type::Reference(reference) = &*typed.ty {
                    if let Some(mutability) = &reference.mutability {
                        cx.error_spanned_by(
                            quote!(#mutability),
                            "an argument from the plug-in cannot be `&mut`: mark a state \
                             parameter `#[state]`, or take the current plug-in as \
                             `&mut CurrentPlugin`",
                        );
                    }
                }
                check_no_impl_trait(cx, &typed.ty);
            }
        }
    }
}

/// An `async fn` returns a future that `HostFunction::wrap_async` requires to be `Send`,
/// and that future holds every parameter until it completes. `CurrentPlugin` is `Send`
/// but not `Sync` (the store's data is not), so `&mut CurrentPlugin` may be held across
/// `.await` and `&CurrentPlugin` may not. (Arguments decoded from the plug-in's memory
/// are fine: the future holds the plug-in while they borrow it, see `expand`. A
/// `#[state] &T` needs `T: Sync`, which only rustc can check.)
fn check_async_params(cx: &Ctxt, host_fn: &HostFn) {
    if host_fn.original.sig.asyncness.is_none() {
        return;
    }
    for param in &host_fn.params {
        if let ParamKind::Plugin {
            typed,
            access: Access::Shared,
        } = &param.kind
        {
            cx.error_spanned_by(
                &typed.ty,
                "an `async` host function takes the current plug-in as \
                 `&mut CurrentPlugin`: `CurrentPlugin` is not `Sync`, so a future holding \
                 `&CurrentPlugin` across `.await` would not be `Send`",
            );
        }
    }
}

/// The current plug-in and the states come first, then the plug-in's arguments in the
/// order of the wasm signature: the signature then reads like the import it implements.
fn check_context_first(cx: &Ctxt, host_fn: &HostFn) {
    let mut seen_arg = false;
    for param in &host_fn.params {
        match &param.kind {
            ParamKind::Arg { .. } => seen_arg = true,
            ParamKind::Plugin { .. } | ParamKind::State { .. } if seen_arg => cx.error_spanned_by(
                param.original,
                "the current plug-in and `#[state]` parameters come first, before the \
                 arguments from the plug-in",
            ),
            _ => {}
        }
    }
}

/// One parameter for the current plug-in, and one per state type: both are borrowed for
/// the whole call, so a second borrow would alias the first (and a state is taken out of
/// the plug-in while it is lent, so a second one would find nothing).
fn check_context_once(cx: &Ctxt, host_fn: &HostFn) {
    let mut plugin: Option<&Param> = None;
    let mut states: Vec<(String, &Param)> = Vec::new();
    for param in &host_fn.params {
        match &param.kind {
            ParamKind::Plugin { .. } => match plugin {
                Some(first) => cx.error_spanned_by(
                    param.original,
                    format!(
                        "the current plug-in is already taken by parameter `{}`",
                        name(first)
                    ),
                ),
                None => plugin = Some(param),
            },
            ParamKind::State {
                target: Some((target, _)),
                ..
            } => {
                let key = target.to_token_stream().to_string();
                match states.iter().find(|(k, _)| *k == key) {
                    Some((_, first)) => cx.error_spanned_by(
                        target,
                        format!(
                            "state `{}` is already borrowed by parameter `{}`",
                            key.replace(' ', ""),
                            name(first)
                        ),
                    ),
                    None => states.push((key, param)),
                }
            }
            _ => {}
        }
    }
}

/// `HostFunction::wrap` implements its typed closures for up to eight arguments.
fn check_arity(cx: &Ctxt, host_fn: &HostFn) {
    let args: Vec<_> = host_fn.args().collect();
    if args.len() > MAX_WASM_PARAMS {
        let extra = args[MAX_WASM_PARAMS..].iter().map(|(typed, _)| typed);
        cx.error_spanned_by(
            quote!(#(#extra),*),
            format!(
                "`#[host_fn]` functions take at most {MAX_WASM_PARAMS} arguments from the \
                 plug-in; this one takes {}: pass a struct (e.g. `Json<T>`) instead",
                args.len()
            ),
        );
    }
}

/// The result is encoded as a concrete type.
fn check_output(cx: &Ctxt, host_fn: &HostFn) {
    if let syn::ReturnType::Type(_, ty) = &host_fn.original.sig.output {
        check_no_impl_trait(cx, ty);
    }
}

/// `impl Trait` is an anonymous type parameter in argument position and an opaque type in
/// return position: neither can be decoded or encoded by name.
fn check_no_impl_trait(cx: &Ctxt, ty: &Type) {
    if let Some(impl_trait) = find_impl_trait(ty) {
        cx.error_spanned_by(
            impl_trait,
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
        );
    }
}

/// A parameter's pattern as written, for messages.
fn name(param: &Param) -> String {
    match param.original {
        syn::FnArg::Typed(typed) => typed.pat.to_token_stream().to_string(),
        syn::FnArg::Receiver(_) => "self".to_string(),
    }
}
