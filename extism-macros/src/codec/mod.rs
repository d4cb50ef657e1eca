//! `#[derive(Codec)]`: `Encode` and `Decode` through a serde format or `bytemuck::Pod`.
//!
//! Stages: [`parse`] reads the `#[codec(...)]` attributes into [`parse::Input`],
//! [`validate`] checks the rules that need the whole input, [`expand`] generates the
//! impls, and [`fallback`] turns errors into `compile_error!`s plus stub impls.

mod expand;
mod fallback;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

pub(crate) use self::expand::expand;

/// The derive: the generated impls, or the errors and stub impls.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match expand(input.clone()) {
        Ok(output) => output,
        Err(error) => fallback::expand(input, error),
    }
}

/// The encodings `#[codec(...)]` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Msgpack,
    Pod,
}

impl Encoding {
    const ALL: [Encoding; 3] = [Encoding::Json, Encoding::Msgpack, Encoding::Pod];

    /// The accepted names, for error messages.
    pub(crate) const EXPECTED: &'static str = "`json`, `msgpack` or `pod`";

    /// How it is written in the attribute.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Msgpack => "msgpack",
            Encoding::Pod => "pod",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The encoding `path` names; an unknown name is reported on `path`.
    pub(crate) fn from_path(cx: &crate::ctxt::Ctxt, path: &syn::Path) -> Option<Self> {
        let found = path
            .get_ident()
            .and_then(|ident| Self::from_name(&ident.to_string()));
        if found.is_none() {
            cx.error_spanned_by(
                path,
                format!(
                    "unknown encoding `{}`: expected {}",
                    quote::ToTokens::to_token_stream(path)
                        .to_string()
                        .replace(' ', ""),
                    Self::EXPECTED
                ),
            );
        }
        found
    }
}

impl crate::attr_option::Choice for Encoding {
    const KIND: &'static str = "encoding";

    fn name(self) -> &'static str {
        Encoding::name(self)
    }
}
