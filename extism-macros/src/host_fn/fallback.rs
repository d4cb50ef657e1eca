//! What `#[host_fn]` emits when it rejects its input: the errors, the function itself
//! (without the `#[state]` markers rustc would not know, and without a variadic that
//! rustc would report a second time), and a stub `enum <name> {}` with a
//! `host_function()`, so that `.with_function(name::host_function())` and direct calls
//! still resolve and the user sees the real errors instead of a cascade of "cannot find"
//! errors.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Item;

use super::expand::without_state_attrs;
use crate::crate_path;

pub(crate) fn expand(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let function = match syn::parse2::<Item>(item) {
        Ok(Item::Fn(function)) => function,
        // Not a function: keep the item as written, so that its other uses still resolve.
        Ok(other) => return quote!(#errors #other),
        Err(_) => return errors,
    };
    let mut function = without_state_attrs(&function);
    function.sig.variadic = None;
    if function.sig.receiver().is_some() {
        // A method: the stub, an item, cannot stand in an `impl` block.
        return quote!(#errors #function);
    }
    let host = crate_path::host();
    let ident = &function.sig.ident;
    let vis = &function.vis;
    quote! {
        #errors
        #function

        #[allow(non_camel_case_types, dead_code)]
        #vis enum #ident {}

        impl #ident {
            #[allow(dead_code)]
            #vis fn host_function() -> #host::HostFunction {
                ::core::unreachable!()
            }
        }
    }
}
