//! Code generation: `Encode` and `Decode` impls that delegate to extism-codec's
//! `__private` helpers for the chosen encoding.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, GenericParam, Generics, Lifetime, LifetimeParam, WherePredicate};

use super::parse::Input;
use super::validate::validate;
use super::Encoding;
use crate::crate_path;
use crate::ctxt::Ctxt;
use crate::respan::respan;

/// The input lifetime of the generated `Decode<'__codec>` impl.
pub(super) const DECODE_LIFETIME: &str = "'__codec";

/// `#[derive(Codec)]` on `input`: the generated impls, or every error found.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let cx = Ctxt::new();
    let model = Input::from_syn(&cx, &input);
    let encoding = validate(&cx, &model);
    cx.check()?;
    let Some(encoding) = encoding else {
        // `validate` reports an error whenever it returns `None`.
        return Err(syn::Error::new_spanned(
            &input.ident,
            "internal error in `#[derive(Codec)]`: no encoding and no error, please report",
        ));
    };
    Ok(impls(&input, encoding, &crate_path::codec()))
}

/// The two impls for `input` through `encoding`, reaching extism-codec at `codec`.
fn impls(input: &DeriveInput, encoding: Encoding, codec: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let private = quote!(#codec::__private);
    let decode_lifetime = Lifetime::new(DECODE_LIFETIME, Span::call_site());
    let (encode_bound, decode_bound) = match encoding {
        Encoding::Json | Encoding::Msgpack => (
            quote!(Self: #codec::serde::Serialize),
            quote!(Self: #codec::serde::Deserialize<#decode_lifetime>),
        ),
        Encoding::Pod => (
            quote!(Self: #codec::bytemuck::Pod),
            quote!(Self: #codec::bytemuck::Pod),
        ),
    };
    // Every token of a bound carries the type name's span, so that an unsatisfied bound
    // (a `#[codec(pod)]` type that is not `Pod`) is reported at the type, not at the derive.
    let (encode_bound, decode_bound) = (
        respan(encode_bound, ident.span()),
        respan(decode_bound, ident.span()),
    );
    let (encode_body, decode_body) = match encoding {
        Encoding::Json => (
            quote!(#private::encode_json(self)),
            quote!(#private::decode_json(bytes)),
        ),
        Encoding::Msgpack => (
            quote!(#private::encode_msgpack(self)),
            quote!(#private::decode_msgpack(bytes)),
        ),
        Encoding::Pod => (
            quote!(#private::Result::Ok(#private::encode_pod(self))),
            quote!(#private::decode_pod(bytes)),
        ),
    };

    let encode_generics = with_bound(&input.generics, encode_bound);
    let (impl_generics, ty_generics, where_clause) = encode_generics.split_for_impl();
    let encode_impl = quote! {
        #[automatically_derived]
        impl #impl_generics #codec::Encode for #ident #ty_generics #where_clause {
            fn encode(&self) -> #private::Result<#private::Cow<'_, [u8]>, #codec::Error> {
                #encode_body
            }
        }
    };

    let mut decode_generics = with_bound(&input.generics, decode_bound);
    decode_generics.params.insert(
        0,
        GenericParam::Lifetime(LifetimeParam::new(decode_lifetime.clone())),
    );
    let (impl_generics, _, where_clause) = decode_generics.split_for_impl();
    let decode_impl = quote! {
        #[automatically_derived]
        impl #impl_generics #codec::Decode<#decode_lifetime> for #ident #ty_generics #where_clause {
            fn decode(bytes: &#decode_lifetime [u8]) -> #private::Result<Self, #codec::Error> {
                #decode_body
            }
        }
    };

    quote! {
        const _: () = {
            #encode_impl
            #decode_impl
        };
    }
}

/// `generics` with `bound` added to its where clause.
fn with_bound(generics: &Generics, bound: TokenStream) -> Generics {
    let mut generics = generics.clone();
    let predicate: WherePredicate = syn::parse_quote!(#bound);
    generics.make_where_clause().predicates.push(predicate);
    generics
}
