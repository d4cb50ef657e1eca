//! Procedural macros of extism-rs.
//!
//! - `#[derive(Codec)]`: implements `extism_codec::Encode` and `extism_codec::Decode`
//!   through JSON, MessagePack or `bytemuck::Pod`. Use it through its re-export,
//!   `extism_codec::Codec` (or `extism_host::codec::Codec`), where it is documented.
//! - `#[host_fn]`: makes a plain Rust function an Extism host function. Use it through
//!   its re-export, `extism_host::host_fn`.
//! - `#[plugin_interface]`: makes a trait the typed interface of a plug-in. Use it
//!   through its re-export, `extism_host::plugin_interface`.
//!
//! Each macro lives in its own module, split into `parse` (attributes into a typed model
//! that keeps the original tokens for spans), `validate` (rules that need the whole
//! model) and `expand` (code generation: `fn expand(TokenStream) -> syn::Result<TokenStream>`,
//! snapshot-tested). What the macros share sits beside them, so that they agree:
//! `ctxt` collects errors, `attr_option` rejects an option given twice, `types` says what
//! a written type is (`Result<T, E>`, `()`, `impl Trait`). The entry points below only
//! convert token streams. Generated code names its runtime crate by an absolute path
//! resolved by `crate_path`, so it never depends on the user's imports.

mod attr_option;
mod codec;
mod crate_path;
mod ctxt;
mod host_fn;
mod plugin_interface;
mod respan;
mod schema;
#[cfg(test)]
mod snapshot;
mod types;

use proc_macro::TokenStream;

/// Implements `Encode` and `Decode` of extism-codec through the encoding named by
/// `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`. See `extism_codec::Codec`.
#[proc_macro_derive(Codec, attributes(codec))]
pub fn derive_codec(input: TokenStream) -> TokenStream {
    codec::derive(input.into()).into()
}

/// Makes a plain Rust function an Extism host function, and keeps it callable as one.
///
/// ```
/// use std::collections::HashMap;
///
/// use extism_host::{host_fn, Manifest, PluginBuilder, Wasm};
///
/// #[derive(Default)]
/// struct KvStore(HashMap<String, Vec<u8>>);
///
/// /// `kv_read(key) -> value` for plug-ins; an absent key reads as empty.
/// #[host_fn]
/// fn kv_read(#[state] store: &KvStore, key: &str) -> Vec<u8> {
///     store.0.get(key).cloned().unwrap_or_default()
/// }
///
/// #[host_fn]
/// fn kv_write(#[state] store: &mut KvStore, key: &str, value: &[u8]) {
///     store.0.insert(key.to_string(), value.to_vec());
/// }
///
/// // One line per function to register it:
/// let builder = PluginBuilder::new(Manifest::new([Wasm::file("count_vowels_kvstore.wasm")]))
///     .with_state(KvStore::default())
///     .with_function(kv_read::host_function())
///     .with_function(kv_write::host_function());
///
/// // Still a plain Rust function:
/// let mut store = KvStore::default();
/// kv_write(&mut store, "count", &[3]);
/// assert_eq!(kv_read(&store, "count"), [3]);
/// ```
///
/// An `async fn` is registered the same way, on a plug-in built with
/// `PluginBuilder::with_async(true)` and called with `Plugin::call_async`: while it awaits,
/// the plug-in's call is suspended and the executor's thread runs other tasks.
///
/// ```
/// use std::collections::HashMap;
/// use std::io;
///
/// use extism_host::{host_fn, Manifest, Plugin, PluginBuilder, Wasm};
///
/// /// A store behind the network.
/// struct Remote(HashMap<String, Vec<u8>>);
///
/// impl Remote {
///     async fn get(&self, key: &str) -> io::Result<Vec<u8>> {
///         // e.g. a request: `client.get(...).send().await`
///         Ok(self.0.get(key).cloned().unwrap_or_default())
///     }
/// }
///
/// #[host_fn]
/// async fn kv_read(#[state] remote: &Remote, key: String) -> io::Result<Vec<u8>> {
///     remote.get(&key).await
/// }
///
/// async fn load() -> Result<Plugin, extism_host::Error> {
///     PluginBuilder::new(Manifest::new([Wasm::file("count_vowels_kvstore.wasm")]))
///         .with_async(true)
///         .with_state(Remote(HashMap::new()))
///         .with_function(kv_read::host_function())
///         .build_async()
///         .await
/// }
/// # let _ = load;
/// ```
///
/// # Parameters
///
/// In this order:
///
/// 1. Optionally, the plug-in calling: `&CurrentPlugin` or `&mut CurrentPlugin`
///    (`extism_host::CurrentPlugin`, recognised by its name), for its memory, vars,
///    config or log.
/// 2. Optionally, states marked `#[state]`: `#[state] name: &T` or `&mut T` borrows the
///    value lent with `PluginBuilder::with_state(T)` (or `Plugin::set_state`) for the
///    call, without wrapping it in `Arc<Mutex<_>>`. The marker is what makes a parameter
///    a state: an unmarked `&T` is an argument decoded from the plug-in, and an unmarked
///    `&mut T` is rejected. A plug-in without a state of type `T` fails the call with
///    `Error::HostFunction` naming the host function and `T`.
/// 3. The arguments the plug-in passes, in the order of the wasm signature. Each type
///    implements `extism_codec::Decode` (`&str`, `String`, `&[u8]`, `Vec<u8>`, numbers,
///    `bool`, `Option<T>`, `Json<T>`, `Msgpack<T>`, `Pod<T>`, `#[derive(Codec)]`
///    types...) and is decoded from the memory block whose offset the plug-in passes.
///    Borrowed types (`&str`, `&[u8]`, `PodSlice<T>`) point into the plug-in's memory,
///    without a copy, unless the function takes `&mut CurrentPlugin`: it could then write
///    to that memory, so each argument is decoded from a copy of its block.
///
/// At most eight arguments (what `HostFunction::wrap` takes); any pattern may name them.
///
/// # Async functions
///
/// An `async fn` becomes a `HostFunction::wrap_async` host function: the generated
/// closure decodes the arguments, calls the function, awaits its future, then writes the
/// result, with the same parameters, results and wasm signature as above. The future must
/// be `Send`, and it holds every parameter until it completes, so:
///
/// - the current plug-in is `&mut CurrentPlugin` (`&CurrentPlugin` is rejected:
///   `CurrentPlugin` is not `Sync`);
/// - a `#[state] &T` needs `T: Sync` (`&mut T` needs only `T: Send`, as always). States
///   are taken out of the plug-in for the whole call (`CurrentPlugin::take_state`) and put
///   back when it ends, also when the call's future is dropped at an `.await`;
/// - borrowed arguments (`&str`, `&[u8]`, ...) are fine: the plug-in's memory cannot
///   change while the call is suspended, since the future owns the plug-in. They point
///   into it without a copy, or into copies the future owns when the function also takes
///   `&mut CurrentPlugin`, as for a synchronous function.
///
/// A plug-in built without `with_async(true)` refuses an async host function when it is
/// built (`Error::Manifest` naming the function).
///
/// # Result
///
/// - `()` (or no return type): the function has no wasm result.
/// - `T`: encoded with `extism_codec::Encode` into a new block, whose offset is the wasm
///   result (0 when the encoding is empty, e.g. `None` or `""`).
/// - `Result<T, E>`, or any type written `...Result<T>` (`io::Result<T>`): `Ok(T)` as
///   above; `Err(e)` converts into `HostError` (any `std::error::Error + Send + Sync`, or
///   `HostError` itself), traps the plug-in, and fails the call with
///   `Error::HostFunction { host_function, message, .. }`, where `host_function` is
///   `namespace::name` and `message` the error's text with its sources. The plug-in
///   stays usable.
///
/// # Wasm signature
///
/// By default it is exactly what extism-pdk's `#[host_fn] extern "ExtismHost" { ... }`
/// (and the reference runtime's `host_fn!`) uses: every argument is an `i64` block offset,
/// numbers included (their little-endian bytes, as the PDK's `ToBytes` writes them), and
/// any result but `()` is an `i64` block offset. `fn add(a: i32, b: i32) -> i32` imports
/// as `(i64, i64) -> i64`, matching the PDK declaration `fn add(a: i32, b: i32) -> i32;`.
///
/// With `numbers = "wasm"`, arguments and results written as `i32`, `u32`, `i64`, `u64`,
/// `f32` or `f64` (or `core::primitive::i32`, ...) are wasm values instead, as in
/// hand-written imports (Go's `//go:wasmimport`, C, AssemblyScript, WAT):
/// `fn add(a: i32, b: i32) -> i32` imports as `(i32, i32) -> i32` and
/// `fn put(key: &str, n: u64)` as `(i64, i64)`. The macro sees tokens only: a type alias of
/// a number is decoded from a block.
///
/// # Options
///
/// `#[host_fn(name = "...", namespace = "...", numbers = "block" | "wasm")]`, each at most
/// once: the import name (default: the function's name), the import module (default:
/// `extism:host/user`), and how numbers travel (default: `"block"`).
///
/// # What it generates
///
/// The function, unchanged but for the `#[state]` markers, and an item of the same name in
/// the type namespace, `enum kv_read {}`, whose `kv_read::host_function()` returns the
/// `HostFunction`. Its body is what one would write by hand with `HostFunction::wrap`, so
/// it costs the same:
///
/// ```
/// # use extism_host::{codec::{Decode, Encode}, HostError, HostFunction, CurrentPlugin};
/// # #[derive(Default)] struct KvStore(std::collections::HashMap<String, Vec<u8>>);
/// # fn kv_read(store: &KvStore, key: &str) -> Vec<u8> { Vec::new() }
/// HostFunction::wrap(
///     "kv_read",
///     |plugin: &mut CurrentPlugin<'_>, key: u64| -> Result<u64, HostError> {
///         plugin.borrow_state(|plugin, store: &mut KvStore| -> Result<u64, HostError> {
///             let key = <&str as Decode>::decode(plugin.read_bytes(key)?)?;
///             let result = kv_read(&*store, key);
///             plugin.write_bytes(&<Vec<u8> as Encode>::encode(&result)?)
///         })?
///     },
/// );
/// ```
///
/// For an `async fn`, `HostFunction::wrap_async` gets a closure that returns a boxed
/// `async move` block owning the plug-in; states are taken with
/// `CurrentPlugin::take_state`, whose guards put them back when the block ends:
///
/// ```
/// # use extism_host::{codec::{Decode, Encode}, HostError, HostFunction, CurrentPlugin};
/// # struct Remote;
/// # async fn kv_read(remote: &Remote, key: String) -> std::io::Result<Vec<u8>> { Ok(Vec::new()) }
/// HostFunction::wrap_async(
///     "kv_read",
///     |mut plugin: CurrentPlugin<'_>, (key,): (u64,)| {
///         Box::new(async move {
///             let plugin = &mut plugin;
///             let mut remote = plugin.take_state::<Remote>()?;
///             let (plugin, remote) = remote.parts();
///             let key = <String as Decode>::decode(plugin.read_bytes(key)?)?;
///             let result = kv_read(&*remote, key).await?;
///             plugin.write_bytes(&<Vec<u8> as Encode>::encode(&result)?)
///         })
///     },
/// );
/// ```
///
/// Generated code names extism-host by an absolute path (as renamed in `Cargo.toml`), so
/// it does not depend on the user's imports. The check itself is one function of
/// extism-host, called with a table of the trait's exports; that function is internal
/// (`extism_host::__private`) and not to be called directly.
///
/// # Load errors
///
/// A plug-in that does not implement the trait fails `new`, `from_compiled` and `check`
/// with `Error::Interface`, which names the plug-in and the trait and lists, in the
/// trait's order, every required export the plug-in lacks (`missing`) and every export
/// (optional ones included) that is not an Extism function (`mistyped`, each with the
/// type found). Match on it to tell a plug-in of the wrong kind from other failures:
///
/// ```
/// use extism_host::{plugin_interface, Error, PluginBuilder};
///
/// #[plugin_interface]
/// trait Resettable {
///     fn count_vowels(&mut self, text: &str) -> Result<String, Error>;
///     #[export(name = "reset_total")]
///     fn reset(&mut self) -> Result<(), Error>;
/// }
///
/// let plugin = PluginBuilder::from_wasm(r#"(module
///     (func (export "count_vowels") (result i32) (i32.const 0)))"#)
///     .with_name("counter.wasm")
///     .build()?;
/// match ResettablePlugin::new(plugin) {
///     Ok(_counter) => unreachable!("there is no reset_total"),
///     Err(Error::Interface { plugin, interface, missing, mistyped }) => {
///         assert_eq!((plugin.as_str(), interface.as_str()), ("counter.wasm", "Resettable"));
///         assert_eq!(missing, ["reset_total"]);
///         assert!(mistyped.is_empty());
///     }
///     Err(other) => return Err(other),
/// }
/// # Ok::<(), Error>(())
/// ```
///
/// Its `Display` says the same in one line: ``plug-in `counter.wasm`: does not implement
/// `Resettable`: function `reset_total` not found``.
///
/// # Compile errors
///
/// Reported all at once, at the offending tokens: applied to something other than a
/// function; unknown, duplicate, malformed or empty options; `unsafe`, variadic, or with
/// type or const parameters; a `self` receiver (free functions only: the generated item
/// cannot stand in an `impl` block); the current plug-in by value or twice, or as
/// `&CurrentPlugin` in an `async fn`; a `#[state]` with arguments, on a non-reference or
/// on the current plug-in, or twice on the same type; an unmarked `&mut` argument; a
/// `#[cfg]` parameter; a context parameter after an argument; more than eight arguments;
/// `impl Trait` types. A type that does not implement `Decode`/`Encode`, a state that is
/// not `Send` (or, borrowed by an `async fn`, not `Sync`), an error that does not convert
/// into `HostError`, or an `async fn` whose future is not `Send` is reported by rustc at
/// that type (or at the `async`).
#[proc_macro_attribute]
pub fn host_fn(args: TokenStream, item: TokenStream) -> TokenStream {
    host_fn::attribute(args.into(), item.into()).into()
}

/// Makes a trait the typed interface of a plug-in: keeps the trait and generates
/// `<Trait>Plugin`, a wrapper of a plug-in that checks the plug-in's exports when it is
/// made and implements the trait by calling them.
///
/// ```
/// use extism_host::codec::Json;
/// use extism_host::{plugin_interface, Error, Manifest, Plugin, Wasm};
///
/// #[derive(serde::Deserialize)]
/// struct Count {
///     count: u64,
///     total: u64,
/// }
///
/// #[plugin_interface]
/// trait VowelCounter {
///     /// Counts the vowels of `text`.
///     fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
///     #[export(name = "reset_total")]
///     fn reset(&mut self) -> Result<(), Error>;
///     #[optional]
///     fn describe(&mut self) -> Result<String, Error>;
/// }
///
/// // Application code depends on the trait only...
/// fn total_after_two(counter: &mut impl VowelCounter) -> Result<u64, Error> {
///     counter.count_vowels("Hello")?;
///     Ok(counter.count_vowels("World")?.0.total)
/// }
///
/// // ...so a plug-in runs it:
/// fn with_plugin() -> Result<u64, Error> {
///     let plugin = Plugin::new(Manifest::new([Wasm::file("counter.wasm")]), [], false)?;
///     // Fails with `Error::Interface`, listing every missing or mistyped export, unless
///     // the plug-in has `count_vowels` and `reset_total` (and `describe` is a function,
///     // if present).
///     let mut counter = VowelCounterPlugin::new(plugin)?;
///     total_after_two(&mut counter)
/// }
///
/// // ...and so does a fake, in a test.
/// struct Fake(u64);
/// impl VowelCounter for Fake {
///     fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error> {
///         let count = text.chars().filter(|c| "aeiou".contains(*c)).count() as u64;
///         self.0 += count;
///         Ok(Json(Count { count, total: self.0 }))
///     }
///     fn reset(&mut self) -> Result<(), Error> {
///         self.0 = 0;
///         Ok(())
///     }
///     fn describe(&mut self) -> Result<String, Error> {
///         Ok("fake".into())
///     }
/// }
/// assert_eq!(total_after_two(&mut Fake(0))?, 3);
/// # let _ = with_plugin;
/// # Ok::<(), Error>(())
/// ```
///
/// # The trait
///
/// Each method without a body calls one export, and must look like
/// `fn name(&mut self[, input: I]) -> Result<O, E>`:
///
/// - `&mut self`: a call changes the plug-in's memory and vars.
/// - At most one input (an export reads one block), of any type that implements
///   `extism_codec::Encode` (`&str`, `&[u8]`, `String`, numbers, `Json<T>`,
///   `Msgpack<T>`, `Pod<T>`, `#[derive(Codec)]` types...). Several values travel as one:
///   a struct, or a tuple with `#[codec(json)]`. Without an input, the export gets none.
/// - `Result<O, E>` (or a `Result<O>` alias such as `extism_host::Result<O>`), where `O`
///   implements `extism_codec::Decode` and `E` converts from `extism_host::Error`
///   (`extism_host::Error` itself, by any path, or an application error with
///   `From<extism_host::Error>`). `O` may borrow from the plug-in's output through elided
///   lifetimes (`&str`, `&[u8]`, `Cow<'_, str>`): the value then borrows `self` until the
///   next call, which the borrow checker enforces. Named lifetimes (`&'static str`) are
///   rejected.
/// - Not generic, `async`, `unsafe`, `const` or `extern`, with no `where` clause.
///
/// Methods with a default body are ordinary provided methods (they can call the others)
/// and are not exports. The trait itself has no parameters, supertraits, associated types
/// or consts, and no method named `plugin`, `plugin_mut` or `into_inner` (the wrapper's
/// own methods would hide it; use `#[export(name = "plugin")]` on another name).
///
/// # Method options
///
/// - `#[export(name = "...")]`: the export's name, when it is not the method's.
/// - `#[optional]`: the plug-in may lack the export. Construction does not require it,
///   and the method then returns `Err(Error::FunctionNotFound)` (converted into `E`)
///   without calling anything. An export that is present must still be a function of the
///   right type: construction reports an optional export of another type in
///   `Error::Interface`'s `mistyped`, rather than letting every call of it fail.
/// - `#[codec(json)]`, `#[codec(msgpack)]` or `#[codec(pod)]`: wraps the input in
///   `Json<I>` (or `Msgpack`, `Pod`) and the output in `Json<O>` (unless it is `()`), so
///   the method takes and returns the plain types.
///
/// Doc comments and `#[cfg]`s of the methods carry over to the generated code.
///
/// # What it generates
///
/// The trait, unchanged but for the method options, and
/// `struct <Trait>Plugin<P = extism_host::Plugin>`, with the trait's visibility:
///
/// - `<Trait>Plugin::new(plugin: P) -> Result<Self, Error>`, for any
///   `P: BorrowMut<Plugin>` (`Plugin`, `&mut Plugin`, `Box<Plugin>`, or a pool's
///   checked-out instance when it implements `BorrowMut<Plugin>`): checks the exports,
///   then wraps the plug-in;
/// - `<Trait>Plugin::from_compiled(&CompiledPlugin)`: checks, then instantiates;
/// - `<Trait>Plugin::check(&CompiledPlugin) -> Result<(), Error>`: the check alone. It
///   reports every problem at once, as one `Error::Interface` (see below);
/// - `plugin()`, `plugin_mut()` and `into_inner()`, to reach the plug-in;
/// - `impl<P: BorrowMut<Plugin>> Trait for <Trait>Plugin<P>`, whose methods call
///   `Plugin::call::<I, O>(export, input)` and convert the error with `From`.
///
/// Generated code names extism-host by an absolute path (as renamed in `Cargo.toml`), so
/// it does not depend on the user's imports.
///
/// # From an XTP schema
///
/// `#[plugin_interface(schema = "path/to/schema.yaml")]` takes the exports from the XTP
/// schema (versions `v0` and `v1-draft`) the plug-in was built against, so that host and
/// plug-in cannot drift apart. The path is relative to the crate's directory (where its
/// `Cargo.toml` is), and the crate rebuilds when the file changes. The macro then
/// generates, next to the trait and with its visibility:
///
/// - one trait method per export, before the trait's own items (which may add provided
///   methods): `echoEverything` becomes `fn echo_everything(&mut self, input: &Everything)
///   -> Result<Everything, extism_host::Error>`, calling the export by its schema name.
///   `application/json` goes through `Json`; `text/plain; charset=utf-8` is `&str` in and
///   `String` out; `application/x-binary` is `&[u8]` in and `Vec<u8>` out. A `v0` export
///   has no types, so it takes and returns bytes;
/// - one type per entry of `components.schemas`: a struct for an object (fields in
///   `snake_case`, renamed to the schema's names), an enum for a string enum (variants in
///   `UpperCamelCase`, with `as_str` and `Display`), or an alias. They derive `Debug`,
///   `Clone`, `PartialEq` and serde's traits (through `extism_host::schema`, so the crate
///   needs no serde of its own);
/// - when the schema has imports, `<Trait>Imports`: one method per import (`&self`, the
///   input decoded, the output encoded by content type, errors as `HostError`), and
///   `into_host_functions(self)`, the host functions to give the plug-in's builder.
///
/// The JSON is the one the plug-in side's generator (xtp-bindgen's Rust template) reads
/// and writes. Integers take their format (`int8` ... `uint64`; none is `i64`), numbers
/// theirs (`float` is `f32`, `double` or none `f64`). A `date-time` is an
/// `extism_host::schema::DateTime` (RFC 3339 text); a `buffer` or a `byte` string is a
/// `Vec<u8>`, base64 text in JSON. An array is a `Vec`, an object with
/// `additionalProperties` a `BTreeMap<String, T>`, an object with neither properties nor
/// those a `serde_json::Map`. A property outside `required`, or `nullable`, is an
/// `Option`; one outside `required` is left out of the JSON when it is `None`. A
/// component that contains itself (not through an array or a map) is boxed.
///
/// ```
/// use extism_host::{plugin_interface, Error, HostError, Manifest, PluginBuilder, Wasm};
///
/// #[plugin_interface(schema = "../plugins/schemas/pantry.yaml")]
/// pub trait Pantry {}
///
/// /// What the plug-in imports: `lookupPerson` and `recordVisit`.
/// struct Directory;
///
/// impl PantryImports for Directory {
///     fn lookup_person(&self, name: &str) -> Result<Person, HostError> {
///         Ok(Person { name: name.into(), age: 36, favourite_fruit: Some(Fruit::Apple) })
///     }
///     fn record_visit(&self, visit: Visit) -> Result<(), HostError> {
///         assert_eq!(visit.at.to_rfc3339(), "2024-02-29T12:34:56.789+00:00");
///         Ok(())
///     }
/// }
///
/// let plugin = PluginBuilder::new(Manifest::new([Wasm::file("../plugins/wasm/pantry.rust.wasm")]))
///     .with_functions(Directory.into_host_functions())
///     .build()?;
/// let mut pantry = PantryPlugin::new(plugin)?;
/// assert_eq!(pantry.describe_fruit(&Fruit::DragonFruit)?, "dragon-fruit: mild and speckled");
/// let greeting: Greeting = pantry.greet("Ada")?;
/// assert_eq!(greeting.message, "Hello, Ada! You are 36. You like apple.");
/// assert_eq!(pantry.reverse_bytes(b"abc")?, b"cba");
/// # Ok::<(), Error>(())
/// ```
///
/// A schema with problems is a compile error at the attribute for each of them, naming
/// the field's path and what was expected there: ``invalid XTP schema `s.yaml`:
/// `exports.greet.input.$ref`: no component is named `Persn`: the components are
/// `Person` ``. So is a schema name Rust cannot use (two exports that would share a
/// method name, a component named like the trait or its wrapper, a method of the trait
/// with an export's name).
///
/// # Compile errors
///
/// Reported all at once, at the offending tokens, with the trait and a stub wrapper still
/// emitted so that code using them adds no errors of its own: applied to something other
/// than a trait; an argument other than `schema = "..."`; the trait shapes and method signatures
/// above; unknown, malformed, duplicate or conflicting options, or options on a provided
/// method; two methods bound to one export. An input that does not implement `Encode`,
/// an output that does not implement `Decode`, or an error type without
/// `From<extism_host::Error>` is reported by rustc at that type.
#[proc_macro_attribute]
pub fn plugin_interface(args: TokenStream, item: TokenStream) -> TokenStream {
    plugin_interface::attribute(args.into(), item.into()).into()
}
