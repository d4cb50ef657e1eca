//! Expansion snapshots (`tests/expand/plugin_interface/*.rs`) and the messages of
//! rejected inputs. The user-facing errors, with their spans, are tested again through
//! rustc by the trybuild tests in `tests/ui/plugin_interface/`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{attribute, expand};
use crate::snapshot::assert_snapshot;

/// The input as the user writes it, for the snapshot's header.
fn written(args: &TokenStream, item: &TokenStream) -> TokenStream {
    if args.is_empty() {
        quote!(#[plugin_interface] #item)
    } else {
        quote!(#[plugin_interface(#args)] #item)
    }
}

fn snapshot(name: &str, item: TokenStream) {
    let output = expand(TokenStream::new(), item.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_snapshot(
        &format!("plugin_interface/{name}"),
        &written(&TokenStream::new(), &item),
        &output,
    );
}

/// The messages of every error `expand` reports for `item`.
fn errors(item: TokenStream) -> Vec<String> {
    errors_with(TokenStream::new(), item)
}

fn errors_with(args: TokenStream, item: TokenStream) -> Vec<String> {
    match expand(args, item) {
        Ok(output) => panic!("expected errors, got {output}"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

fn accepted(item: TokenStream) {
    if let Err(error) = expand(TokenStream::new(), item) {
        panic!("rejected: {error}");
    }
}

// ------------------------------------------------------------------ snapshots

#[test]
fn expand_vowel_counter() {
    snapshot(
        "vowel_counter",
        quote! {
            /// Counts vowels.
            pub trait VowelCounter {
                /// Counts the vowels of `text`.
                fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
                /// Starts the total over.
                #[export(name = "reset_total")]
                fn reset(&mut self) -> Result<(), Error>;
                #[optional]
                fn describe(&mut self) -> Result<String, Error>;
            }
        },
    );
}

#[test]
fn expand_codec_json() {
    snapshot(
        "codec_json",
        quote! {
            pub(crate) trait Calculator {
                #[codec(json)]
                fn json_sum(&mut self, operands: Operands) -> extism_host::Result<Sum>;
                #[codec(msgpack)]
                fn clear(&mut self) -> Result<(), extism_host::Error>;
            }
        },
    );
}

#[test]
fn expand_borrowed_output_and_provided_method() {
    snapshot(
        "borrowed_output",
        quote! {
            trait Reflect {
                fn reflect(&mut self, input: &[u8]) -> Result<&[u8], Error>;
                #[cfg(feature = "utf8")]
                fn utf8(&mut self) -> Result<Cow<'_, str>, Error>;
                /// Not an export: kept as written.
                fn reflect_twice(&mut self, input: &[u8]) -> Result<Vec<u8>, Error> {
                    let once = self.reflect(input)?.to_vec();
                    Ok(self.reflect(&once)?.to_vec())
                }
            }
        },
    );
}

#[test]
fn expand_empty_trait() {
    snapshot(
        "empty",
        quote!(
            trait Nothing {}
        ),
    );
}

#[test]
fn expand_fallback() {
    let item = quote! {
        pub trait Broken {
            #[export(name = "")]
            fn count(&mut self, a: u32, b: u32) -> Result<u32, Error>;
            #[optional]
            fn ok(&mut self) -> Result<(), Error>;
        }
    };
    let output = attribute(TokenStream::new(), item.clone());
    assert_snapshot(
        "plugin_interface/fallback",
        &written(&TokenStream::new(), &item),
        &output,
    );
}

/// `#[plugin_interface(schema = "...")]` on `item`, compared with its snapshot. The path
/// is relative to this crate's directory, as in a user's crate.
fn schema_snapshot(name: &str, schema: &str, item: TokenStream) {
    let args = quote!(schema = #schema);
    let output = expand(args.clone(), item.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_snapshot(
        &format!("plugin_interface/{name}"),
        &written(&args, &item),
        &output,
    );
}

#[test]
fn expand_schema_pantry() {
    schema_snapshot(
        "schema_pantry",
        "../plugins/schemas/pantry.yaml",
        quote!(
            pub trait Pantry {}
        ),
    );
}

#[test]
fn expand_schema_shapes() {
    schema_snapshot(
        "schema_shapes",
        "tests/schemas/shapes.yaml",
        quote!(
            pub(crate) trait Shapes {}
        ),
    );
}

#[test]
fn expand_schema_v0() {
    schema_snapshot(
        "schema_v0",
        "../tests/schemas/count_vowels.v0.yaml",
        quote!(
            trait Vowels {}
        ),
    );
}

#[test]
fn schema_errors() {
    assert_eq!(
        errors_with(
            quote!(schema = "tests/schemas/none.yaml"),
            quote!(
                trait T {}
            )
        )[0]
        .split(" (")
        .next()
        .unwrap(),
        "cannot read the XTP schema `tests/schemas/none.yaml`"
    );
    assert_eq!(
        errors_with(quote!(path = "x.yaml"), quote!(trait T {})),
        ["unknown option `path` of `#[plugin_interface]`: its only option is `schema = \"...\"`; \
          options of an export go on its method (`#[export(name = \"...\")]`, `#[optional]`, \
          `#[codec(...)]`)"]
    );
    assert_eq!(
        errors_with(
            quote!(schema = "tests/schemas/shapes.yaml"),
            quote!(
                trait Tree {
                    fn grow(&mut self) -> Result<(), Error>;
                }
            )
        ),
        [
            "the schema's component `Tree` would be the type `Tree`, a name the interface \
             takes: rename the trait",
            "`grow` is the method of the schema's export `grow`: remove or rename this one",
        ]
    );
}

// ------------------------------------------------------------------ accepted inputs

#[test]
fn receivers() {
    accepted(quote!(
        trait T {
            fn a(&mut self) -> Result<(), E>;
            fn b(&'_ mut self) -> Result<(), E>;
            fn c(self: &mut Self) -> Result<(), E>;
        }
    ));
}

#[test]
fn result_paths_and_aliases() {
    accepted(quote!(
        trait T {
            fn a(&mut self) -> std::result::Result<u32, extism_host::Error>;
            fn b(&mut self) -> extism_host::Result<u32>;
            fn c(&mut self) -> ::core::result::Result<Json<Count>, host::Error>;
        }
    ));
}

#[test]
fn elided_lifetimes_in_outputs_and_any_lifetime_in_inputs() {
    accepted(quote!(
        trait T {
            fn a(&mut self, x: &'static str) -> Result<&str, E>;
            fn b(&mut self, x: Cow<'_, [u8]>) -> Result<Cow<'_, str>, E>;
            fn c(&mut self) -> Result<Json<Borrowed<'_>>, E>;
        }
    ));
}

#[test]
fn other_attributes_are_kept() {
    let output = expand(
        TokenStream::new(),
        quote!(
            #[allow(unused)]
            trait T {
                #[deprecated]
                #[must_use]
                #[export(name = "x")]
                fn a(&mut self) -> Result<(), E>;
            }
        ),
    )
    .unwrap()
    .to_string();
    assert!(output.contains("# [deprecated]"), "{output}");
    assert!(output.contains("# [allow (unused)]"), "{output}");
    assert!(!output.contains("# [export"), "{output}");
}

#[test]
fn raw_identifiers() {
    let output = expand(
        TokenStream::new(),
        quote!(
            trait r#Trait {
                fn r#type(&mut self) -> Result<(), E>;
            }
        ),
    )
    .unwrap()
    .to_string();
    assert!(output.contains("struct TraitPlugin"), "{output}");
    assert!(
        output.contains("ExportSpec :: required (\"type\")"),
        "{output}"
    );
    assert!(
        output.contains("check_interface (compiled , \"Trait\" , EXPORTS)"),
        "{output}"
    );
}

// ------------------------------------------------------------------ the item

#[test]
fn not_a_trait() {
    assert_eq!(
        errors(quote!(
            pub struct S;
        )),
        ["expected `trait`: `#[plugin_interface]` applies to a trait"]
    );
    assert_eq!(
        errors(quote!(
            impl T for S {}
        )),
        ["expected `trait`: `#[plugin_interface]` applies to a trait"]
    );
}

#[test]
fn not_a_trait_keeps_the_item() {
    let output = attribute(
        TokenStream::new(),
        quote!(
            struct S;
        ),
    )
    .to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(output.contains("struct S ;"), "{output}");
}

#[test]
fn arguments() {
    assert_eq!(
        errors_with(quote!(name = "X"), quote!(trait T {})),
        ["unknown option `name` of `#[plugin_interface]`: its only option is `schema = \"...\"`; options of an export go on its method (`#[export(name = \"...\")]`, `#[optional]`, `#[codec(...)]`)"]
    );
}

#[test]
fn trait_shapes() {
    assert_eq!(
        errors(quote!(
            unsafe trait T<X>: Send
            where
                X: Clone,
            {
            }
        )),
        [
            "a `#[plugin_interface]` trait cannot be `unsafe`: the generated implementation has no safety contract to uphold",
            "a `#[plugin_interface]` trait cannot be generic: each export has one input type and one output type",
            "a `#[plugin_interface]` trait cannot have a `where` clause",
            "a `#[plugin_interface]` trait cannot have supertraits: the generated `TPlugin` could not implement them; add bounds where the trait is used (`dyn Trait + Send`)",
        ]
    );
}

#[test]
fn associated_items() {
    assert_eq!(
        errors(quote!(
            trait T {
                type Output;
                const N: usize;
                my_methods!();
            }
        )),
        [
            "a `#[plugin_interface]` trait cannot have associated types: write each method's input and output types out",
            "a `#[plugin_interface]` trait cannot have associated consts",
            "a `#[plugin_interface]` trait cannot contain macro invocations: write the methods out",
        ]
    );
}

// ------------------------------------------------------------------ signatures

#[test]
fn receivers_other_than_ref_mut_self() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a(&self) -> Result<(), E>;
                fn b(self) -> Result<(), E>;
                fn c(mut self) -> Result<(), E>;
                fn d(self: Box<Self>) -> Result<(), E>;
                fn e() -> Result<(), E>;
                fn f(input: u32) -> Result<(), E>;
            }
        )),
        [
            "`&self`: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "`self` by value: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "`self` by value: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "`e` has no receiver: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "`f` has no receiver: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
        ]
    );
}

#[test]
fn generics() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a<X: Encode>(&mut self, x: X) -> Result<(), E>;
                fn b<'a>(&'a mut self) -> Result<(), E>;
                fn c(&mut self) -> Result<(), E>
                where
                    Self: Sized;
                fn d(&mut self, x: impl Encode) -> Result<(), E>;
            }
        )),
        [
            "a plug-in method cannot be generic: an export has one input type and one output type",
            "a plug-in method cannot be generic: an export has one input type and one output type",
            "a plug-in method cannot have a `where` clause",
            "`impl Trait` as an input makes the method generic: name the input's type",
        ]
    );
}

#[test]
fn qualifiers() {
    assert_eq!(
        errors(quote!(
            trait T {
                async fn a(&mut self) -> Result<(), E>;
                unsafe fn b(&mut self) -> Result<(), E>;
                extern "C" fn c(&mut self) -> Result<(), E>;
                const fn d(&mut self) -> Result<(), E>;
            }
        )),
        [
            "a plug-in method cannot be `async`: plug-in calls are synchronous",
            "a plug-in method cannot be `unsafe`: the call is safe",
            "a plug-in method cannot have an ABI",
            "a plug-in method cannot be `const`",
        ]
    );
}

#[test]
fn more_than_one_input() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn add(&mut self, a: u32, b: u32, c: u32) -> Result<u32, E>;
            }
        )),
        ["an export takes one input, but `add` has 3: pass one value that holds them all, such as a struct in `Json<...>`, or a tuple with `#[codec(json)]`"]
    );
}

#[test]
fn outputs() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a(&mut self);
                fn b(&mut self) -> u32;
                fn c(&mut self) -> Option<u32>;
                fn d(&mut self) -> Result;
                fn e(&mut self) -> Result<u32, E, F>;
                fn f(&mut self) -> Result<'static, E>;
                fn g(&mut self) -> <X as Y>::Result<u32>;
            }
        )),
        [
            "`a` returns nothing: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
        ]
    );
}

#[test]
fn named_lifetimes_in_outputs() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a(&mut self) -> Result<&'static str, E>;
                fn b(&mut self) -> Result<Json<Pair<'a, 'b>>, E>;
            }
        )),
        [
            "an output can borrow only from the plug-in, through an elided lifetime (`&str`, `Cow<'_, [u8]>`), which ties it to `&mut self` until the next call; remove `'static`",
            "an output can borrow only from the plug-in, through an elided lifetime (`&str`, `Cow<'_, [u8]>`), which ties it to `&mut self` until the next call; remove `'a`",
            "an output can borrow only from the plug-in, through an elided lifetime (`&str`, `Cow<'_, [u8]>`), which ties it to `&mut self` until the next call; remove `'b`",
        ]
    );
}

#[test]
fn impl_trait_output() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a(&mut self) -> Result<impl Decode, E>;
            }
        )),
        ["`impl Trait` cannot be an output: name the type the output decodes to"]
    );
}

#[test]
fn impl_trait_nested_in_an_input_or_an_output() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn a(&mut self, x: &impl Encode) -> Result<(), E>;
                fn b(&mut self) -> Result<Vec<impl Decode>, E>;
            }
        )),
        [
            "`impl Trait` as an input makes the method generic: name the input's type",
            "`impl Trait` cannot be an output: name the type the output decodes to",
        ]
    );
}

#[test]
fn parenthesised_unit_output_is_not_wrapped() {
    let expand = |output: TokenStream| {
        expand(
            TokenStream::new(),
            quote!(
                trait T {
                    #[codec(json)]
                    fn a(&mut self) -> Result<#output, E>;
                }
            ),
        )
        .unwrap()
        .to_string()
    };
    assert!(expand(quote!(u32)).contains("Json"));
    assert!(!expand(quote!(())).contains("Json"));
    assert!(!expand(quote!((()))).contains("Json"));
}

#[test]
fn reserved_method_names() {
    assert_eq!(
        errors(quote!(
            trait Api {
                fn plugin(&mut self) -> Result<(), E>;
                fn into_inner(&mut self) -> Result<(), E> {
                    Ok(())
                }
            }
        )),
        [
            "`plugin` is also a method of the generated `ApiPlugin`, which would hide this one: rename the method, and keep the export's name with `#[export(name = \"plugin\")]`",
            "`into_inner` is also a method of the generated `ApiPlugin`, which would hide this one: rename the method, and keep the export's name with `#[export(name = \"into_inner\")]`",
        ]
    );
    accepted(quote!(
        trait Api {
            #[export(name = "plugin")]
            fn plugin_info(&mut self) -> Result<(), E>;
        }
    ));
}

#[test]
fn duplicate_exports() {
    assert_eq!(
        errors(quote!(
            trait T {
                fn count(&mut self) -> Result<(), E>;
                #[export(name = "count")]
                fn count_again(&mut self) -> Result<(), E>;
            }
        )),
        ["export `count` is already called by method `count`: each export is bound to one method"]
    );
}

// ------------------------------------------------------------------ method options

#[test]
fn export_option() {
    let e = |attr: TokenStream| {
        errors(quote!(
            trait T {
                #attr
                fn a(&mut self) -> Result<(), E>;
            }
        ))
    };
    assert_eq!(
        e(quote!(#[export])),
        ["`#[export]` needs the export's name: write `#[export(name = \"...\")]`"]
    );
    assert_eq!(
        e(quote!(#[export = "x"])),
        ["expected `#[export(name = \"...\")]`, found `#[export = ...]`: write `#[export(name = \"x\")]`"]
    );
    assert_eq!(
        e(quote!(#[export()])),
        ["`#[export()]` names nothing: write `#[export(name = \"...\")]`"]
    );
    assert_eq!(
        e(quote!(#[export("x")])),
        ["name the option: write `#[export(name = \"x\")]`"]
    );
    assert_eq!(
        e(quote!(#[export(name = x)])),
        ["the export's name is a string: write `name = \"...\"`"]
    );
    assert_eq!(
        e(quote!(#[export(name("x"))])),
        ["the export's name is a string: write `name = \"...\"`"]
    );
    assert_eq!(
        e(quote!(#[export(name = "")])),
        ["the export's name cannot be empty"]
    );
    assert_eq!(
        e(quote!(#[export(rename = "x")])),
        ["unknown option `rename` in `#[export(...)]`: the only option is `name = \"...\"`"]
    );
    assert_eq!(
        e(quote!(#[export(name = "x", name = "y")])),
        ["duplicate option `name`"]
    );
    assert_eq!(
        e(quote!(#[export(name = "x")] #[export(name = "y")])),
        ["duplicate option `name`"]
    );
    assert_eq!(
        e(quote!(#[export(name = "x" name = "y")])),
        ["expected `name = \"...\"` in `#[export(...)]`: write `#[export(name = \"...\")]`"]
    );
}

#[test]
fn optional_option() {
    let e = |attr: TokenStream| {
        errors(quote!(
            trait T {
                #attr
                fn a(&mut self) -> Result<(), E>;
            }
        ))
    };
    assert_eq!(
        e(quote!(#[optional(true)])),
        ["`#[optional]` takes no arguments"]
    );
    assert_eq!(
        e(quote!(#[optional = true])),
        ["`#[optional]` takes no arguments"]
    );
    assert_eq!(
        e(quote!(#[optional] #[optional])),
        ["duplicate `#[optional]`"]
    );
}

#[test]
fn codec_option() {
    let e = |attr: TokenStream| {
        errors(quote!(
            trait T {
                #attr
                fn a(&mut self, x: X) -> Result<Y, E>;
            }
        ))
    };
    assert_eq!(
        e(quote!(#[codec])),
        ["`#[codec]` needs an encoding: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        e(quote!(#[codec = "json"])),
        ["expected `#[codec(<encoding>)]`, found `#[codec = ...]`: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        e(quote!(#[codec()])),
        ["`#[codec()]` names no encoding: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        e(quote!(#[codec(yaml)])),
        ["unknown encoding `yaml`: expected `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        e(quote!(#[codec(json(pretty))])),
        ["the `json` encoding takes no arguments: write `#[codec(json)]`"]
    );
    assert_eq!(
        e(quote!(#[codec("json")])),
        ["expected an encoding name in `#[codec(...)]`: `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        e(quote!(#[codec(json, json)])),
        ["duplicate encoding `json`"]
    );
    assert_eq!(
        e(quote!(#[codec(json)] #[codec(msgpack)])),
        ["conflicting encodings: `msgpack` here, but `json` was given first; keep one"]
    );
}

#[test]
fn options_on_a_provided_method() {
    assert_eq!(
        errors(quote!(
            trait T {
                #[export(name = "x")]
                #[optional]
                fn a(&mut self) -> Result<(), E> {
                    Ok(())
                }
            }
        )),
        [
            "`#[export]` on a method with a body: a method with a default body is a provided method, not an export; remove the body to call the export",
            "`#[optional]` on a method with a body: a method with a default body is a provided method, not an export; remove the body to call the export",
        ]
    );
}

#[test]
fn all_errors_of_one_trait_are_reported() {
    let messages = errors(quote!(
        trait T {
            #[export(name = "")]
            #[codec(yaml)]
            fn a(&self, x: u32, y: u32) -> u32;
            type X;
            fn b<T>(self) -> Result<&'static str, E>;
        }
    ));
    assert_eq!(
        messages,
        [
            "the export's name cannot be empty",
            "unknown encoding `yaml`: expected `json`, `msgpack` or `pod`",
            "`&self`: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "an export takes one input, but `a` has 2: pass one value that holds them all, such as a struct in `Json<...>`, or a tuple with `#[codec(json)]`",
            "expected `Result<...>`: a plug-in method returns `Result<T, extism_host::Error>`: every plug-in call can fail",
            "a `#[plugin_interface]` trait cannot have associated types: write each method's input and output types out",
            "a plug-in method cannot be generic: an export has one input type and one output type",
            "`self` by value: a plug-in method takes `&mut self`: each call changes the plug-in's memory and vars",
            "an output can borrow only from the plug-in, through an elided lifetime (`&str`, `Cow<'_, [u8]>`), which ties it to `&mut self` until the next call; remove `'static`",
        ]
    );
}

#[test]
fn fallback_strips_method_attributes_and_stubs_the_impl() {
    let output = attribute(
        TokenStream::new(),
        quote!(
            trait T {
                #[export(name = "")]
                fn a(&mut self) -> Result<(), E>;
            }
        ),
    )
    .to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(!output.contains("# [export"), "{output}");
    assert!(output.contains("impl < __P"), "{output}");
}

#[test]
fn fallback_skips_the_impl_of_a_trait_it_cannot_implement() {
    let output = attribute(
        TokenStream::new(),
        quote!(
            trait T {
                type X;
            }
        ),
    )
    .to_string();
    assert!(output.contains("struct TPlugin"), "{output}");
    assert!(!output.contains("for TPlugin"), "{output}");
}

#[test]
fn fallback_skips_the_impl_when_a_method_returns_impl_trait() {
    let output = attribute(
        TokenStream::new(),
        quote!(
            trait T {
                fn a(&mut self) -> Result<impl AsRef<str>, E>;
            }
        ),
    )
    .to_string();
    assert!(output.contains("struct TPlugin"), "{output}");
    assert!(!output.contains("for TPlugin"), "{output}");
}
