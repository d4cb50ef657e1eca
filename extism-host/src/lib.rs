//! Run [Extism](https://extism.org) plug-ins from Rust, on wasmtime.
//!
//! Plug-ins built with the official Extism PDKs (Rust, AssemblyScript, C, Go,
//! JS, Zig, Haskell) run unmodified: this crate implements the
//! `extism:host/env` kernel ABI they import, the manifest format every Extism
//! SDK reads, host functions, WASI and the limits a host of untrusted code
//! needs.
//!
//! ```toml
//! [dependencies]
//! extism-host = "0.1"
//! ```
//!
//! # Loading and calling a plug-in
//!
//! A plug-in is usually a file ([`Wasm::file`]) or a URL ([`Wasm::url`]),
//! described by a [`Manifest`] with its limits and config. Here it is WAT
//! text, which is accepted wherever wasm is:
//!
//! ```
//! use extism_host::{Manifest, Plugin, Wasm};
//!
//! let wat = r#"(module
//!     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
//!     (import "extism:host/env" "input_length" (func $input_length (result i64)))
//!     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
//!     ;; The input is a kernel block too: make it the output.
//!     (func (export "reflect") (result i32)
//!         (call $output_set (call $input_offset) (call $input_length))
//!         (i32.const 0)))"#;
//! let manifest = Manifest::new([Wasm::data(wat)]).with_timeout(std::time::Duration::from_secs(1));
//! let mut plugin = Plugin::new(&manifest, [], false)?;
//! for text in ["Hello", "World"] {
//!     let output: &str = plugin.call("reflect", text)?;
//!     assert_eq!(output, text);
//! }
//! # Ok::<(), extism_host::Error>(())
//! ```
//!
//! # Host functions
//!
//! [`#[host_fn]`](host_fn) turns a Rust function into a [`HostFunction`]
//! with the PDKs' conventions: `&str`, `String`, byte slices, numbers and
//! [`codec::Json`] values travel as kernel blocks. It may return a plain
//! value or a `Result` whose error is a [`HostError`], any `std::error::Error`,
//! `anyhow::Error` or `Box<dyn Error + Send + Sync>`.
//!
//! ```
//! use extism_host::{host_fn, PluginBuilder};
//!
//! #[host_fn]
//! fn shout(text: &str) -> String {
//!     text.to_uppercase()
//! }
//!
//! let wat = r#"(module
//!     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
//!     (import "extism:host/env" "length" (func $length (param i64) (result i64)))
//!     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
//!     (import "extism:host/user" "shout" (func $shout (param i64) (result i64)))
//!     (func (export "run") (result i32) (local $out i64)
//!         (local.set $out (call $shout (call $input_offset)))
//!         (call $output_set (local.get $out) (call $length (local.get $out)))
//!         (i32.const 0)))"#;
//! let mut plugin = PluginBuilder::from_wasm(wat)
//!     .with_function(shout::host_function())
//!     .build()?;
//! assert_eq!(plugin.call::<_, &str>("run", "hello")?, "HELLO");
//! # Ok::<(), extism_host::Error>(())
//! ```
//!
//! # A typed interface
//!
//! [`#[plugin_interface]`](plugin_interface) turns a trait into a wrapper
//! whose methods call the plug-in's exports; every export is checked when the
//! wrapper is made, and a plug-in that lacks one is an [`Error::Interface`].
//!
//! ```
//! use extism_host::{plugin_interface, Error, PluginBuilder};
//!
//! #[plugin_interface]
//! trait Echo {
//!     fn reflect(&mut self, text: &str) -> Result<String, Error>;
//! }
//!
//! # let wat = r#"(module
//! #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
//! #     (import "extism:host/env" "input_length" (func $input_length (result i64)))
//! #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
//! #     (func (export "reflect") (result i32)
//! #         (call $output_set (call $input_offset) (call $input_length))
//! #         (i32.const 0)))"#;
//! // `wat` is the reflect plug-in of the first example.
//! let mut echo = EchoPlugin::new(PluginBuilder::from_wasm(wat).build()?)?;
//! assert_eq!(echo.reflect("hi")?, "hi");
//!
//! let empty = PluginBuilder::from_wasm("(module)").build()?;
//! assert!(matches!(EchoPlugin::new(empty), Err(Error::Interface { .. })));
//! # Ok::<(), Error>(())
//! ```
//!
//! # Many threads: compile once, pool instances
//!
//! A [`CompiledPlugin`] is compiled and linked once and instantiated cheaply;
//! a [`Pool`] hands its instances to threads and tasks, first come first
//! served:
//!
//! ```
//! use extism_host::{Pool, PluginBuilder};
//! use std::time::Duration;
//!
//! let compiled = PluginBuilder::from_wasm(r#"(module (func (export "noop")))"#).compile()?;
//! let pool = Pool::builder().with_max_instances(2).build(compiled);
//! std::thread::scope(|threads| {
//!     for _ in 0..4 {
//!         threads.spawn(|| pool.get(Duration::from_secs(5))?.call_bytes("noop", b"").map(drop));
//!     }
//! });
//! assert_eq!(pool.metrics().checkouts, 4);
//! # Ok::<(), extism_host::Error>(())
//! ```
//!
//! # Async
//!
//! A plug-in built with [`PluginBuilder::with_async`] is called with
//! [`Plugin::call_async`]; its host functions may be `async fn`s, and a long
//! call yields to the executor instead of blocking it:
//!
//! ```
//! use extism_host::{host_fn, PluginBuilder};
//!
//! #[host_fn]
//! async fn lookup(key: String) -> String {
//!     // e.g. a database query, awaited without holding the executor's thread
//!     format!("value of {key}")
//! }
//!
//! # let wat = r#"(module
//! #     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
//! #     (import "extism:host/env" "length" (func $length (param i64) (result i64)))
//! #     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
//! #     (import "extism:host/user" "lookup" (func $lookup (param i64) (result i64)))
//! #     (func (export "run") (result i32) (local $out i64)
//! #         (local.set $out (call $lookup (call $input_offset)))
//! #         (call $output_set (local.get $out) (call $length (local.get $out)))
//! #         (i32.const 0)))"#;
//! // `wat` calls `lookup` with its input and returns the answer.
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! runtime.block_on(async {
//!     let mut plugin = PluginBuilder::from_wasm(wat)
//!         .with_async(true)
//!         .with_function(lookup::host_function())
//!         .build_async()
//!         .await?;
//!     let answer: String = plugin.call_async("run", "color").await?;
//!     assert_eq!(answer, "value of color");
//!     Ok::<(), extism_host::Error>(())
//! })?;
//! # Ok::<(), extism_host::Error>(())
//! ```
//!
//! # The types
//!
//! In the spirit of wasmtime's:
//!
//! * [`Engine`] ([`EngineBuilder`]): compiler settings and what every plug-in shares.
//! * [`Manifest`] ([`Wasm`]): the plug-in's modules, config and limits (Extism JSON or TOML).
//! * [`PluginBuilder`]: everything else (host functions, WASI, logging, fuel).
//! * [`CompiledPlugin`]: compiled and linked once, instantiated many times.
//! * [`Plugin`]: one instance; [`Plugin::call`] and [`Plugin::call_bytes`] call an export.
//! * [`Pool`] ([`PoolBuilder`]): a bounded pool of instances for threads and tasks.
//! * [`PluginBuilder::inspect`], [`CompiledPlugin::imports`],
//!   [`CompiledPlugin::exports`]: what a plug-in imports and exports, and what
//!   this host gives each import.
//! * [`HostFunction`] and [`CurrentPlugin`]: Rust functions plug-ins import.
//! * [`CancelHandle`] and [`CallInterrupt`]: stopping a running call, and
//!   waiting in a host function so that the call's deadline and cancel reach it.
//! * [`Plugin::last_call`] ([`CallStats`]), [`Plugin::stats`] and
//!   [`Pool::stats`] ([`PluginStats`]): what calls did, also as `tracing`
//!   spans (target `extism_host`: `call`, `compile`, `instantiate`).
//! * [`observe`]: modules instrumented with the Observe SDK, their function
//!   trees as spans and [`observe::Trace`]s.
//! * [`Error`]: one error type; its message is one line, its causes are
//!   [`source`](std::error::Error::source)s, and [`Error::kind`] names the
//!   variant.
#![warn(missing_docs)]
// A build that leaves features out leaves helpers of theirs unused: the full
// build (the default, which CI lints) keeps every dead-code warning.
#![cfg_attr(
    not(all(feature = "async", feature = "http", feature = "wasi")),
    allow(dead_code, unused_imports, unused_variables)
)]

#[doc(hidden)]
pub mod __private;

// What a plug-in is made of and how it is built, in pipeline order: the
// ABI's names, the manifest and module sources, the build pipeline (shape
// check, compile through the module cache, link), the compiled plug-in and
// what reports on it, making an instance.
mod abi;
mod builder;
mod command;
mod compile;
mod compiled;
mod engine;
mod inspect;
mod instance;
mod late;
mod linker;
mod manifest;
mod module_cache;
mod module_shape;
mod source;
mod store;

// One call: its lifecycle, interruption and time, its outcome, the native
// stack it runs on, the text a plug-in hands back, and its figures.
mod blocking;
mod call;
mod dump;
mod interrupt;
mod outcome;
mod plugin;
mod plugin_text;
mod stack;
mod stats;
mod timer;

// What plug-ins import: the kernel, the services (config, vars, logs, HTTP),
// WASI, host functions and what they see, language runtime initialisation,
// and the Observe SDK's instrumentation.
mod context;
mod current_plugin;
mod env;
mod guest_runtime;
mod host_function;
mod http;
mod kernel;
mod limits;
mod log;
pub mod observe;
pub mod schema;
mod vars;
mod wasi;

// Many instances, typed use, and the one error type.
mod error;
mod interface;
mod pool;

pub use abi::USER_NAMESPACE;
pub use builder::PluginBuilder;
pub use compiled::CompiledPlugin;
pub use current_plugin::{CurrentPlugin, TakenState};
pub use engine::{Engine, EngineBuilder, PoolingAllocator};
pub use error::{BoxError, Error, HostError, MistypedExport, Result};
pub use host_function::{HostFunction, IntoHostFn, ValType, PTR};
pub use inspect::{ExportItem, ImportItem, ImportProvider, Inspection, ItemType};
pub use interrupt::{CallInterrupt, CancelHandle, Interruption};
pub use log::{LogLevel, Logger};
pub use manifest::{
    Manifest, MemoryOptions, Wasm, WasmMeta, WasmRequest, DEFAULT_MAX_HTTP_RESPONSE_BYTES,
    DEFAULT_MAX_VAR_BYTES,
};
pub use module_cache::ModuleCacheStats;
pub use plugin::Plugin;
pub use pool::{Pool, PoolBuilder, PoolMetrics, PooledPlugin};
pub use stats::{CallOutcome, CallStats, PluginStats};

/// Encodings of values that cross the boundary (the `extism-codec` crate).
pub use extism_codec as codec;

/// `#[host_fn] fn name(...)` or `#[host_fn] async fn name(...)`: `name::host_function()`
/// is then the [`HostFunction`] that calls it. An `async fn` is for plug-ins built with
/// [`PluginBuilder::with_async`] and called with [`Plugin::call_async`]; it awaits without
/// holding the executor's thread. The full reference follows this example.
///
/// ```
/// use std::time::Duration;
///
/// use extism_host::{host_fn, HostError};
///
/// struct Limits {
///     delay: Duration,
/// }
///
/// #[host_fn]
/// async fn slow_echo(#[state] limits: &Limits, text: String) -> Result<String, HostError> {
///     // e.g. tokio::time::sleep(limits.delay).await;
///     std::future::ready(()).await;
///     Ok(text)
/// }
///
/// assert!(slow_echo::host_function().is_async());
/// ```
pub use extism_macros::host_fn;
pub use extism_macros::plugin_interface;

/// The README's examples, compiled with this crate's doctests so that they
/// keep up with the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
