//! XTP schemas: the interface descriptions of xtp-bindgen, which generates the plug-in
//! side of an interface for each PDK. `#[plugin_interface(schema = "...")]` generates
//! the host side from the same file.
//!
//! [`read`] turns the YAML into a checked [`model::Schema`] or the list of its problems;
//! [`naming`] gives each schema name its Rust name and finds the names Rust cannot
//! take; [`rust`] writes the types.

pub(crate) mod model;
pub(crate) mod naming;
pub(crate) mod read;
pub(crate) mod rust;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use syn::LitStr;

pub(crate) use self::model::Schema;

/// A schema file, read for the macro at `lit`.
pub(crate) struct Loaded {
    pub(crate) schema: Schema,
    /// The path as written, relative to the crate's directory: `include_bytes!` of it
    /// makes the crate rebuild when the file changes.
    pub(crate) relative: String,
}

/// Reads the schema `lit` names, relative to the crate being compiled.
///
/// # Errors
/// One error at `lit` per problem: the file cannot be read, or each thing wrong with it.
pub(crate) fn load(lit: &LitStr) -> syn::Result<Loaded> {
    let relative = lit.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = base.join(&relative);
    let text = std::fs::read_to_string(&file).map_err(|error| {
        syn::Error::new(
            lit.span(),
            format!(
                "cannot read the XTP schema `{relative}` ({}): {error}; the path is relative to \
                 the crate's directory (where its Cargo.toml is)",
                file.display()
            ),
        )
    })?;
    let schema = read::read(&text).map_err(|problems| errors(lit, &relative, &problems))?;
    let problems = naming::check(&schema);
    if !problems.is_empty() {
        return Err(errors(lit, &relative, &problems));
    }
    Ok(Loaded { schema, relative })
}

fn errors(lit: &LitStr, file: &str, problems: &[read::Problem]) -> syn::Error {
    let mut all = problems.iter().map(|problem| {
        syn::Error::new(
            lit.span(),
            format!("invalid XTP schema `{file}`: {problem}"),
        )
    });
    let mut first = all.next().expect("at least one problem");
    for error in all {
        first.combine(error);
    }
    first
}
