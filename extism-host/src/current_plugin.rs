//! What a host function sees of the plug-in that called it.

use std::any::{Any, TypeId};
use std::marker::PhantomData;

use wasmtime::Caller;

use crate::error::HostError;
use crate::interrupt::CallInterrupt;
use crate::kernel;
use crate::log::LogLevel;
use crate::store::StoreData;

/// The plug-in calling a host function: its kernel memory, vars, config,
/// log and the host's state.
///
/// Offsets are those of the Extism ABI: `u64` values naming blocks of the
/// kernel memory, 0 meaning "none" or "empty".
///
/// ```
/// use extism_host::{CurrentPlugin, HostError, HostFunction, ValType};
///
/// // A host function that upper-cases the string it is given.
/// let upper = HostFunction::new(
///     "upper",
///     [ValType::I64],
///     [ValType::I64],
///     |plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
///         let text = plugin.read_str(stack[0])?.to_uppercase();
///         stack[0] = plugin.write_bytes(text.as_bytes())?;
///         Ok(())
///     },
/// );
/// assert_eq!(upper.name(), "upper");
/// ```
pub struct CurrentPlugin<'a> {
    caller: Caller<'a, StoreData>,
}

impl<'a> CurrentPlugin<'a> {
    pub(crate) fn new(caller: Caller<'a, StoreData>) -> Self {
        CurrentPlugin { caller }
    }

    /// A host function that started at `started` has returned.
    pub(crate) fn counted(&mut self, started: std::time::Instant) {
        self.caller.data_mut().counters.host_call(started);
    }

    /// An async host function starts; its time is added when its future ends.
    pub(crate) fn async_host_call(&mut self) -> crate::stats::AsyncHostTime {
        let data = self.caller.data_mut();
        data.counters.host_calls += 1;
        data.async_host_time.clone()
    }

    /// The plug-in's name.
    pub fn plugin_name(&self) -> &str {
        &self.caller.data().info.name
    }

    /// The export being called, if a call is running.
    pub fn function_name(&self) -> Option<&str> {
        self.caller.data().function.as_deref()
    }

    /// The running call's deadline and cancellation: a host function that
    /// waits for anything should wait through it, so that `timeout_ms` and
    /// [`CancelHandle::cancel`](crate::CancelHandle::cancel) reach the call
    /// while it waits (see [`CallInterrupt`]).
    pub fn interrupt(&self) -> CallInterrupt {
        self.caller.data().interrupt.signal()
    }

    /// Allocates a block of `len` bytes in the kernel memory.
    ///
    /// # Errors
    /// When the memory limit is reached or the block cannot fit.
    pub fn alloc(&mut self, len: u64) -> Result<u64, HostError> {
        let offset = kernel::alloc(&mut self.caller, len).map_err(HostError::msg)?;
        if offset == 0 && len != 0 {
            return Err(HostError::msg(format!(
                "cannot allocate {len} bytes in the kernel memory"
            )));
        }
        Ok(offset)
    }

    /// Frees a block; unknown offsets are ignored.
    pub fn free(&mut self, offset: u64) {
        // Freeing never grows memory and never fails on a valid store.
        let _ = kernel::free(&mut self.caller, offset);
    }

    /// The length of the block at `offset` (0 if it is not a block).
    pub fn length(&self, offset: u64) -> u64 {
        self.caller.data().kernel.blocks.length(offset)
    }

    /// The bytes of the block at `offset`, borrowed from the kernel memory
    /// (offset 0: empty).
    ///
    /// # Errors
    /// When `offset` is not the start of a live block.
    pub fn read_bytes(&self, offset: u64) -> Result<&[u8], HostError> {
        kernel::block(&self.caller, offset, "host function argument").map_err(HostError::from)
    }

    /// The block at `offset` as UTF-8 text.
    ///
    /// # Errors
    /// When `offset` is not a block or its bytes are not UTF-8.
    pub fn read_str(&self, offset: u64) -> Result<&str, HostError> {
        let bytes = self.read_bytes(offset)?;
        std::str::from_utf8(bytes).map_err(|e| {
            HostError::msg(format!("block at offset {offset} is not valid UTF-8: {e}"))
        })
    }

    /// Copies `bytes` into a new block and returns its offset (0 for empty
    /// bytes: the ABI reads offset 0 as empty).
    ///
    /// # Errors
    /// When the memory limit is reached.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<u64, HostError> {
        kernel::write_new(&mut self.caller, bytes).map_err(HostError::msg)
    }

    /// Sets the plug-in's error to `message`, as the official SDKs'
    /// `CurrentPlugin::set_error` does: the plug-in reads it with `error_get`
    /// after this host function returns, and a call that ends with it still
    /// set fails with [`Error::Plugin`](crate::Error::Plugin). An empty
    /// message clears the error.
    ///
    /// # Errors
    /// When the memory limit is reached.
    pub fn set_error(&mut self, message: &str) -> Result<(), HostError> {
        let block = self.write_str(message)?;
        self.caller.data_mut().kernel.set_error(block);
        Ok(())
    }

    /// Copies `text` into a new block.
    ///
    /// # Errors
    /// When the memory limit is reached.
    pub fn write_str(&mut self, text: &str) -> Result<u64, HostError> {
        self.write_bytes(text.as_bytes())
    }

    /// The whole kernel memory.
    pub fn memory(&self) -> &[u8] {
        match self.caller.data().kernel.instance {
            Some(instance) => instance.memory.data(&self.caller),
            None => &[],
        }
    }

    /// The whole kernel memory, writable. Writes outside live blocks are
    /// allowed (the plug-in can make them too) but rarely what you want; the
    /// first 64 bytes are the kernel's own (the current input's range), and
    /// the next call rewrites them.
    pub fn memory_mut(&mut self) -> &mut [u8] {
        self.caller.data_mut().kernel.header_may_have_changed();
        match self.caller.data().kernel.instance {
            Some(instance) => instance.memory.data_mut(&mut self.caller),
            None => &mut [],
        }
    }

    /// A config value of the plug-in.
    pub fn config(&self, key: &str) -> Option<&str> {
        self.caller.data().config.get(key).map(String::as_str)
    }

    /// A var of the plug-in.
    pub fn var(&self, key: &str) -> Option<&[u8]> {
        self.caller.data().vars.get(key)
    }

    /// Sets a var of the plug-in (empty bytes remove it).
    ///
    /// # Errors
    /// When vars are disabled or the store would exceed `max_var_bytes`.
    pub fn set_var(&mut self, key: &str, value: &[u8]) -> Result<(), HostError> {
        self.caller
            .data_mut()
            .vars
            .set(key, value)
            .map_err(HostError::msg)
    }

    /// Logs a line as the plug-in would.
    pub fn log(&self, level: LogLevel, message: &str) {
        let data = self.caller.data();
        data.log.emit(&data.info.name, level, message);
    }

    /// The context the host lent to the running call, if it is a `T` (see
    /// [`Plugin::call_with_context`](crate::Plugin::call_with_context)).
    pub fn context<T: 'static>(&mut self) -> Option<&mut T> {
        self.caller.data_mut().context.as_mut()?.get_mut()
    }

    /// The host's state of type `T` (see
    /// [`PluginBuilder::with_state`](crate::PluginBuilder::with_state)).
    pub fn state<T: 'static>(&self) -> Option<&T> {
        self.caller.data().states.get()
    }

    /// The host's state of type `T`, writable.
    pub fn state_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.caller.data_mut().states.get_mut()
    }

    /// Runs `f` with both the plug-in and the host's state of type `T`.
    ///
    /// # Errors
    /// When no state of type `T` was given to the plug-in.
    pub fn borrow_state<T: Send + 'static, R>(
        &mut self,
        f: impl FnOnce(&mut CurrentPlugin<'a>, &mut T) -> R,
    ) -> Result<R, HostError> {
        let mut state = self.take_boxed::<T>()?;
        let result = f(self, &mut state);
        self.caller.data_mut().states.put_back(state);
        Ok(result)
    }

    /// Takes the host's state of type `T` out of the plug-in until the
    /// returned guard is dropped, which puts it back.
    ///
    /// This is [`borrow_state`](Self::borrow_state) for async host functions
    /// ([`HostFunction::wrap_async`](crate::HostFunction::wrap_async)), whose
    /// futures hold states across `.await`, where a closure's borrow cannot
    /// reach. The guard owns the state, and [`TakenState::parts`] lends the
    /// plug-in and the state together for as long as the future needs them.
    /// The guard puts the state back however the future ends, also when the
    /// call's future is dropped before it completes. While it is taken,
    /// [`state`](Self::state) does not see it. For several states, take each
    /// from the plug-in the previous guard lends.
    ///
    /// ```
    /// use extism_host::{CurrentPlugin, HostFunction};
    ///
    /// struct Greeting(String);
    /// struct Greeted(u64);
    ///
    /// let greet = HostFunction::wrap_async(
    ///     "greet",
    ///     |mut plugin: CurrentPlugin<'_>, (name,): (u64,)| {
    ///         Box::new(async move {
    ///             let name = plugin.read_str(name)?.to_string();
    ///             let mut greeting = plugin.take_state::<Greeting>()?;
    ///             let (plugin, greeting) = greeting.parts();
    ///             let mut greeted = plugin.take_state::<Greeted>()?;
    ///             let (plugin, greeted) = greeted.parts();
    ///             // e.g. tokio::time::sleep(Duration::from_millis(5)).await;
    ///             greeted.0 += 1;
    ///             plugin.write_str(&format!("{}, {name}! (#{})", greeting.0, greeted.0))
    ///         })
    ///     },
    /// );
    /// assert!(greet.is_async());
    /// ```
    ///
    /// # Errors
    /// When no state of type `T` was given to the plug-in.
    pub fn take_state<T: Send + 'static>(&mut self) -> Result<TakenState<'_, 'a, T>, HostError> {
        let state: Box<dyn Any + Send> = self.take_boxed::<T>()?;
        Ok(TakenState {
            plugin: self,
            state: Some((TypeId::of::<T>(), state)),
            ty: PhantomData,
        })
    }

    /// The host's state of type `T`, out of the store, or an error naming `T`
    /// and the plug-in.
    fn take_boxed<T: Send + 'static>(&mut self) -> Result<Box<T>, HostError> {
        self.caller.data_mut().states.take::<T>().ok_or_else(|| {
            HostError::msg(format!(
                "no state of type `{}` was given to plug-in `{}` (PluginBuilder::with_state)",
                std::any::type_name::<T>(),
                self.plugin_name()
            ))
        })
    }
}

/// The host's state of type `T`, taken out of a plug-in by
/// [`CurrentPlugin::take_state`]; dropping the guard puts it back.
pub struct TakenState<'p, 'a, T> {
    plugin: &'p mut CurrentPlugin<'a>,
    /// The state and its type, until the guard is dropped. Type-erased so that the
    /// struct needs no bounds: a state type that is not `Send` is then reported once,
    /// at `take_state`.
    state: Option<(TypeId, Box<dyn Any + Send>)>,
    ty: PhantomData<fn() -> T>,
}

impl<'a, T: 'static> TakenState<'_, 'a, T> {
    /// The plug-in and the state, both writable.
    pub fn parts(&mut self) -> (&mut CurrentPlugin<'a>, &mut T) {
        let state = self
            .state
            .as_mut()
            .and_then(|(_, state)| state.downcast_mut())
            .expect("the state is a `T` and is taken until the guard is dropped");
        (self.plugin, state)
    }
}

impl<T> Drop for TakenState<'_, '_, T> {
    fn drop(&mut self) {
        if let Some((ty, state)) = self.state.take() {
            self.plugin.caller.data_mut().states.put_back_any(ty, state);
        }
    }
}

impl<T> std::fmt::Debug for TakenState<'_, '_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakenState")
            .field("plugin", &self.plugin.plugin_name())
            .field("state", &std::any::type_name::<T>())
            .finish()
    }
}
