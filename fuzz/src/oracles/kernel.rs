//! Oracle of the kernel-ABI fuzz targets: `kernel_abi` runs the fuzz input
//! through an interpreter plug-in (`kernel_interp.wat`, compiled once), and
//! `kernel_abi_wat` through a plug-in generated for each input
//! (`fuzz/src/kernel.rs`); both check the same invariants.
//!
//! Self-contained (extism-host only) so that `tests/regressions.rs` can
//! include this file with `#[path]` and replay saved cases without
//! cargo-fuzz.

use extism_host::{Error, Manifest, Plugin, PluginBuilder, Wasm};

fn verbose() -> bool {
    std::env::var_os("EXTISM_FUZZ_VERBOSE").is_some()
}

/// The settings line at the top of a generated WAT file:
/// `;; extism-fuzz final_len=N input=HEX max_pages=N|- max_var_bytes=N|- recycle=0|1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub final_len: u64,
    pub input: Vec<u8>,
    pub max_pages: Option<u32>,
    pub max_var_bytes: Option<u64>,
    pub recycle: bool,
}

impl Settings {
    pub fn line(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        format!(
            ";; extism-fuzz final_len={} input={} max_pages={} max_var_bytes={} recycle={}",
            self.final_len,
            hex(&self.input),
            opt(self.max_pages.map(u64::from)),
            opt(self.max_var_bytes),
            u8::from(self.recycle)
        )
    }

    pub fn parse(wat: &str) -> Option<Settings> {
        let line = wat.lines().next()?.strip_prefix(";; extism-fuzz ")?;
        let mut s = Settings {
            final_len: 0,
            input: Vec::new(),
            max_pages: None,
            max_var_bytes: None,
            recycle: false,
        };
        for field in line.split_whitespace() {
            let (k, v) = field.split_once('=')?;
            match k {
                "final_len" => s.final_len = v.parse().ok()?,
                "input" => s.input = unhex(v)?,
                "max_pages" => {
                    s.max_pages = if v == "-" {
                        None
                    } else {
                        Some(v.parse().ok()?)
                    }
                }
                "max_var_bytes" => {
                    s.max_var_bytes = if v == "-" {
                        None
                    } else {
                        Some(v.parse().ok()?)
                    }
                }
                "recycle" => s.recycle = v == "1",
                _ => return None,
            }
        }
        Some(s)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How a run ended, for statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    Err(&'static str),
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::HostFunction { .. } => "HostFunction",
        Error::MemoryLimit { .. } => "MemoryLimit",
        Error::Vars { .. } => "Vars",
        Error::ExitCode { .. } => "ExitCode",
        Error::Runtime { .. } => "Runtime",
        Error::Trap { .. } => "Trap",
        Error::Plugin { .. } => "Plugin",
        _ => "other",
    }
}

fn manifest(wasm: &[u8], max_pages: Option<u32>, max_var_bytes: Option<u64>) -> Manifest {
    let mut manifest = Manifest::new([Wasm::data(wasm.to_vec())])
        .with_config("k", "v")
        .with_config("empty", "")
        .with_config("big", "b".repeat(5000));
    manifest.memory.max_pages = max_pages;
    manifest.memory.max_var_bytes = max_var_bytes;
    manifest
}

/// Checks how `run` ended (its output is the epilogue's 24 bytes).
fn check_run(result: Result<&[u8], Error>, final_len: u64) -> Outcome {
    match result {
        Ok(out) => {
            assert_eq!(
                out.len(),
                24,
                "run's output is not the epilogue's 24 bytes: {out:?}"
            );
            let word = |i: usize| u64::from_le_bytes(out[i * 8..i * 8 + 8].try_into().unwrap());
            let (viol, f, f_len) = (word(0), word(1), word(2));
            assert_eq!(
                viol, 0,
                "kernel invariant violated (bit mask {viol:#b}, see fuzz/src/kernel.rs)"
            );
            if f != 0 {
                assert_eq!(
                    f_len, final_len,
                    "length(alloc({final_len})) = {f_len} at offset {f}"
                );
            }
            Outcome::Ok
        }
        Err(e) => {
            let k = kind(&e);
            match &e {
                Error::HostFunction { host_function, .. } => assert!(
                    host_function.starts_with("extism:host/env::"),
                    "unexpected host function in {e}"
                ),
                Error::MemoryLimit { .. } | Error::Vars { .. } => {}
                Error::ExitCode { code: 77, .. } => {}
                Error::Runtime { message, .. } if message.contains("cannot allocate") => {}
                other => {
                    panic!("run failed in a way a plug-in without traps cannot cause: {other:?}")
                }
            }
            if verbose() {
                eprintln!("run: {e}");
            }
            Outcome::Err(k)
        }
    }
}

/// The call after `run` must work.
fn check_after(plugin: &mut Plugin) {
    let out = plugin
        .call_bytes("check", b"")
        .unwrap_or_else(|e| panic!("the call after run failed: {e}"));
    assert_eq!(
        out, b"hello",
        "the call after run returned the wrong output"
    );
}

/// Loads the WAT made by `Case::to_wat` and checks every invariant; panics
/// on a finding. Returns how `run` ended.
pub fn run_wat(wat: &str) -> Outcome {
    let settings = Settings::parse(wat).expect("generated WAT starts with its settings line");
    let mut plugin = PluginBuilder::new(manifest(
        wat.as_bytes(),
        settings.max_pages,
        settings.max_var_bytes,
    ))
    .with_recycle_after_trap(settings.recycle)
    .with_name("kernel-fuzz")
    .build()
    .unwrap_or_else(|e| panic!("the generated plug-in does not load: {e}"));
    let outcome = check_run(
        plugin.call_bytes("run", &settings.input),
        settings.final_len,
    );
    check_after(&mut plugin);
    outcome
}

// ------------------------------------------------------------------ interpreter

/// The plug-in settings a byte picks: (max_pages, max_var_bytes, recycle).
pub fn interp_settings(byte: u8) -> (Option<u32>, Option<u64>, bool) {
    // The interpreter declares 3 pages, which `max_pages` must hold (as in
    // the reference); the smaller limits leave the kernel little to grow by.
    const PAGES: [Option<u32>; 5] = [None, Some(3), Some(4), Some(6), Some(64)];
    const VARS: [Option<u64>; 3] = [None, Some(0), Some(100)];
    (
        PAGES[usize::from(byte % 5)],
        VARS[usize::from((byte / 5) % 3)],
        (byte / 15) % 2 == 1,
    )
}

/// Plug-ins running [`INTERP_WAT`], one per settings, kept across inputs
/// (so state left by one input meets the next, as in a long-lived host).
#[derive(Default)]
pub struct Interp {
    plugins: std::collections::HashMap<(Option<u32>, Option<u64>, bool), Plugin>,
}

impl Interp {
    /// Runs one input: byte 0 picks the settings (see [`interp_settings`]),
    /// the rest is the op stream `run` interprets (2 bytes of `final_len`
    /// first). Panics on a finding.
    pub fn run(&mut self, data: &[u8]) -> Outcome {
        let Some((&which, ops)) = data.split_first() else {
            return Outcome::Ok;
        };
        let key = interp_settings(which);
        let plugin = self.plugins.entry(key).or_insert_with(|| {
            PluginBuilder::new(manifest(INTERP_WAT.as_bytes(), key.0, key.1))
                .with_recycle_after_trap(key.2)
                .with_name("kernel-interp")
                .build()
                .unwrap_or_else(|e| panic!("the interpreter plug-in does not load: {e}"))
        });
        // As the interpreter reads it: bytes past the end are zeros.
        let byte = |i: usize| ops.get(i).copied().unwrap_or(0);
        let final_len = u64::from(u16::from_le_bytes([byte(0), byte(1)]) % 4096) + 1;
        let outcome = check_run(plugin.call_bytes("run", ops), final_len);
        check_after(plugin);
        outcome
    }
}

/// A plug-in that interprets its input as a sequence of kernel calls; the
/// encoding mirrors `fuzz/src/kernel.rs` (`Op`, `Val`): byte-driven, any byte
/// string is a valid program.
pub const INTERP_WAT: &str = include_str!("kernel_interp.wat");
