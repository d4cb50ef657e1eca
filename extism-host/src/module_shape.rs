//! Load-time limits on what a module declares that each of its instances
//! holds in host memory outside `max_pages`.
//!
//! Memories are charged as they grow and tables are capped as they grow
//! (`limits.rs`); globals cannot grow, so they are counted here, once, from
//! the module's global section.

use std::borrow::Cow;

/// The most globals one module may define. Each costs an instance about
/// 16 bytes of host memory (measured: 1M globals, 14.6 MiB per instance), so
/// this bounds that at about 1 MiB; toolchains emit a handful.
pub(crate) const MAX_GLOBALS: u64 = 65_536;

/// A declaration over a limit: what, how many, the limit.
pub(crate) struct OverLimit {
    pub(crate) what: &'static str,
    pub(crate) found: u64,
    pub(crate) max: u64,
}

/// The module's binary (WAT text is translated first, as wasmtime would).
pub(crate) fn binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if bytes.starts_with(b"\0asm") {
        return Ok(Cow::Borrowed(bytes));
    }
    wat::parse_bytes(bytes).map_err(|e| e.to_string())
}

/// Checks a module's declarations against the limits above. Malformed
/// modules pass: compiling them reports the problem properly.
pub(crate) fn check(wasm: &[u8]) -> Result<(), OverLimit> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::GlobalSection(globals)) => {
                let found = u64::from(globals.count());
                if found > MAX_GLOBALS {
                    return Err(OverLimit {
                        what: "globals",
                        found,
                        max: MAX_GLOBALS,
                    });
                }
            }
            // Nothing after the code section declares globals.
            Ok(wasmparser::Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
}
