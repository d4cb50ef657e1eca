//! The host services of `extism:host/env`: config, vars, logs and HTTP.
//!
//! Ownership follows the reference: the host frees the blocks it is given
//! (keys, values, messages, requests) and the plug-in owns the blocks it gets
//! back. Results are allocated *before* arguments are freed, so a result never
//! lands in the slot of a block the plug-in may still free again (some PDKs
//! free blocks the host already freed).

use wasmtime::{Caller, Linker};

use crate::kernel::{self, KernelError};
use crate::log::LogLevel;
use crate::store::StoreData;
use crate::vars::VarError;

/// A host service refused what the plug-in asked; raised as a trap and
/// reported as the call's error.
#[derive(Debug)]
pub(crate) struct EnvError {
    pub(crate) function: &'static str,
    pub(crate) kind: EnvErrorKind,
}

#[derive(Debug)]
pub(crate) enum EnvErrorKind {
    Kernel(KernelError),
    Utf8 { what: &'static str },
    Vars(VarError),
    Http(String),
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            EnvErrorKind::Kernel(e) => write!(f, "{e}"),
            EnvErrorKind::Utf8 { what } => write!(f, "{what} is not valid UTF-8"),
            EnvErrorKind::Vars(e) => write!(f, "{e}"),
            EnvErrorKind::Http(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EnvError {}

pub(crate) fn env_error(function: &'static str, kind: EnvErrorKind) -> wasmtime::Error {
    wasmtime::Error::new(EnvError { function, kind })
}

/// Reads the block at `offset` as UTF-8 text.
fn read_str<'a>(
    caller: &'a Caller<'_, StoreData>,
    function: &'static str,
    offset: u64,
    what: &'static str,
) -> wasmtime::Result<&'a str> {
    let bytes = kernel::block(caller, offset, what)
        .map_err(|e| env_error(function, EnvErrorKind::Kernel(e)))?;
    std::str::from_utf8(bytes).map_err(|_| env_error(function, EnvErrorKind::Utf8 { what }))
}

fn read_bytes<'a>(
    caller: &'a Caller<'_, StoreData>,
    function: &'static str,
    offset: u64,
    what: &'static str,
) -> wasmtime::Result<&'a [u8]> {
    kernel::block(caller, offset, what).map_err(|e| env_error(function, EnvErrorKind::Kernel(e)))
}

fn config_get(mut caller: Caller<'_, StoreData>, key: u64) -> wasmtime::Result<u64> {
    let key_text = read_str(&caller, "config_get", key, "config key")?;
    let config = caller.data().config.clone();
    let result = match config.get(key_text) {
        Some(value) => kernel::write_new(&mut caller, value.as_bytes())?,
        None => 0,
    };
    kernel::free(&mut caller, key)?;
    Ok(result)
}

fn var_get(mut caller: Caller<'_, StoreData>, key: u64) -> wasmtime::Result<u64> {
    let key_text = read_str(&caller, "var_get", key, "var key")?;
    // Copy out: the store is needed mutably to allocate the result.
    let value = caller.data().vars.get(key_text).map(<[u8]>::to_vec);
    let result = match value {
        Some(value) => kernel::write_new(&mut caller, &value)?,
        None => 0,
    };
    kernel::free(&mut caller, key)?;
    Ok(result)
}

fn var_set(mut caller: Caller<'_, StoreData>, key: u64, value: u64) -> wasmtime::Result<()> {
    // Check before copying anything: a plug-in must not make the host copy a
    // key or value far larger than the store may hold.
    let key_text = read_str(&caller, "var_set", key, "var key")?;
    let value_len = read_bytes(&caller, "var_set", value, "var value")?.len() as u64;
    let vars = &caller.data().vars;
    vars.check(key_text, value_len)
        .map_err(|e| env_error("var_set", EnvErrorKind::Vars(e)))?;
    // A delete of a key that is not there changes nothing (and a stored key,
    // or one that passed the check, is bounded by the limit).
    let changes = value_len != 0 || vars.get(key_text).is_some();
    if changes {
        let key_text = key_text.to_string();
        let value_bytes = read_bytes(&caller, "var_set", value, "var value")?.to_vec();
        caller
            .data_mut()
            .vars
            .set(&key_text, &value_bytes)
            .map_err(|e| env_error("var_set", EnvErrorKind::Vars(e)))?;
    }
    kernel::free(&mut caller, key)?;
    kernel::free(&mut caller, value)?;
    Ok(())
}

fn log(
    mut caller: Caller<'_, StoreData>,
    level: LogLevel,
    function: &'static str,
    message: u64,
) -> wasmtime::Result<()> {
    let data = caller.data();
    if level >= data.log.threshold() {
        let bytes = read_bytes(&caller, function, message, "log message")?;
        let text = crate::plugin_text::capped(bytes, crate::plugin_text::MAX_LOG_LINE_BYTES);
        let data = caller.data();
        data.log.emit(&data.info.name, level, &text);
    } else if caller.data().kernel.blocks.length(message) == 0 && message != 0 {
        // Filtered out, but a bad offset is still the plug-in's error.
        read_bytes(&caller, function, message, "log message")?;
    }
    kernel::free(&mut caller, message)
}

/// Defines the host services in `linker` under `namespace`.
pub(crate) fn add_to_linker(
    linker: &mut Linker<StoreData>,
    namespace: &str,
    asyncness: bool,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        namespace,
        "config_get",
        |caller: Caller<'_, StoreData>, key: i64| config_get(caller, key as u64).map(|o| o as i64),
    )?;
    linker.func_wrap(
        namespace,
        "var_get",
        |caller: Caller<'_, StoreData>, key: i64| var_get(caller, key as u64).map(|o| o as i64),
    )?;
    linker.func_wrap(
        namespace,
        "var_set",
        |caller: Caller<'_, StoreData>, key: i64, value: i64| {
            var_set(caller, key as u64, value as u64)
        },
    )?;
    macro_rules! log_fn {
        ($name:literal, $level:expr) => {
            linker.func_wrap(
                namespace,
                $name,
                |caller: Caller<'_, StoreData>, message: i64| {
                    log(caller, $level, $name, message as u64)
                },
            )?;
        };
    }
    log_fn!("log_trace", LogLevel::Trace);
    log_fn!("log_debug", LogLevel::Debug);
    log_fn!("log_info", LogLevel::Info);
    log_fn!("log_warn", LogLevel::Warn);
    log_fn!("log_error", LogLevel::Error);
    linker.func_wrap(
        namespace,
        "get_log_level",
        |caller: Caller<'_, StoreData>| caller.data().log.threshold().abi_value(),
    )?;
    match () {
        #[cfg(feature = "async")]
        () if asyncness => {
            linker.func_wrap_async(
                namespace,
                "http_request",
                |caller: Caller<'_, StoreData>, (request, body): (i64, i64)| {
                    Box::new(async move {
                        crate::http::http_request_async(caller, request as u64, body as u64)
                            .await
                            .map(|o| o as i64)
                    })
                },
            )?;
        }
        () => {
            let _ = asyncness;
            linker.func_wrap(
                namespace,
                "http_request",
                |caller: Caller<'_, StoreData>, request: i64, body: i64| {
                    crate::http::http_request(caller, request as u64, body as u64).map(|o| o as i64)
                },
            )?;
        }
    }
    linker.func_wrap(
        namespace,
        "http_status_code",
        |caller: Caller<'_, StoreData>| i32::from(caller.data().http.status),
    )?;
    linker.func_wrap(
        namespace,
        "http_headers",
        |mut caller: Caller<'_, StoreData>| match caller.data().http.headers_json() {
            Some(json) => kernel::write_new(&mut caller, json.as_bytes()).map(|o| o as i64),
            None => Ok(0),
        },
    )?;
    Ok(())
}
