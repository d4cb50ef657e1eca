//! `#[plugin_interface]`: a trait as the typed interface of a plug-in, checked at load.
//!
//! The count_vowels plug-ins (Rust, Rust/WASI, AssemblyScript, C) behind one trait, the
//! kitchen plug-in's JSON and text exports behind typed methods, load-time errors for
//! missing and mistyped exports, and a fake implementation of the trait.

use std::collections::HashMap;

use extism_host::codec::Json;
use extism_host::{
    plugin_interface, CompiledPlugin, Error, Manifest, MistypedExport, Plugin, PluginBuilder,
};
use serde::{Deserialize, Serialize};

use crate::support::plugin_wasm as wasm;

fn plugin(file: &str) -> Plugin {
    let wasi = file.contains("wasi");
    Plugin::new(Manifest::new([wasm(file)]), [], wasi).unwrap()
}

fn compile(file: &str) -> CompiledPlugin {
    PluginBuilder::new(Manifest::new([wasm(file)]))
        .with_wasi(file.contains("wasi"))
        .compile()
        .unwrap()
}

// ------------------------------------------------------------------ count_vowels

/// What count_vowels outputs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
struct Count {
    count: u64,
    total: u64,
    vowels: String,
}

/// The count_vowels plug-ins, whatever their source language.
#[plugin_interface]
trait VowelCounter {
    /// Counts the vowels of `text`; `total` adds up across calls.
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;

    /// No count_vowels build exports it.
    #[optional]
    fn describe(&mut self) -> Result<String, Error>;

    /// A provided method: not an export, built on the others.
    fn count_all(&mut self, texts: &[&str]) -> Result<Vec<u64>, Error> {
        texts
            .iter()
            .map(|text| Ok(self.count_vowels(text)?.0.count))
            .collect()
    }
}

/// Application code that depends only on the trait.
fn totals(counter: &mut impl VowelCounter, text: &str, calls: usize) -> Vec<u64> {
    (0..calls)
        .map(|_| counter.count_vowels(text).unwrap().0.total)
        .collect()
}

#[test]
fn count_vowels_through_the_trait() {
    let mut counter = VowelCounterPlugin::new(plugin("count_vowels.rust.wasm")).unwrap();
    let Json(count) = counter.count_vowels("Hello, World!").unwrap();
    assert_eq!(
        count,
        Count {
            count: 3,
            total: 3,
            vowels: "aeiouAEIOU".into()
        }
    );
    assert_eq!(totals(&mut counter, "Hello, World!", 2), [6, 9]);
    // The provided method runs on top of the generated ones.
    assert_eq!(counter.count_all(&["a", "bcd", "eio"]).unwrap(), [1, 0, 3]);
    assert_eq!(totals(&mut counter, "", 1), [13]);
}

#[test]
fn one_trait_for_every_build_of_count_vowels() {
    for file in [
        "count_vowels.rust.wasm",
        "count_vowels.rust-wasi.wasm",
        "count_vowels.as.wasm",
        "count_vowels.c.wasm",
    ] {
        let mut counter = VowelCounterPlugin::new(plugin(file)).unwrap();
        assert_eq!(
            totals(&mut counter, "Hello, World!", 3),
            [3, 6, 9],
            "{file}"
        );
    }
}

#[test]
fn from_compiled_makes_independent_instances() {
    let compiled = compile("count_vowels.as.wasm");
    let mut a = VowelCounterPlugin::from_compiled(&compiled).unwrap();
    let mut b = VowelCounterPlugin::from_compiled(&compiled).unwrap();
    assert_eq!(totals(&mut a, "Hello, World!", 2), [3, 6]);
    assert_eq!(totals(&mut b, "Hello, World!", 1), [3]);
    assert_eq!(totals(&mut a, "Hello, World!", 1), [9]);
    VowelCounterPlugin::check(&compiled).unwrap();
}

#[test]
fn wraps_a_borrowed_or_boxed_plugin() {
    let mut plugin = plugin("count_vowels.c.wasm");
    {
        let mut counter = VowelCounterPlugin::new(&mut plugin).unwrap();
        assert_eq!(totals(&mut counter, "Hello, World!", 1), [3]);
        assert_eq!(counter.plugin().name(), "count_vowels.c.wasm");
    }
    // The same instance, used directly again: its state carried over.
    let output = plugin.call_bytes("count_vowels", b"Hello, World!").unwrap();
    assert!(String::from_utf8_lossy(output).contains("\"total\":6"));

    let mut boxed = VowelCounterPlugin::new(Box::new(plugin)).unwrap();
    assert_eq!(totals(&mut boxed, "Hello, World!", 1), [9]);
    let plugin: Box<Plugin> = boxed.into_inner();
    assert!(plugin.function_exists("count_vowels"));
}

#[test]
fn an_absent_optional_export_is_function_not_found() {
    let mut counter = VowelCounterPlugin::new(plugin("count_vowels.rust.wasm")).unwrap();
    match counter.describe() {
        Err(Error::FunctionNotFound { plugin, function }) => {
            assert_eq!(plugin, "count_vowels.rust.wasm");
            assert_eq!(function, "describe");
        }
        other => panic!("expected FunctionNotFound, got {other:?}"),
    }
    assert_eq!(totals(&mut counter, "Hello, World!", 1), [3]);
}

#[test]
fn trait_objects() {
    let mut counters: Vec<Box<dyn VowelCounter>> = vec![
        Box::new(VowelCounterPlugin::new(plugin("count_vowels.rust.wasm")).unwrap()),
        Box::new(FakeCounter::default()),
    ];
    for counter in &mut counters {
        counter.count_vowels("Hello, World!").unwrap();
        let Json(count) = counter.count_vowels("aaa").unwrap();
        assert_eq!((count.count, count.total), (3, 6));
    }
}

// ------------------------------------------------------------------ a fake plug-in

/// A stand-in for the plug-in, for tests of code that depends on the trait.
#[derive(Default)]
struct FakeCounter {
    total: u64,
    calls: Vec<String>,
}

impl VowelCounter for FakeCounter {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error> {
        self.calls.push(text.to_string());
        let count = text.chars().filter(|c| "aeiouAEIOU".contains(*c)).count() as u64;
        self.total += count;
        Ok(Json(Count {
            count,
            total: self.total,
            vowels: "aeiouAEIOU".into(),
        }))
    }

    fn describe(&mut self) -> Result<String, Error> {
        Ok("a fake".into())
    }
}

#[test]
fn a_fake_implementation_stands_in_for_the_plugin() {
    let mut fake = FakeCounter::default();
    assert_eq!(totals(&mut fake, "Hello, World!", 3), [3, 6, 9]);
    assert_eq!(fake.calls.len(), 3);
    assert_eq!(fake.describe().unwrap(), "a fake");
    assert_eq!(fake.count_all(&["a", "e"]).unwrap(), [1, 1]);

    // The real plug-in, through the same function, gives the same totals.
    let mut real = VowelCounterPlugin::new(plugin("count_vowels.rust.wasm")).unwrap();
    assert_eq!(totals(&mut real, "Hello, World!", 3), [3, 6, 9]);
}

// ------------------------------------------------------------------ missing exports

/// count_vowels has `count_vowels` only.
#[allow(dead_code)] // Only checked, never called.
#[plugin_interface]
trait ResettableCounter {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
    #[export(name = "reset_total")]
    fn reset(&mut self) -> Result<(), Error>;
}

/// Two exports count_vowels does not have, and one optional.
#[allow(dead_code)] // Only checked, never called.
#[plugin_interface]
trait CounterWithHistory {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
    #[export(name = "reset_total")]
    fn reset(&mut self) -> Result<(), Error>;
    fn history(&mut self) -> Result<Json<Vec<u64>>, Error>;
    #[optional]
    fn describe(&mut self) -> Result<String, Error>;
}

/// `error`'s fields, when it is an `Error::Interface`.
fn interface_error(error: &Error) -> (&str, &str, &[String], &[MistypedExport]) {
    match error {
        Error::Interface {
            plugin,
            interface,
            missing,
            mistyped,
        } => (plugin, interface, missing, mistyped),
        other => panic!("expected Error::Interface, got {other:?}"),
    }
}

fn mistyped(name: &str, found: &str) -> MistypedExport {
    MistypedExport {
        name: name.into(),
        found: found.into(),
    }
}

#[test]
fn a_missing_export_fails_construction() {
    let error = ResettableCounterPlugin::new(plugin("count_vowels.rust.wasm"))
        .err()
        .expect("count_vowels has no `reset_total`");
    match &error {
        Error::Interface {
            plugin,
            interface,
            missing,
            mistyped,
        } => {
            assert_eq!(plugin, "count_vowels.rust.wasm");
            assert_eq!(interface, "ResettableCounter");
            assert_eq!(missing, &["reset_total"]);
            assert!(mistyped.is_empty(), "{mistyped:?}");
        }
        other => panic!("expected Error::Interface, got {other:?}"),
    }
    assert_eq!(error.plugin(), Some("count_vowels.rust.wasm"));
    assert_eq!(error.exit_code(), -1);
    assert_eq!(
        error.to_string(),
        "plug-in `count_vowels.rust.wasm`: does not implement `ResettableCounter`: \
         function `reset_total` not found"
    );
    // The compiled form is checked before anything is instantiated.
    let compiled = compile("count_vowels.rust.wasm");
    for result in [
        ResettableCounterPlugin::check(&compiled),
        ResettableCounterPlugin::from_compiled(&compiled).map(|_| ()),
    ] {
        match result {
            Err(Error::Interface { missing, .. }) => assert_eq!(missing, ["reset_total"]),
            other => panic!("expected Error::Interface, got {other:?}"),
        }
    }
}

#[test]
fn every_missing_export_is_listed() {
    let error = CounterWithHistoryPlugin::new(plugin("count_vowels.as.wasm"))
        .err()
        .expect("count_vowels has neither `reset_total` nor `history`");
    match &error {
        // In the trait's order; the optional `describe` is not required.
        Error::Interface {
            missing, mistyped, ..
        } => {
            assert_eq!(missing, &["reset_total", "history"]);
            assert!(mistyped.is_empty(), "{mistyped:?}");
        }
        other => panic!("expected Error::Interface, got {other:?}"),
    }
    assert_eq!(error.plugin(), Some("count_vowels.as.wasm"));
    assert_eq!(
        error.to_string(),
        "plug-in `count_vowels.as.wasm`: does not implement `CounterWithHistory`: \
         functions `reset_total`, `history` not found"
    );
}

/// with_params.wat exports `takes_param: (i32) -> i32`, `returns_i64: () -> i64` and a
/// memory named `memory`: none of them is an Extism function.
#[allow(dead_code)]
#[plugin_interface]
trait Mistyped {
    fn takes_param(&mut self) -> Result<(), Error>;
    #[optional]
    fn returns_i64(&mut self) -> Result<(), Error>;
    #[optional]
    fn memory(&mut self) -> Result<(), Error>;
    #[optional]
    fn absent(&mut self) -> Result<(), Error>;
}

#[allow(dead_code)]
#[plugin_interface]
trait OneMistyped {
    fn takes_param(&mut self) -> Result<(), Error>;
}

#[test]
fn mistyped_exports_are_listed_even_when_optional() {
    let compiled = compile("wat/with_params.wasm");
    let error = MistypedPlugin::check(&compiled).unwrap_err();
    let (plugin, interface, missing, found) = interface_error(&error);
    assert_eq!((plugin, interface), ("with_params.wasm", "Mistyped"));
    // `absent` is optional: not missing.
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(
        found,
        [
            mistyped("takes_param", "(func (i32) -> (i32))"),
            mistyped("returns_i64", "(func () -> (i64))"),
            mistyped("memory", "(memory 1)"),
        ]
    );
    assert_eq!(
        error.to_string(),
        "plug-in `with_params.wasm`: does not implement `Mistyped`: \
         function `takes_param` has type (func (i32) -> (i32)), expected `() -> i32` or `() -> ()`; \
         function `returns_i64` has type (func () -> (i64)), expected `() -> i32` or `() -> ()`; \
         function `memory` has type (memory 1), expected `() -> i32` or `() -> ()`"
    );

    let error = OneMistypedPlugin::check(&compiled).unwrap_err();
    let (_, interface, missing, found) = interface_error(&error);
    assert_eq!(interface, "OneMistyped");
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(found, [mistyped("takes_param", "(func (i32) -> (i32))")]);
    assert_eq!(
        error.to_string(),
        "plug-in `with_params.wasm`: does not implement `OneMistyped`: \
         function `takes_param` has type (func (i32) -> (i32)), expected `() -> i32` or `() -> ()`"
    );
}

/// Against with_params.wat: `takes_param` has another type, `count_vowels` and
/// `reset_total` are missing.
#[allow(dead_code)]
#[plugin_interface]
trait MissingAndMistyped {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
    fn takes_param(&mut self) -> Result<(), Error>;
    #[export(name = "reset_total")]
    fn reset(&mut self) -> Result<(), Error>;
}

#[test]
fn missing_and_mistyped_together() {
    let compiled = compile("wat/with_params.wasm");
    let error = MissingAndMistypedPlugin::from_compiled(&compiled)
        .err()
        .expect("with_params implements none of it");
    let (plugin, interface, missing, found) = interface_error(&error);
    assert_eq!(
        (plugin, interface),
        ("with_params.wasm", "MissingAndMistyped")
    );
    assert_eq!(missing, ["count_vowels", "reset_total"]);
    assert_eq!(found, [mistyped("takes_param", "(func (i32) -> (i32))")]);
    assert_eq!(
        error.to_string(),
        "plug-in `with_params.wasm`: does not implement `MissingAndMistyped`: \
         functions `count_vowels`, `reset_total` not found; \
         function `takes_param` has type (func (i32) -> (i32)), expected `() -> i32` or `() -> ()`"
    );

    // two_results.wat has no `count_vowels`; the optional `describe` is not required.
    let error = VowelCounterPlugin::check(&compile("wat/two_results.wasm")).unwrap_err();
    let (plugin, interface, missing, found) = interface_error(&error);
    assert_eq!((plugin, interface), ("two_results.wasm", "VowelCounter"));
    assert_eq!(missing, ["count_vowels"]);
    assert!(found.is_empty(), "{found:?}");
}

/// A method compiled out by `#[cfg]` leaves the check too.
#[allow(dead_code)]
#[plugin_interface]
trait WithCfg {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
    #[cfg(any())]
    fn absent(&mut self) -> Result<(), Error>;
}

#[test]
fn the_export_of_a_cfg_disabled_method_is_not_checked() {
    WithCfgPlugin::check(&compile("count_vowels.rust.wasm")).unwrap();
}

// ------------------------------------------------------------------ kitchen: JSON, text

#[derive(Serialize)]
pub struct Operands {
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct Sum {
    pub sum: i64,
}

/// Errors of an application that calls plug-ins: any type that converts from
/// `extism_host::Error` works as a method's error.
#[derive(Debug)]
pub enum AppError {
    Plugin(extism_host::Error),
}

impl From<extism_host::Error> for AppError {
    fn from(error: extism_host::Error) -> Self {
        AppError::Plugin(error)
    }
}

/// Part of the kitchen plug-in, typed.
#[plugin_interface]
pub trait Kitchen {
    /// `{"a","b"}` to `{"sum"}`, with the JSON wrappers written out.
    fn json_sum(&mut self, operands: Json<Operands>) -> Result<Json<Sum>, Error>;

    /// Always fails with "something went wrong".
    fn fail_err(&mut self) -> std::result::Result<(), extism_host::Error>;

    /// A non-ASCII string, decoded without a copy: it borrows the plug-in's output until
    /// the next call.
    fn utf8(&mut self) -> Result<&str, Error>;

    /// Bytes in, the same bytes out (through a var), borrowed.
    fn var_roundtrip(&mut self, bytes: &[u8]) -> Result<&[u8], AppError>;

    /// `key=value` sets a var; owned text out.
    fn var_write(&mut self, assignment: String) -> Result<String, AppError>;
}

/// The same export, with the JSON encoding chosen by `#[codec(json)]`: the method
/// takes and returns the plain structs.
#[plugin_interface]
trait Adder {
    #[export(name = "json_sum")]
    #[codec(json)]
    fn sum(&mut self, operands: Operands) -> extism_host::Result<Sum>;
}

#[test]
fn kitchen_json_sum_through_typed_structs() {
    let mut kitchen = KitchenPlugin::new(plugin("kitchen.rust.wasm")).unwrap();
    let Json(sum) = kitchen.json_sum(Json(Operands { a: 1, b: 2 })).unwrap();
    assert_eq!(sum, Sum { sum: 3 });

    let mut adder = AdderPlugin::new(kitchen.into_inner()).unwrap();
    assert_eq!(
        adder.sum(Operands { a: 40, b: 2 }).unwrap(),
        Sum { sum: 42 }
    );
    assert_eq!(adder.sum(Operands { a: -5, b: 5 }).unwrap(), Sum { sum: 0 });
}

#[test]
fn kitchen_errors_and_borrowed_outputs() {
    let mut kitchen = KitchenPlugin::from_compiled(&compile("kitchen.rust.wasm")).unwrap();
    match kitchen.fail_err() {
        Err(Error::Plugin { message, .. }) => assert_eq!(message, "something went wrong"),
        other => panic!("expected a plug-in error, got {other:?}"),
    }
    let text: &str = kitchen.utf8().unwrap();
    assert_eq!(text, "héllo wörld ✓");
    assert_eq!(
        kitchen.var_roundtrip(b"\x00\xffbytes").unwrap(),
        b"\x00\xffbytes"
    );
    assert_eq!(kitchen.var_write("k=v".into()).unwrap(), "ok");
    assert_eq!(kitchen.plugin().var("k"), Some(&b"v"[..]));
    kitchen.plugin_mut().clear_vars();
    assert_eq!(kitchen.plugin().var("k"), None);
}

#[test]
fn a_decoding_failure_is_a_codec_error_in_the_methods_error_type() {
    /// `utf8` outputs text, not JSON.
    #[plugin_interface]
    trait WrongType {
        #[codec(json)]
        fn utf8(&mut self) -> Result<HashMap<String, u32>, AppError>;
    }
    let mut wrong = WrongTypePlugin::new(plugin("kitchen.rust.wasm")).unwrap();
    match wrong.utf8() {
        Err(AppError::Plugin(Error::Codec { function, .. })) => assert_eq!(function, "utf8"),
        other => panic!("expected a codec error, got {other:?}"),
    }
}
