//! Every `Decode` of extism-codec on arbitrary bytes (aligned and shifted).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    extism_rs_fuzz::codec::check(data);
});
