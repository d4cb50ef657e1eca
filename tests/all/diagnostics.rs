//! The debug events the crate reports under the `extism_host` target, as
//! the official hosts do: compiling, creating instances, initialising the
//! guest's language runtime, calls and their failures, recycling.

use extism_host::{Manifest, Plugin, PluginBuilder, Wasm};

use crate::support::{self, Capture};

fn messages(capture: &Capture) -> Vec<String> {
    capture
        .events("extism_host")
        .into_iter()
        .map(|e| {
            assert_eq!(e.level, tracing::Level::DEBUG, "{e:?}");
            e.fields
        })
        .collect()
}

// Each subscribing test runs alone in a child process: a subscriber raises
// the process's `tracing` level, which the plug-ins of other tests would see
// as their log level.
alone!(the_lifecycle_of_a_plugin_is_reported, child_lifecycle, {
    let capture = Capture::default();
    capture.during(|| {
        let mut plugin = Plugin::new(
            Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]),
            [],
            false,
        )
        .expect("kitchen loads");
        plugin.call_bytes("utf8", b"").expect("utf8");
        assert!(plugin.call_bytes("trap_unreachable", b"").is_err());
        plugin.call_bytes("utf8", b"").expect("utf8 again");
    });
    let events = messages(&capture);
    let position = |needle: &str| {
        events
            .iter()
            .position(|e| e.contains(needle))
            .unwrap_or_else(|| panic!("no event with {needle:?} in {events:#?}"))
    };
    let compiled = position("message=plug-in compiled");
    assert!(
        events[compiled].contains("plugin=kitchen.rust.wasm"),
        "{events:#?}"
    );
    let created = position("message=instance created");
    let returned = position("message=call returned");
    let failed = position("message=call failed");
    let fresh = position("message=fresh instance");
    assert!(compiled < created && created < returned && returned < failed && failed < fresh);
    assert!(events[returned].contains("function=utf8"), "{events:#?}");
    assert!(
        events[failed].contains("function=trap_unreachable"),
        "{events:#?}"
    );
    assert!(events[failed].contains("unreachable"), "{events:#?}");
    assert!(
        events[fresh].contains("reason=the last call failed"),
        "{events:#?}"
    );
    // The recycled instance is created within the next call.
    assert!(
        events[fresh + 1..]
            .iter()
            .any(|e| e.contains("message=instance created") && e.contains("function=utf8")),
        "{events:#?}"
    );
});

alone!(
    guest_runtime_initialisation_is_reported,
    child_guest_runtime,
    {
        let capture = Capture::default();
        capture.during(|| {
            // A module shaped like a Haskell PDK plug-in.
            PluginBuilder::from_wasm(
                r#"(module
                (func (export "_initialize"))
                (func (export "hs_init") (param i32 i32))
                (func (export "run") (result i32) (i32.const 0)))"#,
            )
            .with_name("haskell")
            .build()
            .expect("loads");
            // A C reactor.
            Plugin::new(
                Manifest::new([support::plugin_wasm("count_vowels.c.wasm")]),
                [],
                false,
            )
            .expect("loads");
            // Nothing to initialise.
            PluginBuilder::new(Manifest::new([Wasm::data(
                r#"(module (func (export "run") (result i32) (i32.const 0)))"#,
            )]))
            .build()
            .expect("loads");
        });
        let events = messages(&capture);
        let haskell: Vec<&String> = events
            .iter()
            .filter(|e| e.contains("plugin=haskell"))
            .collect();
        assert!(
            haskell
                .iter()
                .any(|e| e.contains("message=Initialized Haskell language runtime.")),
            "{events:#?}"
        );
        let c: Vec<&String> = events
            .iter()
            .filter(|e| e.contains("plugin=count_vowels.c.wasm"))
            .collect();
        assert!(
            c.iter().any(|e| e.contains("message=called _initialize")),
            "{events:#?}"
        );
        let plain: Vec<&String> = events
            .iter()
            .filter(|e| e.contains("plugin=plugin "))
            .collect();
        assert!(
            !plain.iter().any(|e| e.contains("message=called")),
            "{events:#?}"
        );
    }
);

/// `with_memdump` / `with_coredump`: a trapped call leaves the main module's
/// memory and a wasm core dump; calls that do not trap leave nothing.
#[test]
fn a_trap_writes_the_memory_and_core_dumps() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (memory, core) = (
        dir.path().join("memory.bin"),
        dir.path().join("plugin.coredump"),
    );
    let wat = r#"(module
        (memory (export "memory") 2)
        (data (i32.const 1024) "dump marker")
        (func (export "ok") (result i32) (i32.const 0))
        (func (export "crash") (result i32)
          (i32.store8 (i32.const 2048) (i32.const 42))
          unreachable))"#;
    let mut plugin = PluginBuilder::from_wasm(wat)
        .with_name("dumper")
        .with_memdump(&memory)
        .with_coredump(&core)
        .build()
        .expect("loads");
    plugin.call_bytes("ok", b"").expect("ok");
    assert!(!memory.exists() && !core.exists());
    assert!(matches!(
        plugin.call_bytes("crash", b""),
        Err(extism_host::Error::Trap { .. })
    ));
    let bytes = std::fs::read(&memory).expect("a memory dump");
    assert_eq!(bytes.len(), 2 * 65536);
    assert_eq!(&bytes[1024..1035], b"dump marker");
    assert_eq!(bytes[2048], 42, "the memory as it was at the trap");
    let dump = std::fs::read(&core).expect("a core dump");
    assert!(dump.starts_with(b"\0asm"), "a core dump is a wasm module");
    assert!(
        dump.windows(11).any(|w| w == b"dump marker"),
        "the core dump holds the memory"
    );
    assert!(
        dump.windows(4).any(|w| w == b"core"),
        "with its `core` section"
    );
    // The plug-in goes on.
    plugin.call_bytes("ok", b"").expect("ok after the trap");

    // Core dumps need an engine that captures them.
    let engine = extism_host::Engine::builder().build().expect("an engine");
    match PluginBuilder::from_wasm(wat)
        .with_engine(engine)
        .with_coredump(&core)
        .build()
    {
        Err(extism_host::Error::Builder { message, .. }) => {
            assert!(message.contains("with_coredump_on_trap"), "{message}")
        }
        other => panic!("expected Error::Builder, got {:?}", other.err()),
    }
}
