//! Calling plug-ins: typed calls, exports, vars seen from both sides, the
//! lifetime of an instance (`_start`, `_initialize`), WASI on and off, and
//! several instances of one compiled plug-in.

use crate::support;

use extism_host::codec::Json;
use extism_host::{CompiledPlugin, Error, Manifest, Plugin, PluginBuilder, Wasm};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, PartialEq)]
struct Count {
    count: u64,
    total: u64,
    vowels: String,
}

#[derive(Serialize)]
struct Operands {
    a: i64,
    b: i64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Sum {
    sum: i64,
}

fn plugin(file: &str) -> Plugin {
    Plugin::new(Manifest::new([support::plugin_wasm(file)]), [], false)
        .unwrap_or_else(|e| panic!("{file} loads: {e}"))
}

// ------------------------------------------------------------------ typed calls

#[test]
fn typed_calls_with_text_and_json() {
    let mut plugin = plugin("count_vowels.rust.wasm");
    let Json(count): Json<Count> = plugin
        .call("count_vowels", "Hello, World!")
        .expect("a JSON report");
    assert_eq!(
        count,
        Count {
            count: 3,
            total: 3,
            vowels: "aeiouAEIOU".into()
        }
    );
    // Borrowed text output, String input.
    let text: &str = plugin
        .call("count_vowels", String::from("aaa"))
        .expect("text output");
    assert_eq!(text, r#"{"count":3,"total":6,"vowels":"aeiouAEIOU"}"#);

    let mut kitchen = plugin_kitchen();
    let Json(sum): Json<Sum> = kitchen
        .call("json_sum", Json(Operands { a: 40, b: 2 }))
        .expect("json in, json out");
    assert_eq!(sum, Sum { sum: 42 });
    let owned: String = kitchen.call("utf8", ()).expect("unit input, String output");
    assert_eq!(owned, "héllo wörld ✓");
    let bytes: Vec<u8> = kitchen.call("utf8", &b""[..]).expect("bytes output");
    assert_eq!(bytes, "héllo wörld ✓".as_bytes());
}

fn plugin_kitchen() -> Plugin {
    plugin("kitchen.rust.wasm")
}

#[test]
fn typed_call_errors() {
    let mut kitchen = plugin_kitchen();
    // An output that does not decode is a codec error naming the function.
    let err = kitchen
        .call::<_, Json<Sum>>("utf8", "")
        .expect_err("not JSON");
    match &err {
        Error::Codec { function, .. } => assert_eq!(function, "utf8"),
        other => panic!("expected Error::Codec, got {other:?}"),
    }
    assert!(err.to_string().contains("utf8"), "{err}");
    // A plug-in error comes through unchanged.
    match kitchen.call::<_, &str>("json_sum", "not json") {
        Err(Error::Plugin { message, code, .. }) => {
            assert_eq!(message, "expected ident at line 1 column 2");
            assert_eq!(code, -1);
        }
        other => panic!("expected Error::Plugin, got {other:?}"),
    }
    match kitchen.call::<_, &str>("no_such_function", "") {
        Err(Error::FunctionNotFound { function, .. }) => assert_eq!(function, "no_such_function"),
        other => panic!("expected Error::FunctionNotFound, got {other:?}"),
    }
}

// ------------------------------------------------------------------ exports

#[test]
fn function_exists_and_functions() {
    let kitchen = plugin_kitchen();
    let functions: Vec<&str> = kitchen.functions().collect();
    for name in ["json_sum", "fail_err", "infinite_loop", "utf8", "http_get"] {
        assert!(kitchen.function_exists(name), "{name}");
        assert!(functions.contains(&name), "{name} not in {functions:?}");
    }
    assert!(
        !kitchen.function_exists("memory"),
        "a memory is not a function"
    );
    assert!(!kitchen.function_exists("nope"));
    assert!(!functions.contains(&"memory"));

    // Only `() -> i32` and `() -> ()` are plug-in functions.
    let two = plugin("wat/two_results.wasm");
    assert!(two.function_exists("one_result"));
    assert!(two.function_exists("no_result"));
    assert!(!two.function_exists("two"));
    let mut names: Vec<&str> = two.functions().collect();
    names.sort_unstable();
    assert_eq!(names, ["no_result", "one_result"]);
    let params = plugin("wat/with_params.wasm");
    assert!(!params.function_exists("takes_param"));
    assert!(!params.function_exists("returns_i64"));
    assert_eq!(params.functions().count(), 0);
}

#[test]
fn calling_a_non_plugin_export_is_a_signature_error() {
    let mut two = plugin("wat/two_results.wasm");
    match two.call_bytes("two", b"") {
        Err(Error::FunctionSignature {
            function, found, ..
        }) => {
            assert_eq!(function, "two");
            assert_eq!(found, "(func () -> (i32, i32))");
        }
        other => panic!("expected Error::FunctionSignature, got {other:?}"),
    }
    assert_eq!(two.call_bytes("no_result", b"").expect("() -> ()"), b"");
    assert_eq!(two.call_bytes("one_result", b"").expect("() -> i32"), b"");
}

// ------------------------------------------------------------------ vars

#[test]
fn vars_are_shared_between_host_and_plugin() {
    let mut kitchen = plugin_kitchen();
    // Written by the plug-in, read by the host.
    assert_eq!(
        kitchen.call_bytes("var_write", b"a=alpha").expect("write"),
        b"ok"
    );
    assert_eq!(kitchen.var("a"), Some(&b"alpha"[..]));
    // Written by the host, read by the plug-in.
    kitchen.set_var("b", b"beta").expect("host sets a var");
    assert_eq!(kitchen.call_bytes("var_read", b"b").expect("read"), b"beta");
    let mut all: Vec<(&str, &[u8])> = kitchen.vars().collect();
    all.sort();
    assert_eq!(all, [("a", &b"alpha"[..]), ("b", &b"beta"[..])]);
    // Removed by the host: the plug-in sees it gone.
    assert_eq!(kitchen.remove_var("a"), Some(b"alpha".to_vec()));
    assert_eq!(
        kitchen.call_bytes("var_read", b"a").expect("read"),
        b"<none>"
    );
    // An empty value removes the var, as `var_set` with offset 0 does.
    kitchen.set_var("b", b"").expect("empty value");
    assert_eq!(kitchen.var("b"), None);
    kitchen.set_var("c", b"gamma").expect("set");
    kitchen.clear_vars();
    assert_eq!(kitchen.vars().count(), 0);
    assert_eq!(
        kitchen.call_bytes("var_read", b"c").expect("read"),
        b"<none>"
    );
}

#[test]
fn host_set_var_changes_the_plugin_total() {
    let mut plugin = plugin("count_vowels.rust.wasm");
    plugin
        .call_bytes("count_vowels", b"aaa")
        .expect("first call");
    assert_eq!(plugin.var("total"), Some(&3u64.to_le_bytes()[..]));
    plugin
        .set_var("total", &100u64.to_le_bytes())
        .expect("host sets the total");
    let Json(count): Json<Count> = plugin.call("count_vowels", "ee").expect("second call");
    assert_eq!(count.total, 102);
}

#[test]
fn host_set_var_respects_the_limits() {
    let manifest = Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]).with_max_var_bytes(0);
    let mut disabled = Plugin::new(manifest, [], false).expect("loads");
    match disabled.set_var("k", b"v") {
        Err(Error::Vars { message, .. }) => assert!(message.contains("disabled"), "{message}"),
        other => panic!("expected Error::Vars, got {other:?}"),
    }
    // 1024 - 48 - len("big") = 973 is the largest value that fits.
    let manifest =
        Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]).with_max_var_bytes(1024);
    let mut small = Plugin::new(manifest, [], false).expect("loads");
    assert!(matches!(
        small.set_var("big", &[b'x'; 974]),
        Err(Error::Vars { .. })
    ));
    small.set_var("big", &[b'x'; 973]).expect("fits exactly");
    assert_eq!(
        small.call_bytes("var_read", b"big").expect("read").len(),
        973
    );
}

// ------------------------------------------------------------------ instance lifetime

/// `_start` bumps the global `$starts`; `count` bumps `$calls` and outputs
/// both as two decimal digits.
const START: &str = r#"
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $starts (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))
  (func (export "_start")
    (global.set $starts (i32.add (global.get $starts) (i32.const 1))))
  (func (export "count") (result i32)
    (local $p i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $p (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $p) (i32.add (i32.const 48) (global.get $starts)))
    (call $store_u8 (i64.add (local.get $p) (i64.const 1))
                    (i32.add (i32.const 48) (global.get $calls)))
    (call $output_set (local.get $p) (i64.const 2))
    (i32.const 0)))
"#;

#[test]
fn start_resets_the_instance() {
    let mut plugin = Plugin::new(Manifest::new([Wasm::data(START)]), [], false).expect("loads");
    // `_start` is never called implicitly, and the instance persists
    // between calls.
    assert_eq!(plugin.call_bytes("count", b"").expect("count"), b"01");
    assert_eq!(plugin.call_bytes("count", b"").expect("count"), b"02");
    plugin.set_var("k", b"v").expect("a var");
    assert_eq!(plugin.call_bytes("_start", b"").expect("_start"), b"");
    // The next call runs on a fresh instance: both globals start over and,
    // as in the reference, the vars went with the old instance.
    assert_eq!(plugin.call_bytes("count", b"").expect("count"), b"01");
    assert_eq!(plugin.var("k"), None);
    assert_eq!(plugin.call_bytes("count", b"").expect("count"), b"02");
}

#[test]
fn initialize_runs_once_per_instance() {
    let compiled = PluginBuilder::new(Manifest::new([support::plugin_wasm("wat/initialize.wasm")]))
        .compile()
        .expect("compiles");
    // Compiling runs nothing; each instance runs `_initialize` once.
    for _ in 0..2 {
        let mut plugin = compiled.instantiate().expect("instantiates");
        for _ in 0..3 {
            assert_eq!(plugin.call_bytes("check", b"").expect("check"), b"init=1");
        }
    }
}

// ------------------------------------------------------------------ WASI

#[test]
fn wasi_on_and_off() {
    let wasi_plugin = || Manifest::new([support::plugin_wasm("count_vowels.rust-wasi.wasm")]);
    let err = Plugin::new(wasi_plugin(), [], false).expect_err("WASI imports without WASI");
    match &err {
        Error::Link {
            import,
            signature,
            reason,
            ..
        } => {
            assert!(import.starts_with("wasi_snapshot_preview1::"), "{import}");
            assert!(signature.starts_with("(func ("), "{signature}");
            assert!(reason.contains("WASI"), "{reason}");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    let mut plugin = Plugin::new(wasi_plugin(), [], true).expect("with WASI");
    let Json(count): Json<Count> = plugin.call("count_vowels", "Hello").expect("runs");
    assert_eq!(count.count, 2);
    // A plug-in without WASI imports runs with WASI on as well.
    let manifest = Manifest::new([support::plugin_wasm("count_vowels.rust.wasm")]);
    let mut plugin = Plugin::new(manifest, [], true).expect("with WASI");
    let Json(count): Json<Count> = plugin.call("count_vowels", "Hello").expect("runs");
    assert_eq!(count.count, 2);
}

// ------------------------------------------------------------------ compiled plug-ins

fn count(plugin: &mut Plugin) -> Count {
    let Json(count): Json<Count> = plugin
        .call("count_vowels", "Hello, World!")
        .unwrap_or_else(|e| panic!("{}: {e}", plugin.name()));
    count
}

#[test]
fn every_count_vowels_build_counts_in_separate_instances() {
    for (file, wasi) in [
        ("count_vowels.rust.wasm", false),
        ("count_vowels.rust-wasi.wasm", true),
        ("count_vowels.as.wasm", false),
        ("count_vowels.c.wasm", false),
    ] {
        let compiled: CompiledPlugin =
            PluginBuilder::new(Manifest::new([support::plugin_wasm(file)]))
                .with_wasi(wasi)
                .compile()
                .unwrap_or_else(|e| panic!("{file} compiles: {e}"));
        assert_eq!(compiled.name(), file);
        let mut a = compiled.instantiate().expect("first instance");
        let mut b = compiled.instantiate().expect("second instance");
        let totals: Vec<u64> = (0..3).map(|_| count(&mut a).total).collect();
        assert_eq!(totals, [3, 6, 9], "{file}");
        // The second instance has its own vars.
        let first = count(&mut b);
        assert_eq!((first.count, first.total), (3, 3), "{file}");
        assert_eq!(first.vowels, "aeiouAEIOU");
        assert_eq!(a.var("total"), Some(&9u64.to_le_bytes()[..]), "{file}");
        assert_eq!(b.var("total"), Some(&3u64.to_le_bytes()[..]), "{file}");
        // Instances of one compiled plug-in may run on other threads.
        let handle = std::thread::spawn(move || count(&mut b).total);
        assert_eq!(handle.join().expect("the thread"), 6, "{file}");
    }
}

// ------------------------------------------------------------------ outcomes

/// One export per row of the outcome table (ABI §4.1). `$err` sets the error
/// block to "E".
const OUTCOMES: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (memory (export "memory") 1)
  (func $err
    (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.const 69))
    (call $error_set (local.get $p)))
  (func (export "ok") (result i32) (i32.const 0))
  (func (export "ok_unit"))
  (func (export "error_rc0") (result i32) (call $err) (i32.const 0))
  (func (export "error_unit") (call $err))
  (func (export "error_rc3") (result i32) (call $err) (i32.const 3))
  (func (export "rc5") (result i32) (i32.const 5))
  (func (export "trap") (result i32) unreachable)
  (func (export "error_then_trap") (result i32) (call $err) unreachable)
  (func (export "exit0") (result i32) (call $proc_exit (i32.const 0)) (i32.const 9))
  (func (export "exit4") (result i32) (call $proc_exit (i32.const 4)) (i32.const 0))
  (func (export "error_then_exit6") (result i32) (call $err) (call $proc_exit (i32.const 6)) (i32.const 0))
  (func (export "divide_by_zero") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "out_of_bounds") (result i32) (i32.load (i32.const 0x7FFFFFFF)))
  (func $recurse (param i64) (result i64) (call $recurse (i64.add (local.get 0) (i64.const 1))))
  (func (export "stack_overflow") (result i32) (drop (call $recurse (i64.const 0))) (i32.const 0))
)"#;

#[test]
fn outcome_of_a_call() {
    let mut plugin =
        Plugin::new(Manifest::new([Wasm::data(OUTCOMES)]), [], true).expect("loads with WASI");
    let mut call = |name: &str| plugin.call_bytes(name, b"").map(<[u8]>::to_vec);
    assert_eq!(call("ok").expect("ok"), b"");
    assert_eq!(call("ok_unit").expect("ok_unit"), b"");
    // An error block wins whatever the return code; the code is kept.
    for (name, expected_code) in [("error_rc0", 0), ("error_unit", 0), ("error_rc3", 3)] {
        match call(name) {
            Err(e @ Error::Plugin { .. }) => {
                assert_eq!(e.exit_code(), expected_code, "{name}");
                let Error::Plugin { message, code, .. } = e else {
                    unreachable!()
                };
                assert_eq!((message.as_str(), code), ("E", expected_code), "{name}");
            }
            other => panic!("{name}: expected Error::Plugin, got {other:?}"),
        }
    }
    match call("rc5") {
        Err(e @ Error::ExitCode { code: 5, .. }) => {
            assert!(e.to_string().contains('5'), "{e}");
            assert_eq!(e.exit_code(), 5);
        }
        other => panic!("rc5: {other:?}"),
    }
    // A trap without an error block: 134; with one: the message, code -1.
    match call("trap") {
        Err(e @ Error::Trap { .. }) => {
            assert!(e.to_string().contains("unreachable"), "{e}");
            assert_eq!(e.exit_code(), 134);
        }
        other => panic!("trap: {other:?}"),
    }
    match call("error_then_trap") {
        Err(e @ Error::Plugin { .. }) => {
            assert_eq!(e.exit_code(), -1);
            assert!(matches!(e, Error::Plugin { ref message, code: -1, .. } if message == "E"));
        }
        other => panic!("error_then_trap: {other:?}"),
    }
    // WASI proc_exit: 0 is success, n an exit code, with an error block the
    // error with code n.
    assert_eq!(call("exit0").expect("proc_exit(0) is a success"), b"");
    assert!(matches!(
        call("exit4"),
        Err(Error::ExitCode { code: 4, .. })
    ));
    match call("error_then_exit6") {
        Err(Error::Plugin { message, code, .. }) => assert_eq!((message.as_str(), code), ("E", 6)),
        other => panic!("error_then_exit6: {other:?}"),
    }
    // Other traps name their kind.
    for (name, kind) in [
        ("divide_by_zero", "divide by zero"),
        ("out_of_bounds", "out of bounds"),
        ("stack_overflow", "stack"),
    ] {
        match call(name) {
            Err(e @ Error::Trap { .. }) => {
                assert!(e.to_string().contains(kind), "{name}: {e}");
                assert_eq!(e.exit_code(), 134);
            }
            other => panic!("{name}: expected Error::Trap, got {other:?}"),
        }
    }
    // After all of that the plug-in still works.
    assert_eq!(call("ok").expect("ok at the end"), b"");
}

#[test]
fn a_logger_without_a_level_gets_info_and_above() {
    let logs = support::LogCapture::default();
    let mut plugin = PluginBuilder::new(Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]))
        .with_logger(logs.logger())
        .build()
        .expect("loads");
    // The plug-in is told the threshold (2 = info) and skips the rest.
    assert_eq!(
        plugin.call_bytes("log_level", b"").expect("log_level"),
        b"2"
    );
    assert_eq!(
        plugin.call_bytes("log_all", b"").expect("log_all"),
        b"logged"
    );
    let levels: Vec<String> = logs.take().into_iter().map(|(level, _)| level).collect();
    assert_eq!(levels, ["INFO", "WARN", "ERROR"]);
}

/// A WASI command whose `_start` exits with the status its input names
/// (little-endian i32; none: 0), as `os.Exit(n)` / `exit(n)` do.
const EXITING_COMMAND: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i64.ge_u (call $input_length) (i64.const 8))
      (then (call $proc_exit (i32.wrap_i64 (call $input_load_u64 (i64.const 0))))))
    (call $proc_exit (i32.const 0))))"#;

/// Every status a plug-in passes to `proc_exit` reaches the host as given,
/// sync and async: wasmtime-wasi alone keeps only statuses below 126.
#[test]
fn proc_exit_statuses_reach_the_host_whole() {
    let input = |status: i32| i64::from(status).to_le_bytes();
    let check = |status: i32, result: Result<Vec<u8>, Error>| match (status, result) {
        (0, Ok(output)) => assert!(output.is_empty()),
        (_, Err(e @ Error::ExitCode { .. })) => {
            assert_eq!(e.exit_code(), status, "{e}");
            assert!(
                e.to_string().contains(&format!("exit code {status}")),
                "{e}"
            );
            assert!(e.to_string().contains("`_start`"), "{e}");
        }
        (status, other) => panic!("proc_exit({status}): {other:?}"),
    };
    let mut plugin = PluginBuilder::from_wasm(EXITING_COMMAND)
        .with_wasi(true)
        .build()
        .expect("loads with WASI");
    for status in [0, 1, 2, 125, 126, 500, -1, i32::MIN] {
        check(
            status,
            plugin
                .call_bytes("_start", &input(status))
                .map(<[u8]>::to_vec),
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut plugin = PluginBuilder::from_wasm(EXITING_COMMAND)
            .with_wasi(true)
            .with_async(true)
            .build_async()
            .await
            .expect("loads async with WASI");
        for status in [0, 500, -1] {
            let result = plugin
                .call_bytes_async("_start", &input(status))
                .await
                .map(<[u8]>::to_vec);
            check(status, result);
        }
    });
}
