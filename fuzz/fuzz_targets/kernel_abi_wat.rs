//! The kernel ABI driven by an arbitrary sequence of kernel calls: the input
//! becomes a generated WAT plug-in (see `fuzz/src/kernel.rs`).
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(case) = extism_rs_fuzz::kernel::Case::arbitrary(&mut u) else {
        return;
    };
    let wat = case.to_wat();
    if let Ok(path) = std::env::var("EXTISM_FUZZ_DUMP_WAT") {
        let _ = std::fs::write(path, &wat);
    }
    extism_rs_fuzz::kernel::run_wat(&wat);
});
