//! The engine: compiler configuration and what every plug-in compiled with it
//! shares (the kernel's compiled code, the timeout thread).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{InstancePre, Linker};

use crate::error::{Error, Result};
use crate::module_cache::{self, ModuleCache, ModuleCacheStats};
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
/// let metered = Engine::builder().with_fuel(true).build()?;
/// assert!(metered.fuel_enabled() && !default.fuel_enabled());
///
/// // At most 16 compiled modules and 64 MiB kept for reuse; 1 MiB of wasm stack.
/// let bounded = Engine::builder()
///     .with_module_cache(16, 64 << 20)
///     .with_wasm_stack_bytes(1 << 20)
///     .build()?;
/// assert_eq!(bounded.module_cache_stats().entries, 0);
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    wasmtime: wasmtime::Engine,
    modules: Mutex<ModuleCache>,
    kernel: InstancePre<StoreData>,
    kernel_module: wasmtime::Module,
    timer: Timer,
    fuel: bool,
    coredump: bool,
    wasm_stack: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("fuel", &self.inner.fuel)
            .finish_non_exhaustive()
    }
}

/// Options of an [`Engine`].
///
/// ```
/// use extism_host::{Engine, PluginBuilder};
///
/// // Fuel metering and an on-disk cache of compiled code.
/// let cache = std::env::temp_dir().join("extism-host-doc-cache");
/// let engine = Engine::builder()
///     .with_fuel(true)
///     .with_compilation_cache(&cache)
///     .build()?;
/// let mut plugin = PluginBuilder::from_wasm(r#"(module (func (export "spin") (loop $l (br $l))))"#)
///     .with_engine(engine)
///     .with_fuel_limit(10_000)
///     .build()?;
/// let error = plugin.call_bytes("spin", b"").unwrap_err();
/// assert_eq!(error.kind(), "out_of_fuel");
///
/// // A wasm stack out of range is refused when the engine is made.
/// assert!(Engine::builder().with_wasm_stack_bytes(0).build().is_err());
/// # Ok::<(), extism_host::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    fuel: bool,
    cache_dir: Option<PathBuf>,
    pooling: Option<PoolingAllocator>,
    module_cache: Option<(usize, u64)>,
    wasm_stack: Option<usize>,
    coredump: bool,
}

/// Sizes of wasmtime's pooling instance allocator ([`EngineBuilder::with_pooling_allocator`]): memory reserved up front for many instances. Not the same thing as a [`Pool`](crate::Pool) of plug-in instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolingAllocator {
    /// Plug-in instances that may exist at once (each uses two wasm
    /// instances: the plug-in and its kernel).
    pub max_plugins: u32,
    /// The largest any one memory may grow to, in bytes. Memories get this
    /// much address space each, with explicit bounds checks, instead of the
    /// default 4 GiB reservations, so many instances fit in one process.
    pub max_memory_bytes: usize,
}

impl EngineBuilder {
    /// Counts fuel, so that plug-ins can be given a per-call fuel budget
    /// ([`PluginBuilder::with_fuel_limit`](crate::PluginBuilder::with_fuel_limit)).
    /// Metering slows wasm down a little, so it is off by default.
    pub fn with_fuel(mut self, enabled: bool) -> Self {
        self.fuel = enabled;
        self
    }

    /// Caches compiled code on disk in `dir`, so that compiling the same
    /// plug-in again (in this process or the next) is a file read. Entries are
    /// keyed by the wasm bytes, the wasmtime version and the compiler settings,
    /// so a cache is never reused across incompatible engines.
    pub fn with_compilation_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Preallocates slots for instances and memories (wasmtime's pooling
    /// allocator): creating and dropping plug-in instances becomes much
    /// cheaper, at the price of a fixed maximum of live plug-ins and of
    /// memory size. Creating more instances than `max_plugins` fails.
    ///
    /// Each live plug-in costs the process about six memory mappings (two
    /// memories, each split into its image, its accessible pages and its
    /// inaccessible rest). Linux refuses new mappings past
    /// `vm.max_map_count` (65,530 by default, so about 10,000 live plug-ins);
    /// for more, raise it, e.g. `sysctl vm.max_map_count=400000` for 50,000
    /// (measured: 50,000 live count_vowels plug-ins, 302,064 mappings).
    pub fn with_pooling_allocator(mut self, pooling: PoolingAllocator) -> Self {
        self.pooling = Some(pooling);
        self
    }

    /// Bounds the in-memory cache of compiled modules (default: 64 modules
    /// and 256 MiB). Each module is charged its compiled image plus the size
    /// of its wasm bytes (which bounds the memory image made from its data
    /// segments); the least recently used go first. `0` entries turns the
    /// cache off. Plug-ins keep the modules they use whatever the cache does.
    pub fn with_module_cache(mut self, max_entries: usize, max_bytes: u64) -> Self {
        self.module_cache = Some((max_entries, max_bytes));
        self
    }

    /// The most native stack wasm code may use (default: wasmtime's,
    /// 512 KiB). Calls run on a stack with at least this much room plus a
    /// margin for host functions, whatever thread makes them: a thread with
    /// less left gets a larger stack for the call (see the crate's
    /// SECURITY.md), so deep recursion ends in a trap, not an abort.
    pub fn with_wasm_stack_bytes(mut self, bytes: usize) -> Self {
        self.wasm_stack = Some(bytes);
        self
    }

    /// Captures a wasm core dump when a plug-in traps (off by default), for
    /// plug-ins built with
    /// [`PluginBuilder::with_coredump`](crate::PluginBuilder::with_coredump).
    pub fn with_coredump_on_trap(mut self, enabled: bool) -> Self {
        self.coredump = enabled;
        self
    }

    /// Makes the engine.
    ///
    /// # Errors
    /// [`Error::Engine`] for settings wasmtime refuses, an unusable cache
    /// directory, or a wasm stack size out of range.
    pub fn build(self) -> Result<Engine> {
        let mut config = wasmtime::Config::new();
        // Timeouts and cancellation stop plug-ins through epochs.
        config.epoch_interruption(true);
        config.consume_fuel(self.fuel);
        config.coredump_on_trap(self.coredump);
        let config_error = |what: &str, e: wasmtime::Error| Error::Engine {
            message: format!("cannot set up the {what}: {e}"),
        };
        if let Some(dir) = &self.cache_dir {
            let mut cache_config = wasmtime::CacheConfig::new();
            cache_config.with_directory(dir);
            let cache = wasmtime::Cache::new(cache_config)
                .map_err(|e| config_error("compilation cache", e))?;
            config.cache(Some(cache));
        }
        if let Some(p) = self.pooling {
            let mut pool = wasmtime::PoolingAllocationConfig::new();
            let instances = p.max_plugins.saturating_mul(2);
            pool.total_core_instances(instances)
                .total_memories(instances)
                .total_tables(instances)
                .max_memory_size(p.max_memory_bytes);
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
            config.memory_reservation(p.max_memory_bytes as u64);
            config.memory_guard_size(0);
            config.memory_reservation_for_growth(0);
        }
        let wasm_stack = self.wasm_stack.unwrap_or(crate::stack::DEFAULT_WASM_STACK);
        if wasm_stack == 0 || wasm_stack > crate::stack::MAX_WASM_STACK {
            return Err(Error::Engine {
                message: format!(
                    "the wasm stack must be between 1 byte and {} bytes, not {wasm_stack}",
                    crate::stack::MAX_WASM_STACK
                ),
            });
        }
        config.max_wasm_stack(wasm_stack);
        #[cfg(feature = "async")]
        config.async_stack_size(crate::stack::fiber_size(wasm_stack));
        let (max_entries, max_bytes) = self
            .module_cache
            .unwrap_or((module_cache::DEFAULT_ENTRIES, module_cache::DEFAULT_BYTES));
        let wasmtime = wasmtime::Engine::new(&config).map_err(|e| Error::Engine {
            message: format!("wasmtime refuses the configuration: {e}"),
        })?;
        let kernel_error = |e: wasmtime::Error| Error::Engine {
            message: format!("cannot compile the Extism kernel: {e}"),
        };
        let kernel_module = crate::kernel::compile(&wasmtime).map_err(kernel_error)?;
        let kernel = Linker::new(&wasmtime)
            .instantiate_pre(&kernel_module)
            .map_err(kernel_error)?;
        let timer = Timer::new(&wasmtime);
        Ok(Engine {
            inner: Arc::new(EngineInner {
                modules: Mutex::new(ModuleCache::new(max_entries, max_bytes)),
                wasm_stack,
                wasmtime,
                kernel,
                kernel_module,
                timer,
                fuel: self.fuel,
                coredump: self.coredump,
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

    /// Compiles `bytes` (wasm or WAT), or returns the module this engine
    /// compiled from the same bytes before: creating the same plug-in again
    /// costs a hash instead of a compilation.
    /// The flag says whether it came from the cache.
    pub(crate) fn compile(&self, bytes: &[u8]) -> wasmtime::Result<(wasmtime::Module, bool)> {
        let key = module_cache::key(bytes);
        if let Some(module) = lock(&self.inner.modules).get(&key) {
            return Ok((module, true));
        }
        let module = wasmtime::Module::new(&self.inner.wasmtime, bytes)?;
        lock(&self.inner.modules).insert(key, bytes.len(), &module);
        Ok((module, false))
    }

    /// What the in-memory module cache holds now.
    pub fn module_cache_stats(&self) -> ModuleCacheStats {
        lock(&self.inner.modules).stats()
    }

    /// Empties the in-memory module cache: the next load of any plug-in
    /// compiles it again (or reads the on-disk cache, if there is one).
    pub fn clear_module_cache(&self) {
        lock(&self.inner.modules).clear();
    }

    /// The most native stack wasm may use.
    pub(crate) fn wasm_stack(&self) -> usize {
        self.inner.wasm_stack
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The cache's operations run no user code and leave it consistent
    // whatever they stop at.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Engine {
    /// The process-wide engine with these settings, for plug-ins built
    /// without an engine of their own: plug-ins with the same needs (a fuel
    /// limit, core dumps) share one kernel, module cache and timer thread.
    pub(crate) fn shared(fuel: bool, coredump: bool) -> Result<Engine> {
        static SHARED: [OnceLock<Engine>; 4] = [const { OnceLock::new() }; 4];
        let slot = &SHARED[usize::from(fuel) | usize::from(coredump) << 1];
        if let Some(engine) = slot.get() {
            return Ok(engine.clone());
        }
        let engine = EngineBuilder::default()
            .with_fuel(fuel)
            .with_coredump_on_trap(coredump)
            .build()?;
        Ok(slot.get_or_init(|| engine).clone())
    }

    /// Whether plug-ins trapping on this engine leave a core dump.
    pub fn coredump_enabled(&self) -> bool {
        self.inner.coredump
    }

    /// Whether two handles are the same engine.
    pub fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Default for Engine {
    /// The process-wide default engine (no fuel, no core dumps).
    fn default() -> Self {
        Engine::shared(false, false)
            .unwrap_or_else(|e| panic!("cannot create the default engine: {e}"))
    }
}
