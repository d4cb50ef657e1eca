//! The one error type of this crate.

use std::fmt;

/// What can go wrong while loading or calling a plug-in.
///
/// Every variant that happens inside a plug-in names the plug-in (see
/// [`PluginBuilder::with_name`](crate::PluginBuilder::with_name)) and, for
/// calls, the exported function. [`Error::exit_code`] gives the exit code the
/// reference runtime reports for the same outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifest is malformed or inconsistent.
    #[error("invalid manifest: {0}")]
    Manifest(String),

    /// A manifest file could not be read ([`Manifest::from_path`](crate::Manifest::from_path)).
    #[error("cannot read manifest file `{}`", path.display())]
    ManifestFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// A wasm module named by the manifest could not be read or fetched.
    ///
    /// The I/O or HTTP error behind it, when there is one, is the
    /// [`source`](std::error::Error::source): a missing file's
    /// [`std::io::Error`] keeps its [`kind`](std::io::Error::kind).
    ///
    /// ```
    /// use extism_host::{Error, Manifest, Plugin, Wasm};
    /// use std::error::Error as _;
    ///
    /// let manifest = Manifest::new([Wasm::file("no/such/plugin.wasm")]);
    /// let error = Plugin::new(&manifest, [], false).unwrap_err();
    /// assert!(matches!(error, Error::WasmSource { .. }));
    /// let io = error.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    /// ```
    #[error("cannot load wasm module `{module}` from {source_name}: {cause}")]
    WasmSource {
        /// The module's name in the manifest.
        module: String,
        /// Where it was to come from (a path or a URL).
        source_name: String,
        /// What failed, in words (`cannot open it`, `it is not a regular file`...).
        cause: String,
        /// The I/O or HTTP error, when one is behind it.
        #[source]
        source: Option<BoxError>,
    },

    /// A module's bytes do not have the SHA-256 the manifest expects.
    #[error("hash mismatch for wasm module `{module}`: expected {expected}, found {found}")]
    HashMismatch {
        /// The module's name in the manifest.
        module: String,
        /// The hash written in the manifest.
        expected: String,
        /// The hash of the bytes that were loaded.
        found: String,
    },

    /// A module is not valid WebAssembly or could not be compiled.
    #[error("plug-in `{plugin}`: module `{module}` does not compile: {cause}")]
    Compile {
        /// The plug-in's name.
        plugin: String,
        /// The module's name in the manifest.
        module: String,
        /// wasmtime's reason.
        cause: String,
    },

    /// A module declares more of something that lives in host memory
    /// outside `max_pages` (globals) than this host allows.
    #[error("plug-in `{plugin}`: module `{module}` declares {found} {what}, more than the {max} allowed")]
    ModuleLimit {
        /// The plug-in's name.
        plugin: String,
        /// The module's name in the manifest.
        module: String,
        /// What it declares too many of, e.g. `globals`.
        what: &'static str,
        /// How many it declares.
        found: u64,
        /// How many are allowed.
        max: u64,
    },

    /// A module imports something this host does not provide, or provides
    /// with another type.
    #[error(
        "plug-in `{plugin}`: module `{module}` cannot import `{import}` {signature}: {reason}"
    )]
    Link {
        /// The plug-in's name.
        plugin: String,
        /// The importing module's name.
        module: String,
        /// The import as `module::name`, e.g. `extism:host/user::kv_read`.
        import: String,
        /// The import's wasm type, e.g. `func (i64) -> (i64)`.
        signature: String,
        /// Why it cannot be satisfied, e.g. `WASI is not enabled for this
        /// plug-in (PluginBuilder::with_wasi(true))`.
        reason: String,
    },

    /// Instantiating a module or running its initialisation failed.
    #[error("plug-in `{plugin}`: cannot instantiate module `{module}`: {cause}")]
    Instantiate {
        /// The plug-in's name.
        plugin: String,
        /// The module that failed.
        module: String,
        /// What happened.
        cause: String,
    },

    /// The plug-in has no export callable under this name.
    #[error("plug-in `{plugin}`: function `{function}` not found")]
    FunctionNotFound {
        /// The plug-in's name.
        plugin: String,
        /// The name that was asked for.
        function: String,
    },

    /// The export exists but is not an Extism function (`() -> i32` or `() -> ()`).
    #[error("plug-in `{plugin}`: function `{function}` has type {found}, expected `() -> i32` or `() -> ()`")]
    FunctionSignature {
        /// The plug-in's name.
        plugin: String,
        /// The export's name.
        function: String,
        /// The export's actual type.
        found: String,
    },

    /// The plug-in reported an error with `error_set`.
    #[error("plug-in `{plugin}`: function `{function}` failed: {message}")]
    Plugin {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The text the plug-in set.
        message: String,
        /// The code the export returned (or the reference's code for a trap).
        code: i32,
    },

    /// The export returned a non-zero code without setting an error.
    #[error("plug-in `{plugin}`: function `{function}` returned non-zero exit code {code}")]
    ExitCode {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The code it returned (or passed to WASI `proc_exit`).
        code: i32,
    },

    /// The plug-in trapped: `unreachable`, an out-of-bounds access, a stack
    /// overflow, a division by zero...
    ///
    /// The message is one line; the wasm backtrace is in `backtrace`.
    #[error("plug-in `{plugin}`: function `{function}` trapped: {trap}")]
    Trap {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The kind of trap, as wasmtime names it.
        trap: String,
        /// The wasm backtrace, when there is one.
        backtrace: Option<String>,
    },

    /// A host function the plug-in called returned an error.
    ///
    /// That error is the [`source`](std::error::Error::source), with its own
    /// causes after it, so it can be downcast to the type the host function
    /// returned:
    ///
    /// ```
    /// use extism_host::{CurrentPlugin, Error, HostError, HostFunction, Plugin, Manifest, Wasm};
    /// use std::error::Error as _;
    ///
    /// let lookup = HostFunction::wrap("lookup", |_: &mut CurrentPlugin<'_>, _: u64| -> Result<u64, HostError> {
    ///     Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the store is slow"))?
    /// });
    /// let wat = r#"(module
    ///     (import "extism:host/user" "lookup" (func $lookup (param i64) (result i64)))
    ///     (func (export "run") (result i32) (drop (call $lookup (i64.const 1))) (i32.const 0)))"#;
    /// let mut plugin = Plugin::new(Manifest::new([Wasm::data(wat)]), [lookup], false)?;
    /// let error = plugin.call_bytes("run", b"").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "plug-in `plugin`: function `run`: host function `extism:host/user::lookup` failed"
    /// );
    /// let io = error.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    /// # Ok::<(), Error>(())
    /// ```
    #[error("plug-in `{plugin}`: function `{function}`: host function `{host_function}` failed")]
    HostFunction {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The failing host function, as `namespace::name`.
        host_function: String,
        /// The host function's error as text, its causes included.
        message: String,
        /// The host function's error.
        #[source]
        source: BoxError,
    },

    /// A call ran past its time limit.
    #[error("plug-in `{plugin}`: function `{function}` timed out after {timeout_ms} ms")]
    Timeout {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The limit that was exceeded.
        timeout_ms: u64,
    },

    /// A call was cancelled through a [`CancelHandle`](crate::CancelHandle).
    #[error("plug-in `{plugin}`: function `{function}` was cancelled")]
    Cancelled {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
    },

    /// A call used up its fuel.
    #[error("plug-in `{plugin}`: function `{function}` ran out of fuel ({fuel} units)")]
    OutOfFuel {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// The budget that was used up.
        fuel: u64,
    },

    /// The plug-in tried to grow its memories past `memory.max_pages`, or one
    /// of its modules declares a memory larger than that (as the reference
    /// runtime, which fails such a plug-in with `oom`).
    #[error("plug-in `{plugin}`: {}", memory_limit(.function, *.max_pages, *.declared_pages))]
    MemoryLimit {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called (empty when the plug-in was being
        /// created).
        function: String,
        /// The limit, in 64 KiB pages.
        max_pages: u32,
        /// The pages of the declared memory that is over the limit, when
        /// that is what failed.
        declared_pages: Option<u64>,
    },

    /// A plug-in or host ran into a limit on vars.
    #[error("plug-in `{plugin}`: {message}")]
    Vars {
        /// The plug-in's name.
        plugin: String,
        /// What was refused.
        message: String,
    },

    /// The plug-in was put together wrongly with
    /// [`PluginBuilder`](crate::PluginBuilder): a host function registered
    /// twice or named like a built-in Extism function, an async host function
    /// for a plug-in not built with `with_async(true)`, a fuel limit on an
    /// engine that does not count fuel, states given to `compile`. Reported
    /// before anything is loaded or compiled.
    #[error("plug-in `{plugin}`: {message}")]
    Builder {
        /// The plug-in's name.
        plugin: String,
        /// What is wrong with the options.
        message: String,
    },

    /// An [`Engine`](crate::Engine) cannot be made as configured with
    /// [`EngineBuilder`](crate::EngineBuilder): an unusable compilation cache
    /// directory, a wasm stack size out of range, settings wasmtime refuses.
    #[error("cannot create the engine: {message}")]
    Engine {
        /// What is wrong.
        message: String,
    },

    /// A value crossing the boundary could not be encoded or decoded; the
    /// codec's error, which says which type and why, is the
    /// [`source`](std::error::Error::source).
    ///
    /// Which side failed is in the message: encoding the input or decoding
    /// the output (what a hand-written codec reports, `Custom`, may be either).
    #[error("plug-in `{plugin}`: function `{function}`: {}", codec_stage(.source))]
    Codec {
        /// The plug-in's name.
        plugin: String,
        /// The export that was called.
        function: String,
        /// What did not fit.
        source: extism_codec::Error,
    },

    /// The plug-in does not implement an interface: exports a
    /// [`#[plugin_interface]`](crate::plugin_interface) trait calls are
    /// missing, or are not Extism functions (`() -> i32` or `() -> ()`).
    ///
    /// Reported when the trait's wrapper is made (`<Trait>Plugin::new`,
    /// `from_compiled`, `check`), with every problem at once:
    ///
    /// ```
    /// use extism_host::{plugin_interface, Error, PluginBuilder};
    ///
    /// #[plugin_interface]
    /// trait Counter {
    ///     fn count(&mut self, text: &str) -> Result<String, Error>;
    ///     fn reset(&mut self) -> Result<(), Error>;
    /// }
    ///
    /// // `count` takes a parameter, and there is no `reset`.
    /// let plugin = PluginBuilder::from_wasm(r#"(module
    ///     (func (export "count") (param i32) (result i32) (i32.const 0)))"#)
    ///     .build()?;
    /// match CounterPlugin::new(plugin) {
    ///     Ok(_counter) => unreachable!("not a counter"),
    ///     Err(Error::Interface { missing, mistyped, .. }) => {
    ///         assert_eq!(missing, ["reset"]);
    ///         assert_eq!(mistyped[0].name, "count");
    ///         assert_eq!(mistyped[0].found, "(func (i32) -> (i32))");
    ///     }
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    #[error(
        "plug-in `{plugin}`: does not implement `{interface}`{}",
        interface_problems(.missing, .mistyped)
    )]
    Interface {
        /// The plug-in's name.
        plugin: String,
        /// The interface: the trait's name.
        interface: String,
        /// The exports the interface requires and the plug-in lacks, in the
        /// trait's order. Optional exports are never listed here.
        missing: Vec<String>,
        /// The exports the interface calls (optional ones too) that the plug-in
        /// has with another type, in the trait's order.
        mistyped: Vec<MistypedExport>,
    },

    /// No pooled instance became free in time.
    #[error("plug-in `{plugin}`: no pooled instance became free within {timeout_ms} ms")]
    PoolTimeout {
        /// The plug-in's name.
        plugin: String,
        /// How long the checkout waited.
        timeout_ms: u64,
    },

    /// The runtime failed, or the plug-in was used in a way it was not
    /// built for: a synchronous call of a plug-in built with
    /// `with_async(true)`, a timer thread that cannot start, an output the
    /// kernel cannot hand out, anything else wasmtime reported.
    #[error("plug-in `{plugin}`: {message}")]
    Runtime {
        /// The plug-in's name.
        plugin: String,
        /// What happened.
        message: String,
    },
}

/// What a typed call's codec error says it was doing (its variant), since
/// another field would make every `Result<_, Error>` larger.
fn codec_stage(error: &extism_codec::Error) -> &'static str {
    match error {
        extism_codec::Error::Serialize { .. } => "cannot encode the input",
        extism_codec::Error::Custom { .. } => "cannot encode the input or decode the output",
        _ => "cannot decode the output",
    }
}

/// An export an interface calls, present in the plug-in but not callable as an
/// Extism function (`() -> i32` or `() -> ()`); see [`Error::Interface`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MistypedExport {
    /// The export's name.
    pub name: String,
    /// Its wasm type as found, e.g. `(func (i32) -> (i32))` or `(memory 1)`.
    pub found: String,
}

impl fmt::Display for MistypedExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "function `{}` has type {}, expected `() -> i32` or `() -> ()`",
            self.name, self.found
        )
    }
}

/// `: ` and the problems of [`Error::Interface`], separated by `; `: the missing
/// exports first (as one item), then each mistyped one.
fn interface_problems(missing: &[String], mistyped: &[MistypedExport]) -> String {
    let mut problems = Vec::with_capacity(mistyped.len() + 1);
    match missing {
        [] => {}
        [name] => problems.push(format!("function `{name}` not found")),
        names => {
            let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            problems.push(format!("functions {} not found", names.join(", ")));
        }
    }
    problems.extend(mistyped.iter().map(MistypedExport::to_string));
    if problems.is_empty() {
        String::new()
    } else {
        format!(": {}", problems.join("; "))
    }
}

fn memory_limit(function: &str, max_pages: u32, declared_pages: Option<u64>) -> String {
    let what = match declared_pages {
        Some(declared) => format!(
            "a module declares a memory of {declared} pages, more than the memory limit of {max_pages} pages"
        ),
        None => format!("exceeded the memory limit of {max_pages} pages"),
    };
    if function.is_empty() {
        what
    } else {
        format!("function `{function}` {what}")
    }
}

impl Error {
    /// The exit code the reference runtime reports for this outcome
    /// (`extism_plugin_call`'s return value / `call_get_error_code`): the
    /// plug-in's own code, 134 for a trap, a timeout or a cancellation, -1 for
    /// everything else (load errors, [`Error::Interface`], limits...).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Plugin { code, .. } | Error::ExitCode { code, .. } => *code,
            Error::Trap { .. } | Error::Timeout { .. } | Error::Cancelled { .. } => 134,
            Error::Manifest(_)
            | Error::ManifestFile { .. }
            | Error::WasmSource { .. }
            | Error::HashMismatch { .. }
            | Error::Compile { .. }
            | Error::ModuleLimit { .. }
            | Error::Link { .. }
            | Error::Instantiate { .. }
            | Error::FunctionNotFound { .. }
            | Error::FunctionSignature { .. }
            | Error::HostFunction { .. }
            | Error::OutOfFuel { .. }
            | Error::MemoryLimit { .. }
            | Error::Vars { .. }
            | Error::Builder { .. }
            | Error::Engine { .. }
            | Error::Codec { .. }
            | Error::Interface { .. }
            | Error::PoolTimeout { .. }
            | Error::Runtime { .. } => -1,
        }
    }

    /// The variant's name in snake case (`"trap"`, `"timeout"`,
    /// `"exit_code"`...): the `outcome` of a failed call's span and
    /// [`CallOutcome`](crate::CallOutcome).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Manifest(_) => "manifest",
            Error::ManifestFile { .. } => "manifest_file",
            Error::WasmSource { .. } => "wasm_source",
            Error::HashMismatch { .. } => "hash_mismatch",
            Error::Compile { .. } => "compile",
            Error::ModuleLimit { .. } => "module_limit",
            Error::Link { .. } => "link",
            Error::Instantiate { .. } => "instantiate",
            Error::FunctionNotFound { .. } => "function_not_found",
            Error::FunctionSignature { .. } => "function_signature",
            Error::Plugin { .. } => "plugin",
            Error::ExitCode { .. } => "exit_code",
            Error::Trap { .. } => "trap",
            Error::HostFunction { .. } => "host_function",
            Error::Timeout { .. } => "timeout",
            Error::Cancelled { .. } => "cancelled",
            Error::OutOfFuel { .. } => "out_of_fuel",
            Error::MemoryLimit { .. } => "memory_limit",
            Error::Vars { .. } => "vars",
            Error::Builder { .. } => "builder",
            Error::Engine { .. } => "engine",
            Error::Codec { .. } => "codec",
            Error::Interface { .. } => "interface",
            Error::PoolTimeout { .. } => "pool_timeout",
            Error::Runtime { .. } => "runtime",
        }
    }

    /// The plug-in's name, for errors that happen inside one.
    pub fn plugin(&self) -> Option<&str> {
        match self {
            Error::Compile { plugin, .. }
            | Error::ModuleLimit { plugin, .. }
            | Error::Link { plugin, .. }
            | Error::Instantiate { plugin, .. }
            | Error::FunctionNotFound { plugin, .. }
            | Error::FunctionSignature { plugin, .. }
            | Error::Plugin { plugin, .. }
            | Error::ExitCode { plugin, .. }
            | Error::Trap { plugin, .. }
            | Error::HostFunction { plugin, .. }
            | Error::Timeout { plugin, .. }
            | Error::Cancelled { plugin, .. }
            | Error::OutOfFuel { plugin, .. }
            | Error::MemoryLimit { plugin, .. }
            | Error::Vars { plugin, .. }
            | Error::Builder { plugin, .. }
            | Error::Codec { plugin, .. }
            | Error::Interface { plugin, .. }
            | Error::PoolTimeout { plugin, .. }
            | Error::Runtime { plugin, .. } => Some(plugin),
            Error::Manifest(_)
            | Error::ManifestFile { .. }
            | Error::WasmSource { .. }
            | Error::HashMismatch { .. }
            | Error::Engine { .. } => None,
        }
    }
}

/// The error a host function returns. By default the plug-in traps and the
/// call fails with [`Error::HostFunction`] carrying this text;
/// [`HostError::guest`] makes one the plug-in gets instead.
///
/// Any `std::error::Error + Send + Sync` converts into it, and so do
/// `anyhow::Error` and `Box<dyn Error + Send + Sync>`, so `?` works inside
/// host functions and a host function may return any of them;
/// [`HostError::msg`] makes one from text. The error stays the
/// [`source`](std::error::Error::source) of the call's
/// [`Error::HostFunction`], downcastable to its type.
///
/// ```
/// use extism_host::{CurrentPlugin, HostError, HostFunction};
///
/// let lookup = HostFunction::wrap("lookup", |_: &mut CurrentPlugin<'_>, key: u64| -> Result<u64, HostError> {
///     if key == 0 {
///         // The plug-in goes on with a result of 0 and this as its error.
///         return Err(HostError::guest("no key given"));
///     }
///     Err(HostError::msg("the store is down")) // traps the plug-in
/// });
/// assert!(HostError::guest("x").is_for_guest() && !HostError::msg("x").is_for_guest());
/// ```
pub struct HostError {
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
    for_guest: bool,
}

impl HostError {
    /// An error with this message.
    pub fn msg(message: impl fmt::Display) -> Self {
        HostError {
            error: message.to_string().into(),
            for_guest: false,
        }
    }

    /// An error for the plug-in rather than the host, as the official SDKs'
    /// `CurrentPlugin::set_error` gives: the host function returns normally
    /// (with zero results), and `message` becomes the plug-in's error, which
    /// it reads with `error_get`. A plug-in that does not clear it fails the
    /// call with [`Error::Plugin`] carrying `message`. Synchronous host
    /// functions only; an async one calls
    /// [`CurrentPlugin::set_error`](crate::CurrentPlugin::set_error) itself.
    pub fn guest(message: impl fmt::Display) -> Self {
        HostError {
            error: message.to_string().into(),
            for_guest: true,
        }
    }

    /// Whether this error is for the plug-in ([`HostError::guest`]).
    pub fn is_for_guest(&self) -> bool {
        self.for_guest
    }

    /// The underlying error.
    pub fn into_inner(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self.error
    }
}

/// Anything that boxes into an error: every `std::error::Error + Send +
/// Sync`, `anyhow::Error` (which converts into a box keeping its chain),
/// `Box<dyn Error + Send + Sync>` itself, `String` and `&str`.
impl<E: Into<BoxError>> From<E> for HostError {
    fn from(error: E) -> Self {
        HostError {
            error: error.into(),
            for_guest: false,
        }
    }
}

impl fmt::Debug for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)?;
        let mut source = self.error.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// An error from a library or a host function, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A convenient alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
