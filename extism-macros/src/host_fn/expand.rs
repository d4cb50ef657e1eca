//! Code generation: the function, re-emitted without its `#[state]` markers, and
//! `enum <name> {}` whose `host_function()` passes a typed closure to
//! `HostFunction::wrap` (or `HostFunction::wrap_async` for an `async fn`).
//!
//! The closure is what one would write by hand: it takes the current plug-in and the wasm
//! arguments (`u64` block offsets, or numbers with `numbers = "wasm"`), borrows each state
//! with `CurrentPlugin::borrow_state`, decodes each block with `Decode`, calls the function,
//! and writes its result with `Encode` into a new block whose offset it returns.
//!
//! For an `async fn` the closure returns a boxed `async move` block that owns the current
//! plug-in and does the same in the same order, awaiting the function's future. A closure
//! cannot await, so the states are taken with `CurrentPlugin::take_state`, whose guards
//! live in the block and put them back however the block ends (also when it is dropped
//! at an `.await`). Arguments are decoded before the function is called, exactly as for a
//! synchronous function: borrowed ones (`&str`, `&[u8]`) point into the plug-in's memory,
//! which the block borrows from the plug-in it owns, so nothing can change that memory
//! until the future completes; with `&mut CurrentPlugin` they are decoded from copies the
//! block owns. The result is encoded and written after the future completes.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{GenericArgument, Item, ItemFn, PatType, PathArguments, Type, TypeParamBound};

use super::parse::{is_wasm_number, Access, HostFn, Options, Param, ParamKind};
use super::validate::validate;
use super::{Numbers, DEFAULT_NAMESPACE, STATE_ATTR};
use crate::crate_path;
use crate::ctxt::Ctxt;

/// `#[host_fn(args)]` on `item`: the generated code, or every error found.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let options = Options::from_args(&cx, args);
    let item = match parse_fn(item) {
        Ok(item) => item,
        // Reported with the errors in the options, if any.
        Err(error) => {
            return Err(match cx.check() {
                Ok(()) => error,
                Err(mut errors) => {
                    errors.combine(error);
                    errors
                }
            })
        }
    };
    let host_fn = HostFn::from_syn(&cx, &item);
    validate(&cx, &options, &host_fn);
    cx.check()?;
    Ok(generate(&options, &host_fn, &crate_path::host()))
}

/// The item as a function, or an error at the item's keyword and name.
pub(super) fn parse_fn(item: TokenStream) -> syn::Result<ItemFn> {
    let item: Item = syn::parse2(item)?;
    if let Item::Fn(function) = item {
        return Ok(function);
    }
    Err(syn::Error::new_spanned(
        item_head(&item),
        "`#[host_fn]` applies to functions: `fn name(...) -> ... { ... }`",
    ))
}

/// The keyword and name of an item, for errors about the item as a whole.
fn item_head(item: &Item) -> TokenStream {
    match item {
        Item::Struct(s) => {
            let (token, ident) = (&s.struct_token, &s.ident);
            quote!(#token #ident)
        }
        Item::Enum(e) => {
            let (token, ident) = (&e.enum_token, &e.ident);
            quote!(#token #ident)
        }
        Item::Trait(t) => {
            let (token, ident) = (&t.trait_token, &t.ident);
            quote!(#token #ident)
        }
        Item::Mod(m) => {
            let (token, ident) = (&m.mod_token, &m.ident);
            quote!(#token #ident)
        }
        Item::Const(c) => {
            let (token, ident) = (&c.const_token, &c.ident);
            quote!(#token #ident)
        }
        Item::Static(s) => {
            let (token, ident) = (&s.static_token, &s.ident);
            quote!(#token #ident)
        }
        other => quote!(#other),
    }
}

/// `function` without the `#[state]` attributes of its parameters, which only this macro
/// understands.
pub(super) fn without_state_attrs(function: &ItemFn) -> ItemFn {
    let mut function = function.clone();
    for input in &mut function.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident(STATE_ATTR));
        }
    }
    function
}

/// The name plug-ins import the function by: `name = "..."`, or the function's name.
fn import_name(options: &Options, function: &ItemFn) -> String {
    match options.name.get() {
        Some(name) => name.value(),
        None => function.sig.ident.unraw().to_string(),
    }
}

fn generate(options: &Options, host_fn: &HostFn, host: &TokenStream) -> TokenStream {
    let function = without_state_attrs(host_fn.original);
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let name = import_name(options, &function);
    let namespace = options
        .namespace
        .get()
        .map_or_else(|| DEFAULT_NAMESPACE.to_string(), |ns| ns.value());
    let with_namespace = options
        .namespace
        .get()
        .map(|ns| quote!(.with_namespace(#ns)));
    let closure = Closure::new(options.numbers(), host_fn, host);
    let (wrap, closure) = if closure.asyncness {
        (quote!(wrap_async), closure.async_tokens())
    } else {
        (quote!(wrap), closure.tokens())
    };

    let unraw = ident.unraw();
    let item_doc = if host_fn.original.sig.asyncness.is_some() {
        format!(
            " Registers [`{unraw}()`] as the async host function `{namespace}::{name}`: \
             `.with_function({unraw}::host_function())`, on a plug-in built with \
             `.with_async(true)`."
        )
    } else {
        format!(
            " Registers [`{unraw}()`] as the host function `{namespace}::{name}`: \
             `.with_function({unraw}::host_function())`."
        )
    };
    let fn_doc = format!(
        " The host function `{namespace}::{name}`, which calls [`{unraw}()`] (generated by \
         `#[host_fn]`)."
    );
    quote! {
        #function

        #[doc = #item_doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis enum #ident {}

        impl #ident {
            #[doc = #fn_doc]
            #[allow(dead_code)]
            #vis fn host_function() -> #host::HostFunction {
                #host::HostFunction::#wrap(#name, #closure) #with_namespace
            }
        }
    }
}

/// The typed closure given to `HostFunction::wrap` or `HostFunction::wrap_async`.
struct Closure<'a> {
    numbers: Numbers,
    host_fn: &'a HostFn<'a>,
    host: &'a TokenStream,
    /// The current plug-in inside the closure (hygienic: no user name can clash).
    plugin: Ident,
    /// The wasm result type.
    wasm_result: TokenStream,
    /// Whether the function takes `&mut CurrentPlugin`: it may then write to the memory
    /// the arguments are in, so they are decoded from copies.
    plugin_mut: bool,
    /// Whether the function is an `async fn`.
    asyncness: bool,
}

impl<'a> Closure<'a> {
    fn new(numbers: Numbers, host_fn: &'a HostFn<'a>, host: &'a TokenStream) -> Self {
        let wasm_result = match host_fn.output.value {
            None => quote!(()),
            Some(ty) if numbers == Numbers::Wasm && is_wasm_number(ty) => quote!(#ty),
            Some(_) => quote!(::core::primitive::u64),
        };
        let plugin_mut = host_fn.params.iter().any(|param| {
            matches!(
                param.kind,
                ParamKind::Plugin {
                    access: Access::Mutable,
                    ..
                }
            )
        });
        Closure {
            numbers,
            host_fn,
            host,
            plugin: Ident::new("__plugin", Span::mixed_site()),
            wasm_result,
            plugin_mut,
            asyncness: host_fn.original.sig.asyncness.is_some(),
        }
    }

    /// Whether an argument travels as a wasm value rather than in a block.
    fn is_value(&self, number: bool) -> bool {
        number && self.numbers == Numbers::Wasm
    }

    /// The wasm arguments: their bindings and wasm types.
    fn wasm_params(&self) -> (Vec<Ident>, Vec<TokenStream>) {
        self.host_fn
            .args()
            .enumerate()
            .map(|(index, (typed, number))| {
                let binding = binding(typed, "arg", index);
                let ty = if self.is_value(number) {
                    elide_lifetimes(&typed.ty)
                } else {
                    quote!(::core::primitive::u64)
                };
                (binding, ty)
            })
            .unzip()
    }

    /// `Ok` of the closure's result type, written in full where nothing else would infer
    /// it (the output of an `async` block).
    fn ok(&self) -> TokenStream {
        let Closure {
            host, wasm_result, ..
        } = self;
        if self.asyncness {
            quote!(::core::result::Result::<#wasm_result, #host::HostError>::Ok)
        } else {
            quote!(::core::result::Result::Ok)
        }
    }

    /// The closure for `HostFunction::wrap`.
    fn tokens(&self) -> TokenStream {
        let Closure {
            host,
            plugin,
            wasm_result,
            ..
        } = self;
        let (bindings, types) = self.wasm_params();
        let params = bindings
            .iter()
            .zip(&types)
            .map(|(binding, ty)| quote!(#binding: #ty));
        let body = self.with_states(self.call());
        quote! {
            |#plugin: &mut #host::CurrentPlugin<'_>, #(#params),*|
             -> ::core::result::Result<#wasm_result, #host::HostError> {
                #body
            }
        }
    }

    /// The closure for `HostFunction::wrap_async`: the wasm arguments come as a tuple, and
    /// the result is a boxed future that owns the current plug-in.
    fn async_tokens(&self) -> TokenStream {
        let Closure { host, plugin, .. } = self;
        let (bindings, types) = self.wasm_params();
        let body = self.take_states(self.call());
        // A future that is not `Send` is reported at the function's `async`.
        let span = self
            .host_fn
            .original
            .sig
            .asyncness
            .map_or_else(Span::call_site, |a| a.span);
        let future = quote_spanned! {span=>
            ::std::boxed::Box::new(async move {
                let #plugin = &mut #plugin;
                #body
            })
        };
        quote! {
            |mut #plugin: #host::CurrentPlugin<'_>, (#(#bindings,)*): (#(#types,)*)| {
                #future
            }
        }
    }

    /// `body` after taking each state with `take_state`, in order, each from the plug-in
    /// the previous guard lends. The guards live until the end of the `async` block.
    fn take_states(&self, body: TokenStream) -> TokenStream {
        let plugin = &self.plugin;
        let take = self
            .states()
            .enumerate()
            .map(|(index, (binding, target, _))| {
                let guard = format_ident!("__state_guard{}", index, span = Span::mixed_site());
                // An error about the state type (not `Send`) is reported at the type.
                let take_state = quote_spanned!(target.span()=> take_state);
                let target_elided = elide_lifetimes(target);
                quote! {
                    let mut #guard = #plugin.#take_state::<#target_elided>()?;
                    let (#plugin, #binding) = #guard.parts();
                }
            });
        quote! {
            #(#take)*
            #body
        }
    }

    /// `body` inside one `borrow_state` per state parameter, the first outermost.
    fn with_states(&self, body: TokenStream) -> TokenStream {
        let Closure {
            host,
            plugin,
            wasm_result,
            ..
        } = self;
        self.states()
            .rev()
            .fold(body, |body, (binding, target, _)| {
                let borrow_state = quote_spanned!(target.span()=> borrow_state);
                let target_elided = elide_lifetimes(target);
                quote! {
                    #plugin.#borrow_state(
                        |#plugin, #binding: &mut #target_elided|
                         -> ::core::result::Result<#wasm_result, #host::HostError> {
                            #body
                        },
                    )?
                }
            })
    }

    /// The state parameters: their binding, the state type and whether it is `&mut`.
    fn states(&self) -> impl DoubleEndedIterator<Item = (Ident, &'a Type, bool)> + '_ {
        let states: Vec<_> = self
            .host_fn
            .params
            .iter()
            .enumerate()
            .filter_map(|(index, param)| match param.kind {
                ParamKind::State {
                    typed,
                    target: Some((target, mutable)),
                    ..
                } => Some((binding(typed, "state", index), target, mutable)),
                _ => None,
            })
            .collect();
        states.into_iter()
    }

    /// Decoding the arguments, calling the function and returning its result.
    fn call(&self) -> TokenStream {
        let Closure { host, plugin, .. } = self;
        let decode = self
            .host_fn
            .args()
            .enumerate()
            .map(|(index, (typed, number))| self.decode(typed, index, number));
        let mut arg_index = 0;
        let call_args = self
            .host_fn
            .params
            .iter()
            .enumerate()
            .map(|(index, param)| self.call_arg(param, index, &mut arg_index))
            .collect::<Vec<_>>();
        let ident = &self.host_fn.original.sig.ident;
        let mut call = quote!(#ident(#(#call_args),*));
        if self.asyncness {
            call = quote!(#call.await);
        }
        if let Some(fallible) = self.host_fn.output.fallible {
            // An error that does not convert into `HostError` is reported at its type.
            let span = self.host_fn.output.error.unwrap_or(fallible).span();
            call = quote_spanned!(span=> #call?);
        }
        let ok = self.ok();
        let ret = match self.host_fn.output.value {
            None => quote! {
                #call;
                #ok(())
            },
            Some(ty) if self.numbers == Numbers::Wasm && is_wasm_number(ty) => {
                let result = Ident::new("__result", Span::mixed_site());
                quote! {
                    let #result = #call;
                    #ok(#result)
                }
            }
            Some(ty) if may_borrow(ty) => {
                // The result may borrow from the arguments, which borrow the plug-in's
                // memory: copy its encoding out before writing the new block.
                let result = Ident::new("__result", Span::mixed_site());
                let bytes = Ident::new("__bytes", Span::mixed_site());
                let ty = elide_lifetimes(ty);
                quote! {
                    let #result = #call;
                    let #bytes = <#ty as #host::codec::Encode>::encode_to_vec(&#result)?;
                    #plugin.write_bytes(&#bytes)
                }
            }
            Some(ty) => {
                let result = Ident::new("__result", Span::mixed_site());
                // Through `<T as Encode>`: a result type that does not implement `Encode`
                // is reported at the type.
                let ty = elide_lifetimes(ty);
                quote! {
                    let #result = #call;
                    #plugin.write_bytes(&<#ty as #host::codec::Encode>::encode(&#result)?)
                }
            }
        };
        quote! {
            #(#decode)*
            #ret
        }
    }

    /// The statements that turn the wasm argument `binding` into the function's argument.
    fn decode(&self, typed: &PatType, index: usize, number: bool) -> TokenStream {
        if self.is_value(number) {
            return TokenStream::new();
        }
        let Closure { host, plugin, .. } = self;
        let binding = binding(typed, "arg", index);
        // Through `<T as Decode>`: an argument type that does not implement `Decode` is
        // reported at the type.
        let ty = elide_lifetimes(&typed.ty);
        let decode = quote!(<#ty as #host::codec::Decode>::decode);
        if self.plugin_mut && !number {
            // The function may write to the plug-in's memory while it holds its arguments.
            let bytes = format_ident!("__{}_bytes", binding.unraw(), span = Span::mixed_site());
            quote! {
                let #bytes = #plugin.read_bytes(#binding)?.to_vec();
                let #binding = #decode(&#bytes)?;
            }
        } else {
            quote! {
                let #binding = #decode(#plugin.read_bytes(#binding)?)?;
            }
        }
    }

    /// The expression passed for `param`.
    fn call_arg(&self, param: &Param, index: usize, arg_index: &mut usize) -> TokenStream {
        let plugin = &self.plugin;
        match param.kind {
            ParamKind::Plugin {
                access: Access::Mutable,
                ..
            } => quote!(&mut *#plugin),
            ParamKind::Plugin { .. } => quote!(&*#plugin),
            ParamKind::State {
                typed,
                target: Some((_, mutable)),
                ..
            } => {
                let binding = binding(typed, "state", index);
                if mutable {
                    quote!(&mut *#binding)
                } else {
                    quote!(&*#binding)
                }
            }
            ParamKind::Arg { typed, .. } => {
                let binding = binding(typed, "arg", *arg_index);
                *arg_index += 1;
                quote!(#binding)
            }
            // Rejected by `validate`.
            ParamKind::Receiver | ParamKind::State { target: None, .. } => quote!(),
        }
    }
}

/// The name of a parameter's value in the closure: the parameter's own name (with its
/// span, so it is as hygienic as the function's own parameter), or `__<kind><index>` for
/// a pattern.
fn binding(typed: &PatType, kind: &str, index: usize) -> Ident {
    match Param::ident(typed) {
        Some(ident) => ident.clone(),
        None => format_ident!("__{}{}", kind, index, span = Span::mixed_site()),
    }
}

/// `ty` with every lifetime but `'static` written `'_`: the function's lifetime parameters
/// are not in scope in the generated closure, where the compiler infers them.
fn elide_lifetimes(ty: &Type) -> TokenStream {
    fn elide(tokens: TokenStream) -> TokenStream {
        let mut out = Vec::new();
        let mut after_quote = false;
        for token in tokens {
            let token = match token {
                TokenTree::Group(group) => {
                    let mut elided = Group::new(group.delimiter(), elide(group.stream()));
                    elided.set_span(group.span());
                    TokenTree::Group(elided)
                }
                TokenTree::Ident(ident) if after_quote && ident != "static" => {
                    TokenTree::Ident(Ident::new("_", ident.span()))
                }
                other => other,
            };
            after_quote = matches!(&token, TokenTree::Punct(p) if p.as_char() == '\'');
            out.push(token);
        }
        out.into_iter().collect()
    }
    elide(ty.to_token_stream())
}

/// Whether a result of type `ty` may borrow from the function's arguments: a reference or
/// a lifetime other than `'static` anywhere in it, or a `Cow` whose lifetime is elided.
/// Other hidden (elided) lifetimes are not visible to a macro; rustc's
/// `mismatched_lifetime_syntaxes` lint asks to write them.
fn may_borrow(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => {
            reference
                .lifetime
                .as_ref()
                .is_none_or(|lifetime| lifetime.ident != "static")
                || may_borrow(&reference.elem)
        }
        Type::Path(path) => {
            path.qself
                .as_ref()
                .is_some_and(|qself| may_borrow(&qself.ty))
                || path.path.segments.iter().any(|segment| {
                    let PathArguments::AngleBracketed(args) = &segment.arguments else {
                        return false;
                    };
                    let has_lifetime = args
                        .args
                        .iter()
                        .any(|arg| matches!(arg, GenericArgument::Lifetime(_)));
                    (segment.ident == "Cow" && !has_lifetime)
                        || args.args.iter().any(|arg| match arg {
                            GenericArgument::Lifetime(lifetime) => lifetime.ident != "static",
                            GenericArgument::Type(ty) => may_borrow(ty),
                            _ => false,
                        })
                })
        }
        Type::Tuple(tuple) => tuple.elems.iter().any(may_borrow),
        Type::Array(array) => may_borrow(&array.elem),
        Type::Slice(slice) => may_borrow(&slice.elem),
        Type::Paren(paren) => may_borrow(&paren.elem),
        Type::Group(group) => may_borrow(&group.elem),
        Type::TraitObject(object) => object.bounds.iter().any(|bound| match bound {
            TypeParamBound::Lifetime(lifetime) => lifetime.ident != "static",
            _ => false,
        }),
        _ => false,
    }
}
