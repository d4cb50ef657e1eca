//! What `#[plugin_interface]` emits when it rejects its input: the errors, the trait
//! (without the method attributes, which rustc would not know), and a stub wrapper with
//! the generated API and, when possible, an implementation of the trait. Code using the
//! trait and the wrapper then still type-checks, and the user sees the real errors
//! instead of a cascade of "cannot find type `XPlugin`" and "trait not implemented".

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemTrait, TraitItem};

use super::expand::clean_trait;
use super::parse::parse_trait;
use super::validate::wrapper_ident;
use crate::crate_path;
use crate::types;

pub(super) fn expand(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let Ok(original) = parse_trait(item.clone()) else {
        // Not a trait: keep the item as it is, so that its own uses still resolve.
        return quote!(#errors #item);
    };
    let host = crate_path::host();
    let item = clean_trait(&original);
    let vis = &original.vis;
    let wrapper = wrapper_ident(&original.ident);
    let trait_impl = stub_trait_impl(&item, &wrapper, &host);
    quote! {
        #errors
        #item

        #[allow(dead_code)]
        #vis struct #wrapper<P = #host::Plugin> {
            plugin: P,
        }

        const _: () = {
            #[allow(dead_code, unused_variables)]
            impl<P> #wrapper<P> {
                pub fn new(plugin: P) -> ::core::result::Result<Self, #host::Error> {
                    ::core::unimplemented!()
                }
                pub fn plugin(&self) -> &#host::Plugin {
                    ::core::unimplemented!()
                }
                pub fn plugin_mut(&mut self) -> &mut #host::Plugin {
                    ::core::unimplemented!()
                }
                pub fn into_inner(self) -> P {
                    self.plugin
                }
            }

            #[allow(dead_code, unused_variables)]
            impl #wrapper<#host::Plugin> {
                pub fn from_compiled(
                    compiled: &#host::CompiledPlugin,
                ) -> ::core::result::Result<Self, #host::Error> {
                    ::core::unimplemented!()
                }
                pub fn check(
                    compiled: &#host::CompiledPlugin,
                ) -> ::core::result::Result<(), #host::Error> {
                    ::core::unimplemented!()
                }
            }

            #trait_impl
        };
    }
}

/// `impl Trait for XPlugin<__P>` with a stub for every required method, when the trait
/// can be implemented without knowing more than its methods: no parameters, no
/// supertraits, no associated types or consts, no macros.
fn stub_trait_impl(item: &ItemTrait, wrapper: &syn::Ident, host: &TokenStream) -> TokenStream {
    let implementable = item.generics.params.is_empty()
        && item.generics.where_clause.is_none()
        && item.supertraits.is_empty()
        && item.auto_token.is_none()
        && item.items.iter().all(|item| match item {
            // A stub cannot return `impl Trait`: rustc could not infer the type.
            TraitItem::Fn(method) => types::in_return(&method.sig.output).is_none(),
            _ => false,
        });
    if !implementable {
        return TokenStream::new();
    }
    let methods = item.items.iter().filter_map(|item| match item {
        TraitItem::Fn(method) if method.default.is_none() => {
            let sig = &method.sig;
            Some(quote!(#sig { ::core::unimplemented!() }))
        }
        _ => None,
    });
    let unsafety = &item.unsafety;
    let ident = &item.ident;
    quote! {
        #[allow(unused_variables)]
        #unsafety impl<__P: ::core::borrow::BorrowMut<#host::Plugin>> #ident for #wrapper<__P> {
            #(#methods)*
        }
    }
}
