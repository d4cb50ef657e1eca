//! Every case of `tests/golden/cases.json` run on our runtime and compared with
//! what the reference runtime (libextism 1.41) recorded in
//! `tests/golden/results.json` (format: the top of `plugins/record_goldens.py`).
//!
//! Outputs must be byte-identical (or hash-identical where the golden kept
//! only a hash). Errors are compared by kind and essential text: the reference
//! reports flat `anyhow` texts (often only "error while executing at wasm
//! backtrace" with the cause in `error_detail`), we report typed
//! [`extism_host::Error`] variants, so each golden error is first turned into
//! the [`Outcome`] our runtime must give. The few places where we deliberately
//! behave differently from the reference are listed in [`deliberate_difference`]
//! and [`deliberate_load_difference`], each with the reason.
//!
//! `every_golden_case_matches` runs all cases and reports every mismatch at
//! once; a case or a recorded result this harness does not know how to check
//! is itself a failure.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use extism_host::{
    CompiledPlugin, CurrentPlugin, Error, HostError, HostFunction, Manifest, MemoryOptions, Plugin,
    PluginBuilder, Wasm,
};
use serde::Deserialize;

use support::{EchoCalls, KvStore, LogCapture, Reply, Server};

// ------------------------------------------------------------------ golden files

/// One case of `cases.json`. Unknown keys are errors: a case this harness
/// would silently ignore part of must fail instead.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    wasm: String,
    #[serde(default)]
    hash: Option<String>,
    /// Modules listed before `wasm`, imported by name.
    #[serde(default)]
    linked: Vec<LinkedSpec>,
    #[serde(default)]
    wasi: Option<bool>,
    #[serde(default)]
    config: Option<BTreeMap<String, String>>,
    #[serde(default)]
    memory: Option<MemoryOptions>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    allowed_paths: Option<BTreeMap<String, String>>,
    #[serde(default)]
    files: Option<BTreeMap<String, String>>,
    #[serde(default)]
    allowed_hosts: Option<Vec<String>>,
    #[serde(default)]
    http_server: Option<HttpServerSpec>,
    #[serde(default)]
    host_functions: Option<String>,
    #[serde(default)]
    log_level: Option<String>,
    calls: Vec<CallSpec>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallSpec {
    function: String,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    input_b64: Option<String>,
    #[serde(default)]
    input_repeat: Option<Repeat>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    text: String,
    times: usize,
}

/// A module of a case's manifest besides the main one.
#[derive(Debug, Deserialize)]
struct LinkedSpec {
    wasm: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpServerSpec {
    routes: BTreeMap<String, RouteSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSpec {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_repeat: Option<Repeat>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Answer with "METHOD X-TEST-HEADER BODY" of the request.
    #[serde(default)]
    echo: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Results {
    #[allow(dead_code)]
    recorded_with: serde_json::Value,
    cases: BTreeMap<String, CaseResult>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseResult {
    #[serde(default)]
    load_error: Option<String>,
    #[serde(default)]
    calls: Option<Vec<CallResult>>,
    #[serde(default)]
    host_state: Option<HostState>,
    #[serde(default)]
    files_after: Option<BTreeMap<String, FileContent>>,
    #[serde(default)]
    http_requests: Option<Vec<(String, String)>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostState {
    /// Key → base64 of the stored bytes.
    #[serde(default)]
    kv: Option<BTreeMap<String, String>>,
    #[serde(default)]
    echo_calls: Option<u64>,
    /// The texts `recordVisit` received (the `pantry` set).
    #[serde(default)]
    visits: Option<Vec<String>>,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum FileContent {
    Text(String),
    Binary { b64: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallResult {
    function: String,
    rc: i32,
    ok: bool,
    output_len: u64,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    output_b64: Option<String>,
    #[serde(default)]
    output_sha256: Option<String>,
    #[serde(default)]
    output_unreadable: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_b64: Option<String>,
    #[serde(default)]
    error_detail: Option<String>,
    #[serde(default)]
    logs: Option<Vec<(String, String)>>,
}

fn read_json<T: for<'de> Deserialize<'de>>(relative: &str) -> T {
    let path = support::repo_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not have the expected shape: {e}", path.display()))
}

fn cases() -> Vec<Case> {
    read_json("tests/golden/cases.json")
}

fn results() -> Results {
    read_json("tests/golden/results.json")
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("bad base64 in a golden file ({e}): {text}"))
}

// ------------------------------------------------------------------ host functions

/// The Person (`plugins/schemas/pantry.yaml`) the `pantry` set's
/// `lookupPerson` returns, as the recorder's `PANTRY_PERSON`.
const PANTRY_PERSON: &str = r#"{"name":"Ada","age":36,"favouriteFruit":"dragon-fruit"}"#;

/// The state of the `pantry` host-function set: the texts `recordVisit` got.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct PantryVisits(Vec<String>);

/// The `pantry` set of `record_goldens.py`, in `extism:host/user`, for
/// `pantry.rust.wasm`:
///
/// * `lookupPerson(name) -> person`: a new block with [`PANTRY_PERSON`],
///   whatever the name.
/// * `recordVisit(visit)`: appends the block's text to [`PantryVisits`].
fn pantry_functions() -> Vec<HostFunction> {
    let lookup_person = HostFunction::wrap(
        "lookupPerson",
        |plugin: &mut CurrentPlugin<'_>, _name: u64| -> Result<u64, HostError> {
            plugin.write_bytes(PANTRY_PERSON.as_bytes())
        },
    );
    let record_visit = HostFunction::wrap(
        "recordVisit",
        |plugin: &mut CurrentPlugin<'_>, visit: u64| -> Result<(), HostError> {
            let visit = plugin.read_str(visit)?.to_string();
            plugin.borrow_state(|_, visits: &mut PantryVisits| visits.0.push(visit))
        },
    );
    vec![lookup_person, record_visit]
}

// ------------------------------------------------------------------ expected outcomes

/// What our runtime must give for one call.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// `Ok` with these bytes (or bytes with this SHA-256) of this length.
    Output {
        bytes: Option<Vec<u8>>,
        sha256: Option<String>,
        len: u64,
    },
    /// `Error::Plugin`: the plug-in's error block and its return code.
    Plugin { message: String, code: i32 },
    /// `Error::ExitCode`: a non-zero return without an error block.
    ExitCode(i32),
    /// `Error::Trap` whose trap text contains `kind` (e.g. `unreachable`).
    Trap { kind: String },
    /// `Error::FunctionNotFound`.
    FunctionNotFound(String),
    /// `Error::FunctionSignature` with this many parameters / results in the
    /// reported type (None: not checked).
    FunctionSignature {
        params: Option<usize>,
        results: Option<usize>,
    },
    /// `Error::Vars` for `max_var_bytes == 0`.
    VarsDisabled,
    /// `Error::Vars` for a store over `max_var_bytes`.
    VarsFull,
    /// `Error::HostFunction` from this host function, with a message that
    /// contains `needle` (compared case-insensitively).
    HostFunction {
        host_function: String,
        needle: String,
    },
    /// `Error::Timeout`.
    Timeout,
    /// `Error::MemoryLimit`.
    MemoryLimit,
}

/// What creating the plug-in must give.
#[derive(Debug, Clone, PartialEq)]
enum LoadOutcome {
    Loads,
    HashMismatch {
        expected: String,
        found: String,
    },
    /// `Error::Link` for this import; `signature` when the golden says it.
    Link {
        import_module: String,
        import_name: String,
        signature: Option<String>,
        reason_contains: String,
    },
    /// `Error::MemoryLimit` for a declared memory over `max_pages`.
    MemoryLimit {
        max_pages: u32,
        declared_pages: u64,
    },
}

/// The outcome the reference's record stands for on our runtime, or why the
/// harness cannot tell (a golden it does not know how to check).
fn expected_outcome(rec: &CallResult) -> Result<Outcome, String> {
    if rec.ok {
        if rec.output_unreadable == Some(true) {
            return Err("an unreadable output range has no generic handling".into());
        }
        let bytes = match (&rec.output_b64, &rec.output_sha256) {
            (Some(b), None) => Some(b64(b)),
            (None, Some(_)) => None,
            _ => return Err("an ok record needs exactly one of output_b64 / output_sha256".into()),
        };
        if let (Some(bytes), Some(text)) = (&bytes, &rec.output) {
            if bytes != text.as_bytes() {
                return Err("output and output_b64 disagree".into());
            }
        }
        return Ok(Outcome::Output {
            bytes,
            sha256: rec.output_sha256.clone(),
            len: rec.output_len,
        });
    }
    if let Some(raw) = &rec.error_b64 {
        return Err(format!(
            "a non-UTF-8 error text ({raw}) has no generic handling"
        ));
    }
    let Some(error) = &rec.error else {
        // The C API reports a non-zero return without an error block as rc
        // only; our runtime makes it a typed error.
        if rec.rc == 0 {
            return Err("a failed call with rc 0 and no error text".into());
        }
        return Ok(Outcome::ExitCode(rec.rc));
    };
    if let Some(function) = error.strip_prefix("Function not found: ") {
        return Ok(Outcome::FunctionNotFound(function.to_string()));
    }
    if error == "timeout" {
        return Ok(Outcome::Timeout);
    }
    if error == "oom" {
        return Ok(Outcome::MemoryLimit);
    }
    // "Function two has 2 results, expected 0 or 1"
    if let Some(rest) = error.strip_prefix("Function ") {
        if let Some((_, tail)) = rest.split_once(" has ") {
            if let Some(n) = tail.strip_suffix(" results, expected 0 or 1") {
                let results = n
                    .parse()
                    .map_err(|_| format!("bad result count in {error:?}"))?;
                return Ok(Outcome::FunctionSignature {
                    params: Some(0),
                    results: Some(results),
                });
            }
        }
    }
    // wasmtime's "expected 1 arguments, got 0": an export with parameters.
    if let Some(rest) = error.strip_prefix("expected ") {
        if let Some((n, _)) = rest.split_once(" arguments, got ") {
            let params = n
                .parse()
                .map_err(|_| format!("bad argument count in {error:?}"))?;
            return Ok(Outcome::FunctionSignature {
                params: Some(params),
                results: None,
            });
        }
    }
    match &rec.error_detail {
        Some(detail) => cause_outcome(detail),
        // The error block's text, returned as is.
        None => Ok(Outcome::Plugin {
            message: error.clone(),
            code: rec.rc,
        }),
    }
}

/// The outcome for a trap whose root cause is in the reference's log line.
fn cause_outcome(detail: &str) -> Result<Outcome, String> {
    let Some((_, cause)) = detail.rsplit_once("Caused by:\n") else {
        return Err(format!("error_detail without a cause: {detail:?}"));
    };
    let cause = cause.trim();
    if let Some(trap) = cause.strip_prefix("wasm trap: ") {
        // "wasm `unreachable` instruction executed" -> "unreachable"
        let kind = trap.split('`').nth(1).unwrap_or(trap);
        return Ok(Outcome::Trap {
            kind: kind.to_string(),
        });
    }
    let http = |needle: &str| Outcome::HostFunction {
        host_function: "extism:host/env::http_request".into(),
        needle: needle.into(),
    };
    match cause {
        "Vars are disabled by this host" => Ok(Outcome::VarsDisabled),
        "Variable store is full" => Ok(Outcome::VarsFull),
        _ if cause.starts_with("HTTP request to ") && cause.ends_with(" is not allowed") => {
            Ok(http(cause))
        }
        _ if cause.starts_with("HTTP response exceeds the configured maximum number of bytes") => {
            Ok(http(cause))
        }
        // The reference prints url's error with Debug ("RelativeUrlWithoutBase");
        // we say the same thing in words: compare the kind only.
        _ if cause.starts_with("Invalid URL: ") => Ok(http("invalid URL")),
        _ => Err(format!("no handling for the cause {cause:?}")),
    }
}

/// The load outcome the reference's `load_error` stands for on our runtime.
fn expected_load(load_error: Option<&str>) -> Result<LoadOutcome, String> {
    let Some(text) = load_error else {
        return Ok(LoadOutcome::Loads);
    };
    // "Unable to compile Extism plugin: Hash mismatch, found F but expected E"
    if let Some((_, rest)) = text.split_once("Hash mismatch, found ") {
        let (found, expected) = rest
            .split_once(" but expected ")
            .ok_or_else(|| format!("bad hash mismatch text {text:?}"))?;
        return Ok(LoadOutcome::HashMismatch {
            expected: expected.trim().into(),
            found: found.trim().into(),
        });
    }
    // "Unable to create Extism plugin: unknown import: `M::N` has not been defined"
    if let Some((_, rest)) = text.split_once("unknown import: `") {
        let (path, _) = rest
            .split_once("` has not been defined")
            .ok_or_else(|| format!("bad unknown-import text {text:?}"))?;
        let (module, name) = path
            .rsplit_once("::")
            .ok_or_else(|| format!("bad import path in {text:?}"))?;
        let reason = if module.starts_with("wasi_") {
            "WASI is not enabled"
        } else {
            "no host function"
        };
        return Ok(LoadOutcome::Link {
            import_module: module.into(),
            import_name: name.into(),
            signature: None,
            reason_contains: reason.into(),
        });
    }
    // "Invalid function import from extism:host/env: NAME (type (func (param i64) (result i64)))"
    if let Some((_, rest)) = text.split_once("Invalid function import from extism:host/env: ") {
        let (name, ty) = rest
            .split_once(" (type ")
            .ok_or_else(|| format!("bad invalid-import text {text:?}"))?;
        return Ok(LoadOutcome::Link {
            import_module: "extism:host/env".into(),
            import_name: name.into(),
            signature: Some(wat_type_to_ours(ty)?),
            reason_contains: "not an Extism kernel function".into(),
        });
    }
    Err(format!("no handling for the load error {text:?}"))
}

/// `(func (param i64) (result i64)))...` (wasmtime's text) to our
/// `(func (i64) -> (i64))`.
fn wat_type_to_ours(ty: &str) -> Result<String, String> {
    let list = |keyword: &str| -> Vec<String> {
        ty.split(&format!("({keyword}"))
            .skip(1)
            .flat_map(|part| {
                part.split(')')
                    .next()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    if !ty.starts_with("(func") {
        return Err(format!("not a function type: {ty:?}"));
    }
    Ok(format!(
        "(func ({}) -> ({}))",
        list("param").join(", "),
        list("result").join(", ")
    ))
}

/// Where our runtime deliberately differs from the reference for one call:
/// the outcome we assert instead of the golden's (with the reason).
fn deliberate_difference(case: &str, call: usize) -> Option<Outcome> {
    match (case, call) {
        // The pre-1.0 `env::extism_*` imports: the reference no longer links
        // them (load error); we alias them to the kernel so old plug-ins run.
        ("wat.legacy_env", 0) => Some(Outcome::Output {
            bytes: Some(b"legacy".to_vec()),
            sha256: None,
            len: 6,
        }),
        // `output_set(p, u64::MAX)`: the reference accepts a range it cannot
        // read (output_len 2^64-1); we ignore an out-of-range `output_set`
        // (as the reference does for the other out-of-range cases), so the
        // output stays empty and the host never reads outside the memory.
        ("wat.oob_output", 2) => Some(Outcome::Output {
            bytes: Some(Vec::new()),
            sha256: None,
            len: 0,
        }),
        // `returns_i64` has type `() -> i64`: the reference calls it anyway
        // and reports rc -1 with no error text; we refuse an export that is
        // not `() -> i32` / `() -> ()` with a typed error (whose exit_code is
        // -1, the same rc).
        ("wat.with_params", 1) => Some(Outcome::FunctionSignature {
            params: Some(0),
            results: Some(1),
        }),
        // An error block that is not UTF-8 (0xFF 0xFE): the reference fails
        // to read it ("unable to load error message from memory") and the C
        // API hands out the raw bytes; we report the plug-in's error with the
        // bytes decoded lossily, keeping its return code.
        ("wat.bad_utf8_error", 0) => Some(Outcome::Plugin {
            message: String::from_utf8_lossy(&[0xFF, 0xFE]).into_owned(),
            code: 1,
        }),
        // `proc_exit(1)`: the reference reports rc 1 with only the trap's
        // backtrace context as its error text; we report the status as an
        // exit code (also 1), with no text of the plug-in's to show.
        ("wat.exit_status", 1) => Some(Outcome::ExitCode(1)),
        // `proc_exit` with a status of 126 or more: the reference's WASI
        // (wasmtime-wasi) turns it into "exit with invalid exit status" and
        // rc -1, losing it; we report the plug-in's status as given, as the
        // Go SDK does (an exit code of 126, 500, -1).
        ("wat.exit_status", 2) => Some(Outcome::ExitCode(126)),
        ("wat.exit_status", 3) => Some(Outcome::ExitCode(500)),
        ("wat.exit_status", 4) => Some(Outcome::ExitCode(-1)),
        _ => None,
    }
}

/// Where our runtime deliberately loads differently from the reference.
fn deliberate_load_difference(case: &str) -> Option<LoadOutcome> {
    match case {
        // See `deliberate_difference`: legacy `env::extism_*` imports link.
        "wat.legacy_env" => Some(LoadOutcome::Loads),
        // A module declaring 17 pages under `max_pages: 16`: the reference
        // instantiates at the first call and fails it with `oom`; we fail at
        // load, with the same cause (`Error::MemoryLimit`, the pages declared
        // and the limit), before any call can start.
        "count_vowels.rust.declared_over_max_pages" => Some(LoadOutcome::MemoryLimit {
            max_pages: 16,
            declared_pages: 17,
        }),
        _ => None,
    }
}

/// The expected load outcome and per-call outcomes of a case.
fn expectations(case: &Case, result: &CaseResult) -> Result<(LoadOutcome, Vec<Outcome>), String> {
    let load = match deliberate_load_difference(&case.name) {
        Some(load) => load,
        None => expected_load(result.load_error.as_deref())?,
    };
    let mut outcomes = Vec::with_capacity(case.calls.len());
    if load == LoadOutcome::Loads {
        let recorded = result.calls.as_deref().unwrap_or_default();
        for (i, call) in case.calls.iter().enumerate() {
            let outcome = match deliberate_difference(&case.name, i) {
                Some(outcome) => outcome,
                None => {
                    let rec = recorded
                        .get(i)
                        .ok_or_else(|| format!("no recorded result for call {i}"))?;
                    if rec.function != call.function {
                        return Err(format!(
                            "call {i}: recorded function {} is not {}",
                            rec.function, call.function
                        ));
                    }
                    expected_outcome(rec)
                        .map_err(|e| format!("call {i} ({}): {e}", call.function))?
                }
            };
            outcomes.push(outcome);
        }
        if result.load_error.is_none() && recorded.len() != case.calls.len() {
            return Err(format!(
                "{} calls but {} recorded results",
                case.calls.len(),
                recorded.len()
            ));
        }
    }
    Ok((load, outcomes))
}

// ------------------------------------------------------------------ checking

/// Compares one call's result with its expected outcome; returns the
/// mismatches (empty: it matches).
fn check_call(
    result: std::result::Result<Vec<u8>, Error>,
    expected: &Outcome,
    rc: Option<i32>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    match (expected, result) {
        (Outcome::Output { bytes, sha256, len }, Ok(output)) => {
            check(
                output.len() as u64 == *len,
                format!("output length {} != {len}", output.len()),
            );
            if let Some(bytes) = bytes {
                check(
                    &output == bytes,
                    format!(
                        "output {:?} != {:?}",
                        String::from_utf8_lossy(&output),
                        String::from_utf8_lossy(bytes)
                    ),
                );
            }
            if let Some(hash) = sha256 {
                let ours = support::sha256_hex(&output);
                check(&ours == hash, format!("output sha256 {ours} != {hash}"));
            }
        }
        (expected, Ok(output)) => check(
            false,
            format!(
                "expected {expected:?}, got Ok({:?})",
                String::from_utf8_lossy(&output)
            ),
        ),
        (expected, Err(err)) => {
            let shown = support::report(&err);
            if let Some(rc) = rc {
                check(
                    err.exit_code() == rc,
                    format!(
                        "exit_code() {} != reference rc {rc} for {err:?}",
                        err.exit_code()
                    ),
                );
            }
            let matches = match (expected, &err) {
                (
                    Outcome::Plugin { message, code },
                    Error::Plugin {
                        message: m,
                        code: c,
                        ..
                    },
                ) => m == message && c == code && shown.contains(message.as_str()),
                (Outcome::ExitCode(code), Error::ExitCode { code: c, .. }) => c == code,
                (Outcome::Trap { kind }, Error::Trap { trap, .. }) => {
                    trap.contains(kind.as_str()) && shown.contains(kind.as_str())
                }
                (Outcome::FunctionNotFound(f), Error::FunctionNotFound { function, .. }) => {
                    function == f && shown.contains(f.as_str())
                }
                (
                    Outcome::FunctionSignature { params, results },
                    Error::FunctionSignature { found, .. },
                ) => {
                    let (p, r) = count_signature(found);
                    params.is_none_or(|n| p == Some(n)) && results.is_none_or(|n| r == Some(n))
                }
                (Outcome::VarsDisabled, Error::Vars { message, .. }) => {
                    message.contains("disabled")
                }
                (Outcome::VarsFull, Error::Vars { message, .. }) => message
                    .to_ascii_lowercase()
                    .contains("variable store is full"),
                (
                    Outcome::HostFunction {
                        host_function,
                        needle,
                    },
                    Error::HostFunction {
                        host_function: h,
                        message,
                        ..
                    },
                ) => {
                    let needle = needle.to_ascii_lowercase();
                    h == host_function
                        && message.to_ascii_lowercase().contains(&needle)
                        && shown.contains(host_function.as_str())
                        && shown.to_ascii_lowercase().contains(&needle)
                }
                (Outcome::Timeout, Error::Timeout { .. }) => true,
                (Outcome::MemoryLimit, Error::MemoryLimit { .. }) => true,
                _ => false,
            };
            check(
                matches,
                format!("expected {expected:?}, got {err:?} ({shown})"),
            );
        }
    }
    problems
}

/// Parameter and result counts of a type written `(func (A, B) -> (C))`.
fn count_signature(found: &str) -> (Option<usize>, Option<usize>) {
    let Some(inner) = found
        .strip_prefix("(func (")
        .and_then(|s| s.strip_suffix("))"))
    else {
        return (None, None);
    };
    let Some((params, results)) = inner.split_once(") -> (") else {
        return (None, None);
    };
    let count = |s: &str| {
        if s.trim().is_empty() {
            0
        } else {
            s.split(',').count()
        }
    };
    (Some(count(params)), Some(count(results)))
}

fn check_load_error(err: &Error, expected: &LoadOutcome) -> Vec<String> {
    let shown = err.to_string();
    let ok = match (expected, err) {
        (
            LoadOutcome::HashMismatch { expected, found },
            Error::HashMismatch {
                expected: e,
                found: f,
                ..
            },
        ) => e == expected && f == found && shown.contains(found.as_str()),
        (
            LoadOutcome::Link {
                import_module,
                import_name,
                signature,
                reason_contains,
            },
            Error::Link {
                import,
                signature: s,
                reason,
                ..
            },
        ) => {
            *import == format!("{import_module}::{import_name}")
                && s.starts_with("(func (")
                && signature.as_ref().is_none_or(|sig| sig == s)
                && reason.contains(reason_contains.as_str())
                && shown.contains(&format!("{import_module}::{import_name}"))
                && shown.contains(s.as_str())
        }
        (
            LoadOutcome::MemoryLimit {
                max_pages,
                declared_pages,
            },
            Error::MemoryLimit {
                max_pages: m,
                declared_pages: d,
                ..
            },
        ) => m == max_pages && *d == Some(*declared_pages),
        _ => false,
    };
    if ok {
        Vec::new()
    } else {
        vec![format!(
            "load: expected {expected:?}, got {err:?} ({shown})"
        )]
    }
}

// ------------------------------------------------------------------ running

/// What a case needs around the plug-in: temp dir, HTTP server, logs.
struct Harness {
    tmp: Option<tempfile::TempDir>,
    server: Option<Server>,
    logs: Option<LogCapture>,
}

impl Harness {
    fn input(&self, call: &CallSpec) -> Vec<u8> {
        if let Some(text) = &call.input {
            let text = match &self.server {
                Some(server) => text.replace("{http}", &server.url("")),
                None => text.clone(),
            };
            return text.into_bytes();
        }
        if let Some(data) = &call.input_b64 {
            return b64(data);
        }
        if let Some(rep) = &call.input_repeat {
            return rep.text.repeat(rep.times).into_bytes();
        }
        Vec::new()
    }

    fn tmp_path(&self) -> &Path {
        self.tmp
            .as_ref()
            .expect("the case has a temporary directory")
            .path()
    }
}

/// Builds the plug-in of a case as the recorder does.
fn builder(case: &Case, harness: &mut Harness) -> Result<PluginBuilder, String> {
    if case.allowed_paths.is_some() || case.files.is_some() {
        let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        for (relative, text) in case.files.iter().flatten() {
            let path = tmp.path().join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("mkdir: {e}"))?;
            }
            std::fs::write(&path, text).map_err(|e| format!("write {relative}: {e}"))?;
        }
        harness.tmp = Some(tmp);
    }
    if let Some(spec) = &case.http_server {
        let routes = spec
            .routes
            .iter()
            .map(|(path, route)| {
                let body = match (&route.body, &route.body_repeat) {
                    (_, Some(rep)) => rep.text.repeat(rep.times),
                    (Some(body), None) => body.clone(),
                    (None, None) => String::new(),
                };
                let mut reply = Reply::new(route.status.unwrap_or(200), body);
                for (name, value) in &route.headers {
                    reply = reply.with_header(name, value);
                }
                (path.clone(), (reply, route.echo))
            })
            .collect::<BTreeMap<String, (Reply, bool)>>();
        harness.server = Some(Server::start(move |request| {
            match routes.get(&request.path) {
                Some((reply, false)) => reply.clone(),
                Some((reply, true)) => {
                    let mut echoed = format!(
                        "{} {} ",
                        request.method,
                        request.header("x-test").unwrap_or("-")
                    )
                    .into_bytes();
                    echoed.extend_from_slice(&request.body);
                    let mut reply = reply.clone();
                    reply.body = echoed;
                    reply
                }
                None => Reply::new(404, "not found"),
            }
        }));
    }

    let mut wasm = Wasm::file(support::repo_path(&case.wasm));
    if let Some(hash) = &case.hash {
        wasm = wasm.with_hash(hash);
    }
    let linked = case
        .linked
        .iter()
        .map(|m| Wasm::file(support::repo_path(&m.wasm)).with_name(&m.name));
    let mut manifest = Manifest::new(linked.chain([wasm]));
    manifest.config = case.config.clone().unwrap_or_default();
    manifest.memory = case.memory.clone().unwrap_or_default();
    manifest.timeout_ms = case.timeout_ms;
    manifest.allowed_hosts = case.allowed_hosts.clone();
    if let Some(paths) = &case.allowed_paths {
        let tmp = harness.tmp_path().to_string_lossy().into_owned();
        for (host, guest) in paths {
            manifest = manifest.with_allowed_path(host.replace("{tmp}", &tmp), guest);
        }
    }

    let mut builder = PluginBuilder::new(manifest).with_wasi(case.wasi.unwrap_or(false));
    builder = match case.host_functions.as_deref() {
        None => builder,
        Some("kv") => builder
            .with_functions(support::kv_functions())
            .with_state(KvStore::default()),
        Some("echo") => builder
            .with_functions(support::echo_functions())
            .with_state(EchoCalls::default()),
        Some("pantry") => builder
            .with_functions(pantry_functions())
            .with_state(PantryVisits::default()),
        Some(other) => return Err(format!("no handling for host_functions {other:?}")),
    };
    // No log level: no logger and no level, so the plug-in sees "off" as it
    // does on the reference without a log subscriber.
    if let Some(level) = &case.log_level {
        let capture = LogCapture::default();
        builder = builder
            .with_logger(capture.logger())
            .with_log_level(support::log_level(level));
        harness.logs = Some(capture);
    }
    Ok(builder)
}

/// Runs one case; returns its mismatches.
fn run_case(case: &Case, result: &CaseResult) -> Vec<String> {
    let (load, outcomes) = match expectations(case, result) {
        Ok(e) => e,
        Err(e) => return vec![format!("no handling: {e}")],
    };
    let mut harness = Harness {
        tmp: None,
        server: None,
        logs: None,
    };
    let builder = match builder(case, &mut harness) {
        Ok(b) => b,
        Err(e) => return vec![e],
    };
    let mut plugin = match (builder.build(), &load) {
        (Ok(plugin), LoadOutcome::Loads) => plugin,
        (Ok(_), expected) => return vec![format!("load: expected {expected:?}, but it loaded")],
        (Err(err), LoadOutcome::Loads) => return vec![format!("load failed: {err}")],
        (Err(err), expected) => return check_load_error(&err, expected),
    };

    let recorded = result.calls.as_deref().unwrap_or_default();
    let mut problems = Vec::new();
    for (i, (call, expected)) in case.calls.iter().zip(&outcomes).enumerate() {
        let input = harness.input(call);
        let output = plugin
            .call_bytes(&call.function, &input)
            .map(<[u8]>::to_vec);
        let rec = recorded.get(i);
        // A deliberate difference states its own outcome; the reference's rc
        // is not ours there.
        let rc = match deliberate_difference(&case.name, i) {
            Some(_) => None,
            None => rec.map(|r| r.rc),
        };
        for p in check_call(output, expected, rc) {
            problems.push(format!("call {i} ({}): {p}", call.function));
        }
        if let Some(logs) = &harness.logs {
            let ours = logs.take();
            let theirs = rec.and_then(|r| r.logs.clone()).unwrap_or_default();
            if ours != theirs {
                problems.push(format!(
                    "call {i} ({}): logs {ours:?} != {theirs:?}",
                    call.function
                ));
            }
        }
    }
    problems.extend(check_after(&plugin, result, &harness));
    problems
}

/// The host state, files and HTTP requests a case leaves behind.
fn check_after(plugin: &Plugin, result: &CaseResult, harness: &Harness) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(state) = &result.host_state {
        if let Some(kv) = &state.kv {
            let expected: BTreeMap<String, Vec<u8>> =
                kv.iter().map(|(k, v)| (k.clone(), b64(v))).collect();
            match plugin.state::<KvStore>() {
                Some(store) if store.0 == expected => {}
                other => problems.push(format!("kv store {other:?} != {expected:?}")),
            }
        }
        if let Some(calls) = state.echo_calls {
            match plugin.state::<EchoCalls>() {
                Some(EchoCalls(n)) if *n == calls => {}
                other => problems.push(format!("echo calls {other:?} != {calls}")),
            }
        }
        if let Some(visits) = &state.visits {
            match plugin.state::<PantryVisits>() {
                Some(PantryVisits(ours)) if ours == visits => {}
                other => problems.push(format!("pantry visits {other:?} != {visits:?}")),
            }
        }
    }
    if let Some(files) = &result.files_after {
        let ours = snapshot_dir(harness.tmp_path());
        if &ours != files {
            problems.push(format!("files after the case {ours:?} != {files:?}"));
        }
    }
    if let Some(requests) = &result.http_requests {
        let ours = harness
            .server
            .as_ref()
            .map(|server| {
                server
                    .requests()
                    .into_iter()
                    .map(|r| (r.method, r.path))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if &ours != requests {
            problems.push(format!("HTTP requests {ours:?} != {requests:?}"));
        }
    }
    problems
}

/// Every file under `root`, as the recorder's `snapshot_dir`.
fn snapshot_dir(root: &Path) -> BTreeMap<String, FileContent> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, FileContent>) {
        let entries = std::fs::read_dir(dir).expect("read the case's temporary directory");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .expect("a path under the root")
                .to_string_lossy()
                .into_owned();
            let data = std::fs::read(&path).expect("read a file of the temporary directory");
            let content = match String::from_utf8(data) {
                Ok(text) => FileContent::Text(text),
                Err(e) => FileContent::Binary {
                    b64: base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
                },
            };
            out.insert(relative, content);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

// ------------------------------------------------------------------ tests

#[test]
fn every_golden_case_matches() {
    let results = results();
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let Some(result) = results.cases.get(&case.name) else {
            failures.push(format!("{}: no recorded result", case.name));
            continue;
        };
        for problem in run_case(case, result) {
            failures.push(format!("{}: {problem}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es) over {} golden cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_has_a_result_and_a_handling() {
    let cases = cases();
    let results = results();
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "duplicate case names");
    let recorded: BTreeSet<&str> = results.cases.keys().map(String::as_str).collect();
    assert_eq!(
        names, recorded,
        "cases.json and results.json list different cases"
    );
    let unhandled: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            expectations(case, &results.cases[&case.name])
                .err()
                .map(|e| format!("{}: {e}", case.name))
        })
        .collect();
    assert!(
        unhandled.is_empty(),
        "unhandled goldens:\n{}",
        unhandled.join("\n")
    );
}

#[test]
fn golden_error_texts_map_to_typed_errors() {
    // The mapping itself, on texts taken from results.json.
    let rec = |error: Option<&str>, detail: Option<&str>, rc: i32| CallResult {
        function: "f".into(),
        rc,
        ok: false,
        output_len: 0,
        output: None,
        output_b64: None,
        output_sha256: None,
        output_unreadable: None,
        error: error.map(str::to_string),
        error_b64: None,
        error_detail: detail.map(str::to_string),
        logs: None,
    };
    assert_eq!(
        expected_outcome(&rec(Some("something went wrong"), None, -1)),
        Ok(Outcome::Plugin {
            message: "something went wrong".into(),
            code: -1
        })
    );
    assert_eq!(
        expected_outcome(&rec(Some("custom failure code"), None, 42)),
        Ok(Outcome::Plugin {
            message: "custom failure code".into(),
            code: 42
        })
    );
    assert_eq!(
        expected_outcome(&rec(None, None, 7)),
        Ok(Outcome::ExitCode(7))
    );
    assert_eq!(
        expected_outcome(&rec(
            Some("error while executing at wasm backtrace:\n    0: x"),
            Some("error while executing at wasm backtrace:\n    0: x\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed"),
            134
        )),
        Ok(Outcome::Trap {
            kind: "unreachable".into()
        })
    );
    assert_eq!(
        expected_outcome(&rec(Some("Function not found: nope"), None, -1)),
        Ok(Outcome::FunctionNotFound("nope".into()))
    );
    assert!(expected_outcome(&rec(
        Some("e"),
        Some("e\n\nCaused by:\n    something nobody handles"),
        -1
    ))
    .is_err());
    assert_eq!(
        wat_type_to_ours("(func (param i64 i32) (result i64)))"),
        Ok("(func (i64, i32) -> (i64))".to_string())
    );
    assert_eq!(
        count_signature("(func () -> (i32, i32))"),
        (Some(0), Some(2))
    );
}

#[test]
fn the_harness_reports_mismatches() {
    // The comparison must be able to fail: tamper with recorded results and
    // expect a mismatch for each.
    let cases = cases();
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("case {name}"))
    };
    let mut results = results().cases;
    let mut tampered = |name: &str, edit: &dyn Fn(&mut CaseResult)| -> Vec<String> {
        let result = results.get_mut(name).expect("recorded case");
        edit(result);
        run_case(case(name), result)
    };
    fn call(r: &mut CaseResult, i: usize) -> &mut CallResult {
        &mut r.calls.as_mut().expect("recorded calls")[i]
    }
    let problems = tampered("kitchen.rust.failures", &|r| {
        let c = call(r, 0);
        c.error = Some("something else went wrong".into());
    });
    assert!(
        problems.iter().any(|p| p.contains("call 0")),
        "{problems:?}"
    );
    let problems = tampered("kitchen.rust.failures", &|r| {
        let c = call(r, 0);
        c.error = Some("something went wrong".into());
        let c = call(r, 2);
        c.rc = 8;
    });
    assert!(
        problems.iter().any(|p| p.contains("call 2")),
        "{problems:?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("call 0")),
        "{problems:?}"
    );
    let problems = tampered("reflect.rust.inputs", &|r| {
        let c = call(r, 1);
        c.output = None;
        c.output_b64 = Some(base64::engine::general_purpose::STANDARD.encode("hellO"));
        let c = call(r, 6);
        c.output_sha256 = Some("0".repeat(64));
    });
    assert!(
        problems.iter().any(|p| p.contains("call 1")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("call 6")),
        "{problems:?}"
    );
    let problems = tampered("kitchen.rust.log_info", &|r| {
        let c = call(r, 1);
        c.logs = Some(vec![("INFO".into(), "kitchen info message".into())]);
    });
    assert!(problems.iter().any(|p| p.contains("logs")), "{problems:?}");
    let problems = tampered("count_vowels_kvstore.rust.three_calls", &|r| {
        r.host_state = Some(HostState {
            kv: Some(BTreeMap::from([("count-vowels".into(), "CAAAAA==".into())])),
            echo_calls: None,
            visits: None,
        });
    });
    assert!(
        problems.iter().any(|p| p.contains("kv store")),
        "{problems:?}"
    );
    let problems = tampered("count_vowels.rust.hash_mismatch", &|r| {
        r.load_error = Some("Hash mismatch, found 00 but expected 11".into());
    });
    assert!(problems.iter().any(|p| p.contains("load")), "{problems:?}");
}

// A few cases again, asserting the typed errors field by field.

fn kitchen() -> CompiledPlugin {
    PluginBuilder::new(Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]))
        .compile()
        .expect("kitchen compiles")
}

#[test]
fn kitchen_failures_are_typed_and_the_plugin_keeps_working() {
    let mut plugin = kitchen().instantiate().expect("kitchen instantiates");
    match plugin.call_bytes("fail_err", b"") {
        Err(Error::Plugin {
            message,
            code,
            function,
            ..
        }) => {
            assert_eq!(message, "something went wrong");
            assert_eq!(code, -1);
            assert_eq!(function, "fail_err");
        }
        other => panic!("fail_err: {other:?}"),
    }
    match plugin.call_bytes("fail_code", b"") {
        Err(Error::Plugin { message, code, .. }) => {
            assert_eq!((message.as_str(), code), ("custom failure code", 42));
        }
        other => panic!("fail_code: {other:?}"),
    }
    match plugin.call_bytes("exit_nonzero_no_error", b"") {
        Err(e @ Error::ExitCode { code: 7, .. }) => assert_eq!(e.exit_code(), 7),
        other => panic!("exit_nonzero_no_error: {other:?}"),
    }
    // The Rust PDK built with panic = "abort" traps without setting an error
    // block: the golden's cause is the `unreachable` trap, not the message.
    for function in ["panic", "trap_unreachable"] {
        match plugin.call_bytes(function, b"") {
            Err(e @ Error::Trap { .. }) => {
                assert!(e.to_string().contains("unreachable"), "{e}");
                assert_eq!(e.exit_code(), 134);
            }
            other => panic!("{function}: {other:?}"),
        }
    }
    match plugin.call_bytes("error_with_output", b"") {
        Err(Error::Plugin { message, code, .. }) => {
            assert_eq!((message.as_str(), code), ("error despite rc 0", 0));
        }
        other => panic!("error_with_output: {other:?}"),
    }
    let output = plugin.call_bytes("utf8", b"").expect("utf8 after failures");
    assert_eq!(output, "héllo wörld ✓".as_bytes());
}

#[test]
fn http_to_a_host_not_allowed_fails_in_http_request() {
    let manifest = Manifest::new([support::plugin_wasm("kitchen.rust.wasm")])
        .with_allowed_host("*.example.org");
    let mut plugin = Plugin::new(manifest, [], false).expect("kitchen loads");
    let err = plugin
        .call_bytes("http_get", b"https://example.org/")
        .expect_err("example.org does not match *.example.org");
    let [_, function, host_function, message] = support::host_fn_error(&err);
    assert_eq!(host_function, "extism:host/env::http_request");
    assert_eq!(function, "http_get");
    assert!(message.contains("not allowed"), "{message}");
    let shown = support::report(&err);
    assert!(
        shown.contains("http_request") && shown.contains("not allowed"),
        "{shown}"
    );
    assert_eq!(err.exit_code(), -1);
}

#[test]
fn timeout_and_memory_limit_are_typed_and_recoverable() {
    let manifest = Manifest::new([support::plugin_wasm("kitchen.rust.wasm")])
        .with_timeout(std::time::Duration::from_millis(200))
        .with_max_pages(64);
    let mut plugin = Plugin::new(manifest, [], false).expect("kitchen loads");
    match plugin.call_bytes("infinite_loop", b"") {
        Err(
            e @ Error::Timeout {
                timeout_ms: 200, ..
            },
        ) => assert_eq!(e.exit_code(), 134),
        other => panic!("infinite_loop: {other:?}"),
    }
    match plugin.call_bytes("memory_bomb", b"") {
        Err(e @ Error::MemoryLimit { max_pages: 64, .. }) => assert_eq!(e.exit_code(), -1),
        other => panic!("memory_bomb: {other:?}"),
    }
    assert_eq!(
        plugin
            .call_bytes("utf8", b"")
            .expect("utf8 after the limits"),
        "héllo wörld ✓".as_bytes()
    );
}

#[test]
fn kv_host_functions_keep_the_total_in_the_host_store() {
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    let mut plugin = PluginBuilder::new(manifest)
        .with_functions(support::kv_functions())
        .with_state(KvStore::default())
        .build()
        .expect("kvstore loads with the kv functions");
    for total in [3u32, 6, 9] {
        let output = plugin
            .call_bytes("count_vowels", b"Hello, World!")
            .expect("count_vowels");
        let expected = format!(r#"{{"count":3,"total":{total},"vowels":"aeiouAEIOU"}}"#);
        assert_eq!(output, expected.as_bytes());
        let store = plugin.state::<KvStore>().expect("the kv state");
        assert_eq!(store.0["count-vowels"], total.to_le_bytes());
    }
}
