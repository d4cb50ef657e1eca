//! Arbitrary wasm-smith modules importing `extism:host/env` (right or wrong
//! types) loaded as plug-ins and called under fuel, a timeout and max_pages.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let input: Vec<u8> = match u.arbitrary() {
        Ok(i) => i,
        Err(_) => return,
    };
    let Ok(wasm) = extism_rs_fuzz::smith::module(&mut u) else {
        return;
    };
    if let Ok(path) = std::env::var("EXTISM_FUZZ_DUMP_WASM") {
        let _ = std::fs::write(path, &wasm);
    }
    extism_rs_fuzz::smith::check(&wasm, &input);
});
