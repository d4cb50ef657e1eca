//! reflect: throughput and host-function round-trip plug-in.
//!
//! * `reflect`: output = input (read through the PDK's normal input path,
//!   8 bytes at a time with `input_load_u64`).
//! * `noop`: reads nothing, outputs nothing, returns 0.
//! * `host_roundtrip`: input is a decimal N; calls the host function
//!   `echo` (extism:host/user) N times with a 16-byte block and checks that
//!   the same bytes come back; output is N as decimal text.

use extism_pdk::*;

#[host_fn]
extern "ExtismHost" {
    fn echo(data: Vec<u8>) -> Vec<u8>;
}

#[plugin_fn]
pub fn reflect(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}

#[no_mangle]
pub extern "C" fn noop() -> i32 {
    0
}

#[plugin_fn]
pub fn host_roundtrip(input: String) -> FnResult<String> {
    let n: u64 = input.trim().parse()?;
    for i in 0..n {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&i.to_le_bytes());
        block[8..].copy_from_slice(b"roundtrp");
        let back = unsafe { echo(block.to_vec())? };
        if back != block {
            return Err(Error::msg(format!(
                "echo #{i} returned {} bytes that differ from the 16 sent",
                back.len()
            ))
            .into());
        }
    }
    Ok(n.to_string())
}
