//! Target 2: the kernel ABI driven by an arbitrary sequence of kernel calls.
//!
//! The fuzz input becomes a [`Case`]: a list of [`Op`]s (calls to
//! `extism:host/env` functions with constant or computed arguments: block
//! offsets from earlier `alloc`s, offsets past the kernel memory, stale
//! offsets, huge lengths...). [`Case::to_wat`] writes a plug-in whose `run`
//! export performs them in order, then an epilogue that outputs what the
//! invariants need; [`run_wat`] loads it with `PluginBuilder`, calls `run`
//! and then `check`, and panics on anything wrong.
//!
//! Invariants checked by the generated code itself (a violation sets a bit in
//! a global the epilogue outputs):
//!
//! * bit 1: `alloc(0)` returned non-zero;
//! * bit 2: `length(alloc(n)) != n` for a non-zero result;
//! * bit 3/4: a block offset below 64 or not 8-byte aligned;
//! * bit 5: after `input_set(o, n)`, `input_length()` is neither 0 nor `n`;
//! * bit 6: after `free(p)`, `length(p)` is not 0;
//! * bit 7: an input load past `input_length()` returned non-zero.
//!
//! Checked by the host: no panic; `run` returns Ok or a typed error that a
//! plug-in without trapping instructions can cause (never `Error::Trap`: the
//! kernel must not trap); an Ok output is the epilogue's 24 bytes with no
//! violation and `length(alloc(final_len)) == final_len`; the following
//! `check` call returns `hello`.

use std::fmt::Write as _;

pub use crate::oracles::kernel::{run_wat, Outcome, Settings};
use arbitrary::{Result, Unstructured};

/// Number of i64 locals holding block offsets.
pub const SLOTS: u8 = 8;

/// An i64 argument.
#[derive(Debug, Clone)]
pub enum Val {
    Slot(u8),
    SlotPlus(u8, i16),
    Const(u64),
    InputOffset,
    InputLength,
    OutputOffset,
    ErrorGet,
    MemoryBytes,
}

/// One call (or a small group of calls) into the kernel.
#[derive(Debug, Clone)]
pub enum Op {
    Alloc(u8, Val),
    AllocBytes(u8, Vec<u8>),
    Free(Val),
    FreeCheck(Val),
    Length(Val),
    LengthUnsafe(Val),
    LoadU8(Val),
    LoadU64(Val),
    StoreU8(Val, u8),
    StoreU64(Val, u64),
    InputLoadU8(Val),
    InputLoadU64(Val),
    InputScan,
    OutputSet(Val, Val),
    ErrorSet(Val),
    InputSet(Val, Val),
    Reset,
    Query(&'static str),
    ConfigGet(u8, Val),
    VarGet(u8, Val),
    VarSet(Val, Val),
    Log(&'static str, Val),
    HttpHeaders(u8),
}

/// A whole test case: the ops and the plug-in's settings.
#[derive(Debug, Clone)]
pub struct Case {
    pub ops: Vec<Op>,
    pub final_len: u64,
    pub input: Vec<u8>,
    pub max_pages: Option<u32>,
    pub max_var_bytes: Option<u64>,
    pub recycle: bool,
}

const INTERESTING: &[u64] = &[
    0,
    1,
    7,
    8,
    63,
    64,
    65,
    71,
    72,
    80,
    0xffff,
    0xfff8,
    0x1_0000,
    0x1_0001,
    0x2_0000,
    0xffff_fff8,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0008,
    i64::MAX as u64,
    1 << 63,
    u64::MAX - 7,
    u64::MAX,
];

const QUERIES: &[&str] = &[
    "input_length",
    "input_offset",
    "output_length",
    "output_offset",
    "error_get",
    "memory_bytes",
    "get_log_level",
    "http_status_code",
];

const LOGS: &[&str] = &[
    "log_trace",
    "log_debug",
    "log_info",
    "log_warn",
    "log_error",
];

fn slot(u: &mut Unstructured<'_>) -> Result<u8> {
    Ok(u.arbitrary::<u8>()? % SLOTS)
}

fn val(u: &mut Unstructured<'_>) -> Result<Val> {
    Ok(match u.int_in_range(0..=11u8)? {
        0..=3 => Val::Slot(slot(u)?),
        4 => Val::SlotPlus(slot(u)?, u.arbitrary()?),
        5 | 6 => Val::Const(*u.choose(INTERESTING)?),
        7 => Val::Const(u.arbitrary()?),
        8 => Val::Const(u64::from(u.arbitrary::<u16>()?)),
        9 => Val::InputOffset,
        10 => Val::InputLength,
        _ => u
            .choose(&[Val::OutputOffset, Val::ErrorGet, Val::MemoryBytes])?
            .clone(),
    })
}

fn len(u: &mut Unstructured<'_>) -> Result<Val> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=5 => Val::Const(u64::from(u.int_in_range(0..=300u16)?)),
        6 => Val::Const(u64::from(u.arbitrary::<u32>()? % 200_000)),
        7 => Val::Const(*u.choose(INTERESTING)?),
        8 => Val::Const(u.arbitrary()?),
        _ => val(u)?,
    })
}

fn op(u: &mut Unstructured<'_>) -> Result<Op> {
    Ok(match u.int_in_range(0..=24u8)? {
        0..=3 => Op::Alloc(slot(u)?, len(u)?),
        4 => {
            let n = u.int_in_range(0..=24usize)?;
            let mut bytes = Vec::with_capacity(n);
            for _ in 0..n {
                // Mostly key-like text, sometimes any byte.
                bytes.push(if u.ratio(1, 8)? {
                    u.arbitrary()?
                } else {
                    *u.choose(b"kvbigempty_01")?
                });
            }
            Op::AllocBytes(slot(u)?, bytes)
        }
        5 => Op::Free(val(u)?),
        6 => Op::FreeCheck(val(u)?),
        7 => Op::Length(val(u)?),
        8 => Op::LengthUnsafe(val(u)?),
        9 => Op::LoadU8(val(u)?),
        10 => Op::LoadU64(val(u)?),
        11 => Op::StoreU8(val(u)?, u.arbitrary()?),
        12 => Op::StoreU64(val(u)?, u.arbitrary()?),
        13 => Op::InputLoadU8(val(u)?),
        14 => Op::InputLoadU64(val(u)?),
        15 => Op::InputScan,
        16 => Op::OutputSet(val(u)?, len(u)?),
        17 => Op::ErrorSet(val(u)?),
        18 => Op::InputSet(val(u)?, len(u)?),
        19 => Op::Reset,
        20 => Op::Query(u.choose(QUERIES)?),
        21 => Op::ConfigGet(slot(u)?, val(u)?),
        22 => match u.int_in_range(0..=2u8)? {
            0 => Op::VarGet(slot(u)?, val(u)?),
            _ => Op::VarSet(val(u)?, val(u)?),
        },
        23 => Op::Log(u.choose(LOGS)?, val(u)?),
        _ => Op::HttpHeaders(slot(u)?),
    })
}

impl Case {
    /// Reads a case from fuzz bytes.
    pub fn arbitrary(u: &mut Unstructured<'_>) -> Result<Case> {
        let max_pages = *u.choose(&[None, Some(0), Some(1), Some(4), Some(64)])?;
        let max_var_bytes = *u.choose(&[None, Some(0), Some(100)])?;
        let recycle = u.arbitrary()?;
        let final_len = u64::from(u.int_in_range(1..=4096u16)?);
        let input_len = u.int_in_range(0..=64usize)?;
        let input = u.bytes(input_len)?.to_vec();
        let n = u.int_in_range(0..=64usize)?;
        let mut ops = Vec::with_capacity(n);
        for _ in 0..n {
            if u.is_empty() {
                break;
            }
            ops.push(op(u)?);
        }
        Ok(Case {
            ops,
            final_len,
            input,
            max_pages,
            max_var_bytes,
            recycle,
        })
    }

    /// The plug-in, as WAT; its first line holds the settings (see [`Settings::parse`]).
    pub fn to_wat(&self) -> String {
        let settings = Settings {
            final_len: self.final_len,
            input: self.input.clone(),
            max_pages: self.max_pages,
            max_var_bytes: self.max_var_bytes,
            recycle: self.recycle,
        };
        let mut body = String::new();
        for op in &self.ops {
            emit(&mut body, op);
        }
        render(&settings, &body)
    }
}

fn v(val: &Val) -> String {
    match val {
        Val::Slot(k) => format!("(local.get $s{k})"),
        Val::SlotPlus(k, d) => format!("(i64.add (local.get $s{k}) (i64.const {d}))"),
        Val::Const(c) => format!("(i64.const {})", *c as i64),
        Val::InputOffset => "(call $input_offset)".into(),
        Val::InputLength => "(call $input_length)".into(),
        Val::OutputOffset => "(call $output_offset)".into(),
        Val::ErrorGet => "(call $error_get)".into(),
        Val::MemoryBytes => "(call $memory_bytes)".into(),
    }
}

fn emit(out: &mut String, op: &Op) {
    let w = match op {
        Op::Alloc(k, n) => format!(
            "(local.set $n {n})\n(local.set $s{k} (call $chk_alloc (call $alloc (local.get $n)) (local.get $n)))",
            n = v(n)
        ),
        Op::AllocBytes(k, bytes) => {
            let mut s = format!(
                "(local.set $s{k} (call $chk_alloc (call $alloc (i64.const {n})) (i64.const {n})))",
                n = bytes.len()
            );
            for (i, b) in bytes.iter().enumerate() {
                let _ = write!(
                    s,
                    "\n(call $store_u8 (i64.add (local.get $s{k}) (i64.const {i})) (i32.const {b}))"
                );
            }
            s
        }
        Op::Free(p) => format!("(call $free {})", v(p)),
        Op::FreeCheck(p) => format!(
            "(local.set $t {})\n(call $free (local.get $t))\n(if (i64.ne (call $length (local.get $t)) (i64.const 0)) (then (call $bad (i32.const 6))))",
            v(p)
        ),
        Op::Length(p) => format!("(drop (call $length {}))", v(p)),
        Op::LengthUnsafe(p) => format!("(drop (call $length_unsafe {}))", v(p)),
        Op::LoadU8(p) => format!("(drop (call $load_u8 {}))", v(p)),
        Op::LoadU64(p) => format!("(drop (call $load_u64 {}))", v(p)),
        Op::StoreU8(p, b) => format!("(call $store_u8 {} (i32.const {b}))", v(p)),
        Op::StoreU64(p, x) => format!("(call $store_u64 {} (i64.const {}))", v(p), *x as i64),
        Op::InputLoadU8(p) => format!("(drop (call $input_load_u8 {}))", v(p)),
        Op::InputLoadU64(p) => format!("(drop (call $input_load_u64 {}))", v(p)),
        Op::InputScan => "(call $scan)".into(),
        Op::OutputSet(p, n) => format!("(call $output_set {} {})", v(p), v(n)),
        Op::ErrorSet(p) => format!("(call $error_set {})", v(p)),
        Op::InputSet(p, n) => format!(
            "(local.set $t {})\n(local.set $n {})\n(call $input_set (local.get $t) (local.get $n))\n(if (i32.and (i64.ne (call $input_length) (i64.const 0)) (i64.ne (call $input_length) (local.get $n))) (then (call $bad (i32.const 5))))",
            v(p),
            v(n)
        ),
        Op::Reset => "(call $reset)".into(),
        Op::Query(name) if *name == "get_log_level" || *name == "http_status_code" => {
            format!("(drop (call ${name}))")
        }
        Op::Query(name) => format!("(drop (call ${name}))"),
        Op::ConfigGet(k, p) => format!("(local.set $s{k} (call $config_get {}))", v(p)),
        Op::VarGet(k, p) => format!("(local.set $s{k} (call $var_get {}))", v(p)),
        Op::VarSet(a, b) => format!("(call $var_set {} {})", v(a), v(b)),
        Op::Log(level, p) => format!("(call ${level} {})", v(p)),
        Op::HttpHeaders(k) => format!("(local.set $s{k} (call $http_headers))"),
    };
    out.push_str(&w);
    out.push('\n');
}

/// The module around the body of `run`.
pub fn render(settings: &Settings, body: &str) -> String {
    let locals: String = (0..SLOTS).map(|k| format!(" (local $s{k} i64)")).collect();
    format!(
        r#"{line}
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "error_get" (func $error_get (result i64)))
  (import "extism:host/env" "input_set" (func $input_set (param i64 i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_trace" (func $log_trace (param i64)))
  (import "extism:host/env" "log_debug" (func $log_debug (param i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "extism:host/env" "http_headers" (func $http_headers (result i64)))

  ;; Bit mask of violated invariants (see fuzz/src/kernel.rs).
  (global $viol (mut i64) (i64.const 0))

  (func $bad (param $bit i32)
    (global.set $viol (i64.or (global.get $viol)
      (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $bit))))))

  ;; Checks a fresh allocation of $n bytes at $p and returns $p.
  (func $chk_alloc (param $p i64) (param $n i64) (result i64)
    (if (i64.eqz (local.get $n))
      (then
        (if (i64.ne (local.get $p) (i64.const 0)) (then (call $bad (i32.const 1))))
        (return (local.get $p))))
    (if (i64.ne (local.get $p) (i64.const 0))
      (then
        (if (i64.ne (call $length (local.get $p)) (local.get $n)) (then (call $bad (i32.const 2))))
        (if (i64.lt_u (local.get $p) (i64.const 64)) (then (call $bad (i32.const 3))))
        (if (i64.ne (i64.and (local.get $p) (i64.const 7)) (i64.const 0)) (then (call $bad (i32.const 4))))))
    (local.get $p))

  ;; Reads the first bytes of the input and a few past its end.
  (func $scan (local $i i64) (local $len i64)
    (local.set $len (call $input_length))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (br_if $done (i64.ge_u (local.get $i) (i64.const 256)))
        (drop (call $input_load_u8 (local.get $i)))
        (drop (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (if (i64.ne (local.get $len) (i64.const 0))
      (then
        (drop (call $input_load_u8 (i64.sub (local.get $len) (i64.const 1))))))
    (if (i64.ge_u (local.get $len) (i64.const 8))
      (then
        (drop (call $input_load_u64 (i64.sub (local.get $len) (i64.const 8))))))
    (if (i32.ne (call $input_load_u8 (local.get $len)) (i32.const 0)) (then (call $bad (i32.const 7))))
    (if (i64.ne (call $input_load_u64 (i64.sub (local.get $len) (i64.const 7))) (i64.const 0))
      (then (call $bad (i32.const 7))))
    (if (i32.ne (call $input_load_u8 (i64.const -1)) (i32.const 0)) (then (call $bad (i32.const 7)))))

  (func (export "run") (result i32){locals} (local $t i64) (local $n i64) (local $o i64) (local $f i64)
{body}
    ;; Epilogue: [violations, alloc(final_len), length of it] as 3 x u64.
    (call $error_set (i64.const 0))
    (local.set $f (call $alloc (i64.const {final_len})))
    (local.set $o (call $alloc (i64.const 24)))
    (if (i64.eqz (local.get $o)) (then (return (i32.const 77))))
    (call $store_u64 (local.get $o) (global.get $viol))
    (call $store_u64 (i64.add (local.get $o) (i64.const 8)) (local.get $f))
    (call $store_u64 (i64.add (local.get $o) (i64.const 16)) (call $length (local.get $f)))
    (call $output_set (local.get $o) (i64.const 24))
    (i32.const 0))

  ;; A plain call that must work after whatever `run` did.
  (func (export "check") (result i32) (local $p i64)
    (local.set $p (call $alloc (i64.const 5)))
    (call $store_u8 (local.get $p) (i32.const 104))
    (call $store_u8 (i64.add (local.get $p) (i64.const 1)) (i32.const 101))
    (call $store_u8 (i64.add (local.get $p) (i64.const 2)) (i32.const 108))
    (call $store_u8 (i64.add (local.get $p) (i64.const 3)) (i32.const 108))
    (call $store_u8 (i64.add (local.get $p) (i64.const 4)) (i32.const 111))
    (call $output_set (local.get $p) (i64.const 5))
    (i32.const 0))
)
"#,
        line = settings.line(),
        final_len = settings.final_len,
    )
}
