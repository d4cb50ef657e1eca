//! The integration tests, as one binary: wasmtime is linked once, and the
//! tests of every file share the machine's cores in one run.

#[macro_use]
mod support;

mod async_calls;
mod call_stats;
mod calls;
mod context;
mod diagnostics;
mod errors;
mod filesystem;
mod golden;
mod host_fn_macro;
mod host_functions;
mod hostile;
mod http;
mod interruption;
mod kernel;
mod limits;
mod manifest;
mod observe;
mod plugin_interface;
mod pool;
mod regressions;
mod schema_interface;
mod wasm_url;
