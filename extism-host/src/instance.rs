//! Making an instance of a compiled plug-in: a store with its kernel, every
//! module instantiated in link order and its language runtime initialised,
//! all under the deadline and cancel state of the call that needs it.

use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::Instrument;
use wasmtime::{Extern, Instance, Store};

use crate::abi::{KERNEL_NAMESPACE, MAIN};
use crate::builder::StateFactory;
use crate::call::ActiveCall;
use crate::command::Command;
use crate::compiled::CompiledPlugin;
use crate::error::{Error, Result};
use crate::http::HttpPolicy;
use crate::interrupt::Interruption;
use crate::kernel::KernelInstance;
use crate::limits::MemoryLimitExceeded;
use crate::linker::ImportSource;
use crate::log::LogSink;
use crate::store::{PluginInfo, States, StoreData};
use crate::wasi::WasiOptions;

/// A state the host lent to the first instance only
/// ([`PluginBuilder::with_state`](crate::PluginBuilder::with_state)).
pub(crate) type StateInit = Box<dyn FnOnce(&mut States) + Send>;

/// What every new store of a plug-in starts with.
pub(crate) struct InstanceTemplate {
    pub(crate) info: Arc<PluginInfo>,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) max_pages: Option<u32>,
    pub(crate) max_var_bytes: u64,
    pub(crate) http: Arc<HttpPolicy>,
    pub(crate) wasi: Option<WasiOptions>,
    pub(crate) log: LogSink,
    pub(crate) state_factories: Vec<StateFactory>,
    /// How the plug-in is observed, when it is.
    pub(crate) observe: Option<Arc<crate::observe::ObserveSetup>>,
}

impl InstanceTemplate {
    /// The template of a store that only inspects types and never runs code.
    pub(crate) fn scratch() -> Self {
        InstanceTemplate {
            info: Arc::new(PluginInfo { name: "".into() }),
            config: Arc::default(),
            max_pages: None,
            max_var_bytes: 0,
            http: Arc::new(HttpPolicy::new(&[], 0, false, None)),
            wasi: None,
            log: LogSink::default(),
            state_factories: Vec::new(),
            observe: None,
        }
    }
}

/// One instantiation: of which plug-in, under which call, and for which
/// export (`None` when the plug-in is being created rather than recycled
/// within a call).
pub(crate) struct Instantiation<'a> {
    pub(crate) compiled: &'a CompiledPlugin,
    pub(crate) call: &'a ActiveCall,
    pub(crate) function: Option<&'a str>,
}

impl Instantiation<'_> {
    /// Makes the instance synchronously.
    pub(crate) fn run(&self, states: Vec<StateInit>) -> Result<(Store<StoreData>, Instance)> {
        if self.compiled.call_options().asyncness {
            return Err(self.compiled.needs_async("instantiate_async / build_async"));
        }
        let made = crate::stack::with_room(self.compiled.engine().wasm_stack(), || {
            crate::blocking::now_or_never(self.make(states, false))
        });
        made.unwrap_or_else(|| {
            Err(Error::Runtime {
                plugin: self.compiled.name().to_string(),
                message: "synchronous instantiation suspended".into(),
            })
        })
    }

    #[cfg(feature = "async")]
    /// Makes the instance asynchronously, raced against the call's deadline
    /// and cancel, since an async host function called by an initialiser may
    /// await outside wasm.
    pub(crate) async fn run_async(
        &self,
        states: Vec<StateInit>,
    ) -> Result<(Store<StoreData>, Instance)> {
        let asyncness = self.compiled.call_options().asyncness;
        match self
            .call
            .interrupt()
            .race(self.make(states, asyncness))
            .await
        {
            Ok(made) => made,
            Err(why) => Err(self.interrupted(why)),
        }
    }

    /// The error of an instantiation stopped by its deadline or a cancel.
    fn interrupted(&self, why: Interruption) -> Error {
        let plugin = self.compiled.name().to_string();
        let timeout_ms = self
            .call
            .timeout()
            .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        match (why, self.function) {
            (Interruption::Timeout, Some(function)) => Error::Timeout {
                plugin,
                function: function.to_string(),
                timeout_ms,
            },
            (Interruption::Cancelled, Some(function)) => Error::Cancelled {
                plugin,
                function: function.to_string(),
            },
            (Interruption::Timeout, None) => Error::Instantiate {
                plugin,
                module: MAIN.to_string(),
                cause: format!("initialisation timed out after {timeout_ms} ms"),
            },
            (Interruption::Cancelled, None) => Error::Instantiate {
                plugin,
                module: MAIN.to_string(),
                cause: "initialisation was cancelled".into(),
            },
        }
    }

    /// The error of a module (or the kernel) that failed to instantiate or
    /// initialise; what interrupted the call, if something did.
    fn failed(&self, module: &str, e: wasmtime::Error, store: &Store<StoreData>) -> Error {
        if let Some(limit) = e.downcast_ref::<MemoryLimitExceeded>() {
            return Error::MemoryLimit {
                plugin: self.compiled.name().to_string(),
                function: self.function.unwrap_or_default().to_string(),
                max_pages: limit.max_pages,
                declared_pages: limit.declared_pages,
            };
        }
        match store.data().interrupt.fired {
            Some(why) => self.interrupted(why),
            None => Error::Instantiate {
                plugin: self.compiled.name().to_string(),
                module: module.to_string(),
                cause: format!("{e:#}"),
            },
        }
    }

    async fn make(
        &self,
        state_inits: Vec<StateInit>,
        asyncness: bool,
    ) -> Result<(Store<StoreData>, Instance)> {
        let span = tracing::info_span!(
            target: "extism_host",
            "instantiate",
            plugin = self.compiled.name(),
            function = self.function,
        );
        self.make_in_span(state_inits, asyncness)
            .instrument(span)
            .await
    }

    async fn make_in_span(
        &self,
        state_inits: Vec<StateInit>,
        asyncness: bool,
    ) -> Result<(Store<StoreData>, Instance)> {
        let compiled = self.compiled;
        let (engine, plan, template) = (compiled.engine(), compiled.plan(), compiled.template());
        let mut states = States::default();
        for make in &template.state_factories {
            make(&mut states);
        }
        for init in state_inits {
            init(&mut states);
        }
        let wasi = template
            .wasi
            .as_ref()
            .map(|w| w.build(asyncness))
            .transpose()?;
        let mut store = Store::new(engine.wasmtime(), StoreData::new(template, wasi, states));
        store.limiter(|data| &mut data.limiter);
        crate::interrupt::install_epoch_callback(&mut store, engine.clone());
        // Start functions and guest initialisation run under the call's
        // deadline and cancel state too: a hostile module must not hang the
        // host while it is being created.
        // Within a call (re-instantiation), what already stopped the call
        // stops it here too. A plug-in's first instantiation is judged only
        // by what interrupts its wasm, so that a tiny `timeout_ms` bounds
        // calls without making the plug-in impossible to create.
        let interrupted = self
            .call
            .enter(&mut store, self.function.map(Arc::from), None);
        if let (Some(why), Some(_)) = (interrupted, self.function) {
            return Err(self.interrupted(why));
        }
        let kernel = match () {
            #[cfg(feature = "async")]
            () if asyncness => engine.kernel().instantiate_async(&mut store).await,
            () => engine.kernel().instantiate(&mut store),
        }
        .map_err(|e| self.failed(KERNEL_NAMESPACE, e, &store))?;
        let handles = KernelInstance::new(&mut store, &kernel).ok_or_else(|| {
            self.failed(
                KERNEL_NAMESPACE,
                wasmtime::Error::msg("kernel exports missing"),
                &store,
            )
        })?;
        store.data_mut().kernel.instance = Some(handles);
        store.data_mut().limiter.kernel_made();

        // Command modules other than main are not instantiated here: each
        // call of one of their functions makes its own instance (`command.rs`).
        let mut instances: Vec<Option<Instance>> = Vec::with_capacity(plan.modules.len());
        let mut commands: Vec<Option<Command>> = Vec::with_capacity(plan.modules.len());
        let last = plan.modules.len().saturating_sub(1);
        // Late-bound imports waiting for their module: (slot, module, export).
        let mut late: Vec<(usize, usize, String)> = Vec::new();
        for (position, linked) in plan.modules.iter().enumerate() {
            let mut imports: Vec<Extern> = Vec::with_capacity(linked.imports.len());
            for (import, source) in linked.module.imports().zip(&linked.imports) {
                let found = match source {
                    ImportSource::Kernel(export) => kernel.get_module_export(&mut store, export),
                    ImportSource::Linker { module, name } => {
                        plan.linker.get(&mut store, module, name).ok()
                    }
                    ImportSource::Module { index, export } => instances[*index]
                        .and_then(|instance| instance.get_module_export(&mut store, export)),
                    ImportSource::Late { index } => match import.ty() {
                        wasmtime::ExternType::Func(ty) => {
                            let slot = store.data().late.len();
                            store.data_mut().late.push(None);
                            late.push((slot, *index, import.name().to_string()));
                            let module = &plan.modules[*index].name;
                            Some(
                                crate::late::trampoline(
                                    &mut store,
                                    slot,
                                    module,
                                    import.name(),
                                    ty,
                                    asyncness,
                                )
                                .into(),
                            )
                        }
                        _ => None,
                    },
                    ImportSource::Command { index, export } => {
                        let ty = plan.modules[*index].module.get_export(export);
                        match (commands[*index].clone(), ty) {
                            (Some(command), Some(wasmtime::ExternType::Func(ty))) => Some(
                                crate::command::function(
                                    &mut store, command, export, ty, asyncness,
                                )
                                .into(),
                            ),
                            _ => None,
                        }
                    }
                };
                let found = found.ok_or_else(|| {
                    self.failed(
                        &linked.name,
                        wasmtime::Error::msg("an import resolved at load time is missing"),
                        &store,
                    )
                })?;
                imports.push(found);
            }
            if position != last && crate::linker::is_command(&linked.module) {
                commands.push(Some(Command {
                    name: linked.name.as_str().into(),
                    module: linked.module.clone(),
                    imports: imports.into(),
                }));
                instances.push(None);
                continue;
            }
            commands.push(None);
            let instance = match () {
                #[cfg(feature = "async")]
                () if asyncness => Instance::new_async(&mut store, &linked.module, &imports).await,
                () => Instance::new(&mut store, &linked.module, &imports),
            }
            .map_err(|e| self.failed(&linked.name, e, &store))?;
            for (slot, _, export) in late.iter().filter(|(_, index, _)| *index == position) {
                let target = instance.get_func(&mut store, export);
                store.data_mut().late[*slot] = target;
            }
            linked
                .runtime
                .initialize(&mut store, &instance, asyncness)
                .await
                .map_err(|e| self.failed(&linked.name, e, &store))?;
            instances.push(Some(instance));
        }
        store.data_mut().limiter.start_counting();
        // Within a call, an initialiser that overran its deadline without an
        // epoch check noticing (blocked in a host function) fails it.
        if self.function.is_some() {
            if let Some(why) = store.data_mut().interrupt.check() {
                return Err(self.interrupted(why));
            }
        }
        let data = store.data_mut();
        data.interrupt.deadline = None;
        data.function = None;
        tracing::debug!(
            target: "extism_host",
            plugin = compiled.name(),
            modules = plan.modules.len(),
            function = self.function,
            "instance created"
        );
        // The plan always ends with the main module.
        let main = instances
            .pop()
            .flatten()
            .ok_or_else(|| Error::Instantiate {
                plugin: compiled.name().to_string(),
                module: MAIN.to_string(),
                cause: "the plug-in has no modules".into(),
            })?;
        Ok((store, main))
    }
}
