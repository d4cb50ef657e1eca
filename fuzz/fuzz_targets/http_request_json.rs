//! The `http_request` JSON a plug-in sends, with no allowed hosts: always a
//! typed refusal, never a panic, never traffic. The first byte picks the
//! export (request alone, request = body, copied request + body).
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static PLUGIN: RefCell<extism_host::Plugin> = RefCell::new(extism_rs_fuzz::http::plugin());
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, request)) = data.split_first() else {
        return;
    };
    let exports = extism_rs_fuzz::http::EXPORTS;
    let export = exports[usize::from(which) % exports.len()];
    PLUGIN.with(|p| extism_rs_fuzz::http::check(&mut p.borrow_mut(), export, request));
});
