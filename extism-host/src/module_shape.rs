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
/// What is neither says so, rather than what the WAT parser makes of it.
pub(crate) fn binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    match wat::Detect::from_bytes(bytes) {
        wat::Detect::WasmBinary => Ok(Cow::Borrowed(bytes)),
        wat::Detect::WasmText => wat::parse_bytes(bytes).map_err(|e| one_line(&e.to_string())),
        wat::Detect::Unknown => {
            Err("not a wasm module: it has no `\\0asm` header and is not WAT text".into())
        }
    }
}

/// The WAT parser's message (`expected ...`) and where (`--> <anon>:3:7`),
/// without the source excerpt it draws under them.
fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("").trim();
    let at = lines
        .next()
        .and_then(|line| line.trim().strip_prefix("--> "))
        .and_then(|location| location.rsplit_once(':'))
        .and_then(|(rest, col)| {
            rest.rsplit_once(':')
                .map(|(_, line)| format!("line {line}, column {col}"))
        });
    match at {
        Some(at) => format!("invalid WAT text at {at}: {first}"),
        None => format!("invalid WAT text: {first}"),
    }
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
