//! What one plug-in instance keeps in its wasmtime store.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::instance::InstanceTemplate;
use crate::interrupt::StoreInterrupt;
use crate::kernel::Kernel;
use crate::limits::MemoryLimiter;
use crate::log::LogSink;
use crate::vars::Vars;

/// Facts about a plug-in that every instance shares.
#[derive(Debug)]
pub(crate) struct PluginInfo {
    /// The name errors and log lines carry.
    pub(crate) name: Arc<str>,
}

/// The data of a plug-in instance's store.
pub(crate) struct StoreData {
    pub(crate) info: Arc<PluginInfo>,
    pub(crate) kernel: Kernel,
    pub(crate) vars: Vars,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    // Always `None` in a build without the `wasi` feature.
    #[cfg_attr(not(feature = "wasi"), allow(dead_code))]
    pub(crate) wasi: Option<crate::wasi::WasiState>,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) interrupt: StoreInterrupt,
    pub(crate) log: LogSink,
    pub(crate) http: crate::http::HttpState,
    pub(crate) states: States,
    /// The export being called, for error messages from host functions.
    pub(crate) function: Option<Arc<str>>,
    /// The host's context for the running call, if it lent one.
    pub(crate) context: Option<crate::context::CallContext>,
    /// Whether the running call is async (and should yield now and then).
    pub(crate) async_call: bool,
    /// Instances of command modules made in this store (`command.rs`).
    pub(crate) command_instances: u32,
    /// Targets of late-bound function imports (`late.rs`).
    pub(crate) late: Vec<Option<wasmtime::Func>>,
    /// What instrumented modules reported since the last trace.
    pub(crate) observe: Option<Box<crate::observe::Collector>>,
    /// What the running call has done so far (`stats.rs`).
    pub(crate) counters: crate::stats::CallCounters,
    /// Time of async host functions, added when their futures end.
    pub(crate) async_host_time: crate::stats::AsyncHostTime,
}

impl StoreData {
    #[cfg(feature = "wasi")]
    pub(crate) fn wasi_mut(&mut self) -> &mut wasmtime_wasi::p1::WasiP1Ctx {
        // The linker defines WASI functions only for plug-ins built with WASI
        // on, and those stores always have a context.
        &mut self
            .wasi
            .as_mut()
            .expect("WASI functions are linked only into stores with a WASI context")
            .ctx
    }
}

/// Values of any type the host lends to its host functions, one per type.
#[derive(Default)]
pub(crate) struct States {
    map: FxHashMap<TypeId, Box<dyn Any + Send>>,
}

impl States {
    pub(crate) fn insert<T: Send + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.map.get(&TypeId::of::<T>())?.downcast_ref()
    }

    pub(crate) fn get_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.map.get_mut(&TypeId::of::<T>())?.downcast_mut()
    }

    pub(crate) fn take<T: 'static>(&mut self) -> Option<Box<T>> {
        let boxed = self.map.remove(&TypeId::of::<T>())?;
        boxed.downcast().ok()
    }

    pub(crate) fn put_back<T: Send + 'static>(&mut self, value: Box<T>) {
        self.map.insert(TypeId::of::<T>(), value);
    }

    /// [`put_back`](Self::put_back) for a value whose type is known by its id only.
    pub(crate) fn put_back_any(&mut self, ty: TypeId, value: Box<dyn Any + Send>) {
        self.map.insert(ty, value);
    }
}

impl StoreData {
    /// The data of a new store made from `template`.
    pub(crate) fn new(
        template: &InstanceTemplate,
        wasi: Option<crate::wasi::WasiState>,
        states: States,
    ) -> Self {
        StoreData {
            info: template.info.clone(),
            kernel: Kernel::new(),
            vars: Vars::new(template.max_var_bytes),
            config: template.config.clone(),
            wasi,
            limiter: MemoryLimiter::new(template.max_pages),
            interrupt: StoreInterrupt::default(),
            log: template.log.clone(),
            http: crate::http::HttpState::new(template.http.clone()),
            states,
            function: None,
            context: None,
            async_call: false,
            command_instances: 0,
            late: Vec::new(),
            observe: template
                .observe
                .clone()
                .map(|setup| Box::new(crate::observe::Collector::new(setup))),
            counters: crate::stats::CallCounters::default(),
            async_host_time: crate::stats::AsyncHostTime::default(),
        }
    }

    /// Data for a store that only inspects types and never runs code.
    pub(crate) fn scratch() -> Self {
        StoreData::new(&InstanceTemplate::scratch(), None, States::default())
    }
}
