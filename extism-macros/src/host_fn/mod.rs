//! `#[host_fn]`: a plain Rust function as an Extism host function.
//!
//! The attribute keeps the function (minus the `#[state]` markers on its parameters) and
//! emits a sibling item of the same name in the type namespace, `enum <name> {}`, whose
//! `host_function()` builds the `HostFunction`: a typed closure for `HostFunction::wrap`
//! (`HostFunction::wrap_async` for an `async fn`) that reads the plug-in's arguments,
//! calls the function (and awaits it) and writes its result.
//!
//! Stages, as in `codec`: [`parse`] reads the options and classifies the parameters into
//! [`parse::HostFn`] (reporting malformed attributes), [`validate`] checks every rule on
//! the signature, [`expand`] generates the code, and [`fallback`] turns errors into
//! `compile_error!`s plus the function and a stub registration item, so that code
//! registering the function does not add a cascade of errors.

mod expand;
mod fallback;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

pub(crate) use self::expand::expand;

/// The attribute: the function and its registration item, or the errors and a stub.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args, item.clone()) {
        Ok(output) => output,
        Err(error) => fallback::expand(item, error),
    }
}

/// The parameter attribute that marks state lent with `PluginBuilder::with_state`.
const STATE_ATTR: &str = "state";

/// The namespace host functions are imported from unless `namespace = "..."` says
/// otherwise (extism-host's `USER_NAMESPACE`).
const DEFAULT_NAMESPACE: &str = "extism:host/user";

/// `HostFunction::wrap` takes closures of at most this many wasm arguments; `async fn`s
/// keep the same limit, so that a function can become async without other changes.
const MAX_WASM_PARAMS: usize = 8;

/// The Rust types that are wasm value types, as written in a signature.
const WASM_NUMBERS: [&str; 6] = ["i32", "u32", "i64", "u64", "f32", "f64"];

/// How arguments and results of a number type cross the boundary (`numbers = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Numbers {
    /// Like every other value: in a memory block, little-endian, passed by its `i64`
    /// offset. What extism-pdk's `#[host_fn] extern "ExtismHost" { ... }` imports.
    #[default]
    Block,
    /// As wasm values (`i32`, `i64`, `f32`, `f64`): what hand-written imports use
    /// (`//go:wasmimport`, C, AssemblyScript `@external`, WAT).
    Wasm,
}

impl Numbers {
    const ALL: [Numbers; 2] = [Numbers::Block, Numbers::Wasm];

    /// The accepted values, for error messages.
    const EXPECTED: &'static str = "`\"block\"` (the default) or `\"wasm\"`";

    /// How it is written in the option.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Numbers::Block => "block",
            Numbers::Wasm => "wasm",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
}
