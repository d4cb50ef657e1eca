//! The engine: compiler configuration and what every plug-in compiled with it
//! shares (the kernel's compiled code, the timeout thread).

use std::sync::{Arc, OnceLock};

use wasmtime::{InstancePre, Linker};

use crate::error::{Error, Result};
use crate::store::StoreData;
use crate::timer::Timer;

/// Compiles plug-ins and owns what they share. Cheap to clone; create one and
/// reuse it ([`Engine::default`] returns a process-wide shared engine), since
/// each engine compiles its own copy of the kernel.
///
/// ```
/// use extism_host::Engine;
///
/// let default = Engine::default();
/// let metered = Engine::builder().fuel(true).build()?;
/// assert!(metered.fuel_enabled() && !default.fuel_enabled());
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    wasmtime: wasmtime::Engine,
    kernel: InstancePre<StoreData>,
    kernel_module: wasmtime::Module,
    timer: Timer,
    fuel: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("fuel", &self.inner.fuel)
            .finish_non_exhaustive()
    }
}

/// Options of an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    fuel: bool,
}

impl EngineBuilder {
    /// Counts fuel, so that plug-ins can be given a per-call fuel budget
    /// ([`PluginBuilder::with_fuel_limit`](crate::PluginBuilder::with_fuel_limit)).
    /// Metering slows wasm down a little, so it is off by default.
    pub fn fuel(mut self, enabled: bool) -> Self {
        self.fuel = enabled;
        self
    }

    /// Creates the engine.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration for this machine.
    pub fn build(self) -> Result<Engine> {
        let mut config = wasmtime::Config::new();
        // Timeouts and cancellation stop plug-ins through epochs.
        config.epoch_interruption(true);
        config.consume_fuel(self.fuel);
        let wasmtime = wasmtime::Engine::new(&config).map_err(|e| Error::Runtime {
            plugin: String::new(),
            message: format!("cannot create the wasm engine: {e}"),
        })?;
        let kernel_error = |e: wasmtime::Error| Error::Runtime {
            plugin: String::new(),
            message: format!("cannot compile the Extism kernel: {e}"),
        };
        let kernel_module = crate::kernel::compile(&wasmtime).map_err(kernel_error)?;
        let kernel = Linker::new(&wasmtime)
            .instantiate_pre(&kernel_module)
            .map_err(kernel_error)?;
        let timer = Timer::new(wasmtime.clone());
        Ok(Engine {
            inner: Arc::new(EngineInner {
                wasmtime,
                kernel,
                kernel_module,
                timer,
                fuel: self.fuel,
            }),
        })
    }
}

impl Engine {
    /// Options for a new engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Whether plug-ins of this engine count fuel.
    pub fn fuel_enabled(&self) -> bool {
        self.inner.fuel
    }

    pub(crate) fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.wasmtime
    }

    pub(crate) fn kernel(&self) -> &InstancePre<StoreData> {
        &self.inner.kernel
    }

    pub(crate) fn kernel_module(&self) -> &wasmtime::Module {
        &self.inner.kernel_module
    }

    pub(crate) fn timer(&self) -> &Timer {
        &self.inner.timer
    }
}

impl Default for Engine {
    /// The process-wide engine with default options, created on first use.
    ///
    /// # Panics
    /// If wasmtime cannot create an engine on this machine at all (no
    /// supported compiler for the CPU); [`EngineBuilder::build`] reports
    /// that as an error instead.
    fn default() -> Self {
        static SHARED: OnceLock<Engine> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                EngineBuilder::default()
                    .build()
                    .unwrap_or_else(|e| panic!("cannot create the default engine: {e}"))
            })
            .clone()
    }
}
