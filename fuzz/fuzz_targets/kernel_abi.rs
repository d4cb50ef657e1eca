//! The kernel ABI driven by an arbitrary sequence of kernel calls: the input
//! is the program of an interpreter plug-in compiled once
//! (`fuzz/src/oracles/kernel_interp.wat`); byte 0 picks max_pages,
//! max_var_bytes and recycling. See also `kernel_abi_wat`, which generates a
//! plug-in per input (slower, straight-line code).
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static INTERP: RefCell<extism_rs_fuzz::oracles::kernel::Interp> = RefCell::default();
}

fuzz_target!(|data: &[u8]| {
    // While finding F7 is open (a service copies a block of up to 4 GiB
    // before its limit check), runs can skip the settings without max_pages.
    if std::env::var_os("EXTISM_FUZZ_REQUIRE_MAX_PAGES").is_some()
        && data.first().is_none_or(|b| {
            extism_rs_fuzz::oracles::kernel::interp_settings(*b)
                .0
                .is_none()
        })
    {
        return;
    }
    INTERP.with(|i| i.borrow_mut().run(data));
});
