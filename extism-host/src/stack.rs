//! Running wasm on a native stack with room for it, whatever thread calls.
//!
//! wasmtime lets wasm use `max_wasm_stack` bytes of the native stack below
//! the point where it is entered, and relies on the thread having that much
//! (plus what host functions need) left: on a thread with a smaller stack,
//! deep recursion runs into the guard page and the process aborts. So
//! synchronous calls and instantiations check the room left and, when it is
//! short, run on a freshly allocated stack segment (`stacker`). Async calls
//! run on wasmtime's fibers, which are sized here too.

/// wasmtime's default for `max_wasm_stack`.
pub(crate) const DEFAULT_WASM_STACK: usize = 512 * 1024;

/// The largest wasm stack an engine may be given.
pub(crate) const MAX_WASM_STACK: usize = 256 * 1024 * 1024;

/// Native stack kept for host functions (the kernel, WASI, the user's own)
/// below the deepest wasm frame.
const HOST_MARGIN: usize = 1024 * 1024;

/// wasmtime's default fiber size, kept as the smallest.
const MIN_FIBER: usize = 2 * 1024 * 1024;

/// The stack size of the fibers async calls run on.
pub(crate) fn fiber_size(wasm_stack: usize) -> usize {
    wasm_stack.saturating_add(HOST_MARGIN).max(MIN_FIBER)
}

/// Runs `f` (which enters wasm synchronously) with at least `wasm_stack`
/// plus the host margin of native stack left.
pub(crate) fn with_room<R>(wasm_stack: usize, f: impl FnOnce() -> R) -> R {
    let needed = wasm_stack.saturating_add(HOST_MARGIN);
    stacker::maybe_grow(needed, needed.saturating_add(HOST_MARGIN), f)
}
