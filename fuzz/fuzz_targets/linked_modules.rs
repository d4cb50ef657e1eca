//! Manifests of several modules importing each other in arbitrary shapes
//! (self imports, cycles, chains): see `fuzz/src/oracles/linking.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    extism_rs_fuzz::linking::check(data);
});
