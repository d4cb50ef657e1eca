//! User host functions: both ways of writing them, their errors, how they are
//! linked, and the host state they reach.

use crate::support;

use extism_host::{
    CurrentPlugin, Error, HostError, HostFunction, LogLevel, Manifest, Plugin, PluginBuilder,
    ValType, Wasm, PTR, USER_NAMESPACE,
};

use support::{EchoCalls, KvStore, LogCapture};

/// A WAT plug-in with `body` (imports and exports) and the kernel imports it
/// needs to output a `u64` result (`$out64`).
fn wat_plugin(imports: &str, body: &str) -> Manifest {
    Manifest::new([Wasm::data(format!(
        r#"
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  {imports}
  (memory (export "memory") 1)
  (func $out64 (param $v i64) (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $p) (local.get $v))
    (call $output_set (local.get $p) (i64.const 8))
    (i32.const 0))
  {body}
)"#
    ))])
}

fn u64_output(plugin: &mut Plugin, function: &str, input: &[u8]) -> u64 {
    let output = plugin
        .call_bytes(function, input)
        .unwrap_or_else(|e| panic!("{function}: {e}"));
    u64::from_le_bytes(output.try_into().expect("an 8-byte output"))
}

#[test]
fn raw_stack_functions_get_and_return_every_value_type() {
    // (i32, i64, f32, f64) -> (f64): the stack has 4 slots; floats travel as bits.
    let mix = HostFunction::new(
        "mix",
        [ValType::I32, ValType::I64, ValType::F32, ValType::F64],
        [ValType::F64],
        |_plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            assert_eq!(stack.len(), 4);
            let a = stack[0] as u32 as i32;
            let b = stack[1] as i64;
            let c = f32::from_bits(stack[2] as u32);
            let d = f64::from_bits(stack[3]);
            stack[0] = (f64::from(a) + b as f64 + f64::from(c) + d).to_bits();
            Ok(())
        },
    );
    // () -> (i64, i64): more results than parameters, the stack has 2 slots.
    let pair = HostFunction::new(
        "pair",
        [],
        [ValType::I64, ValType::I64],
        |_plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            assert_eq!(stack.len(), 2);
            stack[0] = 40;
            stack[1] = 2;
            Ok(())
        },
    );
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "mix" (func $mix (param i32 i64 f32 f64) (result f64)))
  (import "extism:host/user" "pair" (func $pair (result i64 i64)))"#,
        r#"
  (func (export "mix") (result i32)
    (call $out64 (i64.reinterpret_f64
      (call $mix (i32.const -3) (i64.const 10) (f32.const 0.5) (f64.const 0.25)))))
  (func (export "pair") (result i32)
    (call $out64 (i64.add (call $pair))))"#,
    );
    let mut plugin = Plugin::new(manifest, [mix, pair], false).expect("loads");
    assert_eq!(f64::from_bits(u64_output(&mut plugin, "mix", b"")), 7.75);
    assert_eq!(u64_output(&mut plugin, "pair", b""), 42);
}

#[test]
fn typed_functions_take_their_signature_from_the_closure() {
    let mul = HostFunction::wrap(
        "mul",
        |_plugin: &mut CurrentPlugin<'_>, a: i64, b: i32| -> Result<i64, HostError> {
            Ok(a * i64::from(b))
        },
    );
    let unit = HostFunction::wrap(
        "touch",
        |plugin: &mut CurrentPlugin<'_>| -> Result<(), HostError> {
            plugin.set_var("touched", b"yes")?;
            Ok(())
        },
    );
    assert_eq!(mul.namespace(), USER_NAMESPACE);
    assert_eq!(mul.name(), "mul");
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "mul" (func $mul (param i64 i32) (result i64)))
  (import "extism:host/user" "touch" (func $touch))"#,
        r#"
  (func (export "run") (result i32)
    (call $touch)
    (call $out64 (call $mul (i64.const -6) (i32.const 7))))"#,
    );
    let mut plugin = Plugin::new(manifest, [mul, unit], false).expect("loads");
    assert_eq!(u64_output(&mut plugin, "run", b"") as i64, -42);
    assert_eq!(plugin.var("touched"), Some(&b"yes"[..]));
}

#[test]
fn pdk_plugin_with_both_styles() {
    // count_vowels_kvstore imports kv_read (raw stack here) and kv_write
    // (typed here); the total lives in the host's KvStore.
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    let mut plugin = PluginBuilder::new(manifest)
        .with_functions(support::kv_functions())
        .with_state(KvStore::default())
        .build()
        .expect("loads");
    for total in [3u32, 6] {
        let output = plugin
            .call_bytes("count_vowels", b"Hello, World!")
            .expect("count_vowels");
        assert!(
            std::str::from_utf8(output)
                .expect("UTF-8")
                .contains(&format!("\"total\":{total}")),
            "{output:?}"
        );
    }
    // The host can change the state between calls.
    plugin
        .state_mut::<KvStore>()
        .expect("the kv state")
        .0
        .insert("count-vowels".into(), 100u32.to_le_bytes().to_vec());
    let output = plugin
        .call_bytes("count_vowels", b"aa")
        .expect("count_vowels");
    assert_eq!(output, br#"{"count":2,"total":102,"vowels":"aeiouAEIOU"}"#);
}

#[test]
fn a_failing_host_function_fails_the_call_and_the_plugin_stays_usable() {
    // echo fails when asked to echo "fail".
    let echo = HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let bytes = plugin.read_bytes(data)?.to_vec();
            if bytes == b"fail" {
                return Err(HostError::msg("echo refuses to say fail"));
            }
            plugin.write_bytes(&bytes)
        },
    );
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "echo" (func $echo (param i64) (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))"#,
        r#"
  (func (export "run") (result i32)
    (local $p i64)
    (local.set $p (call $echo (call $input_offset)))
    (call $output_set (local.get $p) (call $length (local.get $p)))
    (i32.const 0))"#,
    );
    let mut plugin = Plugin::new(manifest, [echo], false).expect("loads");
    assert_eq!(plugin.call_bytes("run", b"hello").expect("echo"), b"hello");
    let err = plugin
        .call_bytes("run", b"fail")
        .expect_err("the host function fails");
    let [_, function, host_function, message] = support::host_fn_error(&err);
    assert_eq!(host_function, "extism:host/user::echo");
    assert_eq!(message, "echo refuses to say fail");
    assert_eq!(function, "run");
    let shown = support::report(&err);
    assert!(
        shown.contains("echo") && shown.contains("echo refuses to say fail"),
        "{shown}"
    );
    assert_eq!(err.exit_code(), -1);
    assert_eq!(
        plugin.call_bytes("run", b"again").expect("next call"),
        b"again"
    );
}

#[test]
fn a_failing_host_function_in_a_pdk_plugin() {
    // reflect's host_roundtrip calls echo N times; echo fails on its 3rd call.
    let echo = HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let calls = plugin.state_mut::<EchoCalls>().expect("EchoCalls state");
            calls.0 += 1;
            if calls.0 == 3 {
                return Err(HostError::msg("third call refused"));
            }
            let bytes = plugin.read_bytes(data)?.to_vec();
            plugin.write_bytes(&bytes)
        },
    );
    let mut plugin = PluginBuilder::new(Manifest::new([support::plugin_wasm("reflect.rust.wasm")]))
        .with_function(echo)
        .with_state(EchoCalls::default())
        .build()
        .expect("loads");
    match plugin.call_bytes("host_roundtrip", b"5") {
        Err(Error::HostFunction {
            host_function,
            message,
            ..
        }) => {
            assert_eq!(host_function, "extism:host/user::echo");
            assert_eq!(message, "third call refused");
        }
        other => panic!("expected Error::HostFunction, got {other:?}"),
    }
    assert_eq!(plugin.state::<EchoCalls>(), Some(&EchoCalls(3)));
    assert_eq!(
        plugin
            .call_bytes("host_roundtrip", b"2")
            .expect("next call"),
        b"2"
    );
    assert_eq!(
        plugin
            .call_bytes("reflect", b"still here")
            .expect("reflect"),
        b"still here"
    );
}

#[test]
fn a_missing_host_function_is_a_link_error() {
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    let err = Plugin::new(manifest, [], false).expect_err("kv_read is not registered");
    match &err {
        Error::Link {
            import,
            signature,
            module,
            reason,
            ..
        } => {
            assert_eq!(import, "extism:host/user::kv_read");
            assert_eq!(signature, "(func (i64) -> (i64))");
            assert_eq!(module, "main");
            assert!(reason.contains("kv_read"), "{reason}");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.contains("extism:host/user::kv_read") && shown.contains("(func (i64) -> (i64))"),
        "{shown}"
    );
}

#[test]
fn a_host_function_with_the_wrong_type_is_a_link_error() {
    // kv_read registered as (i32) -> (i32) instead of (i64) -> (i64).
    let kv_read = HostFunction::new(
        "kv_read",
        [ValType::I32],
        [ValType::I32],
        |_: &mut CurrentPlugin<'_>, _: &mut [u64]| Ok(()),
    );
    let kv_write = HostFunction::new(
        "kv_write",
        [PTR, PTR],
        [],
        |_: &mut CurrentPlugin<'_>, _: &mut [u64]| Ok(()),
    );
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    match Plugin::new(manifest, [kv_read, kv_write], false) {
        Err(Error::Link {
            import,
            signature,
            reason,
            ..
        }) => {
            assert_eq!(import, "extism:host/user::kv_read");
            assert_eq!(signature, "(func (i64) -> (i64))");
            assert!(reason.contains("(func (i32) -> (i32))"), "{reason}");
        }
        other => panic!("expected Error::Link, got {:?}", other.err()),
    }
}

#[test]
fn built_in_functions_cannot_be_shadowed() {
    let config_get = HostFunction::new(
        "config_get",
        [PTR],
        [PTR],
        |_: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            stack[0] = 0;
            Ok(())
        },
    )
    .with_namespace("extism:host/env");
    let manifest = Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]);
    match Plugin::new(manifest.clone(), [config_get], false) {
        Err(Error::Builder { message, .. }) => {
            assert!(message.contains("extism:host/env::config_get"), "{message}");
            assert!(message.contains("built-in"), "{message}");
        }
        other => panic!(
            "expected the shadowing to be refused, got {:?}",
            other.err()
        ),
    }
    // A kernel function too.
    let alloc = HostFunction::wrap(
        "alloc",
        |_: &mut CurrentPlugin<'_>, _n: u64| -> Result<u64, HostError> { Ok(0) },
    )
    .with_namespace("extism:host/env");
    assert!(matches!(
        Plugin::new(manifest.clone(), [alloc], false),
        Err(Error::Builder { .. })
    ));
    // Registering the same name twice is refused as well.
    let twice = || {
        HostFunction::wrap(
            "dup",
            |_: &mut CurrentPlugin<'_>| -> Result<(), HostError> { Ok(()) },
        )
    };
    match Plugin::new(manifest, [twice(), twice()], false) {
        Err(Error::Builder { message, .. }) => assert!(message.contains("twice"), "{message}"),
        other => panic!(
            "expected a duplicate registration error, got {:?}",
            other.err()
        ),
    }
    // Builder mistakes are reported before any module is read.
    let missing = Manifest::new([Wasm::file("/nonexistent/plugin.wasm")]);
    match Plugin::new(missing, [twice(), twice()], false) {
        Err(Error::Builder { plugin, message }) => {
            assert_eq!(plugin, "plugin.wasm");
            assert!(message.contains("twice"), "{message}");
        }
        other => panic!("expected Error::Builder first, got {:?}", other.err()),
    }
}

#[test]
fn other_namespaces_and_legacy_env() {
    let answer = || {
        HostFunction::wrap(
            "answer",
            |_: &mut CurrentPlugin<'_>| -> Result<i64, HostError> { Ok(42) },
        )
    };
    let custom = wat_plugin(
        r#"(import "my:host/ns" "answer" (func $answer (result i64)))"#,
        r#"(func (export "run") (result i32) (call $out64 (call $answer)))"#,
    );
    let mut plugin = Plugin::new(
        custom.clone(),
        [answer().with_namespace("my:host/ns")],
        false,
    )
    .expect("a custom namespace");
    assert_eq!(u64_output(&mut plugin, "run", b""), 42);
    // The same name in the default namespace does not satisfy it.
    match Plugin::new(custom, [answer()], false) {
        Err(Error::Link { import, .. }) => assert_eq!(import, "my:host/ns::answer"),
        other => panic!("expected Error::Link, got {:?}", other.err()),
    }
    // Pre-1.0 PDKs imported user functions from `env`: they resolve to the
    // user namespace (the reference no longer links `env`; we keep old
    // plug-ins working).
    let legacy = wat_plugin(
        r#"(import "env" "answer" (func $answer (result i64)))"#,
        r#"(func (export "run") (result i32) (call $out64 (call $answer)))"#,
    );
    let mut plugin = Plugin::new(legacy, [answer()], false).expect("legacy env import");
    assert_eq!(u64_output(&mut plugin, "run", b""), 42);
}

#[derive(Debug, Default, PartialEq)]
struct Ledger {
    entries: Vec<String>,
}

#[test]
fn host_state_through_with_state() {
    let record = HostFunction::new(
        "record",
        [PTR],
        [ValType::I64],
        |plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            let text = plugin.read_str(stack[0])?.to_string();
            let count = plugin.borrow_state(|current, ledger: &mut Ledger| {
                // The plug-in is still reachable while the state is borrowed.
                let tagged = format!("{}:{text}", current.function_name().unwrap_or("?"));
                ledger.entries.push(tagged);
                ledger.entries.len() as u64
            })?;
            stack[0] = count;
            Ok(())
        },
    );
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "record" (func $record (param i64) (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))"#,
        r#"
  (func (export "add") (result i32) (call $out64 (call $record (call $input_offset))))"#,
    );
    let mut plugin = PluginBuilder::new(manifest)
        .with_function(record.clone())
        .with_state(Ledger::default())
        .build()
        .expect("loads");
    assert_eq!(u64_output(&mut plugin, "add", b"one"), 1);
    assert_eq!(u64_output(&mut plugin, "add", b"two"), 2);
    assert_eq!(
        plugin.state::<Ledger>().expect("the ledger").entries,
        ["add:one", "add:two"]
    );
    // Replacing the state from the host.
    let old = plugin.set_state(Ledger::default());
    assert_eq!(old.map(|l| l.entries.len()), Some(2));
    assert_eq!(u64_output(&mut plugin, "add", b"three"), 1);

    // Without the state, the host function fails with a clear message.
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "record" (func $record (param i64) (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))"#,
        r#"
  (func (export "add") (result i32) (call $out64 (call $record (call $input_offset))))"#,
    );
    let mut plugin = Plugin::new(manifest, [record], false).expect("loads");
    match plugin.call_bytes("add", b"x") {
        Err(Error::HostFunction { message, .. }) => {
            assert!(message.contains("Ledger"), "{message}");
        }
        other => panic!("expected Error::HostFunction, got {other:?}"),
    }
}

#[test]
fn current_plugin_sees_config_vars_and_logs() {
    let logs = LogCapture::default();
    let inspect = HostFunction::wrap(
        "inspect",
        |plugin: &mut CurrentPlugin<'_>| -> Result<u64, HostError> {
            let greeting = plugin.config("greeting").unwrap_or("none").to_string();
            let previous = plugin.var("seen").map(<[u8]>::to_vec).unwrap_or_default();
            let mut seen = previous.clone();
            seen.push(b'!');
            plugin.set_var("seen", &seen)?;
            plugin.log(
                LogLevel::Warn,
                &format!("inspect in {}", plugin.plugin_name()),
            );
            let text = format!("{greeting}{}", String::from_utf8_lossy(&previous));
            plugin.write_str(&text)
        },
    );
    let manifest = wat_plugin(
        r#"
  (import "extism:host/user" "inspect" (func $inspect (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))"#,
        r#"
  (func (export "run") (result i32)
    (local $p i64)
    (local.set $p (call $inspect))
    (call $output_set (local.get $p) (call $length (local.get $p)))
    (i32.const 0))"#,
    )
    .with_config("greeting", "hi");
    let mut plugin = PluginBuilder::new(manifest)
        .with_function(inspect)
        .with_name("inspector")
        .with_logger(logs.logger())
        .with_log_level(LogLevel::Info)
        .build()
        .expect("loads");
    assert_eq!(plugin.call_bytes("run", b"").expect("first"), b"hi");
    assert_eq!(plugin.call_bytes("run", b"").expect("second"), b"hi!");
    assert_eq!(plugin.var("seen"), Some(&b"!!"[..]));
    assert_eq!(
        logs.take(),
        [
            ("WARN".to_string(), "inspect in inspector".to_string()),
            ("WARN".to_string(), "inspect in inspector".to_string())
        ]
    );
}

#[test]
fn a_bad_offset_given_to_the_host_is_an_error_not_a_crash() {
    let read = HostFunction::wrap(
        "read",
        |plugin: &mut CurrentPlugin<'_>, offset: u64| -> Result<u64, HostError> {
            Ok(plugin.read_bytes(offset)?.len() as u64)
        },
    );
    let manifest = wat_plugin(
        r#"(import "extism:host/user" "read" (func $read (param i64) (result i64)))"#,
        r#"
  (func (export "null") (result i32) (call $out64 (call $read (i64.const 0))))
  (func (export "bogus") (result i32) (call $out64 (call $read (i64.const 0xFFFFFF0))))"#,
    );
    let mut plugin = Plugin::new(manifest, [read], false).expect("loads");
    // Offset 0 is the empty block.
    assert_eq!(u64_output(&mut plugin, "null", b""), 0);
    match plugin.call_bytes("bogus", b"") {
        Err(Error::HostFunction {
            host_function,
            message,
            ..
        }) => {
            assert_eq!(host_function, "extism:host/user::read");
            assert!(message.contains("268435440"), "{message}");
        }
        other => panic!("expected Error::HostFunction, got {other:?}"),
    }
}

#[test]
fn raw_stack_with_many_slots() {
    // 20 parameters: more slots than fit in the fixed stack buffer.
    let sum = HostFunction::new(
        "sum20",
        [ValType::I64; 20],
        [ValType::I64],
        |_: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            assert_eq!(stack.len(), 20);
            stack[0] = stack.iter().sum();
            Ok(())
        },
    );
    let params = "i64 ".repeat(20);
    let args: String = (1..=20).map(|i| format!("(i64.const {i}) ")).collect();
    let manifest = wat_plugin(
        &format!(
            r#"(import "extism:host/user" "sum20" (func $sum20 (param {params}) (result i64)))"#
        ),
        &format!(r#"(func (export "run") (result i32) (call $out64 (call $sum20 {args})))"#),
    );
    let mut plugin = Plugin::new(manifest, [sum], false).expect("loads");
    assert_eq!(u64_output(&mut plugin, "run", b""), 210);
}

#[test]
fn typed_functions_with_several_results() {
    let split = HostFunction::wrap(
        "split",
        |_: &mut CurrentPlugin<'_>, v: u64| -> Result<(u32, u32), HostError> {
            Ok(((v >> 32) as u32, v as u32))
        },
    );
    let manifest = wat_plugin(
        r#"(import "extism:host/user" "split" (func $split (param i64) (result i32 i32)))"#,
        r#"
  (func (export "run") (result i32)
    (local $hi i32) (local $lo i32)
    (call $split (i64.const 0x0000000700000005))
    (local.set $lo)
    (local.set $hi)
    (call $out64 (i64.extend_i32_u (i32.sub (local.get $hi) (local.get $lo)))))"#,
    );
    let mut plugin = Plugin::new(manifest, [split], false).expect("loads");
    assert_eq!(u64_output(&mut plugin, "run", b""), 2);
}

#[test]
fn state_given_to_a_compiled_plugin_is_not_lost() {
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    let compiled = PluginBuilder::new(manifest)
        .with_functions(support::kv_functions())
        .with_state(KvStore::default())
        .compile();
    // Either compile() says the state cannot go with it, or the instances
    // get it; silently dropping it makes every kv call fail at run time.
    let compiled = match compiled {
        Err(Error::Builder { message, .. }) => {
            assert!(message.contains("with_state"), "{message}");
            return;
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(compiled) => compiled,
    };
    let mut plugin = compiled.instantiate().expect("instantiates");
    assert!(
        plugin.state::<KvStore>().is_some(),
        "the instance has no KvStore although the builder was given one"
    );
    plugin
        .call_bytes("count_vowels", b"Hello")
        .expect("the kv functions find their state");
}

#[test]
fn a_host_function_scribbling_over_the_kernel_header_does_not_spoil_the_next_call() {
    // kv_write scribbles over the first bytes of the kernel memory, where the
    // kernel keeps the current input's range. The next call's input range is
    // the same (empty), so the kernel would otherwise skip rewriting it.
    let mut functions = support::kv_functions();
    functions.pop();
    functions.push(HostFunction::wrap(
        "kv_write",
        |plugin: &mut CurrentPlugin<'_>, _key: u64, _value: u64| -> Result<(), HostError> {
            plugin.memory_mut()[..64].fill(0x41);
            Ok(())
        },
    ));
    let manifest = Manifest::new([support::plugin_wasm("count_vowels_kvstore.rust.wasm")]);
    let mut plugin = PluginBuilder::new(manifest)
        .with_functions(functions)
        .with_state(KvStore::default())
        .build()
        .expect("loads");
    for _ in 0..2 {
        let output = plugin
            .call_bytes("count_vowels", b"")
            .expect("count_vowels");
        assert_eq!(
            output,
            br#"{"count":0,"total":0,"vowels":"aeiouAEIOU"}"#,
            "{}",
            String::from_utf8_lossy(output)
        );
    }
}

/// A WAT plug-in whose `run` calls `extism:host/user::lookup(0)` and, when
/// that leaves an error for it, outputs the error and clears it; otherwise it
/// outputs the block `lookup` returned.
pub(crate) const GUEST_ERROR_WAT: &str = concat!(
    "(module",
    kernel_imports!(),
    r#"
  (import "extism:host/user" "lookup" (func $lookup (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (local $r i64) (local $e i64)
    (local.set $r (call $lookup (i64.const 0)))
    (local.set $e (call $error_get))
    (if (i64.ne (local.get $e) (i64.const 0))
      (then
        (call $output_set (local.get $e) (call $length (local.get $e)))
        (call $error_set (i64.const 0))
        (return (i32.const 0))))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0)))"#
);

/// `HostError::guest`: the host function returns normally, the plug-in sees
/// the error with `error_get`, and a plug-in that passes it on (leaves it
/// set) fails the call with `Error::Plugin`, for both ways of writing a host
/// function.
#[test]
fn a_host_function_can_give_the_plugin_an_error() {
    let typed = HostFunction::wrap(
        "lookup",
        |_: &mut CurrentPlugin<'_>, _key: u64| -> Result<u64, HostError> {
            Err(HostError::guest("no such key"))
        },
    );
    let raw = HostFunction::new(
        "lookup",
        [PTR],
        [PTR],
        |_: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            stack[0] = 77; // overwritten with 0: the results of a guest error are zero
            Err(HostError::guest("no such key"))
        },
    );
    for lookup in [typed, raw] {
        let mut plugin = PluginBuilder::from_wasm(GUEST_ERROR_WAT)
            .with_function(lookup)
            .build()
            .expect("loads");
        // The guest saw the error and handled it.
        assert_eq!(
            plugin.call_bytes("run", b"").expect("handled"),
            b"no such key"
        );
        assert_eq!(
            plugin.call_bytes("run", b"").expect("again"),
            b"no such key"
        );
    }

    // A PDK plug-in that does not look at it passes it on.
    let kv_read = HostFunction::new(
        "kv_read",
        [PTR],
        [PTR],
        |_: &mut CurrentPlugin<'_>, _: &mut [u64]| Err(HostError::guest("kv store offline")),
    );
    let kv_write = HostFunction::wrap(
        "kv_write",
        |_: &mut CurrentPlugin<'_>, _k: u64, _v: u64| -> Result<(), HostError> { Ok(()) },
    );
    let mut plugin = PluginBuilder::new(Manifest::new([support::plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_functions([kv_read, kv_write])
    .build()
    .expect("loads");
    match plugin.call_bytes("count_vowels", b"aaa") {
        Err(Error::Plugin {
            message, function, ..
        }) => {
            assert_eq!(
                (message.as_str(), function.as_str()),
                ("kv store offline", "count_vowels")
            );
        }
        other => panic!("expected Error::Plugin, got {other:?}"),
    }
}

/// `CurrentPlugin::set_error` directly, from an async host function.
#[test]
fn an_async_host_function_sets_the_plugins_error() {
    let lookup = HostFunction::wrap_async(
        "lookup",
        |mut plugin: CurrentPlugin<'_>, (_key,): (u64,)| {
            Box::new(async move {
                plugin.set_error("not yet")?;
                Ok(0u64)
            })
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut plugin = PluginBuilder::from_wasm(GUEST_ERROR_WAT)
            .with_function(lookup)
            .with_async(true)
            .build_async()
            .await
            .expect("loads");
        assert_eq!(
            plugin.call_bytes_async("run", b"").await.expect("handled"),
            b"not yet"
        );
    });
}
