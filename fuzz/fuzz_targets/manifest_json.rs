//! `Manifest::from_json` never panics; what parses round-trips through `to_json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        extism_rs_fuzz::manifest::check(text);
    }
});
