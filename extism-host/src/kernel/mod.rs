//! Our implementation of the Extism kernel: the memory plug-ins exchange
//! data through, and the `extism:host/env` functions that manage it.
//!
//! The kernel is split by how often each function runs:
//!
//! * `kernel.wat` holds the memory and the per-8-byte functions (`load_*`,
//!   `store_*`, `input_load_*`, `input_length`, `input_offset`). One small
//!   instance of it lives in every plug-in's store, and plug-ins import these
//!   functions straight from it, so each call is wasm to wasm.
//! * The per-block functions (`alloc`, `free`, `length`, `output_set`,
//!   `error_set`, ...) are host functions over [`Allocator`], which keeps the
//!   block table outside the plug-in's reach: a plug-in can scribble on the
//!   kernel memory, but never on the bookkeeping.

mod allocator;

use wasmtime::{AsContextMut, Caller, Engine, Linker, Memory, Module};

pub(crate) use allocator::Allocator;
use allocator::{charged, BOOKKEEPING_BYTES};

use crate::limits::PAGE;
use crate::store::StoreData;

/// The text of the wasm half of the kernel.
const KERNEL_WAT: &str = include_str!("kernel.wat");

/// Compiles the wasm half of the kernel for `engine` (once per engine).
pub(crate) fn compile(engine: &Engine) -> wasmtime::Result<Module> {
    Module::new(engine, KERNEL_WAT)
}

/// The handles to a store's kernel instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KernelInstance {
    pub(crate) memory: Memory,
}

impl KernelInstance {
    pub(crate) fn new(store: impl AsContextMut, instance: &wasmtime::Instance) -> Option<Self> {
        let mut store = store;
        Some(KernelInstance {
            memory: instance.get_memory(&mut store, "memory")?,
        })
    }
}

/// A store's kernel: its instance, its blocks and the current call's input,
/// output and error.
#[derive(Debug, Default)]
pub(crate) struct Kernel {
    pub(crate) instance: Option<KernelInstance>,
    pub(crate) blocks: Allocator,
    input: (u64, u64),
    /// The host was handed the raw memory (`CurrentPlugin::memory_mut`) and
    /// may have written over the input header: rewrite it at the next
    /// `set_input` even if the range is unchanged.
    header_dirty: bool,
    output: (u64, u64),
    error: u64,
}

impl Kernel {
    pub(crate) fn header_may_have_changed(&mut self) {
        self.header_dirty = true;
    }
}

/// Errors of the kernel itself, raised as traps.
#[derive(Debug)]
pub(crate) enum KernelError {
    /// A host service was given an offset that is not a live block.
    InvalidHandle { what: &'static str, offset: u64 },
    /// The kernel instance is not there yet (a start function calling in).
    NotReady,
    /// The kernel memory is not large enough (a bug or a hostile plug-in).
    OutOfBounds { offset: u64, len: u64 },
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KernelError::InvalidHandle { what, offset } => {
                write!(
                    f,
                    "invalid memory offset for {what}: {offset} is not the start of a live block"
                )
            }
            KernelError::NotReady => write!(f, "the Extism kernel is not instantiated yet"),
            KernelError::OutOfBounds { offset, len } => write!(
                f,
                "kernel memory range {offset}..{} is out of bounds",
                offset.saturating_add(*len)
            ),
        }
    }
}

impl std::error::Error for KernelError {}

impl Kernel {
    pub(crate) fn new() -> Self {
        Kernel {
            blocks: Allocator::new(),
            ..Kernel::default()
        }
    }

    fn instance(&self) -> Result<KernelInstance, KernelError> {
        self.instance.ok_or(KernelError::NotReady)
    }

    pub(crate) fn output(&self) -> (u64, u64) {
        self.output
    }

    pub(crate) fn error(&self) -> u64 {
        self.error
    }

    /// Makes the block at `offset` (0: none) the call's error.
    pub(crate) fn set_error(&mut self, offset: u64) {
        self.error = offset;
    }
}

// The operations below take the whole store because allocating may grow the
// memory, which goes through the store's resource limiter.

/// Forgets every block, the input, the output and the error: the start of a
/// call.
pub(crate) fn reset(mut store: impl AsContextMut<Data = StoreData>) -> wasmtime::Result<()> {
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    let forgotten = data.kernel.blocks.reset();
    data.limiter.refund(charged(forgotten) * BOOKKEEPING_BYTES);
    let kernel = &mut data.kernel;
    kernel.output = (0, 0);
    kernel.error = 0;
    set_input(ctx, 0, 0)
}

/// Allocates a block of `len` bytes; 0 when `len` is 0 or the block cannot
/// exist. Growing past the memory limit is an error (a trap in the plug-in).
pub(crate) fn alloc(
    mut store: impl AsContextMut<Data = StoreData>,
    len: u64,
) -> wasmtime::Result<u64> {
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    let instance = data.kernel.instance()?;
    let Some(offset) = data.kernel.blocks.alloc(len) else {
        return Ok(0);
    };
    // The block's bookkeeping is host memory: it comes out of the budget
    // before the block exists.
    let charge = if charged(data.kernel.blocks.live()) > 0 {
        BOOKKEEPING_BYTES
    } else {
        0
    };
    if let Err(e) = data.limiter.charge(charge) {
        data.kernel.blocks.free(offset);
        return Err(wasmtime::Error::new(e));
    }
    let end = data.kernel.blocks.end();
    let size = instance.memory.data_size(&ctx) as u64;
    if end > size {
        let pages = (end - size).div_ceil(PAGE);
        if let Err(e) = instance.memory.grow(&mut ctx, pages) {
            let data = ctx.data_mut();
            data.kernel.blocks.free(offset);
            data.limiter.refund(charge);
            if e.is::<crate::limits::MemoryLimitExceeded>() {
                return Err(e);
            }
            // Out of address space or over the memory's own maximum: the
            // ABI's answer is the null offset.
            return Ok(0);
        }
    }
    Ok(offset)
}

/// Frees a block; unknown offsets are ignored. Freeing the input block also
/// empties the input, as in the reference.
pub(crate) fn free(
    mut store: impl AsContextMut<Data = StoreData>,
    offset: u64,
) -> wasmtime::Result<()> {
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    let was_charged = charged(data.kernel.blocks.live()) > 0;
    if !data.kernel.blocks.free(offset) {
        return Ok(());
    }
    if was_charged {
        data.limiter.refund(BOOKKEEPING_BYTES);
    }
    if offset == data.kernel.input.0 && offset != 0 {
        return set_input(ctx, offset, 0);
    }
    Ok(())
}

/// The end of a call: bookkeeping a call made large is released (the output
/// range stays readable).
pub(crate) fn end_call(data: &mut StoreData) {
    let forgotten = data.kernel.blocks.end_call();
    data.limiter.refund(charged(forgotten) * BOOKKEEPING_BYTES);
}

/// Empties the kernel and zeroes the part of its memory past calls used, so
/// that the next user of a pooled instance cannot read the last one's input,
/// output or blocks.
pub(crate) fn scrub(mut store: impl AsContextMut<Data = StoreData>) -> wasmtime::Result<()> {
    reset(&mut store)?;
    let mut ctx = store.as_context_mut();
    let memory = ctx.data().kernel.instance()?.memory;
    let high = ctx.data_mut().kernel.blocks.take_high_water();
    let bytes = memory.data_mut(&mut ctx);
    let end = usize::try_from(high).unwrap_or(usize::MAX).min(bytes.len());
    // The first 16 bytes are the input header `reset` just wrote.
    if let Some(used) = bytes.get_mut(16..end) {
        used.fill(0);
    }
    Ok(())
}

/// Allocates a block holding `bytes`; empty bytes are offset 0 (the host never
/// makes an empty block, so an empty value reads as absent).
pub(crate) fn write_new(
    mut store: impl AsContextMut<Data = StoreData>,
    bytes: &[u8],
) -> wasmtime::Result<u64> {
    if bytes.is_empty() {
        return Ok(0);
    }
    let offset = alloc(&mut store, bytes.len() as u64)?;
    if offset == 0 {
        return Err(wasmtime::Error::msg(format!(
            "cannot allocate {} bytes in the kernel memory",
            bytes.len()
        )));
    }
    let mut ctx = store.as_context_mut();
    let memory = ctx.data().kernel.instance()?.memory;
    let range = offset as usize..offset as usize + bytes.len();
    let dest = memory
        .data_mut(&mut ctx)
        .get_mut(range)
        .ok_or(KernelError::OutOfBounds {
            offset,
            len: bytes.len() as u64,
        })?;
    dest.copy_from_slice(bytes);
    Ok(offset)
}

/// The bytes of the live block at `offset` (offset 0: empty). `what` names the
/// argument in the error for an offset that is not a block.
pub(crate) fn block<'a>(
    store: impl Into<wasmtime::StoreContext<'a, StoreData>>,
    offset: u64,
    what: &'static str,
) -> Result<&'a [u8], KernelError> {
    let store = store.into();
    let kernel = &store.data().kernel;
    if offset == 0 {
        return Ok(&[]);
    }
    let len = kernel.blocks.length(offset);
    if len == 0 {
        return Err(KernelError::InvalidHandle { what, offset });
    }
    range(store, offset, len)
}

/// Any range of the kernel memory, bounds-checked.
pub(crate) fn range<'a>(
    store: impl Into<wasmtime::StoreContext<'a, StoreData>>,
    offset: u64,
    len: u64,
) -> Result<&'a [u8], KernelError> {
    let store = store.into();
    let memory = store.data().kernel.instance()?.memory;
    let start = usize::try_from(offset).map_err(|_| KernelError::OutOfBounds { offset, len })?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .ok_or(KernelError::OutOfBounds { offset, len })?;
    memory
        .data(store)
        .get(start..end)
        .ok_or(KernelError::OutOfBounds { offset, len })
}

/// Makes `offset..offset + len` the input; the range must lie in the memory,
/// which the wasm half relies on to skip its own check.
pub(crate) fn set_input(
    mut store: impl AsContextMut<Data = StoreData>,
    offset: u64,
    len: u64,
) -> wasmtime::Result<()> {
    let mut ctx = store.as_context_mut();
    let instance = ctx.data().kernel.instance()?;
    let size = instance.memory.data_size(&ctx) as u64;
    let (offset, len) = match offset.checked_add(len) {
        Some(end) if end <= size => (offset, len),
        _ => (0, 0),
    };
    // The header mirrors `kernel.input` (stores below 16 are refused), so an
    // unchanged range needs no write: an empty call on a fresh instance then
    // never touches, and never faults in, the kernel memory's first page.
    let kernel = &mut ctx.data_mut().kernel;
    if kernel.input == (offset, len) && !kernel.header_dirty {
        return Ok(());
    }
    kernel.input = (offset, len);
    kernel.header_dirty = false;
    // The wasm half reads the input range from the memory's first 16 bytes.
    let header = instance
        .memory
        .data_mut(&mut ctx)
        .get_mut(..16)
        .ok_or(KernelError::OutOfBounds { offset: 0, len: 16 })?;
    header[..8].copy_from_slice(&offset.to_le_bytes());
    header[8..].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Copies `input` into a fresh block and makes it the input.
pub(crate) fn load_input(
    mut store: impl AsContextMut<Data = StoreData>,
    input: &[u8],
) -> wasmtime::Result<()> {
    let offset = write_new(&mut store, input)?;
    set_input(store, offset, input.len() as u64)
}

/// Defines the host half of the kernel in `linker` under `namespace`.
pub(crate) fn add_to_linker(
    linker: &mut Linker<StoreData>,
    namespace: &str,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        namespace,
        "alloc",
        |caller: Caller<'_, StoreData>, len: i64| alloc(caller, len as u64).map(|o| o as i64),
    )?;
    linker.func_wrap(
        namespace,
        "free",
        |caller: Caller<'_, StoreData>, offset: i64| free(caller, offset as u64),
    )?;
    linker.func_wrap(
        namespace,
        "length",
        |caller: Caller<'_, StoreData>, offset: i64| {
            caller.data().kernel.blocks.length(offset as u64) as i64
        },
    )?;
    // Safe on any value here: no faster unchecked variant is needed.
    linker.func_wrap(
        namespace,
        "length_unsafe",
        |caller: Caller<'_, StoreData>, offset: i64| {
            caller.data().kernel.blocks.length(offset as u64) as i64
        },
    )?;
    linker.func_wrap(
        namespace,
        "output_set",
        |mut caller: Caller<'_, StoreData>, offset: i64, len: i64| {
            let kernel = &mut caller.data_mut().kernel;
            let (offset, len) = (offset as u64, len as u64);
            // Like the reference, a range outside the block region is ignored.
            if len == 0 || kernel.blocks.in_region(offset, len) {
                kernel.output = if len == 0 { (0, 0) } else { (offset, len) };
            }
        },
    )?;
    linker.func_wrap(
        namespace,
        "output_length",
        |caller: Caller<'_, StoreData>| caller.data().kernel.output.1 as i64,
    )?;
    linker.func_wrap(
        namespace,
        "output_offset",
        |caller: Caller<'_, StoreData>| caller.data().kernel.output.0 as i64,
    )?;
    linker.func_wrap(
        namespace,
        "error_set",
        |mut caller: Caller<'_, StoreData>, offset: i64| {
            let kernel = &mut caller.data_mut().kernel;
            let offset = offset as u64;
            if offset == 0 || kernel.blocks.in_region(offset, 1) {
                kernel.error = offset;
            }
        },
    )?;
    linker.func_wrap(namespace, "error_get", |caller: Caller<'_, StoreData>| {
        caller.data().kernel.error as i64
    })?;
    linker.func_wrap(
        namespace,
        "input_set",
        |caller: Caller<'_, StoreData>, offset: i64, len: i64| {
            set_input(caller, offset as u64, len as u64)
        },
    )?;
    linker.func_wrap(namespace, "reset", |caller: Caller<'_, StoreData>| {
        reset(caller)
    })?;
    linker.func_wrap(
        namespace,
        "memory_bytes",
        |caller: Caller<'_, StoreData>| caller.data().kernel.blocks.end() as i64,
    )?;
    Ok(())
}
