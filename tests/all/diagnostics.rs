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

#[test]
fn the_lifecycle_of_a_plugin_is_reported() {
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
}

#[test]
fn guest_runtime_initialisation_is_reported() {
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
