//! Shared code of the fuzz targets: turning fuzz bytes into test cases
//! (`kernel`, `smith`), and the oracles that decide whether a run was correct
//! (`oracles`).
//!
//! Each oracle panics on a finding (libFuzzer then saves the input). The
//! oracle files depend on extism-host / extism-codec / serde only, so
//! `tests/regressions.rs` includes them with `#[path]` and replays the saved
//! *derived* artefacts (manifest JSON, generated WAT, request bytes, codec
//! bytes, wasm modules) in `cargo test`, without cargo-fuzz.

pub mod kernel;
pub mod smith;

pub mod oracles {
    pub mod codec;
    pub mod http;
    pub mod kernel;
    pub mod linking;
    pub mod manifest;
    pub mod wasm;
}

pub use oracles::{codec, http, linking, manifest};
