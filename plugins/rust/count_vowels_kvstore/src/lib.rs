//! count_vowels_kvstore: count_vowels whose running total lives in the host.
//!
//! The host provides `kv_read(key) -> bytes` and `kv_write(key, bytes)` in
//! `extism:host/user`. The total is a u32 little-endian under "count-vowels";
//! a missing or short value counts as 0.

use extism_pdk::*;
use serde::Serialize;

const VOWELS: &str = "aeiouAEIOU";
const KEY: &str = "count-vowels";

#[host_fn]
extern "ExtismHost" {
    fn kv_read(key: String) -> Vec<u8>;
    fn kv_write(key: String, value: Vec<u8>);
}

#[derive(Serialize, ToBytes)]
#[encoding(Json)]
pub struct Report {
    count: u32,
    total: u32,
    vowels: &'static str,
}

#[plugin_fn]
pub fn count_vowels(input: String) -> FnResult<Report> {
    let count = input.chars().filter(|c| VOWELS.contains(*c)).count() as u32;
    let stored = unsafe { kv_read(KEY.to_string())? };
    let previous = match stored.get(..4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    };
    let total = previous.wrapping_add(count);
    unsafe { kv_write(KEY.to_string(), total.to_le_bytes().to_vec())? };
    Ok(Report { count, total, vowels: VOWELS })
}
