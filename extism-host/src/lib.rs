//! Run [Extism](https://extism.org) plug-ins from Rust, on wasmtime.
//!
//! Plug-ins built with the official Extism PDKs (Rust, AssemblyScript, C, Go,
//! JS, Zig, Haskell) run unmodified: this crate implements the
//! `extism:host/env` kernel ABI they import, the manifest format every Extism
//! SDK reads, host functions, WASI and the limits a host of untrusted code
//! needs.
//!
//! ```
//! use extism_host::{Manifest, Plugin, Wasm};
//!
//! // A plug-in is usually a file (`Wasm::file`) or a URL (`Wasm::url`); here
//! // it is WAT text, which is accepted wherever wasm is.
//! let wat = r#"(module
//!     (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
//!     (import "extism:host/env" "input_length" (func $input_length (result i64)))
//!     (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
//!     ;; The input is a kernel block too: make it the output.
//!     (func (export "reflect") (result i32)
//!         (call $output_set (call $input_offset) (call $input_length))
//!         (i32.const 0)))"#;
//! let manifest = Manifest::new([Wasm::data(wat)]).with_timeout(std::time::Duration::from_secs(1));
//! let mut plugin = Plugin::new(manifest, [], false)?;
//! for text in ["Hello", "World"] {
//!     let output = plugin.call_bytes("reflect", text.as_bytes())?;
//!     assert_eq!(output, text.as_bytes());
//! }
//! # Ok::<(), extism_host::Error>(())
//! ```
//!
//! The types, in the spirit of wasmtime's:
//!
//! * [`Engine`]: compiler settings and what every plug-in shares.
//! * [`Manifest`]: the plug-in's modules, config and limits (Extism JSON).
//! * [`PluginBuilder`]: everything else (host functions, WASI, logging, fuel).
//! * [`CompiledPlugin`]: compiled and linked once, instantiated many times.
//! * [`Plugin`]: one instance; [`Plugin::call_bytes`] calls an export.
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
#![warn(missing_docs)]

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
pub use error::{Error, HostError, MistypedExport, Result};
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
