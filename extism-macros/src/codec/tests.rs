//! Expansion snapshots (`tests/expand/codec/*.rs`) and the messages of rejected inputs.
//! The user-facing errors, with their spans, are tested again through rustc by the
//! trybuild tests in `tests/ui/codec/`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{derive, expand};
use crate::snapshot::assert_snapshot;

fn snapshot(name: &str, input: TokenStream) {
    let output = expand(input.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_snapshot(&format!("codec/{name}"), &input, &output);
}

/// The messages of every error `expand` reports for `input`.
fn errors(input: TokenStream) -> Vec<String> {
    match expand(input) {
        Ok(output) => panic!("expected errors, got {output}"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn expand_json_struct() {
    snapshot(
        "json_struct",
        quote! {
            #[derive(Codec, Serialize, Deserialize)]
            #[codec(json)]
            struct Greeting {
                name: String,
            }
        },
    );
}

#[test]
fn expand_msgpack_enum() {
    snapshot(
        "msgpack_enum",
        quote! {
            #[derive(Codec)]
            #[codec(msgpack)]
            pub enum Event {
                Started { at: u64 },
                Stopped,
            }
        },
    );
}

#[test]
fn expand_pod_struct() {
    snapshot(
        "pod_struct",
        quote! {
            #[derive(Codec, Clone, Copy, Zeroable, Pod)]
            #[codec(pod)]
            #[repr(C)]
            struct Vertex {
                pos: [f32; 3],
                id: u32,
            }
        },
    );
}

#[test]
fn expand_pod_union() {
    snapshot(
        "pod_union",
        quote! {
            #[derive(Codec, Clone, Copy)]
            #[codec(pod)]
            #[repr(C)]
            union Word {
                int: u32,
                float: f32,
            }
        },
    );
}

#[test]
fn expand_generic_json() {
    snapshot(
        "generic_json",
        quote! {
            #[derive(Codec)]
            #[codec(json)]
            struct Page<T: Clone, const N: usize>
            where
                T: Default,
            {
                items: Vec<T>,
            }
        },
    );
}

#[test]
fn expand_borrowed_json() {
    snapshot(
        "borrowed_json",
        quote! {
            #[derive(Codec)]
            #[codec(json)]
            struct Name<'a> {
                first: &'a str,
            }
        },
    );
}

#[test]
fn expand_fallback_missing_encoding() {
    let input = quote! {
        #[derive(Codec)]
        struct Plain<T> {
            value: T,
        }
    };
    let output = derive(input.clone());
    assert_snapshot("codec/fallback_missing_encoding", &input, &output);
}

#[test]
fn missing_encoding() {
    assert_eq!(
        errors(quote!(struct S;)),
        ["`#[derive(Codec)]` needs an encoding: add `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`"]
    );
}

#[test]
fn unknown_encodings() {
    assert_eq!(
        errors(quote!(
            #[codec(yaml)]
            struct S;
        )),
        ["unknown encoding `yaml`: expected `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(serde::json)]
            struct S;
        )),
        ["unknown encoding `serde::json`: expected `json`, `msgpack` or `pod`"]
    );
    // Unknown names with arguments are still unknown names.
    assert_eq!(
        errors(quote!(
            #[codec(yaml(pretty))]
            struct S;
        )),
        ["unknown encoding `yaml`: expected `json`, `msgpack` or `pod`"]
    );
}

#[test]
fn duplicate_and_conflicting() {
    assert_eq!(
        errors(quote!(
            #[codec(json, json)]
            struct S;
        )),
        ["duplicate encoding `json`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(json)]
            #[codec(json)]
            struct S;
        )),
        ["duplicate encoding `json`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(json)]
            #[codec(pod, msgpack)]
            struct S;
        )),
        [
            "conflicting encodings: `pod` here, but `json` was given first; keep one",
            "conflicting encodings: `msgpack` here, but `json` was given first; keep one",
        ]
    );
}

#[test]
fn malformed_attributes() {
    assert_eq!(
        errors(quote!(#[codec] struct S;)),
        ["`#[codec]` needs an encoding: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec = "json"]
            struct S;
        )),
        ["expected `#[codec(<encoding>)]`, found `#[codec = ...]`: write `#[codec(json)]`"]
    );
    assert_eq!(
        errors(quote!(#[codec = 1] struct S;)),
        ["expected `#[codec(<encoding>)]`, found `#[codec = ...]`: the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        errors(quote!(#[codec()] struct S;)),
        ["`#[codec()]` names no encoding: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec("pod")]
            struct S;
        )),
        ["write the encoding as a name, without quotes: `#[codec(pod)]`"]
    );
    assert_eq!(
        errors(quote!(#[codec(1)] struct S;)),
        ["expected an encoding name, found a literal: the encodings are `json`, `msgpack` or `pod`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(json(pretty))]
            struct S;
        )),
        ["the `json` encoding takes no arguments: write `#[codec(json)]`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(msgpack = true)]
            struct S;
        )),
        ["the `msgpack` encoding takes no arguments: write `#[codec(msgpack)]`"]
    );
    assert_eq!(
        errors(quote!(
            #[codec(json pod)]
            struct S;
        )),
        ["expected an encoding name in `#[codec(...)]`: `json`, `msgpack` or `pod`"]
    );
}

#[test]
fn shapes() {
    assert_eq!(
        errors(quote!(#[codec(pod)] enum E { A })),
        ["`#[codec(pod)]` cannot apply to an enum: enums are never `bytemuck::Pod`, since not every bit pattern is a valid variant; use `#[codec(json)]` or `#[codec(msgpack)]`"]
    );
    assert_eq!(
        errors(quote!(#[codec(msgpack)] union U { a: u8 })),
        ["`#[codec(msgpack)]` cannot apply to a union: serde cannot serialize unions; use `#[codec(pod)]` for a `bytemuck::Pod` union"]
    );
    assert!(expand(quote!(
        #[codec(json)]
        enum E {
            A,
        }
    ))
    .is_ok());
    assert!(expand(quote!(#[codec(pod)] union U { a: u8 })).is_ok());
}

#[test]
fn all_errors_of_one_input_are_reported() {
    let input = quote! {
        #[codec(yaml, "json")]
        #[codec]
        #[codec(pod, json)]
        enum E { A }
    };
    assert_eq!(
        errors(input),
        [
            "unknown encoding `yaml`: expected `json`, `msgpack` or `pod`",
            "write the encoding as a name, without quotes: `#[codec(json)]`",
            "`#[codec]` needs an encoding: write `#[codec(json)]`; the encodings are `json`, `msgpack` or `pod`",
            "conflicting encodings: `json` here, but `pod` was given first; keep one",
            "`#[codec(pod)]` cannot apply to an enum: enums are never `bytemuck::Pod`, since not every bit pattern is a valid variant; use `#[codec(json)]` or `#[codec(msgpack)]`",
        ]
    );
}

#[test]
fn malformed_attribute_is_not_also_missing() {
    assert_eq!(
        errors(quote!(
            #[codec(yaml)]
            struct S;
        ))
        .len(),
        1
    );
}

#[test]
fn other_attributes_are_ignored() {
    assert!(expand(quote!(
        #[serde(rename_all = "camelCase")]
        #[codec(json)]
        #[repr(C)]
        struct S;
    ))
    .is_ok());
}

#[test]
fn unparsable_input_is_an_error_not_a_panic() {
    let output = derive(quote!(
        fn not_a_type() {}
    ));
    assert!(output.to_string().contains("compile_error"), "{output}");
}
