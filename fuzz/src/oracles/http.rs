//! Target 3: the `http_request` JSON a plug-in sends, with no allowed hosts.
//!
//! One plug-in, compiled and instantiated once, passes its whole input block
//! as the request (`req`), or as both request and body (`req_body`, the same
//! block twice), or a block it copies the input into (`req_copy`, with a
//! separate 3-byte body). The call must fail with a typed
//! `Error::HostFunction` from `http_request` that says the request was refused
//! before anything was sent: never Ok, never a transport error, never a panic.

use extism_host::{Error, Manifest, Plugin, PluginBuilder, Wasm};

fn verbose() -> bool {
    std::env::var_os("EXTISM_FUZZ_VERBOSE").is_some()
}

pub const WAT: &str = r#"(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (func $finish (param $r i64) (result i32)
    (if (i64.ne (local.get $r) (i64.const 0))
      (then (call $output_set (local.get $r) (i64.const 1))))
    (call $http_status_code))
  (func (export "req") (result i32)
    (call $finish (call $http_request (call $input_offset) (i64.const 0))))
  (func (export "req_body") (result i32)
    (call $finish (call $http_request (call $input_offset) (call $input_offset))))
  (func (export "req_copy") (result i32) (local $p i64) (local $b i64) (local $i i64) (local $n i64)
    (local.set $n (call $input_length))
    (local.set $p (call $alloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $p) (local.get $i))
          (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.set $b (call $alloc (i64.const 3)))
    (call $store_u8 (local.get $b) (i32.const 97))
    (call $finish (call $http_request (local.get $p) (local.get $b))))
)"#;

pub const EXPORTS: &[&str] = &["req", "req_body", "req_copy"];

/// The plug-in: no `allowed_hosts`, as a default manifest.
pub fn plugin() -> Plugin {
    PluginBuilder::new(Manifest::new([Wasm::data(WAT.as_bytes().to_vec())]))
        .with_name("http-fuzz")
        .build()
        .expect("the HTTP fuzz plug-in loads")
}

/// Messages that say the request was refused before any traffic.
const REFUSALS: &[&str] = &["is not allowed", "invalid HTTP request JSON", "invalid URL"];

/// Calls `export` with `request` and checks the outcome; panics on a finding.
pub fn check(plugin: &mut Plugin, export: &str, request: &[u8]) {
    match plugin.call_bytes(export, request) {
        Ok(out) => panic!("http_request with no allowed hosts succeeded: output {out:?}"),
        Err(Error::HostFunction {
            host_function,
            message,
            ..
        }) => {
            assert_eq!(host_function, "extism:host/env::http_request", "{message}");
            assert!(
                REFUSALS.iter().any(|r| message.contains(r)),
                "http_request failed in an unexpected way (traffic attempted?): {message}"
            );
            if verbose() {
                eprintln!("{export}: {message}");
            }
        }
        Err(other) => {
            panic!("http_request did not fail with a typed HostFunction error: {other:?}")
        }
    }
}
