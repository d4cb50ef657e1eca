//! The compile errors of the macros, through rustc: one file per error in `tests/ui/`,
//! with the expected output in the sibling `.stderr`. Regenerate the `.stderr` files
//! with `TRYBUILD=overwrite cargo test -p extism-macros --test compiletest`, then read
//! them: rustc's wording and spans change between versions (this workspace pins 1.95).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/**/*.rs");
}
