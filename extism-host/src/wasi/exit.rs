//! `proc_exit`, so that a plug-in's exit status reaches the host whole.
//!
//! wasmtime-wasi's own `proc_exit` keeps statuses below 126 and turns any
//! other (`proc_exit(500)`, `proc_exit(-1)`) into a generic error, losing the
//! code. The official SDKs report the plug-in's status as it was given, so
//! every status here ends the call with it (0 is still a success: see
//! `outcome.rs`).

use wasmtime::{Caller, Linker};
use wasmtime_wasi::I32Exit;

use crate::store::StoreData;

/// Replaces `wasi_snapshot_preview1::proc_exit` (defined before by
/// wasmtime-wasi) with a version that keeps every status.
pub(crate) fn shadow_proc_exit(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "proc_exit",
        |_caller: Caller<'_, StoreData>, status: i32| -> wasmtime::Result<()> {
            Err(I32Exit(status).into())
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
