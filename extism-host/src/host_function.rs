//! Host functions: Rust code a plug-in imports and calls.

use std::fmt;
#[cfg(feature = "async")]
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use std::mem::MaybeUninit;

use wasmtime::{Caller, FuncType, Linker, ValRaw};

use crate::current_plugin::CurrentPlugin;
use crate::error::{BoxError, HostError};
use crate::store::StoreData;

use crate::abi::USER_NAMESPACE;

/// A wasm value type a host function can take or return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// A 32-bit integer (`u8`/`i32`/`u32` in PDK signatures).
    I32,
    /// A 64-bit integer, which is also how block offsets travel.
    I64,
    /// A 32-bit float.
    F32,
    /// A 64-bit float.
    F64,
}

/// The type of a block offset in host-function signatures.
pub const PTR: ValType = ValType::I64;

impl ValType {
    fn to_wasmtime(self) -> wasmtime::ValType {
        match self {
            ValType::I32 => wasmtime::ValType::I32,
            ValType::I64 => wasmtime::ValType::I64,
            ValType::F32 => wasmtime::ValType::F32,
            ValType::F64 => wasmtime::ValType::F64,
        }
    }

    /// Widens a raw wasm value of this type to a stack slot (an `i32` in the
    /// low 32 bits, floats as their bits).
    fn raw_to_slot(self, raw: ValRaw) -> u64 {
        match self {
            ValType::I32 => raw.get_i32() as u32 as u64,
            ValType::I64 => raw.get_i64() as u64,
            ValType::F32 => u64::from(raw.get_f32()),
            ValType::F64 => raw.get_f64(),
        }
    }

    fn slot_to_raw(self, slot: u64) -> ValRaw {
        match self {
            ValType::I32 => ValRaw::i32(slot as u32 as i32),
            ValType::I64 => ValRaw::i64(slot as i64),
            ValType::F32 => ValRaw::f32(slot as u32),
            ValType::F64 => ValRaw::f64(slot),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
        })
    }
}

/// A host function failed; carried through the plug-in's trap to the call's
/// result, where it becomes [`Error::HostFunction`](crate::Error::HostFunction).
#[derive(Debug)]
pub(crate) struct HostFunctionFailure {
    pub(crate) host_function: String,
    /// The error's text, its causes included.
    pub(crate) message: String,
    pub(crate) source: BoxError,
}

impl fmt::Display for HostFunctionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "host function `{}` failed: {}",
            self.host_function, self.message
        )
    }
}

impl std::error::Error for HostFunctionFailure {}

/// What a synchronous host function's result becomes: its value, a trap
/// (the call fails with `Error::HostFunction`), or, for an error meant for
/// the plug-in, its error block set and the default (zero) results.
fn settle<R: Default>(
    plugin: &mut CurrentPlugin<'_>,
    label: &str,
    result: Result<R, HostError>,
) -> wasmtime::Result<R> {
    match result {
        Ok(value) => Ok(value),
        Err(error) if error.is_for_guest() => {
            plugin
                .set_error(&error.to_string())
                .map_err(|e| failure(label, e))?;
            Ok(R::default())
        }
        Err(error) => Err(failure(label, error)),
    }
}

pub(crate) fn failure(label: &str, error: HostError) -> wasmtime::Error {
    wasmtime::Error::new(HostFunctionFailure {
        host_function: label.to_string(),
        message: error.to_string(),
        source: error.into_inner(),
    })
}

type Define =
    Arc<dyn Fn(&mut Linker<StoreData>, &str, &str, Arc<str>) -> wasmtime::Result<()> + Send + Sync>;

/// A function the host gives plug-ins to import.
///
/// Two ways to make one:
///
/// * [`HostFunction::new`]: declared wasm types and a closure over a raw
///   stack of `u64` slots, as in the Extism Go SDK's
///   `NewHostFunctionWithStack`: arguments are read from `stack[0..]` and
///   results written to `stack[0..]`.
/// * [`HostFunction::wrap`]: a closure with typed wasm arguments and result;
///   the signature comes from the types. This is what `#[host_fn]` generates.
///
/// ```
/// use extism_host::{CurrentPlugin, HostError, HostFunction};
///
/// // (i64 offset of a string) -> (i64 offset of its length as text)
/// let len = HostFunction::wrap("str_len", |plugin: &mut CurrentPlugin<'_>, text: u64| {
///     let n = plugin.read_str(text)?.chars().count();
///     plugin.write_bytes(n.to_string().as_bytes())
/// });
/// assert_eq!(len.namespace(), "extism:host/user");
/// ```
#[derive(Clone)]
pub struct HostFunction {
    name: String,
    namespace: String,
    signature: Option<(Vec<ValType>, Vec<ValType>)>,
    is_async: bool,
    define: Define,
}

impl fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostFunction")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl HostFunction {
    /// A host function with the given wasm signature over a raw stack.
    ///
    /// The stack has `max(params, results)` slots; each holds a value's bits
    /// widened to `u64` (an `i32` in the low 32 bits, floats as their bits).
    /// Returning an error traps the plug-in and fails the call.
    pub fn new<F>(
        name: impl Into<String>,
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
        f: F,
    ) -> Self
    where
        F: Fn(&mut CurrentPlugin<'_>, &mut [u64]) -> Result<(), HostError> + Send + Sync + 'static,
    {
        let params: Vec<ValType> = params.into_iter().collect();
        let results: Vec<ValType> = results.into_iter().collect();
        let f = Arc::new(f);
        let (p, r) = (params.clone(), results.clone());
        let define: Define = Arc::new(move |linker, module, name, label| {
            let ty = FuncType::new(
                linker.engine(),
                p.iter().map(|t| t.to_wasmtime()),
                r.iter().map(|t| t.to_wasmtime()),
            );
            let f = f.clone();
            let (param_types, result_types) = (p.clone(), r.clone());
            let host_fn = move |caller: Caller<'_, StoreData>, raw: &mut [MaybeUninit<ValRaw>]| {
                let mut inline = [0u64; 16];
                let mut heap;
                let stack: &mut [u64] = if raw.len() <= inline.len() {
                    &mut inline[..raw.len()]
                } else {
                    heap = vec![0u64; raw.len()];
                    &mut heap
                };
                for ((slot, raw), ty) in stack.iter_mut().zip(raw.iter()).zip(&param_types) {
                    // SAFETY: wasmtime initialises the first `params` slots
                    // with arguments of the declared parameter types.
                    let raw = unsafe { raw.assume_init() };
                    *slot = ty.raw_to_slot(raw);
                }
                let started = Instant::now();
                let mut plugin = CurrentPlugin::new(caller);
                let result = f(&mut plugin, stack);
                let settled = settle(&mut plugin, &label, result.map(|()| true));
                plugin.counted(started);
                if !settled? {
                    // An error for the plug-in: zero results.
                    stack.fill(0);
                }
                for ((raw, ty), slot) in raw.iter_mut().zip(&result_types).zip(stack.iter()) {
                    *raw = MaybeUninit::new(ty.slot_to_raw(*slot));
                }
                Ok(())
            };
            // SAFETY: `ty` has only i32/i64/f32/f64 parameters and results
            // (`ValType` has no other variants); `host_fn` reads exactly the
            // parameter slots as those types and writes every result slot
            // with a value of its declared type. Numbers need no GC rooting.
            unsafe { linker.func_new_unchecked(module, name, ty, host_fn) }?;
            Ok(())
        });
        HostFunction {
            name: name.into(),
            namespace: USER_NAMESPACE.to_string(),
            signature: Some((params, results)),
            is_async: false,
            define,
        }
    }

    /// A host function from a closure with typed wasm arguments
    /// (`i32`, `u32`, `i64`, `u64`, `f32`, `f64`) returning
    /// `Result<R, HostError>` where `R` is one of those, a tuple of them or
    /// `()` (see [`IntoHostFn`]).
    pub fn wrap<Params, Results>(
        name: impl Into<String>,
        f: impl IntoHostFn<Params, Results>,
    ) -> Self {
        HostFunction {
            name: name.into(),
            namespace: USER_NAMESPACE.to_string(),
            signature: None,
            is_async: false,
            define: f.into_define().0,
        }
    }

    #[cfg(feature = "async")]
    /// An async host function: `f` gets the plug-in and the wasm arguments as
    /// a tuple, and returns a boxed future, which may await I/O without
    /// blocking the executor. Plug-ins that import one must be built with
    /// [`PluginBuilder::with_async`](crate::PluginBuilder::with_async) and
    /// called with [`Plugin::call_async`](crate::Plugin::call_async). This is
    /// what [`#[host_fn]`](crate::host_fn) generates for an `async fn`; a
    /// future that holds a host state across `.await` takes it with
    /// [`CurrentPlugin::take_state`].
    ///
    /// ```
    /// use extism_host::{CurrentPlugin, HostFunction};
    /// use std::time::Duration;
    ///
    /// let slow_echo = HostFunction::wrap_async(
    ///     "slow_echo",
    ///     |mut plugin: CurrentPlugin<'_>, (data,): (u64,)| {
    ///         Box::new(async move {
    ///             let bytes = plugin.read_bytes(data)?.to_vec();
    ///             // e.g. tokio::time::sleep(Duration::from_millis(5)).await;
    ///             plugin.write_bytes(&bytes)
    ///         })
    ///     },
    /// );
    /// assert!(slow_echo.is_async());
    /// ```
    pub fn wrap_async<P, R, F>(name: impl Into<String>, f: F) -> Self
    where
        F: for<'a> Fn(
                CurrentPlugin<'a>,
                P,
            ) -> Box<dyn Future<Output = Result<R, HostError>> + Send + 'a>
            + Send
            + Sync
            + 'static,
        P: wasmtime::WasmTyList + Send + 'static,
        R: wasmtime::WasmRet + Send + 'static,
    {
        let f = Arc::new(f);
        let define: Define = Arc::new(move |linker, module, name, label| {
            let f = f.clone();
            linker.func_wrap_async(
                module,
                name,
                move |caller: Caller<'_, StoreData>, params: P| {
                    let f = f.clone();
                    let label = label.clone();
                    Box::new(async move {
                        let started = Instant::now();
                        let mut plugin = CurrentPlugin::new(caller);
                        // The future owns the plug-in (and the store with
                        // it): its time is added through a shared counter.
                        let counter = plugin.async_host_call();
                        let future = f(plugin, params);
                        let result = Box::into_pin(future).await.map_err(|e| failure(&label, e));
                        counter.finished(started);
                        result
                    })
                },
            )?;
            Ok(())
        });
        HostFunction {
            name: name.into(),
            namespace: USER_NAMESPACE.to_string(),
            signature: None,
            is_async: true,
            define,
        }
    }

    /// Whether this is an async host function.
    pub fn is_async(&self) -> bool {
        self.is_async
    }

    /// Places the function in another import namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The import name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The import namespace (`extism:host/user` by default).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Defines the function in `linker` under `module`::`name`.
    pub(crate) fn define_as(
        &self,
        linker: &mut Linker<StoreData>,
        module: &str,
        name: &str,
    ) -> wasmtime::Result<()> {
        let label: Arc<str> = format!("{}::{}", self.namespace, self.name).into();
        (self.define)(linker, module, name, label)
    }
}

/// Closures [`HostFunction::wrap`] accepts: `Fn(&mut CurrentPlugin, A1, ..., An)
/// -> Result<R, HostError>` for up to eight wasm-typed arguments. `?` converts
/// the errors [`HostError`] takes (any `std::error::Error + Send + Sync`,
/// `anyhow::Error`, `Box<dyn Error + Send + Sync>`); the error type stays
/// fixed so that a closure's `Ok(..)` needs no annotation.
pub trait IntoHostFn<Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_define(self) -> Definition;
}

/// How a typed closure puts itself into a linker; opaque outside this crate.
#[doc(hidden)]
pub struct Definition(Define);

macro_rules! impl_into_host_fn {
    ($($arg:ident)*) => {
        impl<F, $($arg,)* R> IntoHostFn<($($arg,)*), R> for F
        where
            F: Fn(&mut CurrentPlugin<'_>, $($arg),*) -> Result<R, HostError> + Send + Sync + 'static,
            $($arg: wasmtime::WasmTy + 'static,)*
            R: wasmtime::WasmRet + Default + 'static,
        {
            fn into_define(self) -> Definition {
                let f = Arc::new(self);
                Definition(Arc::new(move |linker, module, name, label| {
                    let f = f.clone();
                    #[allow(non_snake_case)]
                    linker.func_wrap(
                        module,
                        name,
                        move |caller: Caller<'_, StoreData>, $($arg: $arg),*| -> wasmtime::Result<R> {
                            let started = Instant::now();
                            let mut plugin = CurrentPlugin::new(caller);
                            let result = f(&mut plugin, $($arg),*);
                            let settled = settle(&mut plugin, &label, result);
                            plugin.counted(started);
                            settled
                        },
                    )?;
                    Ok(())
                }))
            }
        }
    };
}

impl_into_host_fn!();
impl_into_host_fn!(A1);
impl_into_host_fn!(A1 A2);
impl_into_host_fn!(A1 A2 A3);
impl_into_host_fn!(A1 A2 A3 A4);
impl_into_host_fn!(A1 A2 A3 A4 A5);
impl_into_host_fn!(A1 A2 A3 A4 A5 A6);
impl_into_host_fn!(A1 A2 A3 A4 A5 A6 A7);
impl_into_host_fn!(A1 A2 A3 A4 A5 A6 A7 A8);
