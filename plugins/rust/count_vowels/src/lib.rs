//! count_vowels: the canonical Extism test plug-in.
//!
//! Counts the vowels of the input text. The vowel set comes from the config
//! key `vowels` (default `aeiouAEIOU`); a running total across calls is kept
//! in the var `total` as an 8-byte little-endian u64.

use extism_pdk::*;
use serde::Serialize;

const DEFAULT_VOWELS: &str = "aeiouAEIOU";

#[derive(Serialize, ToBytes)]
#[encoding(Json)]
pub struct Report {
    count: u64,
    total: u64,
    vowels: String,
}

#[plugin_fn]
pub fn count_vowels(input: String) -> FnResult<Report> {
    let vowels = config::get("vowels")?.unwrap_or_else(|| DEFAULT_VOWELS.to_string());
    let count = input.chars().filter(|c| vowels.contains(*c)).count() as u64;
    let total = var::get::<u64>("total")?.unwrap_or(0) + count;
    var::set("total", total)?;
    Ok(Report { count, total, vowels })
}
