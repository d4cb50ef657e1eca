//! Hostile plug-ins and hostile input: one module per bug class of the
//! reference runtime (and of ours), plus the replay of the fuzz findings kept
//! in `tests/fuzz_corpus/`.
//!
//! Everything here runs in `cargo test` and needs neither cargo-fuzz nor a
//! network: the fuzz oracles are included from `fuzz/src/oracles/` with
//! `#[path]` (they depend on extism-host / extism-codec / serde only).
//!
//! Tests marked `#[ignore = "bug: ..."]` pin a bug found in extism-host that
//! its owner has not fixed yet: they fail today and pass once it is fixed
//! (run them with `cargo test --test regressions -- --ignored`). See
//! SECURITY.md, "Findings".

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use extism_host::{
    CurrentPlugin, Error, HostError, HostFunction, Manifest, Plugin, PluginBuilder, Wasm,
};

#[path = "../../fuzz/src/oracles/codec.rs"]
#[allow(dead_code)]
mod codec_oracle;
#[path = "../../fuzz/src/oracles/http.rs"]
#[allow(dead_code)]
mod http_oracle;
#[path = "../../fuzz/src/oracles/kernel.rs"]
#[allow(dead_code)]
mod kernel_oracle;
#[path = "../../fuzz/src/oracles/linking.rs"]
mod linking_oracle;
#[path = "../../fuzz/src/oracles/manifest.rs"]
#[allow(dead_code)]
mod manifest_oracle;
#[path = "../../fuzz/src/oracles/wasm.rs"]
#[allow(dead_code)]
mod wasm_oracle;

/// A bound no correct run comes near; only a hang reaches it.
const SANITY: Duration = Duration::from_secs(10);

use crate::support::repo_path as repo;

fn kitchen(manifest: Manifest) -> Plugin {
    let mut manifest = manifest;
    manifest.wasm = vec![Wasm::file(repo("plugins/wasm/kitchen.rust.wasm"))];
    Plugin::new(manifest, [], false).expect("kitchen builds")
}

/// The kitchen plug-in answers its plain `utf8` export: the plug-in is usable.
fn assert_usable(plugin: &mut Plugin) {
    let out = plugin.call_bytes("utf8", b"").expect("the next call works");
    assert_eq!(std::str::from_utf8(out).unwrap(), "héllo wörld ✓");
}

/// The kernel imports every WAT plug-in below may use.
const IMPORTS: &str = kernel_imports!();

/// Helper functions every WAT plug-in below may use.
const HELPERS: &str = r#"
  ;; out(x): a fresh 8-byte block holding x becomes the output.
  (func $out (param $x i64) (local $p i64)
    (local.set $p (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $p) (local.get $x))
    (call $output_set (local.get $p) (i64.const 8)))
  ;; text(bytes...): a fresh block with the given bytes (little-endian word).
  (func $text (param $word i64) (param $len i64) (result i64) (local $p i64)
    (local.set $p (call $alloc (local.get $len)))
    (call $store_u64 (local.get $p) (local.get $word))
    (local.get $p))
"#;

/// A plug-in module: the kernel imports, then `body`.
fn wat(body: &str) -> String {
    wat_with("", body)
}

/// A plug-in module with more imports (which must precede the helpers).
fn wat_with(imports: &str, body: &str) -> String {
    format!("(module {IMPORTS}\n{imports}\n{HELPERS}\n{body}\n)")
}

fn wat_plugin(body: &str) -> Plugin {
    PluginBuilder::from_wasm(wat(body))
        .build()
        .unwrap_or_else(|e| panic!("the WAT plug-in builds: {e}"))
}

fn word(out: &[u8]) -> u64 {
    u64::from_le_bytes(out.try_into().expect("an 8-byte output"))
}

/// Runs `f` on another thread and fails the test if it has not returned
/// within [`SANITY`] (the thread is left behind).
fn within_sanity<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(SANITY) {
        Ok(v) => v,
        Err(_) => panic!("{what} did not return within {SANITY:?}: the host thread hangs"),
    }
}

// ===================================================================== classes

/// A trap must not poison the plug-in: the next call works (the reference
/// reuses the trapped instance; we recycle it by default, and with recycling
/// off the same instance must still answer).
mod trap_then_success {
    use super::*;

    #[test]
    fn unreachable_then_a_normal_call() {
        for recycle in [true, false] {
            let manifest = Manifest::new([Wasm::file(repo("plugins/wasm/kitchen.rust.wasm"))]);
            let mut plugin = PluginBuilder::new(manifest)
                .with_recycle_after_trap(recycle)
                .build()
                .unwrap();
            let err = plugin.call_bytes("trap_unreachable", b"").unwrap_err();
            assert!(matches!(err, Error::Trap { .. }), "{err:?}");
            assert_eq!(err.exit_code(), 134);
            assert_usable(&mut plugin);
        }
    }

    #[test]
    fn rust_panic_then_a_normal_call() {
        let mut plugin = kitchen(Manifest::default());
        let err = plugin.call_bytes("panic", b"").unwrap_err();
        assert!(
            matches!(err, Error::Trap { .. } | Error::Plugin { .. }),
            "{err:?}"
        );
        assert_usable(&mut plugin);
        // And again: the recycled instance traps and recovers the same way.
        assert!(plugin.call_bytes("panic", b"").is_err());
        assert_usable(&mut plugin);
    }

    #[test]
    fn trap_keeps_vars() {
        let mut plugin = kitchen(Manifest::default());
        plugin.call_bytes("var_write", b"a=1").unwrap();
        plugin.call_bytes("trap_unreachable", b"").unwrap_err();
        assert_eq!(plugin.call_bytes("var_read", b"a").unwrap(), b"1");
    }

    #[test]
    fn wat_trap_mid_call_leaves_no_block_behind() {
        // The call allocates, sets an output and an error, then traps; the next
        // call starts from a clean kernel (no error, no output).
        let mut plugin = wat_plugin(
            r#"(func (export "bad") (result i32)
                 (call $out (i64.const 7))
                 (call $error_set (call $text (i64.const 0x6f6f62) (i64.const 3)))
                 unreachable)
               (func (export "good") (result i32) (call $out (call $error_get)) (i32.const 0))"#,
        );
        let err = plugin.call_bytes("bad", b"").unwrap_err();
        // The error block was set before the trap: it is the message.
        assert!(
            matches!(&err, Error::Plugin { message, code: -1, .. } if message == "boo"),
            "{err:?}"
        );
        assert_eq!(word(plugin.call_bytes("good", b"").unwrap()), 0);
    }
}

/// `CancelHandle::cancel` twice: the second is a no-op; a cancel with no call
/// running does not stop a later call.
mod cancel_twice {
    use super::*;

    #[test]
    fn idle_cancels_are_no_ops() {
        let mut plugin = kitchen(Manifest::default());
        let handle = plugin.cancel_handle();
        assert!(!handle.cancel());
        assert!(!handle.cancel());
        assert_usable(&mut plugin);
    }

    #[test]
    fn cancel_twice_during_a_call() {
        let mut plugin = kitchen(Manifest::default().with_timeout(SANITY));
        let handle = plugin.cancel_handle();
        let canceller = std::thread::spawn(move || {
            let start = Instant::now();
            // Retry until the call is running.
            while !handle.cancel() {
                assert!(start.elapsed() < SANITY, "the call never started");
                std::thread::sleep(Duration::from_millis(5));
            }
            // Second cancel of the same call: nothing left to cancel, or the
            // call is still stopping; either way no panic and no effect on
            // the next call.
            let second = handle.cancel();
            (handle, second)
        });
        let start = Instant::now();
        let err = plugin.call_bytes("infinite_loop", b"").unwrap_err();
        assert!(start.elapsed() < SANITY);
        assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
        let (handle, second) = canceller.join().unwrap();
        assert!(
            !second,
            "a second cancel of an already cancelled call reported a call"
        );
        // After the call: no-ops again, and the plug-in runs normally.
        assert!(!handle.cancel());
        assert!(!handle.cancel());
        assert_usable(&mut plugin);
        // A later long call is stopped by its timeout, not by the old cancels.
        plugin.set_timeout(Some(Duration::from_millis(100)));
        let err = plugin.call_bytes("infinite_loop", b"").unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_usable(&mut plugin);
    }
}

/// A host function that fails: the call fails with `Error::HostFunction`
/// naming the function and carrying its message; the plug-in stays usable.
mod host_function_error {
    use super::*;

    fn plugin() -> Plugin {
        let fail = HostFunction::wrap(
            "fail",
            |_: &mut CurrentPlugin<'_>, x: u64| -> Result<u64, HostError> {
                if x == 1 {
                    Err(HostError::msg("boom from the host"))
                } else {
                    Ok(x + 1)
                }
            },
        );
        let text = wat_with(
            r#"(import "extism:host/user" "fail" (func $fail (param i64) (result i64)))"#,
            r#"(func (export "fail") (result i32) (call $out (call $fail (i64.const 1))) (i32.const 0))
               (func (export "ok") (result i32) (call $out (call $fail (i64.const 41))) (i32.const 0))"#,
        );
        PluginBuilder::from_wasm(text)
            .with_function(fail)
            .build()
            .unwrap()
    }

    #[test]
    fn failure_is_typed_and_the_plugin_recovers() {
        let mut plugin = plugin();
        let err = plugin.call_bytes("fail", b"").unwrap_err();
        let [_, function, host_function, message] = crate::support::host_fn_error(&err);
        assert_eq!(function, "fail");
        assert_eq!(host_function, "extism:host/user::fail");
        assert!(message.contains("boom from the host"), "{message}");
        assert_eq!(err.exit_code(), -1);
        assert_eq!(word(plugin.call_bytes("ok", b"").unwrap()), 42);
        // Twice in a row, then fine again.
        assert!(plugin.call_bytes("fail", b"").is_err());
        assert!(plugin.call_bytes("fail", b"").is_err());
        assert_eq!(word(plugin.call_bytes("ok", b"").unwrap()), 42);
    }

    #[test]
    fn panicking_host_function_does_not_take_the_plugin_down() {
        // A panic in host code is the host's bug, not the plug-in's: it must
        // reach the caller as a panic (not be swallowed), and the plug-in
        // object must still be droppable.
        let boom = HostFunction::wrap(
            "boom",
            |_: &mut CurrentPlugin<'_>, _x: u64| -> Result<u64, HostError> {
                panic!("host function panicked on purpose")
            },
        );
        let text = wat_with(
            r#"(import "extism:host/user" "boom" (func $boom (param i64) (result i64)))"#,
            r#"(func (export "run") (result i32) (drop (call $boom (i64.const 0))) (i32.const 0))"#,
        );
        let mut plugin = PluginBuilder::from_wasm(text)
            .with_function(boom)
            .build()
            .unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = plugin.call_bytes("run", b"");
        }));
        assert!(caught.is_err(), "the host function's panic was swallowed");
        drop(plugin);
    }
}

/// A plug-in that frees blocks the host already freed (Go PDK `GetConfig`
/// does `defer mem.Free()` on the key `config_get` frees). The stale free
/// must be a no-op: a block allocated afterwards, and the result, are intact.
mod double_free_of_host_freed_block {
    use super::*;

    #[test]
    fn config_key_freed_twice_then_alloc() {
        // key "k" -> config value "value"
        let mut plugin = PluginBuilder::new(
            Manifest::new([Wasm::data(wat(
                r#"(func (export "run") (result i32)
                     (local $key i64) (local $val i64) (local $new i64) (local $other i64)
                     (local.set $key (call $text (i64.const 0x6b) (i64.const 1)))
                     (local.set $val (call $config_get (local.get $key)))
                     ;; The host freed the key: free it again (twice).
                     (call $free (local.get $key))
                     (call $free (local.get $key))
                     ;; A new block of the key's size lands in the key's slot.
                     (local.set $new (call $text (i64.const 0x41424344) (i64.const 4)))
                     (local.set $other (call $text (i64.const 0x45) (i64.const 1)))
                     ;; Checks, as a bit mask output: 0 is success.
                     (call $out
                       (i64.or
                         (i64.or
                           (i64.extend_i32_u (i64.ne (call $length (local.get $new)) (i64.const 4)))
                           (i64.shl (i64.extend_i32_u (i64.ne (call $load_u64 (local.get $new)) (i64.const 0x41424344))) (i64.const 1)))
                         (i64.or
                           (i64.or
                             (i64.shl (i64.extend_i32_u (i64.ne (call $length (local.get $val)) (i64.const 5))) (i64.const 2))
                             (i64.shl (i64.extend_i32_u (i32.ne (call $load_u8 (local.get $val)) (i32.const 118))) (i64.const 3)))
                           (i64.or
                             (i64.shl (i64.extend_i32_u (i64.eq (local.get $new) (local.get $val))) (i64.const 4))
                             (i64.shl (i64.extend_i32_u (i64.eq (local.get $other) (local.get $new))) (i64.const 5))))))
                     (i32.const 0))"#,
            ))])
            .with_config("k", "value"),
        )
        .build()
        .unwrap();
        let out = plugin.call_bytes("run", b"").unwrap();
        assert_eq!(word(out), 0, "violations bit mask");
    }

    #[test]
    fn the_committed_double_free_plugin() {
        let mut plugin = Plugin::new(
            Manifest::new([Wasm::file(repo("plugins/wasm/wat/double_free.wasm"))]),
            [],
            false,
        )
        .unwrap();
        assert_eq!(plugin.call_bytes("run", b"").unwrap(), b"ok");
    }
}

/// A command module (exports `_start`) used as a library: another export,
/// then `_start`, then another export. `_start` is never run implicitly;
/// after it ran, the next call gets a fresh instance (as in the reference).
mod command_module_as_library {
    use super::*;

    const BODY: &str = r#"
      (global $calls (mut i64) (i64.const 0))
      (global $started (mut i64) (i64.const 0))
      (func (export "_start") (global.set $started (i64.const 1)))
      (func (export "count") (result i32)
        (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
        (call $out (i64.add (global.get $calls) (i64.shl (global.get $started) (i64.const 32))))
        (i32.const 0))"#;

    #[test]
    fn other_export_then_start_then_other_export() {
        let mut plugin = wat_plugin(BODY);
        assert_eq!(
            word(plugin.call_bytes("count", b"").unwrap()),
            1,
            "not started implicitly"
        );
        assert_eq!(word(plugin.call_bytes("count", b"").unwrap()), 2);
        plugin.call_bytes("_start", b"").unwrap();
        // Fresh instance after `_start`: globals start over.
        assert_eq!(word(plugin.call_bytes("count", b"").unwrap()), 1);
        assert_eq!(word(plugin.call_bytes("count", b"").unwrap()), 2);
        plugin.call_bytes("_start", b"").unwrap();
        plugin.call_bytes("_start", b"").unwrap();
        assert_eq!(word(plugin.call_bytes("count", b"").unwrap()), 1);
    }
}

/// A plug-in importing a kernel name that does not exist: a typed
/// `Error::Link` at load time, for the modern and the legacy namespace.
mod unknown_kernel_import {
    use super::*;

    #[test]
    fn unknown_name_is_a_link_error() {
        let err = match Plugin::new(
            Manifest::new([Wasm::file(repo("plugins/wasm/wat/unknown_env_import.wasm"))]),
            [],
            false,
        ) {
            Err(e) => e,
            Ok(_) => panic!("a plug-in importing an unknown kernel function loaded"),
        };
        match &err {
            Error::Link { import, .. } => assert_eq!(import, "extism:host/env::does_not_exist"),
            other => panic!("expected Error::Link, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_and_non_function_imports_are_link_errors() {
        for import in [
            r#"(import "extism:host/env" "alloc" (func (param i32) (result i32)))"#,
            r#"(import "extism:host/env" "memory" (memory 1))"#,
            r#"(import "extism:host/env" "extism_alloc" (func (param i64) (result i64)))"#,
            r#"(import "env" "extism_no_such_thing" (func (param i64) (result i64)))"#,
            r#"(import "env" "extism_alloc" (func (param i64)))"#,
            r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
        ] {
            let text =
                format!("(module {import} (func (export \"run\") (result i32) (i32.const 0)))");
            match PluginBuilder::from_wasm(text).build() {
                Err(Error::Link { .. }) => {}
                Err(other) => panic!("{import}: expected Error::Link, got {other:?}"),
                Ok(_) => panic!("{import}: loaded"),
            }
        }
    }
}

/// `output_set` with a huge length (or a range past the block region) is
/// ignored, never read by the host.
mod output_set_huge_length {
    use super::*;

    #[test]
    fn huge_lengths_and_offsets_are_ignored() {
        let mut plugin = wat_plugin(
            r#"(func (export "run") (result i32) (local $p i64)
                 (local.set $p (call $text (i64.const 0x6f6c6c6568) (i64.const 5)))
                 (call $output_set (local.get $p) (i64.const 5))
                 (call $output_set (local.get $p) (i64.const 0xffffffffffff))
                 (call $output_set (local.get $p) (i64.const -1))
                 (call $output_set (local.get $p) (i64.const 0x100000000))
                 (call $output_set (i64.const -1) (i64.const 2))
                 (call $output_set (i64.const 0xfffffff0) (i64.const 16))
                 (call $output_set (i64.const 8) (i64.const 8))
                 (i32.const 0))
               (func (export "only_huge") (result i32)
                 (call $output_set (i64.const 64) (i64.const 0x7fffffffffffffff))
                 (i32.const 0))"#,
        );
        assert_eq!(plugin.call_bytes("run", b"").unwrap(), b"hello");
        assert_eq!(plugin.call_bytes("only_huge", b"").unwrap(), b"");
    }

    #[test]
    fn the_committed_oob_output_plugin() {
        let mut plugin = Plugin::new(
            Manifest::new([Wasm::file(repo("plugins/wasm/wat/oob_output.wasm"))]),
            [],
            false,
        )
        .unwrap();
        for f in plugin.functions().map(str::to_string).collect::<Vec<_>>() {
            // Whatever each export does, the host reads nothing out of bounds.
            let _ = plugin.call_bytes(&f, b"");
        }
    }
}

/// `error_set` with an offset outside the block region is ignored: the call
/// reports the exit code, or the error that was set before.
mod error_set_out_of_region {
    use super::*;

    #[test]
    fn out_of_region_offsets_are_ignored() {
        let mut plugin = wat_plugin(
            r#"(func (export "only_bad") (result i32)
                 (call $error_set (i64.const 0x100000000))
                 (call $error_set (i64.const -1))
                 (call $error_set (i64.const 8))
                 (i32.const 3))
               (func (export "good_then_bad") (result i32)
                 (call $error_set (call $text (i64.const 0x6e65657267) (i64.const 5)))
                 (call $error_set (i64.const 0xffffffff))
                 (call $error_set (i64.const 0x7fffffffffffffff))
                 (i32.const 4))
               (func (export "inside_not_a_block") (result i32) (local $p i64)
                 (local.set $p (call $text (i64.const 0x6e65657267) (i64.const 5)))
                 (call $error_set (i64.add (local.get $p) (i64.const 1)))
                 (i32.const 5))"#,
        );
        let err = plugin.call_bytes("only_bad", b"").unwrap_err();
        assert!(matches!(err, Error::ExitCode { code: 3, .. }), "{err:?}");
        let err = plugin.call_bytes("good_then_bad", b"").unwrap_err();
        assert!(
            matches!(&err, Error::Plugin { message, code: 4, .. } if message == "green"),
            "{err:?}"
        );
        // Inside the region but not a block start: the host finds no block and
        // reports the code alone.
        let err = plugin.call_bytes("inside_not_a_block", b"").unwrap_err();
        assert!(matches!(err, Error::ExitCode { code: 5, .. }), "{err:?}");
    }
}

/// `input_set` from the plug-in pointing outside the kernel memory must not
/// let `input_load_*` read out of bounds: the input becomes empty (loads
/// return 0), never a trap in the kernel and never a host crash.
mod input_set_outside_memory {
    use super::*;

    /// Sets the input to (offset, len) from the call's own 16-byte input, then
    /// outputs [input_length, input_offset, input_load_u8(0),
    /// input_load_u64(0), input_load_u8(len - 1)] as 5 words.
    const BODY: &str = r#"
      (func (export "probe") (result i32) (local $o i64) (local $n i64) (local $p i64)
        (local.set $o (call $input_load_u64 (i64.const 0)))
        (local.set $n (call $input_load_u64 (i64.const 8)))
        (call $input_set (local.get $o) (local.get $n))
        (local.set $p (call $alloc (i64.const 40)))
        (call $store_u64 (local.get $p) (call $input_length))
        (call $store_u64 (i64.add (local.get $p) (i64.const 8)) (call $input_offset))
        (call $store_u64 (i64.add (local.get $p) (i64.const 16)) (i64.extend_i32_u (call $input_load_u8 (i64.const 0))))
        (call $store_u64 (i64.add (local.get $p) (i64.const 24)) (call $input_load_u64 (i64.const 0)))
        (call $store_u64 (i64.add (local.get $p) (i64.const 32))
          (i64.extend_i32_u (call $input_load_u8 (i64.sub (local.get $n) (i64.const 1)))))
        (call $output_set (local.get $p) (i64.const 40))
        (i32.const 0))"#;

    fn probe(plugin: &mut Plugin, offset: u64, len: u64) -> [u64; 5] {
        let mut input = offset.to_le_bytes().to_vec();
        input.extend_from_slice(&len.to_le_bytes());
        let out = plugin
            .call_bytes("probe", &input)
            .unwrap_or_else(|e| panic!("input_set({offset:#x}, {len:#x}): {e}"));
        let mut words = [0u64; 5];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_le_bytes(out[i * 8..i * 8 + 8].try_into().unwrap());
        }
        words
    }

    #[test]
    fn out_of_memory_ranges_become_an_empty_input() {
        let mut plugin = wat_plugin(BODY);
        for (offset, len) in [
            (0xffff_fff0u64, 0x100u64),
            (0x1_0000_0000, 1),
            (65530, 100), // past the end of a one-page kernel memory
            (0, u64::MAX),
            (u64::MAX, 2),
            (u64::MAX - 7, 8),
            (64, u64::MAX - 63),
            (1 << 63, 1 << 63),
        ] {
            let [len_after, off_after, b0, w0, last] = probe(&mut plugin, offset, len);
            assert_eq!(
                (len_after, off_after, b0, w0, last),
                (0, 0, 0, 0, 0),
                "input_set({offset:#x}, {len:#x})"
            );
        }
    }

    #[test]
    fn in_memory_ranges_are_read_in_bounds() {
        let mut plugin = wat_plugin(BODY);
        // Inside the memory but not a block: allowed, reads stay in bounds.
        let [len_after, off_after, ..] = probe(&mut plugin, 100, 10);
        assert_eq!((len_after, off_after), (10, 100));
        // Exactly up to the end of the first page.
        let [len_after, off_after, ..] = probe(&mut plugin, 65536 - 8, 8);
        assert_eq!((len_after, off_after), (8, 65536 - 8));
        // The plug-in is fine afterwards, and inputs of the next call are real.
        let [len_after, ..] = probe(&mut plugin, 64, 16);
        assert_eq!(len_after, 16);
    }
}

// ===================================================================== findings

/// Memory a plug-in could take without `max_pages` counting it (SECURITY.md,
/// findings F1, F2, F5, F6). F1 and F2 were fixed in 86acb5e, F5 and F6 in
/// 3749099.
mod limits_bypass {
    use super::*;

    /// Builds the WAT plug-in `text` under `max_pages` and calls its `run`.
    fn run_with_max_pages(text: &str, max_pages: u32) -> extism_host::Result<Vec<u8>> {
        PluginBuilder::new(Manifest::new([Wasm::data(text)]).with_max_pages(max_pages))
            .build()
            .and_then(|mut p| p.call_bytes("run", b"").map(<[u8]>::to_vec))
    }

    /// F1: `memory.max_pages` was charged only for growth after
    /// instantiation (`MemoryLimiter::start_counting`, limits.rs), so a module
    /// that *declared* a large initial memory got it whatever the limit: with
    /// `max_pages: 16` (1 MiB) this plug-in had 256 MiB, and could declare
    /// 4 GiB.
    #[test]
    fn declared_initial_memory_counts_against_max_pages() {
        let text = r#"(module
          (memory (export "memory") 4096)
          (func (export "run") (result i32)
            ;; Touch the last page to show the memory is really there.
            (i32.store8 (i32.const 268435455) (i32.const 1))
            (i32.const 0)))"#;
        let result = run_with_max_pages(text, 16).map(|_| ());
        assert!(
            result.is_err(),
            "a plug-in with 4096 pages of initial memory ran under max_pages = 16"
        );
    }

    /// Shared memories would grow without consulting the store's
    /// ResourceLimiter (wasmtime passes no limiter to `SharedMemory::grow`),
    /// bypassing `max_pages`. They are refused at instantiation because the
    /// engine leaves `Config::shared_memory` off: keep it that way.
    #[test]
    fn shared_memories_are_refused() {
        let text = r#"(module
          (memory (export "memory") 1 65536 shared)
          (func (export "run") (result i32)
            (i32.ne (memory.grow (i32.const 1024)) (i32.const -1))))"#;
        let result = run_with_max_pages(text, 16);
        assert!(
            matches!(&result, Err(Error::Instantiate { cause, .. }) if cause.contains("shared memory")),
            "a plug-in with a shared memory was instantiated: {result:?}"
        );
    }

    /// F2: tables had no budget at all (`MemoryLimiter::table_growing`
    /// allowed any size up to the table's own maximum): a plug-in could
    /// allocate gigabytes of host memory with `table.grow`, whatever
    /// `max_pages` says.
    #[test]
    fn table_growth_is_bounded() {
        for (what, text) in [
            (
                "table.grow by 4M elements",
                r#"(module
                  (table 0 funcref)
                  (func (export "run") (result i32)
                    ;; 4M elements = 32 MiB of host memory; -1 when refused.
                    (i32.ne (table.grow (ref.null func) (i32.const 4194304)) (i32.const -1))))"#,
            ),
            (
                "a declared table of 4M elements",
                r#"(module
                  (table 4194304 funcref)
                  (func (export "run") (result i32) (i32.const 1)))"#,
            ),
        ] {
            let result = run_with_max_pages(text, 1);
            assert!(
                !matches!(result, Err(Error::ExitCode { code: 1, .. })),
                "{what} was allowed under max_pages = 1"
            );
        }
    }

    /// F5: the first fix of F1 and F2 bounded each memory and each table on
    /// its own (16 MiB of declared memory, 2^20 table elements), but a module
    /// may have many of each (multi-memory is on; wasmtime's default limiter
    /// allows 10000 memories and tables per instance): 32 memories of 16 MiB
    /// were 512 MiB under `max_pages: 16`.
    #[test]
    fn many_declared_memories_count_together() {
        let text = r#"(module (memory $m0 256)(memory $m1 256)(memory $m2 256)(memory $m3 256)(memory $m4 256)(memory $m5 256)(memory $m6 256)(memory $m7 256)(memory $m8 256)(memory $m9 256)(memory $m10 256)(memory $m11 256)(memory $m12 256)(memory $m13 256)(memory $m14 256)(memory $m15 256)(memory $m16 256)(memory $m17 256)(memory $m18 256)(memory $m19 256)(memory $m20 256)(memory $m21 256)(memory $m22 256)(memory $m23 256)(memory $m24 256)(memory $m25 256)(memory $m26 256)(memory $m27 256)(memory $m28 256)(memory $m29 256)(memory $m30 256)(memory $m31 256)
          (func (export "run") (result i32) (i32.store8 $m0 (i32.const 16777215) (i32.const 1))(i32.store8 $m1 (i32.const 16777215) (i32.const 1))(i32.store8 $m2 (i32.const 16777215) (i32.const 1))(i32.store8 $m3 (i32.const 16777215) (i32.const 1))(i32.store8 $m4 (i32.const 16777215) (i32.const 1))(i32.store8 $m5 (i32.const 16777215) (i32.const 1))(i32.store8 $m6 (i32.const 16777215) (i32.const 1))(i32.store8 $m7 (i32.const 16777215) (i32.const 1))(i32.store8 $m8 (i32.const 16777215) (i32.const 1))(i32.store8 $m9 (i32.const 16777215) (i32.const 1))(i32.store8 $m10 (i32.const 16777215) (i32.const 1))(i32.store8 $m11 (i32.const 16777215) (i32.const 1))(i32.store8 $m12 (i32.const 16777215) (i32.const 1))(i32.store8 $m13 (i32.const 16777215) (i32.const 1))(i32.store8 $m14 (i32.const 16777215) (i32.const 1))(i32.store8 $m15 (i32.const 16777215) (i32.const 1))(i32.store8 $m16 (i32.const 16777215) (i32.const 1))(i32.store8 $m17 (i32.const 16777215) (i32.const 1))(i32.store8 $m18 (i32.const 16777215) (i32.const 1))(i32.store8 $m19 (i32.const 16777215) (i32.const 1))(i32.store8 $m20 (i32.const 16777215) (i32.const 1))(i32.store8 $m21 (i32.const 16777215) (i32.const 1))(i32.store8 $m22 (i32.const 16777215) (i32.const 1))(i32.store8 $m23 (i32.const 16777215) (i32.const 1))(i32.store8 $m24 (i32.const 16777215) (i32.const 1))(i32.store8 $m25 (i32.const 16777215) (i32.const 1))(i32.store8 $m26 (i32.const 16777215) (i32.const 1))(i32.store8 $m27 (i32.const 16777215) (i32.const 1))(i32.store8 $m28 (i32.const 16777215) (i32.const 1))(i32.store8 $m29 (i32.const 16777215) (i32.const 1))(i32.store8 $m30 (i32.const 16777215) (i32.const 1))(i32.store8 $m31 (i32.const 16777215) (i32.const 1)) (i32.const 0)))"#;
        let result = run_with_max_pages(text, 16).map(|_| ());
        assert!(
            result.is_err(),
            "32 memories of 16 MiB each were instantiated and touched under max_pages = 16"
        );
    }

    /// F6, the same for tables: `MAX_TABLE_ELEMENTS` capped each table, so 32
    /// tables grown to 2^20 elements held 256 MiB of host memory.
    #[test]
    fn many_tables_count_together() {
        let text = r#"(module (table $t0 0 funcref)(table $t1 0 funcref)(table $t2 0 funcref)(table $t3 0 funcref)(table $t4 0 funcref)(table $t5 0 funcref)(table $t6 0 funcref)(table $t7 0 funcref)(table $t8 0 funcref)(table $t9 0 funcref)(table $t10 0 funcref)(table $t11 0 funcref)(table $t12 0 funcref)(table $t13 0 funcref)(table $t14 0 funcref)(table $t15 0 funcref)(table $t16 0 funcref)(table $t17 0 funcref)(table $t18 0 funcref)(table $t19 0 funcref)(table $t20 0 funcref)(table $t21 0 funcref)(table $t22 0 funcref)(table $t23 0 funcref)(table $t24 0 funcref)(table $t25 0 funcref)(table $t26 0 funcref)(table $t27 0 funcref)(table $t28 0 funcref)(table $t29 0 funcref)(table $t30 0 funcref)(table $t31 0 funcref)
          (func (export "run") (result i32) (local $n i32) (local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t0 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t1 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t2 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t3 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t4 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t5 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t6 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t7 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t8 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t9 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t10 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t11 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t12 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t13 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t14 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t15 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t16 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t17 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t18 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t19 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t20 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t21 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t22 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t23 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t24 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t25 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t26 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t27 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t28 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t29 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t30 (ref.null func) (i32.const 1048576)) (i32.const -1))))(local.set $n (i32.add (local.get $n) (i32.ne (table.grow $t31 (ref.null func) (i32.const 1048576)) (i32.const -1)))) (local.get $n)))"#;
        let result = run_with_max_pages(text, 1).map(|_| ());
        // The exit code is the number of tables that grew by 2^20 elements.
        let granted = match &result {
            Err(Error::ExitCode { code, .. }) => *code,
            _ => 0,
        };
        assert!(
            granted <= 2,
            "{granted} tables of 2^20 elements ({} MiB of host memory) under max_pages = 1",
            granted * 8
        );
    }

    /// What is bounded: growth of the plug-in's own (non-shared) memory and of
    /// the kernel memory, including an input bigger than the budget.
    #[test]
    fn memory_grow_and_kernel_growth_are_bounded() {
        let mut plugin = PluginBuilder::new(
            Manifest::new([Wasm::data(
                wat(r#"(memory 1)
                   (func (export "grow") (result i32)
                     (i32.ne (memory.grow (i32.const 64)) (i32.const -1)))
                   (func (export "alloc") (result i32)
                     (drop (call $alloc (i64.const 0x400000))) (i32.const 0))
                   (func (export "ok") (result i32) (call $out (i64.const 1)) (i32.const 0))"#)
                .into_bytes(),
            )])
            .with_max_pages(16),
        )
        .build()
        .unwrap();
        let err = plugin.call_bytes("grow", b"").unwrap_err();
        assert!(
            matches!(err, Error::MemoryLimit { max_pages: 16, .. }),
            "{err:?}"
        );
        let err = plugin.call_bytes("alloc", b"").unwrap_err();
        assert!(matches!(err, Error::MemoryLimit { .. }), "{err:?}");
        let err = plugin.call_bytes("ok", &vec![0u8; 2 << 20]).unwrap_err();
        assert!(matches!(err, Error::MemoryLimit { .. }), "{err:?}");
        assert_eq!(word(plugin.call_bytes("ok", b"").unwrap()), 1);
    }
}

/// F3: `timeout_ms` covered calls only. A plug-in's initialisation (a start
/// function, `_initialize`, `__wasm_call_ctors`) ran in `PluginBuilder::build`
/// and again in every recycled instance with no deadline, so a hostile
/// plug-in could hang the host thread there (fixed in 86acb5e). Fuel bounds
/// it too.
mod initialisation_is_not_bounded {
    use super::*;

    const LOOPING_START: &str = r#"(module
      (func $forever (loop $l (br $l)))
      (start $forever)
      (func (export "run") (result i32) (i32.const 0)))"#;

    const LOOPING_INITIALIZE: &str = r#"(module
      (func (export "_initialize") (loop $l (br $l)))
      (func (export "run") (result i32) (i32.const 0)))"#;

    #[test]
    fn looping_start_function_is_stopped_by_the_timeout() {
        for text in [LOOPING_START, LOOPING_INITIALIZE] {
            let result = within_sanity("PluginBuilder::build", move || {
                PluginBuilder::new(
                    Manifest::new([Wasm::data(text.as_bytes().to_vec())])
                        .with_timeout(Duration::from_millis(100)),
                )
                .build()
                .map(|_| ())
            });
            assert!(result.is_err(), "an infinite start function built");
        }
    }

    #[test]
    fn looping_start_function_is_stopped_by_fuel() {
        for text in [LOOPING_START, LOOPING_INITIALIZE] {
            let result = within_sanity("PluginBuilder::build with fuel", move || {
                PluginBuilder::new(Manifest::new([Wasm::data(text.as_bytes().to_vec())]))
                    .with_fuel_limit(1_000_000)
                    .build()
                    .map(|_| ())
            });
            assert!(
                matches!(result, Err(Error::Instantiate { .. })),
                "{result:?}"
            );
        }
    }
}

/// F7 (found by `kernel_abi`; fixed in 3749099): host services copied a
/// plug-in's block into a host `Vec` before checking it against their limit.
/// `var_set` did `read_bytes(value).to_vec()` (env.rs `var_set`) and only then
/// asked `Vars::set` whether it fits `max_var_bytes`; `http_request` copied
/// the body before the allow-list check. Without `max_pages`, a block can be
/// ~4 GiB of kernel memory that costs nothing until touched (fresh zero
/// pages), and the copy made the host commit all of it: one call, 4 GiB of
/// host RSS, under a 1 MiB var limit.
mod copy_before_limit {
    use super::*;

    /// Resets the process's peak RSS to its current RSS (Linux: writing 5 to
    /// `/proc/self/clear_refs`), so each test measures its own peak.
    fn reset_peak() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    /// The process's peak RSS (`VmHWM`), in KiB.
    fn peak_rss_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Runs `export` of a plug-in that passes a fresh 1 GiB block to a
    /// service, and returns how much the peak RSS grew (KiB).
    fn peak_growth(export: &str) -> u64 {
        let mut plugin = PluginBuilder::from_wasm(wat_with(
            "",
            r#"(func $big (result i64) (call $alloc (i64.const 0x40000000)))
               (func (export "var_key") (result i32)
                 ;; A 1 GiB key of zero bytes (valid UTF-8) and a 1-byte value.
                 (call $var_set (call $big) (call $text (i64.const 0x76) (i64.const 1)))
                 (i32.const 0))
               (func (export "var") (result i32)
                 (call $var_set (call $text (i64.const 0x6b) (i64.const 1)) (call $big))
                 (i32.const 0))
               (func (export "http") (result i32) (local $r i64)
                 ;; {"url":"http://a"}: valid, and refused (no allowed hosts).
                 (local.set $r (call $alloc (i64.const 18)))
                 (call $store_u64 (local.get $r) (i64.const 0x223a226c7275227b))
                 (call $store_u64 (i64.add (local.get $r) (i64.const 8)) (i64.const 0x612f2f3a70747468))
                 (call $store_u64 (i64.add (local.get $r) (i64.const 16)) (i64.const 0x7d22))
                 (drop (call $http_request (local.get $r) (call $big)))
                 (i32.const 0))"#,
        ))
        .build()
        .unwrap();
        reset_peak();
        let before = peak_rss_kib();
        let result = plugin.call_bytes(export, b"").map(<[u8]>::to_vec);
        assert!(result.is_err(), "{export}: a 1 GiB value was accepted");
        peak_rss_kib().saturating_sub(before)
    }

    #[test]
    fn var_set_checks_the_limit_before_copying() {
        let grew = peak_growth("var");
        assert!(
            grew < 256 * 1024,
            "var_set of a 1 GiB block under a 1 MiB var limit raised the host's peak RSS by {} MiB",
            grew / 1024
        );
    }

    #[test]
    fn http_request_refuses_before_copying_the_body() {
        let grew = peak_growth("http");
        assert!(grew < 256 * 1024, "peak RSS grew by {} MiB", grew / 1024);
    }

    /// F8 (found by `kernel_abi` on the F7 fix, 3749099; fixed in d42cf92):
    /// `var_set` still copied the **key** (`read_str(..).to_string()`, env.rs
    /// `var_set`) before `Vars::check`; a block of zero bytes is valid UTF-8,
    /// so a 1 GiB key cost the host 1 GiB.
    #[test]
    fn var_set_checks_the_key_before_copying() {
        let grew = peak_growth("var_key");
        assert!(
            grew < 256 * 1024,
            "var_set with a 1 GiB key under a 1 MiB var limit raised the host's peak RSS by {} MiB",
            grew / 1024
        );
    }

    /// The fuzz input that found F8 (`kernel_abi`, no max_pages: a ~2.4 GiB
    /// key).
    #[test]
    fn fuzz_input_var_set_copies_key() {
        let input = std::fs::read(repo(
            "tests/fuzz_corpus/kernel_abi/found_var_set_copies_key.crash",
        ))
        .unwrap();
        reset_peak();
        let before = peak_rss_kib();
        kernel_oracle::Interp::default().run(&input);
        let grew = peak_rss_kib().saturating_sub(before);
        assert!(grew < 1024 * 1024, "peak RSS grew by {} MiB", grew / 1024);
    }

    /// The fuzz input that found it (`kernel_abi`, no max_pages): grows the
    /// kernel memory to ~4 GiB and `var_set`s a block of that size.
    #[test]
    fn fuzz_input_var_set_copies_4gib() {
        let input = std::fs::read(repo(
            "tests/fuzz_corpus/kernel_abi/found_var_set_copies_4gib.crash",
        ))
        .unwrap();
        reset_peak();
        let before = peak_rss_kib();
        kernel_oracle::Interp::default().run(&input);
        let grew = peak_rss_kib().saturating_sub(before);
        assert!(grew < 1024 * 1024, "peak RSS grew by {} MiB", grew / 1024);
    }
}

// ===================================================================== fuzz corpus

/// Replays every file of `tests/fuzz_corpus/<target>/` through the oracle of
/// that fuzz target (`fuzz/src/oracles/`). The files are inputs that found a
/// bug or cover a corner worth keeping; see `tests/fuzz_corpus/README.md`.
mod fuzz_corpus {
    use super::*;

    fn files(target: &str, ext: &str) -> Vec<PathBuf> {
        let dir = repo("tests/fuzz_corpus").join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no .{ext} file in {}", dir.display());
        files
    }

    fn named<T>(path: &Path, f: impl FnOnce() -> T) -> T {
        eprintln!("replaying {}", path.display());
        f()
    }

    #[test]
    fn manifest_json() {
        for path in files("manifest_json", "json") {
            let bytes = std::fs::read(&path).unwrap();
            named(&path, || {
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    manifest_oracle::check(text);
                }
            });
        }
    }

    /// `.bin`: input of the `kernel_abi` target (interpreter plug-in);
    /// `.wat`: plug-in generated by the `kernel_abi_wat` target.
    #[test]
    fn kernel_abi() {
        let mut interp = kernel_oracle::Interp::default();
        for path in files("kernel_abi", "bin") {
            let bytes = std::fs::read(&path).unwrap();
            named(&path, || interp.run(&bytes));
        }
        for path in files("kernel_abi", "wat") {
            let text = std::fs::read_to_string(&path).unwrap();
            named(&path, || kernel_oracle::run_wat(&text));
        }
    }

    #[test]
    fn http_request_json() {
        let mut plugin = http_oracle::plugin();
        for path in files("http_request_json", "bin") {
            let request = std::fs::read(&path).unwrap();
            named(&path, || {
                for export in http_oracle::EXPORTS {
                    http_oracle::check(&mut plugin, export, &request);
                }
            });
        }
    }

    #[test]
    fn codec_decode() {
        for path in files("codec_decode", "bin") {
            let bytes = std::fs::read(&path).unwrap();
            named(&path, || codec_oracle::check(&bytes));
        }
    }

    #[test]
    fn wasm_smith_plugin() {
        for path in files("wasm_smith_plugin", "wasm") {
            let wasm = std::fs::read(&path).unwrap();
            named(&path, || wasm_oracle::check(&wasm, b"fuzz input"));
        }
    }
}

/// The `linked_modules` fuzz oracle over every two-module shape (each module
/// importing nothing, itself, the other, a missing export or a mistyped one,
/// with and without a start function) and a few longer chains and cycles.
mod linked_module_shapes {
    use super::linking_oracle;

    #[test]
    fn every_two_module_shape_builds_or_fails_typed() {
        for a in 0..4u8 {
            for b in 0..4u8 {
                for wrong in [1u8, 0] {
                    for start in [1u8, 0] {
                        // 2 modules; module 0 imports one export of module `a % 2`,
                        // module 1 (main) one of module `b % 2`.
                        let data = [1, 1, a % 2, a, wrong, start, 1, b % 2, b, wrong, start];
                        linking_oracle::check(&data);
                    }
                }
            }
        }
    }

    #[test]
    fn chains_and_cycles_of_four() {
        // 4 modules, each importing f0 of the next (a chain into main), then
        // of the previous (a cycle through main), then of itself.
        for shift in [1u8, 3, 0] {
            let mut data = vec![3];
            for i in 0..4u8 {
                data.extend([1, (i + shift) % 4, 0, 1, 1]);
            }
            linking_oracle::check(&data);
        }
    }
}
