//! kitchen: one export per edge case of the Extism ABI, for host tests.
//!
//! Every export is documented with what it does and what a host should
//! report. Exports written as raw `extern "C"` functions bypass the PDK's
//! `#[plugin_fn]` wrapper on purpose.

use extism_pdk::*;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- JSON in/out

#[derive(Deserialize)]
pub struct Operands {
    a: i64,
    b: i64,
}

#[derive(Serialize)]
pub struct Sum {
    sum: i64,
}

/// `{"a":1,"b":2}` -> `{"sum":3}`; invalid JSON is a PDK input error (rc -1).
#[plugin_fn]
pub fn json_sum(Json(ops): Json<Operands>) -> FnResult<Json<Sum>> {
    Ok(Json(Sum { sum: ops.a.wrapping_add(ops.b) }))
}

// ---------------------------------------------------------------- failures

/// Error text "something went wrong", return code -1 (the PDK default).
#[plugin_fn]
pub fn fail_err() -> FnResult<()> {
    Err(Error::msg("something went wrong").into())
}

/// Error text "custom failure code", return code 42.
#[plugin_fn]
pub fn fail_code() -> FnResult<()> {
    Err(WithReturnCode::new(Error::msg("custom failure code"), 42))
}

/// Returns 7 without setting an error.
#[no_mangle]
pub extern "C" fn exit_nonzero_no_error() -> i32 {
    7
}

/// Panics; with panic = "abort" this ends in a wasm trap (unreachable).
#[plugin_fn]
pub fn panic() -> FnResult<()> {
    let reason = std::hint::black_box("kitchen panicked on purpose");
    panic!("{reason}");
}

/// Executes the `unreachable` instruction directly.
#[no_mangle]
pub extern "C" fn trap_unreachable() -> i32 {
    core::arch::wasm32::unreachable()
}

/// Sets an error and also an output, then returns 0: the error wins.
#[no_mangle]
pub extern "C" fn error_with_output() -> i32 {
    let out = Memory::from_bytes("partial output").unwrap();
    out.set_output();
    let err = Memory::from_bytes("error despite rc 0").unwrap();
    unsafe { extism::error_set(err.offset()) };
    0
}

// ---------------------------------------------------------------- logging

/// One message per level, then outputs "logged".
#[plugin_fn]
pub fn log_all() -> FnResult<&'static str> {
    trace!("kitchen trace message");
    debug!("kitchen debug message");
    info!("kitchen info message");
    warn!("kitchen warn message");
    error!("kitchen error message");
    Ok("logged")
}

/// Outputs the host's log threshold as reported by `get_log_level`.
#[plugin_fn]
pub fn log_level() -> FnResult<String> {
    Ok(unsafe { extism::get_log_level() }.to_string())
}

// ---------------------------------------------------------------- config

/// Input: a config key. Output: its value; error if the key is absent.
#[plugin_fn]
pub fn config_echo(key: String) -> FnResult<String> {
    match config::get(&key)? {
        Some(v) => Ok(v),
        None => Err(Error::msg(format!("config key not found: {key}")).into()),
    }
}

// ---------------------------------------------------------------- vars

/// Sets var `k` to the input and outputs what reading it back gives.
#[plugin_fn]
pub fn var_roundtrip(input: Vec<u8>) -> FnResult<Vec<u8>> {
    var::set("k", &input)?;
    Ok(var::get::<Vec<u8>>("k")?.unwrap_or_default())
}

/// Input "key=value": sets var `key` to `value` (empty value deletes). Outputs "ok".
#[plugin_fn]
pub fn var_write(input: String) -> FnResult<&'static str> {
    let (k, v) = input
        .split_once('=')
        .ok_or_else(|| Error::msg("expected key=value"))?;
    var::set(k, v.as_bytes())?;
    Ok("ok")
}

/// Input: a var name. Output: its bytes, or `<none>` when absent.
#[plugin_fn]
pub fn var_read(key: String) -> FnResult<Vec<u8>> {
    Ok(var::get::<Vec<u8>>(&key)?.unwrap_or_else(|| b"<none>".to_vec()))
}

/// Input: a var name. Removes it, outputs "ok".
#[plugin_fn]
pub fn var_delete(key: String) -> FnResult<&'static str> {
    var::remove(&key)?;
    Ok("ok")
}

/// Input: decimal N. Sets var `big` to N bytes of 'x'; outputs "ok".
/// For `memory.max_var_bytes` tests (the host refuses a store that is too big).
#[plugin_fn]
pub fn big_var(input: String) -> FnResult<String> {
    let n: usize = input.trim().parse()?;
    var::set("big", vec![b'x'; n])?;
    Ok(format!("stored {n}"))
}

// ---------------------------------------------------------------- limits

/// Never returns; only a timeout, fuel limit or cancel stops it.
#[no_mangle]
pub extern "C" fn infinite_loop() -> i32 {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// Allocates and touches 1 MiB chunks forever, so that a memory limit stops it.
#[no_mangle]
pub extern "C" fn memory_bomb() -> i32 {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        for i in (0..chunk.len()).step_by(4096) {
            chunk[i] = 1;
        }
        chunks.push(std::hint::black_box(chunk));
    }
}

/// Input: decimal N. Allocates and frees N kernel blocks of varying sizes
/// (1..=257 bytes) through the PDK Memory API, checking each round-trips.
#[plugin_fn]
pub fn alloc_many(input: String) -> FnResult<&'static str> {
    let n: u64 = input.trim().parse()?;
    for i in 0..n {
        let len = (i % 257) as usize + 1;
        let data: Vec<u8> = (0..len).map(|j| (i as usize + j) as u8).collect();
        let mem = Memory::from_bytes(&data)?;
        if mem.offset() == 0 || mem.to_vec() != data {
            return Err(Error::msg(format!("block {i} of {len} bytes did not round-trip")).into());
        }
        mem.free();
    }
    Ok("ok")
}

// ---------------------------------------------------------------- HTTP

#[derive(Serialize)]
pub struct HttpResult {
    status: u16,
    body: String,
}

/// Input: a URL. GETs it, outputs `{"status":..,"body":..}`.
#[plugin_fn]
pub fn http_get(url: String) -> FnResult<Json<HttpResult>> {
    let req = HttpRequest::new(url);
    let res = http::request::<()>(&req, None)?;
    Ok(Json(HttpResult {
        status: res.status_code(),
        body: String::from_utf8_lossy(&res.body()).into_owned(),
    }))
}

// ---------------------------------------------------------------- text

/// Outputs a fixed non-ASCII UTF-8 string.
#[plugin_fn]
pub fn utf8() -> FnResult<&'static str> {
    Ok("héllo wörld ✓")
}
