//! Enforcing the manifest's memory limits inside a store (time limits and
//! cancellation are `interrupt.rs`).

/// The page size of wasm memories.
pub(crate) const PAGE: u64 = 64 * 1024;

/// How large a memory may be declared, in pages, when `max_pages` is lower.
const INITIAL_ALLOWANCE_PAGES: u64 = 256;

/// The most elements a plug-in's tables may have together (toolchains emit
/// a few hundred).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Raised (as a trap) when a memory would grow past the plug-in's budget,
/// or a module declares a memory larger than `max_pages`.
#[derive(Debug)]
pub(crate) struct MemoryLimitExceeded {
    pub(crate) max_pages: u32,
    /// The pages a module's memory declares, when that is what is over.
    pub(crate) declared_pages: Option<u64>,
}

impl std::fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.declared_pages {
            Some(declared) => write!(
                f,
                "memory limit exceeded: a memory of {declared} pages is declared, more than the {} allowed",
                self.max_pages
            ),
            None => write!(
                f,
                "memory limit exceeded: the plug-in's memories may grow by at most {} pages",
                self.max_pages
            ),
        }
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// `max_pages` as the reference applies it: each memory a plug-in's module
/// declares may be at most `max_pages` large (a 17-page Rust PDK plug-in
/// does not run under `max_pages: 16`), and once the plug-in is instantiated
/// one budget of `max_pages` covers the growth of every memory in the store
/// (the plug-in's modules and the kernel).
///
/// Host memory that the plug-in decides the size of (the kernel's block
/// bookkeeping) is charged against the same budget while it is held.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    max_pages: Option<u32>,
    /// The budget in bytes (`u64::MAX`: none).
    budget: u64,
    /// Growth of the memories since counting started.
    grown: u64,
    /// Host bookkeeping charged now.
    held: u64,
    counting: bool,
    /// Whether memories created now are the plug-in's own (the kernel's,
    /// made first, is host bookkeeping under the growth budget only).
    plugin_memories: bool,
    /// Bytes of memory declared by the modules, during instantiation.
    initial_bytes: u64,
    /// Elements of all the plug-in's tables together.
    table_elements: usize,
    /// Bytes of every memory in the store now, for call figures.
    memory_bytes: u64,
    /// The most `memory_bytes` held since [`start_call`](Self::start_call).
    peak_bytes: u64,
}

impl MemoryLimiter {
    pub(crate) fn new(max_pages: Option<u32>) -> Self {
        MemoryLimiter {
            max_pages,
            budget: max_pages.map_or(u64::MAX, |p| u64::from(p) * PAGE),
            grown: 0,
            held: 0,
            counting: false,
            plugin_memories: false,
            initial_bytes: 0,
            table_elements: 0,
            memory_bytes: 0,
            peak_bytes: 0,
        }
    }

    /// A call starts: its peak starts from what the memories hold now.
    pub(crate) fn start_call(&mut self) {
        self.peak_bytes = self.memory_bytes;
    }

    /// Bytes of every memory in the store now, and the most since the call
    /// started.
    pub(crate) fn memory(&self) -> (u64, u64) {
        (self.memory_bytes, self.peak_bytes.max(self.memory_bytes))
    }

    /// The kernel is made: memories created from now on are the plug-in's.
    pub(crate) fn kernel_made(&mut self) {
        self.plugin_memories = true;
    }

    /// Memories made from now on are declared memories (a command instance
    /// made within a call) until [`resume_counting`](Self::resume_counting).
    pub(crate) fn pause_counting(&mut self) {
        self.counting = false;
    }

    /// Charges growth again after [`pause_counting`](Self::pause_counting).
    pub(crate) fn resume_counting(&mut self) {
        self.counting = true;
    }

    /// Whether declared memories take more than half of what the store may
    /// declare in all.
    pub(crate) fn declared_over_half(&self) -> bool {
        self.max_pages.is_some_and(|max_pages| {
            let allowance = u64::from(max_pages).max(INITIAL_ALLOWANCE_PAGES) * PAGE;
            self.initial_bytes > allowance / 2
        })
    }

    /// Starts charging growth against the budget.
    pub(crate) fn start_counting(&mut self) {
        self.counting = true;
        self.grown = 0;
    }

    /// Charges `bytes` of host bookkeeping, or refuses when the budget
    /// cannot hold it.
    pub(crate) fn charge(&mut self, bytes: u64) -> Result<(), MemoryLimitExceeded> {
        let Some(max_pages) = self.max_pages else {
            return Ok(());
        };
        let used = self.grown.saturating_add(self.held).saturating_add(bytes);
        if used > self.budget {
            return Err(MemoryLimitExceeded {
                max_pages,
                declared_pages: None,
            });
        }
        self.held += bytes;
        Ok(())
    }

    /// Gives back bookkeeping charged with [`charge`](Self::charge).
    pub(crate) fn refund(&mut self, bytes: u64) {
        self.held = self.held.saturating_sub(bytes);
    }
}

impl MemoryLimiter {
    /// Whether a memory may grow from `current` to `desired` bytes.
    fn allow_memory(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let Some(max_pages) = self.max_pages else {
            return Ok(true);
        };
        if !self.counting {
            // Instantiation: each of the plug-in's memories may be at most
            // `max_pages`, as in the reference; they are not charged against
            // the growth budget, but together with the kernel's they may not
            // exceed the larger of the limit and 16 MiB, or many memories of
            // `max_pages` each would hold the host's memory.
            let limit = u64::from(max_pages) * PAGE;
            if self.plugin_memories && desired as u64 > limit {
                return Err(wasmtime::Error::new(MemoryLimitExceeded {
                    max_pages,
                    declared_pages: Some((desired as u64).div_ceil(PAGE)),
                }));
            }
            let allowance = u64::from(max_pages).max(INITIAL_ALLOWANCE_PAGES) * PAGE;
            let total = self
                .initial_bytes
                .saturating_add(desired.saturating_sub(current) as u64);
            if total > allowance {
                return Err(wasmtime::Error::new(MemoryLimitExceeded {
                    max_pages,
                    declared_pages: None,
                }));
            }
            self.initial_bytes = total;
            return Ok(true);
        }
        let growth = desired.saturating_sub(current) as u64;
        let used = self.grown.saturating_add(self.held).saturating_add(growth);
        if used > self.budget {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                max_pages,
                declared_pages: None,
            }));
        }
        self.grown += growth;
        Ok(true)
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.allow_memory(current, desired, maximum)?;
        if allowed {
            let growth = desired.saturating_sub(current) as u64;
            self.memory_bytes = self.memory_bytes.saturating_add(growth);
            self.peak_bytes = self.peak_bytes.max(self.memory_bytes);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Table elements live in host memory (8 bytes or more each), outside
        // any page budget: cap all tables together so `table.grow` cannot
        // exhaust the host.
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        if total > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.table_elements = total;
        Ok(true)
    }
}
