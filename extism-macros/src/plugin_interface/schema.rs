//! `#[plugin_interface(schema = "path/to/schema.yaml")]`: the interface taken from the
//! XTP schema the plug-in was built against.
//!
//! The schema adds to the user's trait one method per export (before the trait's own
//! items), which then go through the same validation and expansion as methods written by
//! hand. The input and the output of each are encoded by their content type: JSON
//! through `Json`, text and bytes as they are. Next to the trait come the types of
//! `components.schemas` and, when the schema has imports, `<Trait>Imports`: the host
//! functions the plug-in imports, as a trait the host implements.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, ItemTrait, LitStr, Token, TraitItem};

use super::validate::{wrapper_ident, Plan};
use crate::codec::Encoding;
use crate::respan::respan;
use crate::schema::model::{ContentType, Function, Param};
use crate::schema::naming::{camel, ident, snake};
use crate::schema::{self, rust, Loaded};

/// The schema of an interface.
pub(super) struct FromSchema {
    lit: LitStr,
    loaded: Loaded,
}

const USAGE: &str = "write `#[plugin_interface(schema = \"path/to/schema.yaml\")]`, the path \
                     relative to the crate's directory";

/// The attribute's arguments: nothing, or `schema = "..."`, read and checked.
pub(super) fn from_args(args: &TokenStream) -> syn::Result<Option<FromSchema>> {
    if args.is_empty() {
        return Ok(None);
    }
    let parser = |input: ParseStream| -> syn::Result<LitStr> {
        let key = input.call(Ident::parse_any)?;
        if key != "schema" {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown option `{key}` of `#[plugin_interface]`: its only option is \
                     `schema = \"...\"`; options of an export go on its method \
                     (`#[export(name = \"...\")]`, `#[optional]`, `#[codec(...)]`)"
                ),
            ));
        }
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                key.span(),
                format!("`schema` needs the path: {USAGE}"),
            ));
        }
        input.parse::<Token![=]>()?;
        let lit: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), USAGE))?;
        input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error(format!("`schema` is the only option: {USAGE}")));
        }
        Ok(lit)
    };
    let lit = parser.parse2(args.clone()).map_err(|e| {
        syn::Error::new(
            e.span(),
            e.to_string().replace(" expected `=`", &format!(" {USAGE}")),
        )
    })?;
    let loaded = schema::load(&lit)?;
    Ok(Some(FromSchema { lit, loaded }))
}

impl FromSchema {
    /// Adds a method per export to `item`, before its own items; a method of the trait
    /// with the name of one is an error.
    pub(super) fn add_methods(&self, item: &mut ItemTrait, host: &TokenStream) -> syn::Result<()> {
        let mut errors: Option<syn::Error> = None;
        let mut push = |error: syn::Error| match &mut errors {
            Some(first) => first.combine(error),
            None => errors = Some(error),
        };
        let trait_ident = &item.ident;
        let reserved = [
            trait_ident.unraw().to_string(),
            wrapper_ident(trait_ident).to_string(),
            imports_ident(trait_ident).to_string(),
        ];
        for component in &self.loaded.schema.components {
            let name = camel(&component.name);
            if reserved.contains(&name) {
                push(syn::Error::new(
                    self.lit.span(),
                    format!(
                        "the schema's component `{}` would be the type `{name}`, a name the \
                         interface takes: rename the trait",
                        component.name
                    ),
                ));
            }
        }
        let paths = rust::Paths::new(host);
        let mut methods = Vec::new();
        for export in &self.loaded.schema.exports {
            let method = ident(&snake(&export.name)).expect("naming::check accepted the name");
            for existing in &item.items {
                if let TraitItem::Fn(f) = existing {
                    if f.sig.ident.unraw() == method.unraw() {
                        push(syn::Error::new(
                            f.sig.ident.span(),
                            format!(
                                "`{method}` is the method of the schema's export `{}`: remove \
                                 or rename this one",
                                export.name
                            ),
                        ));
                    }
                }
            }
            methods.push(self.export_method(export, &method, host, &paths));
        }
        if let Some(errors) = errors {
            return Err(errors);
        }
        let own = std::mem::take(&mut item.items);
        item.items = methods;
        item.items.extend(own);
        Ok(())
    }

    fn export_method(
        &self,
        export: &Function,
        method: &Ident,
        host: &TokenStream,
        paths: &rust::Paths,
    ) -> TraitItem {
        let name = &export.name;
        let mut docs = function_docs(export);
        docs.push(String::new());
        docs.push(format!(" Calls the export `{name}`."));
        let input = export.input.as_ref().map(|param| {
            let ty = rust::param_in(param, paths);
            quote!(, input: #ty)
        });
        let output = match &export.output {
            Some(param) => rust::param_owned(param, paths),
            None => quote!(()),
        };
        let tokens = quote! {
            #(#[doc = #docs])*
            #[export(name = #name)]
            fn #method(&mut self #input) -> ::core::result::Result<#output, #host::Error>;
        };
        syn::parse2(respan(tokens, self.lit.span())).expect("a trait method")
    }

    /// JSON parameters go through `Json`; text and bytes are their own encoding.
    pub(super) fn set_encodings(&self, plan: &mut Plan) {
        let encoding = |param: &Option<Param>| match param {
            Some(Param {
                content: ContentType::Json,
                ..
            }) => Some(Encoding::Json),
            _ => None,
        };
        for call in &mut plan.calls {
            if let Some(export) = self
                .loaded
                .schema
                .exports
                .iter()
                .find(|e| e.name == call.export)
            {
                call.input_encoding = encoding(&export.input);
                call.output_encoding = encoding(&export.output);
            }
        }
    }

    /// The types, the imports trait, and the dependency on the file.
    pub(super) fn items(&self, item: &ItemTrait, host: &TokenStream) -> TokenStream {
        let paths = rust::Paths::new(host);
        let vis = &item.vis;
        let types = rust::components(&self.loaded.schema, vis, &paths);
        let imports = self.imports(item, host, &paths);
        // The path the macro read, wherever the crate is: rebuilds it when the schema changes.
        let file = format!("/{}", self.loaded.relative);
        quote! {
            #types
            #imports
            const _: &[u8] = ::core::include_bytes!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), #file));
        }
    }

    fn imports(&self, item: &ItemTrait, host: &TokenStream, paths: &rust::Paths) -> TokenStream {
        let imports = &self.loaded.schema.imports;
        if imports.is_empty() {
            return TokenStream::new();
        }
        let vis = &item.vis;
        let trait_name = item.ident.unraw().to_string();
        let name = imports_ident(&item.ident);
        let docs = [
            format!(
                " The host functions the plug-ins of [`{trait_name}`] import (namespace \
                 `extism:host/user`), as the XTP schema declares them."
            ),
            String::new(),
            " Implement it, then give the plug-in \
             [`into_host_functions`](Self::into_host_functions). The plug-in's imports are \
             checked against these signatures when it is linked: one of another type is \
             an `Error::Link` naming it."
                .to_string(),
        ];
        let mut methods = Vec::new();
        let mut functions = Vec::new();
        for import in imports {
            let method = ident(&snake(&import.name)).expect("naming::check accepted the name");
            let mut method_docs = function_docs(import);
            method_docs.push(String::new());
            method_docs.push(format!(" The plug-in imports it as `{}`.", import.name));
            let (input_ty, decode) = match &import.input {
                None => (None, None),
                Some(param) => {
                    let (ty, decode) = match param.content {
                        ContentType::Text => (
                            quote!(&str),
                            quote!(<&str as #host::codec::Decode>::decode(plugin.read_bytes(input)?)?),
                        ),
                        ContentType::Binary => (
                            quote!(&[u8]),
                            quote!(<&[u8] as #host::codec::Decode>::decode(plugin.read_bytes(input)?)?),
                        ),
                        ContentType::Json => {
                            let owned = rust::param_owned(param, paths);
                            (
                                owned.clone(),
                                quote!(<#host::codec::Json<#owned> as #host::codec::Decode>::decode(plugin.read_bytes(input)?)?.0),
                            )
                        }
                    };
                    (Some(ty), Some(decode))
                }
            };
            let output_ty = import
                .output
                .as_ref()
                .map(|param| rust::param_owned(param, paths));
            let input_arg = input_ty.as_ref().map(|ty| quote!(, input: #ty));
            let returns = output_ty.clone().unwrap_or_else(|| quote!(()));
            methods.push(quote! {
                #(#[doc = #method_docs])*
                fn #method(&self #input_arg) -> ::core::result::Result<#returns, #host::HostError>;
            });
            let wasm_param = decode.as_ref().map(|_| quote!(, input: u64));
            let call_arg = decode.as_ref().map(|_| quote!(input));
            let read = decode.map(|decode| quote!(let input = #decode;));
            let (wasm_result, write) = match &import.output {
                None => (
                    quote!(()),
                    quote!({
                        let () = output;
                        ::core::result::Result::Ok(())
                    }),
                ),
                Some(param) => {
                    let bytes = match param.content {
                        ContentType::Text => quote!(output.as_bytes()),
                        ContentType::Binary => quote!(&output[..]),
                        ContentType::Json => {
                            quote!(&#host::codec::Encode::encode(&#host::codec::Json(output))?[..])
                        }
                    };
                    (quote!(u64), quote!(plugin.write_bytes(#bytes)))
                }
            };
            let import_name = &import.name;
            functions.push(quote! {
                {
                    let this = ::std::sync::Arc::clone(&this);
                    #host::HostFunction::wrap(
                        #import_name,
                        move |plugin: &mut #host::CurrentPlugin<'_> #wasm_param|
                            -> ::core::result::Result<#wasm_result, #host::HostError> {
                            #read
                            let output = this.#method(#call_arg)?;
                            #write
                        },
                    )
                }
            });
        }
        let count = imports.len();
        quote! {
            #(#[doc = #docs])*
            #vis trait #name: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#methods)*

                /// The host functions that call this implementation, one per import of the
                /// schema, for `PluginBuilder::with_functions`. Every plug-in built with
                /// them shares `self`.
                fn into_host_functions(self) -> ::std::vec::Vec<#host::HostFunction>
                where
                    Self: ::core::marker::Sized,
                {
                    let this = ::std::sync::Arc::new(self);
                    let functions: [#host::HostFunction; #count] = [#(#functions),*];
                    ::std::vec::Vec::from(functions)
                }
            }
        }
    }
}

/// `<Trait>Imports`.
fn imports_ident(trait_ident: &Ident) -> Ident {
    format_ident!("{}Imports", trait_ident.unraw(), span = trait_ident.span())
}

/// A function's description, and its parameters'.
fn function_docs(function: &Function) -> Vec<String> {
    let mut docs = rust::docs(
        &function.description,
        &format!("`{}` of the XTP schema.", function.name),
    );
    for (label, param) in [("Input", &function.input), ("Output", &function.output)] {
        if let Some(Param {
            description: Some(text),
            ..
        }) = param
        {
            docs.push(String::new());
            docs.push(format!(
                " {label}: {}",
                text.lines().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    docs
}
