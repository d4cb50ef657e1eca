//! Rust for a schema's types: the components as structs, enums and aliases, and the
//! type of each value, field and parameter.
//!
//! The JSON conventions are those of xtp-bindgen's Rust template, so that a host built
//! from a schema and a plug-in built from the same schema read each other's JSON:
//! original names through `#[serde(rename)]`, base64 text for bytes, RFC 3339 text for
//! date-times. Where the template leaves a case open, the choice is made here, once:
//! an optional property is absent from JSON when it is `None`, an integer without a
//! format is an `i64` and a number without one an `f64`.

use std::collections::{BTreeSet, HashMap};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::*;
use super::naming::{camel, ident, snake};

/// The paths the generated types use, under the host crate's `schema` module.
pub(crate) struct Paths {
    schema: TokenStream,
    /// `#[serde(crate = "...")]`, and the prefix of `#[serde(with = "...")]`.
    schema_str: String,
}

impl Paths {
    pub(crate) fn new(host: &TokenStream) -> Self {
        let host_str = host.to_string().replace(' ', "");
        Paths {
            schema: quote!(#host::schema),
            schema_str: format!("{host_str}::schema"),
        }
    }
}

/// The type of a value in any position but a struct's field (which may use a serde
/// module for its bytes instead, see [`field`]).
pub(crate) fn value(ty: &Type, paths: &Paths) -> TokenStream {
    let inner = kind(&ty.kind, paths);
    if ty.nullable {
        quote!(::core::option::Option<#inner>)
    } else {
        inner
    }
}

fn kind(kind: &Kind, paths: &Paths) -> TokenStream {
    let schema = &paths.schema;
    match kind {
        Kind::Integer(format) => match format {
            IntFormat::I8 => quote!(i8),
            IntFormat::I16 => quote!(i16),
            IntFormat::I32 => quote!(i32),
            IntFormat::I64 | IntFormat::Unspecified => quote!(i64),
            IntFormat::U8 => quote!(u8),
            IntFormat::U16 => quote!(u16),
            IntFormat::U32 => quote!(u32),
            IntFormat::U64 => quote!(u64),
        },
        Kind::Number(FloatFormat::Float) => quote!(f32),
        Kind::Number(FloatFormat::Double | FloatFormat::Unspecified) => quote!(f64),
        Kind::Boolean => quote!(bool),
        Kind::String => quote!(::std::string::String),
        Kind::DateTime => quote!(#schema::DateTime),
        Kind::Bytes | Kind::Buffer => quote!(#schema::Base64),
        Kind::Array(Some(items)) => {
            let items = value(items, paths);
            quote!(::std::vec::Vec<#items>)
        }
        Kind::Array(None) => quote!(::std::vec::Vec<#schema::serde_json::Value>),
        Kind::Map(values) => {
            let values = value(values, paths);
            quote!(::std::collections::BTreeMap<::std::string::String, #values>)
        }
        Kind::Object => {
            quote!(#schema::serde_json::Map<::std::string::String, #schema::serde_json::Value>)
        }
        Kind::Ref(name) => {
            let name = type_ident(name);
            quote!(#name)
        }
    }
}

/// The type of a parameter the host passes in: borrowed where that saves a copy.
pub(crate) fn param_in(param: &Param, paths: &Paths) -> TokenStream {
    match param.content {
        ContentType::Text => quote!(&str),
        ContentType::Binary => quote!(&[u8]),
        ContentType::Json => {
            let inner = match &param.ty.kind {
                Kind::Integer(_) | Kind::Number(_) | Kind::Boolean => kind(&param.ty.kind, paths),
                Kind::String => quote!(&str),
                Kind::Array(items) => {
                    let items = match items {
                        Some(items) => value(items, paths),
                        None => {
                            let schema = &paths.schema;
                            quote!(#schema::serde_json::Value)
                        }
                    };
                    quote!(&[#items])
                }
                other => {
                    let owned = kind(other, paths);
                    quote!(&#owned)
                }
            };
            if param.ty.nullable {
                quote!(::core::option::Option<#inner>)
            } else {
                inner
            }
        }
    }
}

/// The type of a parameter received owned: an output of the plug-in, or an input of an
/// import in JSON.
pub(crate) fn param_owned(param: &Param, paths: &Paths) -> TokenStream {
    match param.content {
        ContentType::Text => quote!(::std::string::String),
        ContentType::Binary => quote!(::std::vec::Vec<u8>),
        ContentType::Json => value(&param.ty, paths),
    }
}

fn type_ident(name: &str) -> proc_macro2::Ident {
    ident(&camel(name)).expect("naming::check accepted the name")
}

/// The components' Rust definitions.
pub(crate) fn components(schema: &Schema, vis: &syn::Visibility, paths: &Paths) -> TokenStream {
    let cycles = Cycles::new(schema);
    schema
        .components
        .iter()
        .map(|component| match &component.shape {
            Shape::Struct {
                properties,
                additional,
            } => structure(
                component,
                properties,
                additional.as_ref(),
                vis,
                paths,
                &cycles,
            ),
            Shape::Enum(values) => enumeration(component, values, vis, paths),
            Shape::Alias(ty) => {
                let name = type_ident(&component.name);
                let doc_lines = docs(
                    &component.description,
                    &format!("`{}` of the XTP schema.", component.name),
                );
                let ty = value(ty, paths);
                quote! {
                    #(#[doc = #doc_lines])*
                    #vis type #name = #ty;
                }
            }
        })
        .collect()
}

/// Doc-comment lines: the schema's description, or `fallback`.
pub(crate) fn docs(description: &Option<String>, fallback: &str) -> Vec<String> {
    let text = description.as_deref().unwrap_or(fallback);
    text.lines().map(|line| format!(" {line}")).collect()
}

fn derive(paths: &Paths, extra: TokenStream) -> TokenStream {
    let schema = &paths.schema;
    let krate = format!("{}::serde", paths.schema_str);
    quote! {
        #[derive(#extra #schema::serde::Serialize, #schema::serde::Deserialize)]
        #[serde(crate = #krate)]
    }
}

fn structure(
    component: &Component,
    properties: &[Property],
    additional: Option<&Type>,
    vis: &syn::Visibility,
    paths: &Paths,
    cycles: &Cycles,
) -> TokenStream {
    let name = type_ident(&component.name);
    let doc_lines = docs(
        &component.description,
        &format!("`{}` of the XTP schema.", component.name),
    );
    let derive = derive(
        paths,
        quote!(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::cmp::PartialEq,
        ),
    );
    let fields = properties.iter().map(|property| {
        let field = ident(&snake(&property.name)).expect("naming::check accepted the name");
        let rename = &property.name;
        let doc_lines = docs(&property.description, &format!("`{rename}`."));
        let optional = !property.required || property.ty.nullable;
        let skip = (!property.required).then(
            || quote!(#[serde(default, skip_serializing_if = "::core::option::Option::is_none")]),
        );
        let bytes = matches!(property.ty.kind, Kind::Bytes | Kind::Buffer);
        let with = bytes.then(|| {
            let module = if optional { "base64::option" } else { "base64" };
            let with = format!("{}::{module}", paths.schema_str);
            quote!(#[serde(with = #with)])
        });
        let mut ty = match (&property.ty.kind, bytes) {
            (_, true) => quote!(::std::vec::Vec<u8>),
            (Kind::Ref(target), _) if cycles.loops(&component.name, target) => {
                let target = type_ident(target);
                quote!(::std::boxed::Box<#target>)
            }
            (other, _) => kind(other, paths),
        };
        if optional {
            ty = quote!(::core::option::Option<#ty>);
        }
        quote! {
            #(#[doc = #doc_lines])*
            #[serde(rename = #rename)]
            #skip
            #with
            pub #field: #ty,
        }
    });
    let additional = additional.map(|values| {
        let values = value(values, paths);
        quote! {
            /// The keys not named by the schema's properties.
            #[serde(flatten)]
            pub additional_properties: ::std::collections::BTreeMap<::std::string::String, #values>,
        }
    });
    quote! {
        #(#[doc = #doc_lines])*
        #derive
        #vis struct #name {
            #(#fields)*
            #additional
        }
    }
}

fn enumeration(
    component: &Component,
    values: &[String],
    vis: &syn::Visibility,
    paths: &Paths,
) -> TokenStream {
    let name = type_ident(&component.name);
    let doc_lines = docs(
        &component.description,
        &format!("`{}` of the XTP schema.", component.name),
    );
    let derive = derive(
        paths,
        quote!(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
            ::core::cmp::PartialOrd,
            ::core::cmp::Ord,
        ),
    );
    let variants: Vec<_> = values
        .iter()
        .map(|v| format_ident!("{}", camel(v)))
        .collect();
    let variant_docs = values.iter().map(|v| format!(" `\"{v}\"`."));
    quote! {
        #(#[doc = #doc_lines])*
        #derive
        #vis enum #name {
            #(
                #[doc = #variant_docs]
                #[serde(rename = #values)]
                #variants,
            )*
        }

        impl #name {
            /// The value as the schema writes it (its JSON string).
            pub const fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#variants => #values,)*
                }
            }
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// Which components contain themselves without an array or a map between: a field of
/// such a type is boxed, or the struct would have no size.
struct Cycles {
    /// For each component, the components its fields hold directly.
    edges: HashMap<String, BTreeSet<String>>,
}

impl Cycles {
    fn new(schema: &Schema) -> Self {
        let edges = schema
            .components
            .iter()
            .map(|component| {
                let targets = match &component.shape {
                    Shape::Struct { properties, .. } => properties
                        .iter()
                        .filter_map(|p| match &p.ty.kind {
                            Kind::Ref(target) => Some(target.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => BTreeSet::new(),
                };
                (component.name.clone(), targets)
            })
            .collect();
        Cycles { edges }
    }

    /// Whether `from` holding a `to` makes a loop: `to` holds `from`, directly or not.
    fn loops(&self, from: &str, to: &str) -> bool {
        let mut stack = vec![to.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if next == from {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.extend(self.edges.get(&next).into_iter().flatten().cloned());
            }
        }
        false
    }
}
