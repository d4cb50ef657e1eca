//! Which path generated code uses to reach the runtime crates, whatever the user named
//! them in `Cargo.toml`.

use proc_macro2::{Span, TokenStream};
use proc_macro_crate::FoundCrate;
use quote::quote;

/// The path of extism-codec for code generated in the crate being compiled:
///
/// 1. `::<name>` when the crate depends on `extism-codec` (under any name);
/// 2. otherwise `::<name>::codec` when it depends on `extism-host`, which re-exports it;
/// 3. otherwise `::extism_codec`, which gives a clear "unresolved crate" error.
///
/// Inside extism-codec itself (its tests and doctests) the path is `::extism_codec`, which
/// the crate makes valid with `extern crate self as extism_codec;`.
pub(crate) fn codec() -> TokenStream {
    resolve_codec(|package| proc_macro_crate::crate_name(package).ok())
}

/// [`codec`], with the lookup of a package among the dependencies given as `find`.
fn resolve_codec(find: impl Fn(&str) -> Option<FoundCrate>) -> TokenStream {
    if let Some(found) = find("extism-codec") {
        match found {
            FoundCrate::Itself => quote!(::extism_codec),
            FoundCrate::Name(name) => absolute(&name),
        }
    } else if let Some(found) = find("extism-host") {
        let host = match found {
            FoundCrate::Itself => quote!(::extism_host),
            FoundCrate::Name(name) => absolute(&name),
        };
        quote!(#host::codec)
    } else {
        quote!(::extism_codec)
    }
}

/// The path of extism-host for code generated in the crate being compiled: `::<name>` when
/// the crate depends on `extism-host` (under any name), otherwise `::extism_host`, which
/// gives a clear "unresolved crate" error. Inside extism-host itself (its integration
/// tests, examples and doctests, which are other crates) the path is `::extism_host` too.
/// extism-codec is then reached through its re-export, `<host>::codec`.
pub(crate) fn host() -> TokenStream {
    resolve_host(proc_macro_crate::crate_name("extism-host").ok())
}

/// [`host`], with the lookup of `extism-host` among the dependencies given as `found`.
fn resolve_host(found: Option<FoundCrate>) -> TokenStream {
    match found {
        Some(FoundCrate::Name(name)) => absolute(&name),
        Some(FoundCrate::Itself) | None => quote!(::extism_host),
    }
}

/// `::name`, for a crate name as written in `Cargo.toml` (already with `_` for `-`).
fn absolute(name: &str) -> TokenStream {
    let ident = syn::parse_str::<syn::Ident>(name)
        .unwrap_or_else(|_| syn::Ident::new_raw(name, Span::call_site()));
    quote!(::#ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(deps: &[(&str, Option<&str>)]) -> String {
        resolve_codec(|package| {
            deps.iter()
                .find(|(p, _)| *p == package)
                .map(|(_, name)| match name {
                    None => FoundCrate::Itself,
                    Some(name) => FoundCrate::Name(name.to_string()),
                })
        })
        .to_string()
    }

    #[test]
    fn prefers_extism_codec() {
        let deps = [
            ("extism-host", Some("extism_host")),
            ("extism-codec", Some("extism_codec")),
        ];
        assert_eq!(resolved(&deps), ":: extism_codec");
    }

    #[test]
    fn renamed_codec() {
        assert_eq!(resolved(&[("extism-codec", Some("codec"))]), ":: codec");
    }

    #[test]
    fn through_extism_host() {
        assert_eq!(
            resolved(&[("extism-host", Some("host"))]),
            ":: host :: codec"
        );
        assert_eq!(
            resolved(&[("extism-host", None)]),
            ":: extism_host :: codec"
        );
    }

    #[test]
    fn inside_extism_codec() {
        assert_eq!(resolved(&[("extism-codec", None)]), ":: extism_codec");
    }

    #[test]
    fn fallback() {
        assert_eq!(resolved(&[]), ":: extism_codec");
    }

    #[test]
    fn host_renamed_itself_and_missing() {
        let name = |name: &str| Some(FoundCrate::Name(name.to_string()));
        assert_eq!(
            resolve_host(name("extism_host")).to_string(),
            ":: extism_host"
        );
        assert_eq!(resolve_host(name("host")).to_string(), ":: host");
        assert_eq!(
            resolve_host(Some(FoundCrate::Itself)).to_string(),
            ":: extism_host"
        );
        assert_eq!(resolve_host(None).to_string(), ":: extism_host");
    }

    #[test]
    fn this_crate_has_extism_codec_as_dev_dependency() {
        assert_eq!(codec().to_string(), ":: extism_codec");
    }
}
