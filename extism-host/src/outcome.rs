//! Turning what wasmtime reports at the end of a call into this crate's
//! [`Error`], the way the reference runtime decides a call's outcome.

use crate::call::CallReport;
use crate::env::{EnvError, EnvErrorKind};
use crate::error::Error;
use crate::host_function::HostFunctionFailure;
use crate::interrupt::Interruption;
use crate::limits::MemoryLimitExceeded;

/// A call that ran to its end, whatever the end was.
pub(crate) struct Finished<'a> {
    pub(crate) plugin: &'a str,
    pub(crate) function: &'a str,
    /// The text of the error block, if the plug-in set one.
    pub(crate) error_text: Option<String>,
    pub(crate) report: CallReport,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) fuel: Option<u64>,
}

/// The outcome of a call: its wasm result (the export's return code, or what
/// stopped it) and what its [`ActiveCall`](crate::call::ActiveCall) saw.
pub(crate) fn of_call(cx: Finished<'_>, result: wasmtime::Result<i32>) -> Result<(), Error> {
    let failed = |error: wasmtime::Error, error_text: Option<String>| {
        from_wasmtime(
            FailedCall {
                plugin: cx.plugin,
                function: cx.function,
                error_text,
                interruption: cx.report.fired,
                timeout_ms: cx
                    .timeout
                    .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
                fuel: cx.fuel.unwrap_or(0),
            },
            error,
        )
    };
    if cx.report.fired.is_some() {
        // Cancelled or out of time, even if the wasm returned meanwhile.
        return Err(failed(wasmtime::Trap::Interrupt.into(), cx.error_text));
    }
    match result {
        Ok(0) if cx.error_text.is_none() => Ok(()),
        Ok(code) => Err(exit(cx.plugin, cx.function, code, cx.error_text)),
        // WASI `proc_exit(0)` is a successful return.
        Err(e) if cx.error_text.is_none() && crate::wasi::exit_status(&e) == Some(0) => Ok(()),
        Err(e) => Err(failed(e, cx.error_text)),
    }
}

/// A call that ended with a non-zero code, returned or passed to WASI
/// `proc_exit`: the plug-in's error when it set one, else the bare code.
fn exit(plugin: &str, function: &str, code: i32, error_text: Option<String>) -> Error {
    let (plugin, function) = (plugin.to_string(), function.to_string());
    match error_text {
        Some(message) => Error::Plugin {
            plugin,
            function,
            message,
            code,
        },
        None => Error::ExitCode {
            plugin,
            function,
            code,
        },
    }
}

/// Context for one failed call.
pub(crate) struct FailedCall<'a> {
    pub(crate) plugin: &'a str,
    pub(crate) function: &'a str,
    /// The text of the error block, if the plug-in set one.
    pub(crate) error_text: Option<String>,
    pub(crate) interruption: Option<Interruption>,
    pub(crate) timeout_ms: u64,
    pub(crate) fuel: u64,
}

/// The outcome of a trap or host error that ended a call.
pub(crate) fn from_wasmtime(cx: FailedCall<'_>, error: wasmtime::Error) -> Error {
    let plugin = cx.plugin.to_string();
    let function = cx.function.to_string();
    if let Some(interruption) = cx.interruption {
        return match interruption {
            Interruption::Timeout => Error::Timeout {
                plugin,
                function,
                timeout_ms: cx.timeout_ms,
            },
            Interruption::Cancelled => Error::Cancelled { plugin, function },
        };
    }
    // Taken by value: the host function's error becomes the call's source.
    let error = match error.downcast::<HostFunctionFailure>() {
        Ok(failure) => {
            return Error::HostFunction {
                plugin,
                function,
                host_function: failure.host_function,
                message: failure.message,
                source: failure.source,
            }
        }
        Err(error) => error,
    };
    let error = match error.downcast::<EnvError>() {
        Ok(env) => {
            return match &env.kind {
                EnvErrorKind::Vars(e) => Error::Vars {
                    plugin,
                    message: format!("function `{function}`: var_set refused: {e}"),
                },
                _ => Error::HostFunction {
                    plugin,
                    function,
                    host_function: format!("{}::{}", crate::abi::KERNEL_NAMESPACE, env.function),
                    message: env.to_string(),
                    source: Box::new(env),
                },
            }
        }
        Err(error) => error,
    };
    if let Some(limit) = error.downcast_ref::<MemoryLimitExceeded>() {
        return Error::MemoryLimit {
            plugin,
            function,
            max_pages: limit.max_pages,
            declared_pages: limit.declared_pages,
        };
    }
    if let Some(code) = crate::wasi::exit_status(&error) {
        return exit(cx.plugin, cx.function, code, cx.error_text);
    }
    if let Some(trap) = error.downcast_ref::<wasmtime::Trap>() {
        if *trap == wasmtime::Trap::OutOfFuel {
            return Error::OutOfFuel {
                plugin,
                function,
                fuel: cx.fuel,
            };
        }
        // A plug-in that set an error before trapping (a Rust PDK panic, an
        // AssemblyScript abort) said what went wrong: that is the message.
        if let Some(message) = cx.error_text {
            return Error::Plugin {
                plugin,
                function,
                message,
                code: -1,
            };
        }
        let backtrace = error
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .map(|bt| bt.to_string());
        return Error::Trap {
            plugin,
            function,
            trap: trap.to_string(),
            backtrace,
        };
    }
    Error::Runtime {
        plugin,
        message: format!("function `{function}` failed: {error:#}"),
    }
}
