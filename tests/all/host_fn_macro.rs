//! `#[host_fn]` end to end: host functions written as plain Rust functions, called by
//! plug-ins built with the Rust PDK (whose `#[host_fn] extern "ExtismHost"` declarations
//! fix the wasm signatures) and by WAT modules (for `numbers = "wasm"`).
//!
//! * `count_vowels_kvstore.rust.wasm`: the kv store scenario (state lent with
//!   `with_state`, read through `&T`, written through `&mut T`).
//! * `host_fn_args.rust.wasm`: numbers of every wasm type, text, JSON, POD, a function
//!   without result, one without arguments, one that fails.
//! * `count_vowels_kvstore.rust.wasm` again, with `kv_read`/`kv_write` as `async fn`s that
//!   await a tokio timer, called with `call_async` on a current-thread runtime.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use extism_host::codec::{bytemuck, Codec, Decode, Encode, Json};
use extism_host::{
    host_fn, CurrentPlugin, Error, HostError, HostFunction, Manifest, Plugin, PluginBuilder,
};
use serde::{Deserialize, Serialize};

use crate::support::{host_fn_error, plugin_wasm};

// ------------------------------------------------------------------------- kv store

/// The host's store: the plug-in keeps its running total here.
#[derive(Debug, Default)]
struct KvStore {
    map: HashMap<String, Vec<u8>>,
}

/// A refused key.
#[derive(Debug)]
struct KvError(String);

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `{}` is reserved", self.0)
    }
}

impl std::error::Error for KvError {}

/// `kv_read(key) -> value`: the stored bytes, empty (offset 0) when absent.
#[host_fn]
fn kv_read(#[state] store: &KvStore, key: &str) -> Result<Vec<u8>, KvError> {
    if key.starts_with("reserved/") {
        return Err(KvError(key.to_string()));
    }
    Ok(store.map.get(key).cloned().unwrap_or_default())
}

/// `kv_write(key, value)`.
#[host_fn]
fn kv_write(#[state] store: &mut KvStore, key: &str, value: &[u8]) {
    store.map.insert(key.to_string(), value.to_vec());
}

#[derive(Deserialize)]
struct Report {
    count: u32,
    total: u32,
}

fn kv_plugin() -> Plugin {
    PluginBuilder::new(Manifest::new([plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_state(KvStore::default())
    .with_function(kv_read::host_function())
    .with_function(kv_write::host_function())
    .build()
    .expect("the kv plug-in links against the #[host_fn] functions")
}

#[test]
fn kv_store_totals_3_6_9() {
    let mut plugin = kv_plugin();
    let mut totals = Vec::new();
    for _ in 0..3 {
        let Json(report): Json<Report> = plugin.call("count_vowels", "Hello, World!").unwrap();
        assert_eq!(report.count, 3);
        totals.push(report.total);
    }
    assert_eq!(totals, [3, 6, 9]);
    let store = plugin.state::<KvStore>().expect("the store is still lent");
    assert_eq!(store.map["count-vowels"], 9u32.to_le_bytes());
    assert_eq!(store.map.len(), 1);
}

/// `kv_read` and `kv_write` written by hand with `HostFunction::wrap`: the same code as
/// what `#[host_fn]` generates (`extism-macros/tests/expand/host_fn/state_and_result.rs`
/// and `mut_state_unit.rs`), so both cost the same per call; only the spelling differs.
fn kv_by_hand() -> [HostFunction; 2] {
    let read = HostFunction::wrap(
        "kv_read",
        |plugin: &mut CurrentPlugin<'_>, key: u64| -> Result<u64, HostError> {
            plugin.borrow_state(|plugin, store: &mut KvStore| -> Result<u64, HostError> {
                let key = <&str as Decode>::decode(plugin.read_bytes(key)?)?;
                let result = kv_read(&*store, key)?;
                plugin.write_bytes(&<Vec<u8> as Encode>::encode(&result)?)
            })?
        },
    );
    let write = HostFunction::wrap(
        "kv_write",
        |plugin: &mut CurrentPlugin<'_>, key: u64, value: u64| -> Result<(), HostError> {
            plugin.borrow_state(|plugin, store: &mut KvStore| -> Result<(), HostError> {
                let key = <&str as Decode>::decode(plugin.read_bytes(key)?)?;
                let value = <&[u8] as Decode>::decode(plugin.read_bytes(value)?)?;
                kv_write(&mut *store, key, value);
                Ok(())
            })?
        },
    );
    [read, write]
}

#[test]
fn hand_written_wrap_behaves_the_same() {
    let mut plugin = PluginBuilder::new(Manifest::new([plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_state(KvStore::default())
    .with_functions(kv_by_hand())
    .build()
    .unwrap();
    let mut totals = Vec::new();
    for _ in 0..3 {
        let Json(report): Json<Report> = plugin.call("count_vowels", "Hello, World!").unwrap();
        totals.push(report.total);
    }
    assert_eq!(totals, [3, 6, 9]);
    assert_eq!(
        plugin.state::<KvStore>().unwrap().map["count-vowels"],
        9u32.to_le_bytes()
    );
}

/// The `echo` host function of `reflect.rust.wasm`'s `host_roundtrip`.
#[host_fn]
fn echo(data: &[u8]) -> Vec<u8> {
    data.to_vec()
}

#[test]
fn reflect_round_trips_through_echo() {
    let mut plugin = PluginBuilder::new(Manifest::new([plugin_wasm("reflect.rust.wasm")]))
        .with_function(echo::host_function())
        .build()
        .unwrap();
    let output: String = plugin.call("host_roundtrip", "100").unwrap();
    assert_eq!(output, "100");
}

#[test]
fn host_fns_are_plain_functions_too() {
    let mut store = KvStore::default();
    kv_write(&mut store, "k", b"v");
    assert_eq!(kv_read(&store, "k").unwrap(), b"v");
    assert!(kv_read(&store, "reserved/x").is_err());
    assert_eq!(kv_read::host_function().name(), "kv_read");
    assert_eq!(kv_read::host_function().namespace(), "extism:host/user");
}

#[test]
fn missing_state_names_the_type_and_the_function() {
    let mut plugin = PluginBuilder::new(Manifest::new([plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_name("kv")
    .with_function(kv_read::host_function())
    .with_function(kv_write::host_function())
    .build()
    .unwrap();
    let error = plugin.call_bytes("count_vowels", b"aaa").unwrap_err();
    let [_, _, host_function, message] = host_fn_error(&error);
    assert_eq!(host_function, "extism:host/user::kv_read");
    assert!(
        message.contains("no state of type `all::host_fn_macro::KvStore`"),
        "{message}"
    );
    assert!(
        crate::support::report(&error)
            .starts_with("plug-in `kv`: function `count_vowels`: host function `extism:host/user::kv_read` failed: no state of type `all::host_fn_macro::KvStore`"),
        "{error}"
    );
    // Lending the state afterwards makes the next call work.
    plugin.set_state(KvStore::default());
    plugin.call_bytes("count_vowels", b"aaa").unwrap();
}

// ------------------------------------------------- numbers, text, JSON, POD, errors

#[host_fn]
fn add_i32(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

#[host_fn]
fn mul_i64(a: i64, b: i64) -> i64 {
    a.wrapping_mul(b)
}

#[host_fn]
fn max_u32(a: u32, b: u32) -> u32 {
    a.max(b)
}

#[host_fn]
fn sum_u64(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[host_fn]
fn half_f32(x: f32) -> f32 {
    x / 2.0
}

#[host_fn]
fn hypot_f64(a: f64, b: f64) -> f64 {
    a.hypot(b)
}

/// Text in, text out, with the calling plug-in read through `&CurrentPlugin`.
#[host_fn]
fn greet(plugin: &CurrentPlugin<'_>, name: &str) -> String {
    format!(
        "Hello, {name}, from the host of `{}`!",
        plugin.plugin_name()
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

/// JSON arguments, taken apart by the parameters' patterns.
#[host_fn]
fn translate(Json(point): Json<Point>, Json(by): Json<Point>) -> Json<Point> {
    Json(Point {
        x: point.x + by.x,
        y: point.y + by.y,
    })
}

/// A POD value: the bytes of a `#[repr(C)]` struct.
#[derive(Debug, Clone, Copy, PartialEq, Codec)]
#[codec(pod)]
#[repr(C)]
struct Vertex {
    pos: [f32; 3],
    id: u32,
}

// SAFETY: `[f32; 3]` and `u32` are `Pod`, and `#[repr(C)]` leaves no padding (16 bytes).
unsafe impl bytemuck::Zeroable for Vertex {}
// SAFETY: as above.
unsafe impl bytemuck::Pod for Vertex {}

#[host_fn]
fn scale_vertex(vertex: Vertex, factor: f32) -> Vertex {
    Vertex {
        pos: vertex.pos.map(|c| c * factor),
        id: vertex.id + 1,
    }
}

/// What `record` received, lent as state.
#[derive(Debug, Default)]
struct Events(Vec<String>);

/// No result; writes a var through `&mut CurrentPlugin` while holding a state and an
/// argument decoded from the plug-in's memory.
#[host_fn]
fn record(
    plugin: &mut CurrentPlugin<'_>,
    #[state] events: &mut Events,
    event: &str,
) -> Result<(), HostError> {
    events.0.push(event.to_string());
    plugin.set_var("last_event", event.as_bytes())
}

/// Fails with an error that has a source.
#[host_fn]
fn fail(message: String) -> Result<String, HostError> {
    if message == "ok" {
        return Ok("fine".into());
    }
    let cause = std::io::Error::other(message);
    Err(HostError::from(Wrapped(cause)))
}

#[derive(Debug)]
struct Wrapped(std::io::Error);

impl fmt::Display for Wrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the host refused")
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[derive(Debug, Default)]
struct Counter(u64);

/// No arguments; a number result in a block.
#[host_fn(name = "next_id")]
fn next_identifier(#[state] counter: &mut Counter) -> u64 {
    counter.0 += 1;
    counter.0
}

fn args_plugin() -> Plugin {
    PluginBuilder::new(Manifest::new([plugin_wasm("host_fn_args.rust.wasm")]))
        .with_name("args")
        .with_state(Events::default())
        .with_state(Counter(41))
        .with_function(add_i32::host_function())
        .with_function(mul_i64::host_function())
        .with_function(max_u32::host_function())
        .with_function(sum_u64::host_function())
        .with_function(half_f32::host_function())
        .with_function(hypot_f64::host_function())
        .with_function(greet::host_function())
        .with_function(translate::host_function())
        .with_function(scale_vertex::host_function())
        .with_function(record::host_function())
        .with_function(fail::host_function())
        .with_function(next_identifier::host_function())
        .build()
        .expect("every PDK import matches the signature #[host_fn] generates")
}

#[derive(Debug, PartialEq, Deserialize)]
struct NumberResults {
    add_i32: i32,
    mul_i64: i64,
    max_u32: u32,
    sum_u64: u64,
    half_f32: f32,
    hypot_f64: f64,
}

#[test]
fn numbers_of_every_wasm_type() {
    let mut plugin = args_plugin();
    let input = serde_json::json!({
        "a": i32::MAX, "b": 1,
        "x": -3_000_000_000i64, "y": 3,
        "u": 7, "v": u32::MAX,
        "p": u64::MAX - 1, "q": 1,
        "f": 5.0, "g": 3.0, "h": 4.0,
    });
    let Json(results): Json<NumberResults> = plugin.call("numbers", Json(input)).unwrap();
    assert_eq!(
        results,
        NumberResults {
            add_i32: i32::MIN,
            mul_i64: -9_000_000_000,
            max_u32: u32::MAX,
            sum_u64: u64::MAX,
            half_f32: 2.5,
            hypot_f64: 5.0,
        }
    );
}

#[test]
fn strings_with_the_current_plugin() {
    let mut plugin = args_plugin();
    let output: String = plugin.call("strings", "Ada").unwrap();
    assert_eq!(output, "Hello, Ada, from the host of `args`!");
    // Empty text is offset 0 on the way in.
    let output: String = plugin.call("strings", "").unwrap();
    assert_eq!(output, "Hello, , from the host of `args`!");
}

#[test]
fn json_arguments_and_result() {
    let mut plugin = args_plugin();
    let input = serde_json::json!({"point": {"x": 1, "y": 2}, "by": {"x": 10, "y": -20}});
    let Json(point): Json<Point> = plugin.call("json", Json(input)).unwrap();
    assert_eq!(point, Point { x: 11, y: -18 });
}

#[test]
fn pod_argument_and_result() {
    let mut plugin = args_plugin();
    let input = serde_json::json!({"pos": [1.0, -2.0, 0.5], "id": 7, "factor": 2.0});
    let Json(vertex): Json<serde_json::Value> = plugin.call("pod", Json(input)).unwrap();
    assert_eq!(
        vertex,
        serde_json::json!({"pos": [2.0, -4.0, 1.0], "id": 8})
    );
}

#[test]
fn unit_result_state_and_mut_plugin() {
    let mut plugin = args_plugin();
    for event in ["started", "stopped"] {
        let output = plugin.call_bytes("record_event", event.as_bytes()).unwrap();
        assert_eq!(output, b"");
    }
    assert_eq!(plugin.state::<Events>().unwrap().0, ["started", "stopped"]);
    assert_eq!(plugin.var("last_event"), Some(&b"stopped"[..]));
}

#[test]
fn no_arguments_and_a_renamed_import() {
    let mut plugin = args_plugin();
    let ids: String = plugin.call("next_ids", "3").unwrap();
    assert_eq!(ids, "42,43,44");
    assert_eq!(plugin.state::<Counter>().unwrap().0, 44);
}

#[test]
fn an_err_fails_the_call_and_the_next_call_works() {
    let mut plugin = args_plugin();
    let error = plugin.call_bytes("fail_with", b"disk full").unwrap_err();
    let [name, function, host_function, message] = host_fn_error(&error);
    assert_eq!(name, "args");
    assert_eq!(function, "fail_with");
    assert_eq!(host_function, "extism:host/user::fail");
    assert_eq!(message, "the host refused: disk full");
    assert_eq!(
        error.to_string(),
        "plug-in `args`: function `fail_with`: host function `extism:host/user::fail` failed"
    );
    // The host function's error is the source, downcastable to its type.
    let source = std::error::Error::source(&error).expect("the host function's error");
    assert_eq!(
        crate::support::report(source),
        "the host refused: disk full"
    );

    let output: String = plugin.call("fail_with", "ok").unwrap();
    assert_eq!(output, "fine");
    let output: String = plugin.call("strings", "again").unwrap();
    assert_eq!(output, "Hello, again, from the host of `args`!");
}

#[test]
fn an_argument_that_does_not_decode_fails_the_call() {
    // `hypot_f64` takes 8-byte blocks; a WAT plug-in passes 3 bytes.
    let wat = r#"(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/user" "hypot_f64" (func $hypot (param i64 i64) (result i64)))
        (func (export "run") (result i32)
            (drop (call $hypot (call $alloc (i64.const 3)) (call $alloc (i64.const 8))))
            (i32.const 0)))"#;
    let mut plugin = PluginBuilder::from_wasm(wat)
        .with_function(hypot_f64::host_function())
        .build()
        .unwrap();
    let error = plugin.call_bytes("run", b"").unwrap_err();
    let Error::HostFunction { message, .. } = &error else {
        panic!("expected a host-function error, got {error:?}");
    };
    assert!(
        message.contains("expected exactly 8 bytes for `f64`, found 3 bytes"),
        "{message}"
    );
}

// ------------------------------------------------------------- numbers = "wasm"

/// Numbers as wasm values, mixed with a block argument and a state.
#[host_fn(numbers = "wasm", namespace = "math")]
fn scale(#[state] factor: &Factor, x: f64, times: u32, label: &str) -> Result<f64, HostError> {
    if label.is_empty() {
        return Err(HostError::msg("empty label"));
    }
    Ok(x * factor.0 * f64::from(times))
}

struct Factor(f64);

#[host_fn(numbers = "wasm", name = "add")]
fn add_wasm(a: i32, b: i64) -> i64 {
    i64::from(a) + b
}

/// Writes the i64 that `body` leaves on the stack as the output (8 bytes, little-endian).
fn wasm_numbers_plugin(body: &str) -> Plugin {
    let wat = format!(
        r#"(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
        (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (import "math" "scale" (func $scale (param f64 i32 i64) (result f64)))
        (import "extism:host/user" "add" (func $add (param i32 i64) (result i64)))
        (func $label (result i64) (local $o i64)
            (local.set $o (call $alloc (i64.const 1)))
            (call $store_u8 (local.get $o) (i32.const 120))
            (local.get $o))
        (func (export "run") (result i32) (local $out i64)
            (local.set $out (call $alloc (i64.const 8)))
            (call $store_u64 (local.get $out) {body})
            (call $output_set (local.get $out) (i64.const 8))
            (i32.const 0)))"#
    );
    PluginBuilder::from_wasm(wat)
        .with_state(Factor(1.5))
        .with_function(scale::host_function())
        .with_function(add_wasm::host_function())
        .build()
        .expect("the imports match the signatures of numbers = \"wasm\"")
}

#[test]
fn numbers_as_wasm_values() {
    let mut plugin = wasm_numbers_plugin("(call $add (i32.const -2) (i64.const 5000000000))");
    let sum: i64 = plugin.call("run", "").unwrap();
    assert_eq!(sum, 4_999_999_998);

    let mut plugin = wasm_numbers_plugin(
        "(i64.reinterpret_f64 (call $scale (f64.const 2) (i32.const 3) (call $label)))",
    );
    let bits: u64 = plugin.call("run", "").unwrap();
    assert_eq!(f64::from_bits(bits), 9.0);
}

#[test]
fn numbers_as_wasm_values_err() {
    let mut plugin = wasm_numbers_plugin(
        "(i64.reinterpret_f64 (call $scale (f64.const 2) (i32.const 3) (i64.const 0)))",
    );
    let error = plugin.call_bytes("run", b"").unwrap_err();
    let [_, _, host_function, message] = host_fn_error(&error);
    assert_eq!(host_function, "math::scale");
    assert_eq!(message, "empty label");
}

#[test]
fn a_mismatched_import_is_a_link_error() {
    // The PDK convention would import `add` as (i64, i64) -> i64.
    let wat = r#"(module
        (import "extism:host/user" "add" (func (param i64 i64) (result i64))))"#;
    let error = PluginBuilder::from_wasm(wat)
        .with_function(add_wasm::host_function())
        .build()
        .expect_err("the import does not match");
    assert!(matches!(error, Error::Link { .. }), "{error:?}");
}

// ------------------------------------------------------------------ borrowed results

struct Prefix(String);

/// Named lifetimes, and a result that may borrow from the state or the argument.
#[host_fn]
fn tag<'a>(#[state] prefix: &'a Prefix, text: &'a str) -> Cow<'a, str> {
    match text.strip_prefix(prefix.0.as_str()) {
        Some(_) => Cow::Borrowed(text),
        None => Cow::Owned(format!("{}{text}", prefix.0)),
    }
}

/// Returns a borrow of its argument.
#[host_fn]
fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or_default()
}

/// A WAT plug-in whose `run` passes its input to `extism:host/user::<name>` and outputs
/// the block it gets back.
fn text_plugin(name: &str) -> PluginBuilder {
    let wat = format!(
        r#"(module
        {imports}
        (import "extism:host/user" "{name}" (func $f (param i64) (result i64)))
        (func (export "run") (result i32) (local $n i64) (local $i i64) (local $in i64) (local $out i64)
            (local.set $n (call $input_length))
            (local.set $in (call $alloc (local.get $n)))
            (block $done (loop $copy
                (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
                (call $store_u8 (i64.add (local.get $in) (local.get $i))
                    (call $input_load_u8 (local.get $i)))
                (local.set $i (i64.add (local.get $i) (i64.const 1)))
                (br $copy)))
            (local.set $out (call $f (local.get $in)))
            (call $output_set (local.get $out) (call $length (local.get $out)))
            (i32.const 0)))"#,
        imports = kernel_imports!(),
    );
    PluginBuilder::from_wasm(wat)
}

#[test]
fn results_that_borrow() {
    let mut plugin = text_plugin("tag")
        .with_state(Prefix("#".into()))
        .with_function(tag::host_function())
        .build()
        .unwrap();
    let output: String = plugin.call("run", "tagged").unwrap();
    assert_eq!(output, "#tagged");
    let output: String = plugin.call("run", "#already").unwrap();
    assert_eq!(output, "#already");

    let mut plugin = text_plugin("first_word")
        .with_function(first_word::host_function())
        .build()
        .unwrap();
    let output: String = plugin.call("run", "hello wasm world").unwrap();
    assert_eq!(output, "hello");
}

// --------------------------------------------------------------------------- async

/// How the kv backend answers the next `kv_read`.
#[derive(Debug, Default, PartialEq)]
enum Backend {
    #[default]
    Up,
    /// Fails once.
    Down,
    /// Never answers.
    Hung,
}

#[derive(Debug)]
struct Unavailable;

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the kv backend is unavailable")
    }
}

impl std::error::Error for Unavailable {}

/// `kv_read` as an `async fn` that awaits its backend (a timer): an owned argument, a
/// state read across `.await` and a second one written.
#[host_fn(name = "kv_read")]
async fn kv_read_async(
    #[state] store: &KvStore,
    #[state] backend: &mut Backend,
    key: String,
) -> Result<Vec<u8>, Unavailable> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    match std::mem::take(backend) {
        Backend::Up => Ok(store.map.get(&key).cloned().unwrap_or_default()),
        Backend::Down => Err(Unavailable),
        Backend::Hung => std::future::pending().await,
    }
}

/// `kv_write` as an `async fn`: borrowed arguments held across `.await` (decoded from
/// copies, since it also takes `&mut CurrentPlugin`).
#[host_fn(name = "kv_write")]
async fn kv_write_async(
    plugin: &mut CurrentPlugin<'_>,
    #[state] store: &mut KvStore,
    key: &str,
    value: &[u8],
) -> Result<(), HostError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    store.map.insert(key.to_string(), value.to_vec());
    plugin.set_var("last_write", key.as_bytes())
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

/// The kv plug-in with async host functions, built for async use.
async fn async_kv_plugin(read: HostFunction) -> Plugin {
    PluginBuilder::new(Manifest::new([plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_name("kv")
    .with_async(true)
    .with_state(KvStore::default())
    .with_state(Backend::Up)
    .with_function(read)
    .with_function(kv_write_async::host_function())
    .build_async()
    .await
    .expect("the kv plug-in links against the async #[host_fn] functions")
}

async fn count_vowels_total(plugin: &mut Plugin) -> Result<u32, Error> {
    let Json(report): Json<Report> = plugin.call_async("count_vowels", "Hello, World!").await?;
    assert_eq!(report.count, 3);
    Ok(report.total)
}

#[test]
fn async_kv_store_totals_3_6_9() {
    current_thread_runtime().block_on(async {
        let mut plugin = async_kv_plugin(kv_read_async::host_function()).await;
        let mut totals = Vec::new();
        for _ in 0..3 {
            totals.push(count_vowels_total(&mut plugin).await.unwrap());
        }
        assert_eq!(totals, [3, 6, 9]);
        let store = plugin.state::<KvStore>().expect("the store is given back");
        assert_eq!(store.map["count-vowels"], 9u32.to_le_bytes());
        assert_eq!(plugin.state::<Backend>(), Some(&Backend::Up));
        assert_eq!(plugin.var("last_write"), Some(&b"count-vowels"[..]));
    });
}

#[test]
fn an_async_err_fails_the_call_and_the_next_call_works() {
    current_thread_runtime().block_on(async {
        let mut plugin = async_kv_plugin(kv_read_async::host_function()).await;
        assert_eq!(count_vowels_total(&mut plugin).await.unwrap(), 3);
        *plugin.state_mut::<Backend>().unwrap() = Backend::Down;
        let error = count_vowels_total(&mut plugin).await.unwrap_err();
        let [name, function, host_function, message] = host_fn_error(&error);
        assert_eq!(name, "kv");
        assert_eq!(function, "count_vowels");
        assert_eq!(host_function, "extism:host/user::kv_read");
        assert_eq!(message, "the kv backend is unavailable");
        // The states were given back: the next call reads and writes the store.
        assert_eq!(count_vowels_total(&mut plugin).await.unwrap(), 6);
        assert_eq!(plugin.state::<Backend>(), Some(&Backend::Up));
    });
}

/// How often another task ran, and how far it got while each `kv_read` awaited.
struct Ticks {
    count: Arc<AtomicU64>,
    while_awaiting: Vec<u64>,
}

#[host_fn(name = "kv_read")]
async fn kv_read_watching(
    #[state] store: &KvStore,
    #[state] ticks: &mut Ticks,
    key: &str,
) -> Vec<u8> {
    let before = ticks.count.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let after = ticks.count.load(Ordering::Relaxed);
    ticks.while_awaiting.push(after - before);
    store.map.get(key).cloned().unwrap_or_default()
}

#[test]
fn an_awaiting_host_fn_leaves_the_thread_to_other_tasks() {
    current_thread_runtime().block_on(async {
        let count = Arc::new(AtomicU64::new(0));
        let mut plugin = PluginBuilder::new(Manifest::new([plugin_wasm(
            "count_vowels_kvstore.rust.wasm",
        )]))
        .with_async(true)
        .with_state(KvStore::default())
        .with_state(Ticks {
            count: count.clone(),
            while_awaiting: Vec::new(),
        })
        .with_function(kv_read_watching::host_function())
        .with_function(kv_write_async::host_function())
        .build_async()
        .await
        .unwrap();
        // Shares the runtime's only thread with the plug-in: it ticks only while the
        // plug-in's call is pending.
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                count.fetch_add(1, Ordering::Relaxed);
            }
        });
        let mut totals = Vec::new();
        for _ in 0..3 {
            totals.push(count_vowels_total(&mut plugin).await.unwrap());
        }
        ticker.abort();
        assert_eq!(totals, [3, 6, 9]);
        let while_awaiting = &plugin.state::<Ticks>().unwrap().while_awaiting;
        assert_eq!(while_awaiting.len(), 3);
        assert!(
            while_awaiting.iter().all(|&ticks| ticks > 0),
            "another task must run while kv_read awaits: {while_awaiting:?}"
        );
    });
}

#[test]
fn a_dropped_call_gives_the_states_back() {
    current_thread_runtime().block_on(async {
        let mut plugin = async_kv_plugin(kv_read_async::host_function()).await;
        *plugin.state_mut::<Backend>().unwrap() = Backend::Hung;
        let call = count_vowels_total(&mut plugin);
        tokio::time::timeout(Duration::from_millis(50), call)
            .await
            .expect_err("kv_read never answers");
        // The call's future was dropped while `kv_read` awaited, holding both states.
        assert!(plugin.state::<KvStore>().is_some());
        assert_eq!(plugin.state::<Backend>(), Some(&Backend::Up));
        assert_eq!(count_vowels_total(&mut plugin).await.unwrap(), 3);
    });
}

#[test]
fn an_async_host_fn_needs_an_async_plugin() {
    let read = kv_read_async::host_function();
    assert!(read.is_async());
    assert!(!kv_read::host_function().is_async());
    let error = PluginBuilder::new(Manifest::new([plugin_wasm(
        "count_vowels_kvstore.rust.wasm",
    )]))
    .with_name("kv")
    .with_state(KvStore::default())
    .with_function(read)
    .with_function(kv_write_async::host_function())
    .build()
    .expect_err("a plug-in built without with_async cannot take async host functions");
    assert_eq!(
        error.to_string(),
        "plug-in `kv`: host function `extism:host/user::kv_read` is async: build the plug-in \
         with PluginBuilder::with_async(true)"
    );
}

#[test]
fn async_host_fns_are_plain_async_fns_too() {
    current_thread_runtime().block_on(async {
        let mut store = KvStore::default();
        store.map.insert("k".into(), b"v".to_vec());
        let mut backend = Backend::Down;
        assert!(kv_read_async(&store, &mut backend, "k".into())
            .await
            .is_err());
        assert_eq!(
            kv_read_async(&store, &mut backend, "k".into())
                .await
                .unwrap(),
            b"v"
        );
    });
}

// ------------------------------------------------------------------------- hygiene

/// The generated code names everything by absolute path: a module that shadows the names
/// it could use, and imports nothing, still compiles.
mod hygiene {
    #![allow(dead_code, non_camel_case_types)]

    struct Result;
    struct Ok;
    struct HostError;
    struct HostFunction;
    struct CurrentPlugin;
    struct u64;
    struct Box;
    trait Decode {}
    trait Encode {}
    mod core {}
    mod std {}
    mod extism_host {}

    #[::extism_host::host_fn]
    pub fn shadowed(
        plugin: &mut ::extism_host::CurrentPlugin<'_>,
        #[state] count: &mut ::core::primitive::u32,
        text: &::core::primitive::str,
    ) -> ::core::result::Result<::std::string::String, ::extism_host::HostError> {
        *count += 1;
        plugin.set_var("shadowed", text.as_bytes())?;
        ::core::result::Result::Ok(::std::format!("{text} #{count}"))
    }

    #[::extism_host::host_fn(name = "shadowed")]
    pub async fn shadowed_async(
        plugin: &mut ::extism_host::CurrentPlugin<'_>,
        #[state] count: &mut ::core::primitive::u32,
        text: &::core::primitive::str,
    ) -> ::core::result::Result<::std::string::String, ::extism_host::HostError> {
        ::std::future::ready(()).await;
        *count += 1;
        plugin.set_var("shadowed", text.as_bytes())?;
        ::core::result::Result::Ok(::std::format!("{text} #{count} (async)"))
    }

    /// No arguments and no result: the generated closure uses nothing it is given.
    #[::extism_host::host_fn]
    pub async fn nothing() {}

    #[::extism_host::host_fn(numbers = "wasm")]
    pub fn shadowed_numbers(
        a: ::core::primitive::u64,
        b: ::core::primitive::i32,
    ) -> ::core::primitive::u64 {
        a + b as ::core::primitive::u64
    }
}

#[test]
fn generated_code_ignores_user_names() {
    let wat = r#"(module
        (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
        (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
        (import "extism:host/env" "length" (func $length (param i64) (result i64)))
        (import "extism:host/user" "shadowed" (func $shadowed (param i64) (result i64)))
        (import "extism:host/user" "shadowed_numbers" (func $numbers (param i64 i32) (result i64)))
        (func (export "run") (result i32) (local $text i64) (local $out i64)
            (local.set $text (call $alloc (i64.const 1)))
            (call $store_u8 (local.get $text) (i32.const 120))
            (local.set $out (call $shadowed (local.get $text)))
            (call $output_set (local.get $out) (call $length (local.get $out)))
            (i32.sub (i32.wrap_i64 (call $numbers (i64.const 40) (i32.const 2))) (i32.const 42))))"#;
    let mut plugin = PluginBuilder::from_wasm(wat)
        .with_state(0u32)
        .with_function(hygiene::shadowed::host_function())
        .with_function(hygiene::shadowed_numbers::host_function())
        .build()
        .unwrap();
    let output: String = plugin.call("run", "").unwrap();
    assert_eq!(output, "x #1");
    assert_eq!(plugin.var("shadowed"), Some(&b"x"[..]));
}

#[test]
fn generated_async_code_ignores_user_names() {
    current_thread_runtime().block_on(async {
        let mut plugin = text_plugin("shadowed")
            .with_async(true)
            .with_state(0u32)
            .with_function(hygiene::shadowed_async::host_function())
            .with_function(hygiene::nothing::host_function())
            .build_async()
            .await
            .unwrap();
        let output: String = plugin.call_async("run", "x").await.unwrap();
        assert_eq!(output, "x #1 (async)");
        assert_eq!(plugin.var("shadowed"), Some(&b"x"[..]));
    });
}

/// A `#[host_fn]` returning `Err(HostError::guest(..))` gives the plug-in an
/// error instead of trapping it.
#[test]
fn host_fn_errors_can_go_to_the_guest() {
    #[host_fn]
    fn lookup(key: &str) -> Result<String, HostError> {
        if key.is_empty() {
            return Err(HostError::guest("empty key"));
        }
        Ok(key.to_uppercase())
    }
    let mut plugin = PluginBuilder::from_wasm(crate::host_functions::GUEST_ERROR_WAT)
        .with_function(lookup::host_function())
        .build()
        .expect("loads");
    // `run` passes offset 0: an empty key.
    assert_eq!(
        plugin.call_bytes("run", b"").expect("handled"),
        b"empty key"
    );
}
