//! WASI preview 1 for plug-ins that import it, with the manifest's
//! `allowed_paths` as the only directories they can see, and clocks that
//! wait through the call's deadline and cancel state (`poll.rs`), and exit
//! statuses kept whole (`exit.rs`).

//!
//! Without the `wasi` feature only the options remain: the builder refuses
//! `with_wasi(true)` and the linker WASI imports, both with [`UNAVAILABLE`].

#[cfg(feature = "wasi")]
mod exit;
#[cfg(feature = "wasi")]
mod poll;

use std::path::PathBuf;

#[cfg(feature = "wasi")]
pub(crate) use exit::shadow_proc_exit;
#[cfg(feature = "wasi")]
pub(crate) use poll::shadow_poll_oneoff;

use crate::error::{Error, Result};

/// Why WASI cannot be had from this build.
pub(crate) const UNAVAILABLE: &str =
    "WASI needs extism-host's `wasi` feature, which this build leaves out";

/// The status a WASI `proc_exit` ended the call with.
pub(crate) fn exit_status(error: &wasmtime::Error) -> Option<i32> {
    #[cfg(feature = "wasi")]
    {
        error
            .downcast_ref::<wasmtime_wasi::I32Exit>()
            .map(|exit| exit.0)
    }
    #[cfg(not(feature = "wasi"))]
    {
        let _ = error;
        None
    }
}

/// A host directory mapped into the guest.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "wasi"), allow(dead_code))]
pub(crate) struct Preopen {
    pub(crate) host: PathBuf,
    pub(crate) guest: String,
    pub(crate) read_only: bool,
}

/// What a plug-in's WASI context is made of; shared by its instances.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "wasi"), allow(dead_code))]
pub(crate) struct WasiOptions {
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) inherit_stdio: bool,
}

impl WasiOptions {
    /// Reads `allowed_paths` (`host → guest`, `ro:` prefix for read-only).
    /// Each host path must be an existing directory.
    pub(crate) fn new(
        allowed_paths: Option<&std::collections::BTreeMap<String, PathBuf>>,
        inherit_stdio: bool,
    ) -> Result<Self> {
        let mut preopens = Vec::new();
        for (host, guest) in allowed_paths.into_iter().flatten() {
            let (host, read_only) = match host.strip_prefix("ro:") {
                Some(rest) => (rest, true),
                None => (host.as_str(), false),
            };
            let host = PathBuf::from(host);
            if !host.is_dir() {
                return Err(Error::Manifest(format!(
                    "allowed_paths: `{}` is not a directory on this host",
                    host.display()
                )));
            }
            let guest = guest.to_str().ok_or_else(|| {
                Error::Manifest(format!(
                    "allowed_paths: guest path `{}` is not valid UTF-8",
                    guest.display()
                ))
            })?;
            preopens.push(Preopen {
                host,
                guest: guest.to_string(),
                read_only,
            });
        }
        // Output is discarded unless the host asks for it, as in the reference
        // (which also honours this variable).
        let inherit_stdio =
            inherit_stdio || std::env::var_os("EXTISM_ENABLE_WASI_OUTPUT").is_some();
        Ok(WasiOptions {
            preopens,
            inherit_stdio,
        })
    }

    /// Never: a build without WASI has no options to build from.
    #[cfg(not(feature = "wasi"))]
    pub(crate) fn build(&self, _asyncness: bool) -> Result<WasiState> {
        Err(Error::Manifest(UNAVAILABLE.into()))
    }

    /// A fresh context for one instance. Async plug-ins do their file I/O
    /// off the executor's threads; sync ones on the calling thread.
    #[cfg(feature = "wasi")]
    pub(crate) fn build(&self, asyncness: bool) -> Result<WasiState> {
        use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
        let mut builder = WasiCtxBuilder::new();
        builder.allow_blocking_current_thread(!asyncness);
        let clock = poll::GuestClock::new();
        let origin = clock.origin();
        builder.monotonic_clock(clock);
        if self.inherit_stdio {
            builder.inherit_stdout().inherit_stderr();
        }
        for p in &self.preopens {
            let perms = if p.read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            builder
                .preopened_dir(&p.host, &p.guest, perms)
                .map_err(|e| {
                    Error::Manifest(format!(
                        "allowed_paths: cannot open `{}`: {e}",
                        p.host.display()
                    ))
                })?;
        }
        Ok(WasiState {
            ctx: builder.build_p1(),
            clock_origin: origin,
        })
    }
}

/// An instance's WASI: wasmtime-wasi's context and what `poll.rs` adds.
#[cfg(feature = "wasi")]
pub(crate) struct WasiState {
    pub(crate) ctx: wasmtime_wasi::p1::WasiP1Ctx,
    /// Time zero of the guest's monotonic clock.
    pub(crate) clock_origin: std::time::Instant,
}

/// No instance has WASI in a build without it.
#[cfg(not(feature = "wasi"))]
pub(crate) enum WasiState {}

/// A build without the `wasi` feature refuses WASI where it is asked for.
#[cfg(all(test, not(feature = "wasi")))]
mod without_wasi {
    use crate::{Error, PluginBuilder};

    #[test]
    fn with_wasi_is_a_builder_error_naming_the_feature() {
        let error = PluginBuilder::from_wasm("(module)")
            .with_wasi(true)
            .build()
            .unwrap_err();
        match &error {
            Error::Builder { message, .. } => assert_eq!(message, super::UNAVAILABLE),
            other => panic!("expected Error::Builder, got {other:?}"),
        }
    }

    #[test]
    fn a_wasi_import_cannot_link() {
        let wat = r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#;
        let error = PluginBuilder::from_wasm(wat).build().unwrap_err();
        match &error {
            Error::Link { reason, .. } => assert_eq!(reason, super::UNAVAILABLE),
            other => panic!("expected Error::Link, got {other:?}"),
        }
    }
}
