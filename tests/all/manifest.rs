//! The manifest: its JSON form, the errors it reports, module hashes and
//! sources, and plug-ins made of several modules.

use crate::support;

use std::time::Duration;

use base64::Engine as _;
use extism_host::{Error, Manifest, Plugin, PluginBuilder, Wasm};

fn manifest_error(json: &str) -> String {
    match Manifest::from_json(json) {
        Err(Error::Manifest(message)) => message,
        other => panic!("expected Error::Manifest for {json}, got {other:?}"),
    }
}

// ------------------------------------------------------------------ JSON

#[test]
fn json_round_trip_keeps_every_field() {
    let manifest = Manifest::new([
        Wasm::file("/plugins/main.wasm")
            .with_name("main")
            .with_hash("ab".repeat(32)),
        Wasm::data(b"\0asm\x01\0\0\0".to_vec()).with_name("lib"),
        Wasm::url("http://127.0.0.1:1/x.wasm").with_name("remote"),
    ])
    .with_config("vowels", "aeiouAEIOU")
    .with_config("unicode", "héllo ✓")
    .with_allowed_host("*.example.org")
    .with_allowed_path("ro:/tmp", "/data")
    .with_max_pages(16)
    .with_max_var_bytes(0)
    .with_max_http_response_bytes(100)
    .with_timeout(Duration::from_millis(1500));
    let json = manifest.to_json();
    let again = Manifest::from_json(&json).expect("our own JSON reads back");
    assert_eq!(again, manifest);
    // The JSON is the Extism format other SDKs read.
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["wasm"][0]["path"], "/plugins/main.wasm");
    assert_eq!(value["wasm"][1]["data"], "AGFzbQEAAAA=");
    assert_eq!(value["wasm"][2]["url"], "http://127.0.0.1:1/x.wasm");
    assert_eq!(value["memory"]["max_pages"], 16);
    assert_eq!(value["memory"]["max_var_bytes"], 0);
    assert_eq!(value["timeout_ms"], 1500);
    assert_eq!(value["allowed_paths"]["ro:/tmp"], "/data");
}

#[test]
fn json_from_another_sdk_reads() {
    let manifest = Manifest::from_json(
        r#"{
            "wasm": [{"url": "https://example.org/p.wasm", "method": "POST",
                      "headers": {"authorization": "token"}, "hash": "00"}],
            "memory": {"max_pages": 4},
            "config": {"a": "b"},
            "allowed_hosts": ["example.org"],
            "timeout_ms": 5
        }"#,
    )
    .expect("a manifest with every kind of field");
    match &manifest.wasm[0] {
        Wasm::Url { request, meta } => {
            assert_eq!(request.url, "https://example.org/p.wasm");
            assert_eq!(request.method.as_deref(), Some("POST"));
            assert_eq!(request.headers["authorization"], "token");
            assert_eq!(meta.hash.as_deref(), Some("00"));
            assert_eq!(meta.name, None);
        }
        other => panic!("not a url entry: {other:?}"),
    }
    assert_eq!(manifest.memory.max_pages, Some(4));
    assert_eq!(manifest.memory.max_var_bytes, None);
    assert_eq!(manifest.timeout_ms, Some(5));
    assert_eq!(
        manifest.allowed_hosts.as_deref(),
        Some(&["example.org".to_string()][..])
    );
    // Absent optional fields stay absent.
    let minimal = Manifest::from_json(r#"{"wasm": [{"path": "a.wasm"}]}"#).expect("minimal");
    assert_eq!(minimal, Manifest::new([Wasm::file("a.wasm")]));
}

#[test]
fn json_errors_name_the_field() {
    let message = manifest_error(r#"{"wasm": [], "timeout": 5}"#);
    assert!(message.contains("unknown field `timeout`"), "{message}");
    let message = manifest_error(r#"{"wasm": [], "memory": {"max_page": 5}}"#);
    assert!(message.contains("unknown field `max_page`"), "{message}");
    let message = manifest_error(r#"{"wasm": [], "memory": {"max_pages": "many"}}"#);
    assert!(message.contains("invalid type"), "{message}");
    let message = manifest_error(r#"{"wasm": [], "timeout_ms": -1}"#);
    assert!(message.contains("invalid value"), "{message}");
    let message = manifest_error(r#"{"wasm": [{"path": "a.wasm", "nmae": "x"}]}"#);
    assert!(message.contains("nmae"), "{message}");
    let message = manifest_error(r#"{"wasm": [{"name": "x"}]}"#);
    assert!(message.contains("`path`, `data` or `url`"), "{message}");
    let message = manifest_error(r#"{"wasm": [{"path": "a.wasm", "url": "http://x/"}]}"#);
    assert!(message.contains("only one of"), "{message}");
    let message = manifest_error(r#"{"wasm": [{"path": "a.wasm", "method": "GET"}]}"#);
    assert!(message.contains("`method`"), "{message}");
    let message = manifest_error(r#"{"wasm": [{"data": "not base64!"}]}"#);
    assert!(message.contains("base64"), "{message}");
    // The Display of the error says it is the manifest.
    let err = Manifest::from_json(r#"{"wasm": 5}"#).expect_err("`wasm` is not a list");
    assert!(err.to_string().starts_with("invalid manifest"), "{err}");
}

#[test]
fn data_as_a_raw_pointer_is_rejected() {
    // The reference dereferences {"ptr", "len"} as a host pointer; a manifest
    // that may come from outside the process must never do that.
    let message = manifest_error(r#"{"wasm": [{"data": {"ptr": 4096, "len": 8}}]}"#);
    assert!(message.contains("raw host pointer"), "{message}");
    assert!(message.contains("base64"), "{message}");
}

#[test]
fn data_entries_load_wasm_and_wat() {
    let wasm = std::fs::read(support::plugin_path("count_vowels.rust.wasm")).expect("the plug-in");
    let json = format!(
        r#"{{"wasm": [{{"data": "{}"}}], "config": {{"vowels": "aeiouyAEIOUY"}}}}"#,
        base64::engine::general_purpose::STANDARD.encode(&wasm)
    );
    let manifest = Manifest::from_json(&json).expect("base64 data");
    let mut plugin = Plugin::new(manifest, [], false).expect("loads from data");
    let output = plugin
        .call_bytes("count_vowels", b"Yellow, World!")
        .expect("count_vowels");
    // The manifest's config reaches the plug-in.
    assert_eq!(output, br#"{"count":4,"total":4,"vowels":"aeiouyAEIOUY"}"#);

    let wat = r#"(module (func (export "zero") (result i32) (i32.const 0)))"#;
    let mut plugin = Plugin::new(Manifest::new([Wasm::data(wat)]), [], false).expect("WAT text");
    assert_eq!(plugin.call_bytes("zero", b"").expect("zero"), b"");
}

#[test]
fn timeout_from_json_is_in_force() {
    let json = format!(
        r#"{{"wasm": [{{"path": {:?}}}], "timeout_ms": 150}}"#,
        support::plugin_path("kitchen.rust.wasm")
    );
    let manifest = Manifest::from_json(&json).expect("manifest");
    let mut plugin = Plugin::new(manifest, [], false).expect("kitchen loads");
    assert_eq!(plugin.timeout(), Some(Duration::from_millis(150)));
    match plugin.call_bytes("infinite_loop", b"") {
        Err(Error::Timeout { timeout_ms, .. }) => assert_eq!(timeout_ms, 150),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

// ------------------------------------------------------------------ sources and hashes

#[test]
fn hash_is_checked() {
    let path = support::plugin_path("count_vowels.rust.wasm");
    let bytes = std::fs::read(&path).expect("the plug-in");
    let good = support::sha256_hex(&bytes);

    let manifest = Manifest::new([Wasm::file(&path).with_hash(&good)]);
    let mut plugin = Plugin::new(manifest, [], false).expect("the right hash loads");
    plugin
        .call_bytes("count_vowels", b"a")
        .expect("and the plug-in runs");

    let bad = "0".repeat(64);
    let err = Plugin::new(
        Manifest::new([Wasm::file(&path).with_hash(&bad)]),
        [],
        false,
    )
    .expect_err("a wrong hash cannot load");
    let shown = err.to_string();
    match err {
        Error::HashMismatch {
            module,
            expected,
            found,
        } => {
            assert_eq!(module, "main");
            assert_eq!(expected, bad);
            assert_eq!(found, good);
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    assert!(shown.contains(&good) && shown.contains(&bad), "{shown}");

    // The hash is lower-case hex, compared as text: upper case is a mismatch.
    let upper = Manifest::new([Wasm::data(bytes).with_hash(good.to_uppercase())]);
    assert!(matches!(
        Plugin::new(upper, [], false),
        Err(Error::HashMismatch { .. })
    ));
}

#[test]
fn missing_file_error_names_the_path() {
    let path = support::repo_path("plugins/wasm/does-not-exist.wasm");
    let err = Plugin::new(Manifest::new([Wasm::file(&path)]), [], false)
        .expect_err("a missing file cannot load");
    let shown = err.to_string();
    match &err {
        Error::WasmSource {
            module,
            source_name,
            cause,
            ..
        } => {
            assert_eq!(module, "main");
            assert!(
                source_name.contains(&*path.to_string_lossy()),
                "{source_name}"
            );
            assert!(!cause.is_empty());
        }
        other => panic!("expected Error::WasmSource, got {other:?}"),
    }
    assert!(shown.contains("does-not-exist.wasm"), "{shown}");
}

#[test]
fn invalid_wasm_is_a_compile_error() {
    let manifest = Manifest::new([Wasm::data(b"\0asm\x01\0\0\0garbage".to_vec())]);
    match Plugin::new(manifest, [], false) {
        Err(Error::Compile { module, .. }) => assert_eq!(module, "main"),
        other => panic!("expected Error::Compile, got {:?}", other.err()),
    }
}

#[test]
fn no_modules_is_a_manifest_error() {
    match Plugin::new(Manifest::default(), [], false) {
        Err(Error::Manifest(message)) => assert!(message.contains("no wasm"), "{message}"),
        other => panic!("expected Error::Manifest, got {:?}", other.err()),
    }
}

// ------------------------------------------------------------------ several modules

/// A library module: `answer() -> 42`, and `emit(byte)` which outputs one
/// byte through the kernel it shares with the main module.
const LIB: &str = r#"
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (func (export "answer") (result i32) (i32.const 42))
  (func (export "emit") (param $byte i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (local.get $byte))
    (call $output_set (local.get $p) (i64.const 1))))
"#;

/// The main module: imports `lib` by name and outputs `answer() + 1`.
const MAIN: &str = r#"
(module
  (import "lib" "answer" (func $answer (result i32)))
  (import "lib" "emit" (func $emit (param i32)))
  (func (export "run") (result i32)
    (call $emit (i32.add (call $answer) (i32.const 1)))
    (i32.const 0)))
"#;

fn run_output(manifest: Manifest) -> Result<Vec<u8>, Error> {
    let mut plugin = Plugin::new(manifest, [], false)?;
    plugin.call_bytes("run", b"").map(<[u8]>::to_vec)
}

#[test]
fn main_imports_a_named_module() {
    let manifest = Manifest::new([
        Wasm::data(LIB).with_name("lib"),
        Wasm::data(MAIN).with_name("main"),
    ]);
    assert_eq!(run_output(manifest).expect("linked by name"), [43]);

    // Order does not matter: dependencies are instantiated first.
    let manifest = Manifest::new([
        Wasm::data(MAIN).with_name("main"),
        Wasm::data(LIB).with_name("lib"),
    ]);
    assert_eq!(run_output(manifest).expect("main listed first"), [43]);
}

#[test]
fn the_last_module_becomes_main() {
    // No entry is called `main`: the last one is the plug-in.
    let manifest = Manifest::new([
        Wasm::data(LIB).with_name("lib"),
        Wasm::data(MAIN).with_name("app"),
    ]);
    let plugin = Plugin::new(manifest.clone(), [], false).expect("loads");
    assert!(plugin.function_exists("run"));
    // `answer` is the library's export, not the plug-in's.
    assert!(!plugin.function_exists("answer"));
    assert_eq!(run_output(manifest).expect("runs"), [43]);

    // An unnamed last entry is `main` too.
    let manifest = Manifest::new([Wasm::data(LIB).with_name("lib"), Wasm::data(MAIN)]);
    assert_eq!(run_output(manifest).expect("unnamed main"), [43]);

    // A single entry is `main` whatever its name.
    let single = r#"(module (func (export "run") (result i32) (i32.const 0)))"#;
    let manifest = Manifest::new([Wasm::data(single).with_name("lib")]);
    assert_eq!(run_output(manifest).expect("single module"), b"");
}

#[test]
fn duplicate_module_names_are_rejected() {
    // Two unnamed entries are both `main`.
    let manifest = Manifest::new([Wasm::data(LIB), Wasm::data(MAIN)]);
    match Plugin::new(manifest, [], false) {
        Err(Error::Manifest(message)) => {
            assert!(
                message.contains("duplicate module name `main`"),
                "{message}"
            );
        }
        other => panic!("expected a duplicate-name error, got {:?}", other.err()),
    }
    let manifest = Manifest::new([
        Wasm::data(LIB).with_name("lib"),
        Wasm::data(LIB).with_name("lib"),
        Wasm::data(MAIN),
    ]);
    match Plugin::new(manifest, [], false) {
        Err(Error::Manifest(message)) => assert!(message.contains("`lib`"), "{message}"),
        other => panic!("expected a duplicate-name error, got {:?}", other.err()),
    }
    // The kernel's namespace is not a module name.
    let manifest = Manifest::new([
        Wasm::data(LIB).with_name("extism:host/env"),
        Wasm::data(MAIN),
    ]);
    assert!(matches!(
        Plugin::new(manifest, [], false),
        Err(Error::Manifest(_))
    ));
}

#[test]
fn an_import_from_a_missing_export_is_a_link_error() {
    let main = r#"
    (module
      (import "lib" "nope" (func (result i32)))
      (func (export "run") (result i32) (i32.const 0)))
    "#;
    let manifest = Manifest::new([Wasm::data(LIB).with_name("lib"), Wasm::data(main)]);
    let err = Plugin::new(manifest, [], false).expect_err("lib has no export `nope`");
    match &err {
        Error::Link {
            module,
            import,
            signature,
            ..
        } => {
            assert_eq!(module, "main");
            assert_eq!(import, "lib::nope");
            assert_eq!(signature, "(func () -> (i32))");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    assert!(err.to_string().contains("lib::nope"), "{err}");
}

#[test]
fn modules_share_one_kernel_and_host_functions() {
    // The library reads the call's input; the main module outputs it.
    let lib = r#"
    (module
      (import "extism:host/env" "input_length" (func $len (result i64)))
      (func (export "input_len") (result i64) (call $len)))
    "#;
    let main = r#"
    (module
      (import "lib" "input_len" (func $input_len (result i64)))
      (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
      (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
      (func (export "run") (result i32)
        (call $output_set (call $input_offset) (call $input_len))
        (i32.const 0)))
    "#;
    let manifest = Manifest::new([Wasm::data(lib).with_name("lib"), Wasm::data(main)]);
    let mut plugin = PluginBuilder::new(manifest).build().expect("loads");
    assert_eq!(plugin.call_bytes("run", b"shared").expect("run"), b"shared");
}

/// The host replaces a live plug-in's config and log level between calls,
/// as the official SDKs allow; both outlive a recycled instance, and a pool's
/// next checkout starts from the manifest and the builder again.
#[test]
fn config_and_log_level_change_between_calls() {
    let lines = support::LogCapture::default();
    let builder = || {
        PluginBuilder::new(support::kitchen().with_config("greeting", "hello"))
            .with_logger(lines.logger())
            .with_log_level(extism_host::LogLevel::Info)
    };
    let mut plugin = builder().build().expect("kitchen loads");
    let echo = |plugin: &mut Plugin, key: &str| {
        plugin
            .call_bytes("config_echo", key.as_bytes())
            .map(|out| String::from_utf8_lossy(out).into_owned())
    };
    assert_eq!(echo(&mut plugin, "greeting").unwrap(), "hello");
    plugin.set_config([("greeting", "bonjour"), ("extra", "1")]);
    assert_eq!(echo(&mut plugin, "greeting").unwrap(), "bonjour");
    assert_eq!(echo(&mut plugin, "extra").unwrap(), "1");
    plugin.config_mut().remove("extra");
    assert!(echo(&mut plugin, "extra").is_err());
    assert_eq!(plugin.config().len(), 1);

    // The log level: what the plug-in is told and what reaches the logger.
    let level = |plugin: &mut Plugin| plugin.call::<_, String>("log_level", "").unwrap();
    assert_eq!(level(&mut plugin), "2");
    plugin.set_log_level(extism_host::LogLevel::Error);
    assert_eq!(level(&mut plugin), "4");
    assert_eq!(plugin.log_level(), extism_host::LogLevel::Error);
    lines.take();
    plugin.call_bytes("log_all", b"").unwrap();
    let levels: Vec<String> = lines.take().into_iter().map(|(l, _)| l).collect();
    assert_eq!(levels, ["ERROR"]);

    // A trap recycles the instance; what the host set stays.
    assert!(plugin.call_bytes("trap_unreachable", b"").is_err());
    assert_eq!(echo(&mut plugin, "greeting").unwrap(), "bonjour");
    assert_eq!(level(&mut plugin), "4");

    // A pool hands the next user the manifest's config and the builder's level.
    let pool = extism_host::Pool::builder()
        .with_max_instances(1)
        .build(builder().compile().unwrap());
    {
        let mut first = pool.get(Duration::from_secs(5)).unwrap();
        first.set_config([("greeting", "mine")]);
        first.set_log_level(extism_host::LogLevel::Error);
        assert_eq!(echo(&mut first, "greeting").unwrap(), "mine");
    }
    let mut second = pool.get(Duration::from_secs(5)).unwrap();
    assert_eq!(echo(&mut second, "greeting").unwrap(), "hello");
    assert_eq!(level(&mut second), "2");
}

/// A module of the plug-in that counts its calls in a global; with `_start`
/// it is a WASI command, without it a reactor.
fn counter_module(command: bool) -> Wasm {
    let start = if command {
        r#"(func (export "_start"))"#
    } else {
        ""
    };
    Wasm::data(format!(
        r#"(module
             (memory (export "memory") {pages})
             (global $n (mut i32) (i32.const 0))
             {start}
             (func (export "count") (result i32)
               (global.set $n (i32.add (global.get $n) (i32.const 1)))
               (global.get $n)))"#,
        pages = if command { 3 } else { 1 }
    ))
    .with_name("commander")
}

/// The main module: `run` outputs what `commander::count` returns, as a digit.
fn counting_main() -> Wasm {
    Wasm::data(concat!(
        "(module",
        kernel_imports!(),
        r#"
  (import "commander" "count" (func $count (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.add (i32.const 48) (call $count)))
    (call $output_set (local.get $p) (i64.const 1))
    (i32.const 0)))"#
    ))
    .with_name("main")
}

/// As the Go SDK's suite expects of a linked `commander`: every call of a WASI
/// command's function sees a fresh instance (wasmtime's `Linker::module`
/// rule); a reactor keeps one instance per plug-in.
#[test]
fn linked_command_modules_are_fresh_for_every_call() {
    let outputs = |plugin: &mut Plugin, n: usize| -> Vec<String> {
        (0..n)
            .map(|_| {
                String::from_utf8(plugin.call_bytes("run", b"").expect("run").to_vec()).unwrap()
            })
            .collect()
    };
    let mut command = Plugin::new(
        Manifest::new([counter_module(true), counting_main()]),
        [],
        false,
    )
    .expect("links a command");
    assert_eq!(outputs(&mut command, 5), ["1"; 5]);
    let mut reactor = Plugin::new(
        Manifest::new([counter_module(false), counting_main()]),
        [],
        false,
    )
    .expect("links a reactor");
    assert_eq!(outputs(&mut reactor, 5), ["1", "2", "3", "4", "5"]);

    // Instances of the command pile up in a store until it is replaced: 300
    // calls under a small max_pages stay within it (the command declares 3 pages).
    let mut bounded = Plugin::new(
        Manifest::new([counter_module(true), counting_main()]).with_max_pages(4),
        [],
        false,
    )
    .expect("links under max_pages");
    bounded.set_var("kept", b"yes").unwrap();
    assert!(outputs(&mut bounded, 300).iter().all(|o| o == "1"));
    assert_eq!(
        bounded.var("kept"),
        Some(&b"yes"[..]),
        "vars outlive the fresh stores"
    );

    // Async plug-ins link commands the same way.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut plugin = PluginBuilder::new(Manifest::new([counter_module(true), counting_main()]))
            .with_async(true)
            .build_async()
            .await
            .expect("links async");
        for _ in 0..3 {
            assert_eq!(
                plugin.call_bytes_async("run", b"").await.expect("run"),
                b"1"
            );
        }
    });

    // Only functions can come from a command: its memory would be another
    // one at every call.
    let memory_user = Wasm::data(
        r#"(module (import "commander" "memory" (memory 1))
                     (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .with_name("main");
    match Plugin::new(
        Manifest::new([counter_module(true), memory_user]),
        [],
        false,
    ) {
        Err(Error::Link {
            module,
            import,
            reason,
            ..
        }) => {
            assert_eq!(
                (module.as_str(), import.as_str()),
                ("main", "commander::memory")
            );
            assert!(reason.contains("WASI command"), "{reason}");
        }
        other => panic!("expected Error::Link, got {:?}", other.err()),
    }
}

/// As the JS SDK's suite links `lhs` and `rhs`: two modules importing each
/// other's functions, and a main importing from both (and `rhs`'s memory).
/// `is_even(n)` and `is_odd(n)` call each other across the modules.
#[test]
fn modules_may_import_each_others_functions() {
    let lhs = Wasm::data(
        r#"(module
             (import "rhs" "is_odd" (func $is_odd (param i32) (result i32)))
             (func (export "is_even") (param $n i32) (result i32)
               (if (result i32) (i32.eqz (local.get $n))
                 (then (i32.const 1))
                 (else (call $is_odd (i32.sub (local.get $n) (i32.const 1)))))))"#,
    )
    .with_name("lhs");
    let rhs = Wasm::data(
        r#"(module
             (import "lhs" "is_even" (func $is_even (param i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "is_odd") (param $n i32) (result i32)
               (if (result i32) (i32.eqz (local.get $n))
                 (then (i32.const 0))
                 (else (call $is_even (i32.sub (local.get $n) (i32.const 1)))))))"#,
    )
    .with_name("rhs");
    let main = Wasm::data(
        r#"(module
             (import "lhs" "is_even" (func $is_even (param i32) (result i32)))
             (import "rhs" "is_odd" (func $is_odd (param i32) (result i32)))
             (import "rhs" "memory" (memory 1))
             ;; 100 + is_even(10) * 20 + is_odd(7) * 7 = 127
             (func (export "encalculate") (result i32)
               (i32.add (i32.const 100)
                 (i32.add (i32.mul (call $is_even (i32.const 10)) (i32.const 20))
                          (i32.mul (call $is_odd (i32.const 7)) (i32.const 7))))))"#,
    );
    let mut plugin = Plugin::new(
        Manifest::new([lhs.clone(), rhs.clone(), main.clone()]),
        [],
        false,
    )
    .expect("a cycle of function imports links");
    match plugin.call_bytes("encalculate", b"") {
        Err(Error::ExitCode { code, .. }) => assert_eq!(code, 127),
        other => panic!("expected exit code 127, got {other:?}"),
    }
    // The same in the other manifest order, and async.
    let mut plugin = Plugin::new(
        Manifest::new([rhs.clone(), lhs.clone(), main.clone()]),
        [],
        false,
    )
    .expect("links in either order");
    assert_eq!(
        plugin
            .call_bytes("encalculate", b"")
            .unwrap_err()
            .exit_code(),
        127
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut plugin =
            PluginBuilder::new(Manifest::new([lhs.clone(), rhs.clone(), main.clone()]))
                .with_async(true)
                .build_async()
                .await
                .expect("links async");
        assert_eq!(
            plugin
                .call_bytes_async("encalculate", b"")
                .await
                .unwrap_err()
                .exit_code(),
            127
        );
    });

    // A function of main, made last, is bound late too.
    let helper = Wasm::data(
        r#"(module (import "main" "base" (func $base (result i32)))
                   (func (export "twice") (result i32) (i32.mul (call $base) (i32.const 2))))"#,
    )
    .with_name("helper");
    let main = Wasm::data(
        r#"(module (import "helper" "twice" (func $twice (result i32)))
                   (func (export "base") (result i32) (i32.const 21))
                   (func (export "run") (result i32) (call $twice)))"#,
    );
    let mut plugin = Plugin::new(Manifest::new([helper, main]), [], false).expect("links");
    assert_eq!(plugin.call_bytes("run", b"").unwrap_err().exit_code(), 42);
    assert_eq!(plugin.name(), "plugin");

    // A start function calling into the cycle before the other side exists.
    let eager = Wasm::data(
        r#"(module (import "late" "f" (func $f (result i32)))
                   (func $start (drop (call $f))) (start $start)
                   (func (export "g") (result i32) (i32.const 1)))"#,
    )
    .with_name("eager");
    let late = Wasm::data(
        r#"(module (import "eager" "g" (func $g (result i32)))
                   (func (export "f") (result i32) (call $g)))"#,
    )
    .with_name("late");
    let main = Wasm::data(r#"(module (func (export "run") (result i32) (i32.const 0)))"#);
    match Plugin::new(Manifest::new([eager, late, main]), [], false) {
        Err(Error::Instantiate { module, cause, .. }) => {
            assert!(
                cause.contains("is not instantiated yet"),
                "{module}: {cause}"
            );
        }
        other => panic!("expected Error::Instantiate, got {:?}", other.err()),
    }

    // Memories cannot go both ways.
    let a = Wasm::data(r#"(module (import "b" "memory" (memory 1)) (memory (export "own") 1))"#)
        .with_name("a");
    let b = Wasm::data(r#"(module (import "a" "own" (memory 1)) (memory (export "memory") 1))"#)
        .with_name("b");
    let main = Wasm::data(r#"(module (func (export "run") (result i32) (i32.const 0)))"#);
    match Plugin::new(Manifest::new([a, b, main]), [], false) {
        Err(Error::Link {
            module,
            import,
            reason,
            ..
        }) => {
            assert!(
                (module == "a" && import == "b::memory") || (module == "b" && import == "a::own"),
                "{module} {import}"
            );
            assert!(reason.contains("only functions"), "{reason}");
        }
        other => panic!("expected Error::Link, got {:?}", other.err()),
    }
}

// ------------------------------------------------------------ TOML, files

#[test]
fn toml_and_json_read_the_same_manifest() {
    let json: Manifest = r#"{
        "wasm": [{ "path": "main.wasm", "name": "main" }, { "url": "http://127.0.0.1:1/lib.wasm" }],
        "config": { "vowels": "aeiou" },
        "memory": { "max_pages": 4 },
        "allowed_hosts": ["*.example.org"],
        "allowed_paths": { "ro:/tmp": "/data" },
        "timeout_ms": 250
    }"#
    .parse()
    .expect("JSON parses");
    let toml: Manifest = r#"
        allowed_hosts = ["*.example.org"]
        timeout_ms = 250
        [config]
        vowels = "aeiou"
        [memory]
        max_pages = 4
        [allowed_paths]
        "ro:/tmp" = "/data"
        [[wasm]]
        path = "main.wasm"
        name = "main"
        [[wasm]]
        url = "http://127.0.0.1:1/lib.wasm"
    "#
    .parse()
    .expect("TOML parses");
    assert_eq!(toml, json);
    assert_eq!(
        Manifest::from_toml("timeout_ms = 250").unwrap().timeout_ms,
        Some(250)
    );
}

#[test]
fn a_bad_toml_manifest_names_the_field_and_line() {
    let message = match "timeout_ms = 1\nmemry = { max_pages = 1 }".parse::<Manifest>() {
        Err(Error::Manifest(message)) => message,
        other => panic!("expected Error::Manifest, got {other:?}"),
    };
    assert!(message.contains("unknown field `memry`"), "{message}");
    assert!(
        message.ends_with("at line 2: `memry = { max_pages = 1 }`"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message:?}");
}

#[test]
fn from_path_reads_json_and_toml_files() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = support::plugin_path("count_vowels.rust.wasm");
    let toml_path = dir.path().join("plugin.toml");
    std::fs::write(
        &toml_path,
        format!("[[wasm]]\npath = {:?}\n[config]\nvowels = \"aA\"\n", wasm),
    )
    .unwrap();
    let json_path = dir.path().join("plugin.manifest");
    std::fs::write(
        &json_path,
        Manifest::from_path(&toml_path).unwrap().to_json(),
    )
    .unwrap();

    for path in [&toml_path, &json_path] {
        let manifest = Manifest::from_path(path).unwrap();
        // A borrowed manifest builds too, and stays the caller's.
        let mut plugin = Plugin::new(&manifest, [], false).unwrap();
        let output: &str = plugin.call("count_vowels", "aAeE").unwrap();
        assert!(output.starts_with(r#"{"count":2,"#), "{output}");
        assert_eq!(manifest.config["vowels"], "aA");
    }

    // A missing file keeps its I/O error; a bad one names the file.
    let missing = dir.path().join("missing.json");
    let error = Manifest::from_path(&missing).unwrap_err();
    match &error {
        Error::ManifestFile { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
        }
        other => panic!("expected Error::ManifestFile, got {other:?}"),
    }
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "wasm = 3").unwrap();
    let message = Manifest::from_path(&bad).unwrap_err().to_string();
    assert!(message.contains("bad.toml"), "{message}");
    assert!(message.ends_with("at line 1: `wasm = 3`"), "{message}");
}
