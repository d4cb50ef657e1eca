//! Expansion snapshots (`tests/expand/host_fn/*.rs`) and the messages of rejected inputs.
//! The user-facing errors, with their spans, are tested again through rustc by the
//! trybuild tests in `tests/ui/host_fn/`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{attribute, expand};
use crate::snapshot::assert_snapshot;

/// `#[host_fn(args)] item`, as the user writes it (for the snapshot's header).
fn written(args: &TokenStream, item: &TokenStream) -> TokenStream {
    if args.is_empty() {
        quote!(#[host_fn] #item)
    } else {
        quote!(#[host_fn(#args)] #item)
    }
}

fn snapshot(name: &str, args: TokenStream, item: TokenStream) {
    let output = expand(args.clone(), item.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_snapshot(&format!("host_fn/{name}"), &written(&args, &item), &output);
}

/// The messages of every error `expand` reports.
fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    match expand(args, item) {
        Ok(output) => panic!("expected errors, got {output}"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn expand_state_and_result() {
    snapshot(
        "state_and_result",
        quote!(),
        quote! {
            /// Reads a key.
            pub fn kv_read(#[state] store: &KvStore, key: &str) -> Result<Vec<u8>, KvError> {
                store.read(key)
            }
        },
    );
}

#[test]
fn expand_mut_state_unit() {
    snapshot(
        "mut_state_unit",
        quote!(),
        quote! {
            fn kv_write(#[state] store: &mut KvStore, key: &str, value: &[u8]) {
                store.write(key, value);
            }
        },
    );
}

#[test]
fn expand_mut_plugin_copies_arguments() {
    snapshot(
        "mut_plugin_copies_arguments",
        quote!(),
        quote! {
            fn remember(plugin: &mut CurrentPlugin, key: &str, count: u32) -> Result<(), HostError> {
                plugin.set_var(key, &count.to_le_bytes())
            }
        },
    );
}

#[test]
fn expand_shared_plugin() {
    snapshot(
        "shared_plugin",
        quote!(name = "config_or", namespace = "app"),
        quote! {
            pub(crate) fn config_or_default(plugin: &CurrentPlugin<'_>, key: &str, default: String) -> String {
                plugin.config(key).map_or(default, str::to_string)
            }
        },
    );
}

#[test]
fn expand_numbers_in_blocks() {
    snapshot(
        "numbers_in_blocks",
        quote!(),
        quote! {
            fn add(a: i32, b: i32) -> i32 {
                a.wrapping_add(b)
            }
        },
    );
}

#[test]
fn expand_numbers_as_wasm_values() {
    snapshot(
        "numbers_as_wasm_values",
        quote!(numbers = "wasm"),
        quote! {
            fn scale(#[state] factor: &Factor, x: f64, label: &str, times: u32) -> io::Result<f64> {
                Ok(x * factor.0 * f64::from(times))
            }
        },
    );
}

#[test]
fn expand_borrowed_result() {
    snapshot(
        "borrowed_result",
        quote!(),
        quote! {
            fn first_word(text: &str) -> Cow<'_, str> {
                Cow::Borrowed(text.split(' ').next().unwrap_or(""))
            }
        },
    );
}

#[test]
fn expand_named_lifetimes() {
    snapshot(
        "named_lifetimes",
        quote!(),
        quote! {
            fn tag<'a>(#[state] prefix: &'a Prefix, text: &'a str) -> Cow<'a, str> {
                prefix.apply(text)
            }
        },
    );
}

#[test]
fn expand_states_and_patterns() {
    snapshot(
        "states_and_patterns",
        quote!(),
        quote! {
            fn record<'a>(
                #[state] log: &'a mut Log,
                #[state] (Clock(now)): &Clock,
                Json((x, y)): Json<(i32, i32)>,
                _: (),
            ) -> Json<Entry> {
                log.push(now, x, y)
            }
        },
    );
}

#[test]
fn expand_async_state_and_result() {
    snapshot(
        "async_state_and_result",
        quote!(),
        quote! {
            /// Fetches a key.
            pub async fn fetch_value(#[state] store: &KvStore, key: String) -> Result<Vec<u8>, KvError> {
                store.fetch(&key).await
            }
        },
    );
}

#[test]
fn expand_async_mut_plugin_and_states() {
    snapshot(
        "async_mut_plugin_and_states",
        quote!(namespace = "app"),
        quote! {
            async fn remember(
                plugin: &mut CurrentPlugin<'_>,
                #[state] log: &mut Log,
                #[state] clock: &Clock,
                #[state] (Limits(max)): &Limits,
                key: &str,
                count: u32,
            ) -> Result<(), HostError> {
                log.push(clock.now().await, key, count.min(*max));
                plugin.set_var(key, &count.to_le_bytes())
            }
        },
    );
}

#[test]
fn expand_async_numbers_as_wasm_values() {
    snapshot(
        "async_numbers_as_wasm_values",
        quote!(numbers = "wasm"),
        quote! {
            async fn delay(ms: u64, label: &str) -> u64 {
                sleep(ms, label).await
            }
        },
    );
}

#[test]
fn expand_async_borrowed_result() {
    snapshot(
        "async_borrowed_result",
        quote!(),
        quote! {
            async fn first_word(text: &str) -> &str {
                text.split(' ').next().unwrap_or("")
            }
        },
    );
}

#[test]
fn expand_async_without_arguments_or_result() {
    snapshot(
        "async_without_arguments_or_result",
        quote!(),
        quote! {
            async fn tick() {
                yield_now().await
            }
        },
    );
}

#[test]
fn expand_fallback() {
    let args = quote!(name = "");
    let item = quote! {
        async fn fetch(plugin: &CurrentPlugin<'_>, #[state] client: &Client, url: &str) -> Vec<u8> {
            client.get(url).await
        }
    };
    let output = attribute(args.clone(), item.clone());
    assert_snapshot("host_fn/fallback", &written(&args, &item), &output);
}

#[test]
fn options() {
    assert_eq!(
        errors(
            quote!(
                nmae = "x",
                name = 1,
                name,
                namespace = "a",
                namespace = "b",
                numbers = "i64"
            ),
            quote!(
                fn f() {}
            ),
        ),
        [
            "unknown option `nmae`: expected `name`, `namespace` or `numbers`",
            "expected a string literal: `name = \"...\"`",
            "expected `name = \"...\"`",
            "duplicate option `namespace`",
            "unknown value \"i64\" for `numbers`: expected `\"block\"` (the default) or `\"wasm\"`",
        ]
    );
    assert_eq!(
        errors(
            quote!(name = "", namespace = ""),
            quote!(
                fn f() {}
            )
        ),
        ["`name` cannot be empty", "`namespace` cannot be empty"]
    );
    assert_eq!(
        errors(quote!(name = "a" "b"), quote!(fn f() {})),
        ["expected options as `key = \"value\"`, separated by commas: `name`, `namespace` or `numbers`"]
    );
}

#[test]
fn not_a_function() {
    assert_eq!(
        errors(
            quote!(),
            quote!(
                struct S;
            )
        ),
        ["`#[host_fn]` applies to functions: `fn name(...) -> ... { ... }`"]
    );
    // Errors in the options are reported too.
    assert_eq!(
        errors(
            quote!(nmae = "x"),
            quote!(
                struct S;
            )
        )
        .len(),
        2
    );
}

#[test]
fn signature() {
    assert_eq!(
        errors(
            quote!(),
            quote!(async unsafe fn f<'a, T, const N: usize>(x: T, ...) {})
        ),
        [
            "`#[host_fn]` functions cannot be `unsafe`: a plug-in may call them with any arguments; check them in a safe function",
            "`#[host_fn]` functions cannot be variadic: the plug-in imports one fixed signature",
            "`#[host_fn]` functions cannot have type parameters: a plug-in cannot choose a type; use a concrete type",
            "`#[host_fn]` functions cannot have const parameters: a plug-in cannot choose a constant",
        ]
    );
}

#[test]
fn parameters() {
    assert_eq!(
        errors(
            quote!(),
            quote!(fn f(
                &self,
                p: CurrentPlugin,
                #[state(shared)] a: &A,
                #[state] #[state] b: &B,
                #[state] c: C,
                #[state] d: &mut CurrentPlugin,
                #[cfg(test)] e: u32,
                g: &mut G,
                h: impl Into<String>,
                #[state] z: &Z,
            ) -> impl Sized {})
        ),
        [
            "`#[state]` takes no arguments",
            "duplicate `#[state]`",
            "`#[host_fn]` parameters cannot be conditional: the plug-in imports one fixed signature",
            "`#[host_fn]` applies to free functions, not methods: remove `self`",
            "take the current plug-in by reference: `&CurrentPlugin` or `&mut CurrentPlugin`",
            "a `#[state]` parameter is a reference, `&T` or `&mut T`, to the state lent with `PluginBuilder::with_state`",
            "the current plug-in is not a state: remove `#[state]`",
            "an argument from the plug-in cannot be `&mut`: mark a state parameter `#[state]`, or take the current plug-in as `&mut CurrentPlugin`",
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
            "the current plug-in and `#[state]` parameters come first, before the arguments from the plug-in",
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
        ]
    );
}

#[test]
fn impl_trait_at_any_depth() {
    assert_eq!(
        errors(
            quote!(),
            quote!(
                fn f(
                    #[state] s: &Vec<impl Sized>,
                    x: Option<impl Decode>,
                ) -> Result<impl Sized, E> {
                }
            )
        ),
        [
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
            "`#[host_fn]` needs concrete types: `impl Trait` cannot cross the plug-in boundary",
        ]
    );
}

#[test]
fn async_parameters() {
    assert_eq!(
        errors(
            quote!(),
            quote!(
                async fn f(p: &CurrentPlugin<'_>, #[state] s: &S, key: &str) {}
            )
        ),
        ["an `async` host function takes the current plug-in as `&mut CurrentPlugin`: `CurrentPlugin` is not `Sync`, so a future holding `&CurrentPlugin` across `.await` would not be `Send`"]
    );
    // Everything a synchronous function takes, an async one takes too.
    assert!(expand(
        quote!(numbers = "wasm"),
        quote!(
            async fn f<'a>(
                p: &mut CurrentPlugin<'_>,
                #[state] a: &'a A,
                #[state] b: &mut B,
                key: &'a str,
                bytes: &[u8],
                n: u32,
                Json(x): Json<X>,
            ) -> Result<Cow<'a, str>, E> {
            }
        )
    )
    .is_ok());
}

#[test]
fn context_once() {
    assert_eq!(
        errors(
            quote!(),
            quote!(
                fn f(
                    p: &CurrentPlugin,
                    q: &mut extism_host::CurrentPlugin<'_>,
                    #[state] a: &Store,
                    #[state] b: &mut Store,
                ) {
                }
            )
        ),
        [
            "the current plug-in is already taken by parameter `p`",
            "state `Store` is already borrowed by parameter `a`",
        ]
    );
}

#[test]
fn arity() {
    assert!(expand(
        quote!(),
        quote!(
            fn f(p: &CurrentPlugin, a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8) {}
        )
    )
    .is_ok());
    assert_eq!(
        errors(
            quote!(),
            quote!(fn f(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: u8, j: u8) {})
        ),
        ["`#[host_fn]` functions take at most 8 arguments from the plug-in; this one takes 10: pass a struct (e.g. `Json<T>`) instead"]
    );
}

#[test]
fn unparsable_input_is_an_error_not_a_panic() {
    let output = attribute(quote!(), quote!(fn {}));
    assert!(output.to_string().contains("compile_error"), "{output}");
    let output = attribute(
        quote!(= =),
        quote!(
            fn f() {}
        ),
    );
    assert!(output.to_string().contains("compile_error"), "{output}");
}

#[test]
fn methods_get_no_stub() {
    let output = attribute(
        quote!(),
        quote!(
            fn f(&self) {}
        ),
    )
    .to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(!output.contains("enum"), "{output}");
}

#[test]
fn wasm_number_types() {
    use super::parse::is_wasm_number;
    for ty in [
        quote!(i32),
        quote!(u64),
        quote!(f32),
        quote!(core::primitive::f64),
        quote!(::std::primitive::u32),
    ] {
        assert!(is_wasm_number(&syn::parse2(ty.clone()).unwrap()), "{ty}");
    }
    for ty in [
        quote!(u8),
        quote!(bool),
        quote!(usize),
        quote!(::i32),
        quote!(my::primitive::i32),
        quote!(Wrapping<i32>),
        quote!(&i32),
    ] {
        assert!(!is_wasm_number(&syn::parse2(ty.clone()).unwrap()), "{ty}");
    }
}
