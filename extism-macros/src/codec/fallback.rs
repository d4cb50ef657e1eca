//! What `#[derive(Codec)]` emits when it rejects its input: the errors, plus stub impls
//! of `Encode` and `Decode` so that the rest of the crate still type-checks and the user
//! sees the real error instead of a cascade of "`Encode` is not implemented" errors.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, GenericParam, Lifetime, LifetimeParam};

use super::expand::DECODE_LIFETIME;
use crate::crate_path;

pub(crate) fn expand(input: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let Ok(input) = syn::parse2::<DeriveInput>(input) else {
        return errors;
    };
    let codec = crate_path::codec();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let lifetime = Lifetime::new(DECODE_LIFETIME, Span::call_site());
    let mut decode_generics = input.generics.clone();
    decode_generics.params.insert(
        0,
        GenericParam::Lifetime(LifetimeParam::new(lifetime.clone())),
    );
    let (decode_impl_generics, _, _) = decode_generics.split_for_impl();
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #codec::Encode for #ident #ty_generics #where_clause {
                fn encode(
                    &self,
                ) -> ::core::result::Result<::std::borrow::Cow<'_, [u8]>, #codec::Error> {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #decode_impl_generics #codec::Decode<#lifetime> for #ident #ty_generics #where_clause {
                fn decode(_: &#lifetime [u8]) -> ::core::result::Result<Self, #codec::Error> {
                    ::core::unreachable!()
                }
            }
        };
    }
}
