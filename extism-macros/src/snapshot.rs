//! Expansion snapshots: the pretty-printed output of an expander, compared with a file
//! under `tests/expand/`. Run with `EXTISM_MACROS_BLESS=1` to (re)write the files, then
//! review the diff.

use std::path::PathBuf;

use proc_macro2::TokenStream;

const BLESS_VAR: &str = "EXTISM_MACROS_BLESS";

/// Compares `output`, the expansion of `input`, with `tests/expand/<name>.rs`.
pub(crate) fn assert_snapshot(name: &str, input: &TokenStream, output: &TokenStream) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(format!("{name}.rs"));
    let mut actual = format!(
        "// Expansion snapshot, checked by `cargo test -p extism-macros`.\n\
         // Regenerate with `{BLESS_VAR}=1 cargo test -p extism-macros`.\n\
         //\n\
         // Input:\n//\n"
    );
    for line in pretty(input).lines() {
        actual.push_str(if line.is_empty() { "//" } else { "//     " });
        actual.push_str(line);
        actual.push('\n');
    }
    actual.push('\n');
    actual.push_str(&pretty(output));

    if std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read snapshot {}: {e}\nrun with {BLESS_VAR}=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "expansion differs from {}\nrun with {BLESS_VAR}=1 to accept it\n\n\
             --- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// `tokens` as formatted Rust source.
fn pretty(tokens: &TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens.clone())
        .unwrap_or_else(|e| panic!("expansion is not valid Rust: {e}\n{tokens}"));
    prettyplease::unparse(&file)
}
