//! Block bookkeeping for the kernel memory.
//!
//! The allocator never touches the memory itself: it hands out offsets and
//! remembers, for every live block, the exact length that was asked for. The
//! caller grows the wasm memory to [`Allocator::end`] after each allocation.
//!
//! Every operation is O(1) or O(log n) in the number of blocks, so a plug-in
//! that allocates thousands of blocks per call (one per host-function round
//! trip, say) does not slow down as the call goes on.
//!
//! The bookkeeping is host memory that the plug-in controls the size of (one
//! entry per live block, at most one free-list entry per live block since
//! free neighbours coalesce), so each live block past the first
//! [`UNCHARGED_BLOCKS`] is charged [`BOOKKEEPING_BYTES`] against the
//! plug-in's memory budget (`kernel/mod.rs` does the charging), and large
//! tables are released when a call ends.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

/// First offset handed out. Offset 0 is the ABI's null, and keeping a small
/// gap below the first block means no valid block starts at a tiny offset that
/// a confused plug-in might pass by accident.
pub(crate) const BASE: u64 = 64;

/// Blocks are 8-byte aligned, so the PDKs' 8-byte loads and stores are aligned.
const ALIGN: u64 = 8;

/// A remainder smaller than this stays inside the block it was cut from.
const MIN_SPLIT: u64 = 32;

/// The largest block that can exist: the kernel memory is a 32-bit memory.
pub(crate) const MAX_END: u64 = 1 << 32;

/// What one live block may cost in host memory: its entry in the live table
/// (24 bytes in a hash table that is between 7/16 and 7/8 full, twice that
/// while it grows) and one free-list entry in each of two B-trees (16 bytes
/// in nodes at least half full). Measured by `hostile::block_bookkeeping_*`.
pub(crate) const BOOKKEEPING_BYTES: u64 = 128;

/// Live blocks whose bookkeeping is not charged: a fixed 512 KiB at most per
/// instance, so that plug-ins under a tiny `max_pages` (even 0) can still
/// exchange a few thousand blocks in the kernel memory they start with.
pub(crate) const UNCHARGED_BLOCKS: u64 = 4096;

/// How many of `live` blocks are charged.
pub(crate) fn charged(live: u64) -> u64 {
    live.saturating_sub(UNCHARGED_BLOCKS)
}

/// Tables with more entries than this are dropped, not just emptied, when
/// a call ends, so an instance does not keep a past call's peak.
const RETAIN_ENTRIES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    /// The length the block was allocated with, as `length` reports it.
    len: u64,
    /// The space the block occupies (at least `len`, aligned).
    cap: u64,
}

/// Where the blocks of one kernel memory are.
#[derive(Debug, Default)]
pub(crate) struct Allocator {
    /// End of the highest block ever handed out since the last reset.
    top: u64,
    /// The highest `top` since the allocator was made or last scrubbed:
    /// kernel memory below it may hold a past call's data.
    high_water: u64,
    live: FxHashMap<u64, Block>,
    /// Free space below `top`, by size (best fit) and by offset (coalescing).
    free_by_size: BTreeSet<(u64, u64)>,
    free_by_offset: BTreeMap<u64, u64>,
}

impl Allocator {
    pub(crate) fn new() -> Self {
        Allocator {
            top: BASE,
            high_water: BASE,
            ..Default::default()
        }
    }

    /// Forgets every block: offsets start again from [`BASE`]. Returns how
    /// many live blocks were forgotten (their charge is refunded).
    pub(crate) fn reset(&mut self) -> u64 {
        let forgotten = self.live.len() as u64;
        self.top = BASE;
        self.live.clear();
        self.free_by_size.clear();
        self.free_by_offset.clear();
        forgotten
    }

    /// The end of a call: the blocks are dead (the output is a range the
    /// host already holds), so tables a call made large are dropped rather
    /// than kept until the next call. Returns how many live blocks were
    /// forgotten (their charge is refunded); `top` stays, so the output
    /// still lies in the block region.
    pub(crate) fn end_call(&mut self) -> u64 {
        if self.live.capacity() <= RETAIN_ENTRIES && self.free_by_offset.len() <= RETAIN_ENTRIES {
            return 0;
        }
        let forgotten = self.live.len() as u64;
        self.live = FxHashMap::default();
        self.free_by_size = BTreeSet::new();
        self.free_by_offset = BTreeMap::new();
        forgotten
    }

    /// The end of the region past calls may have written, and the start of
    /// a new one: the caller zeroes the memory below the returned offset.
    /// How many blocks are live.
    pub(crate) fn live(&self) -> u64 {
        self.live.len() as u64
    }

    pub(crate) fn take_high_water(&mut self) -> u64 {
        let high = self.high_water.max(self.top);
        self.high_water = self.top;
        high
    }

    /// The end of the highest block: the memory must be at least this large.
    pub(crate) fn end(&self) -> u64 {
        self.top
    }

    /// Reserves `len` bytes and returns the block's offset; `None` when `len`
    /// is zero or the block would not fit in a 32-bit memory.
    pub(crate) fn alloc(&mut self, len: u64) -> Option<u64> {
        if len == 0 || len > MAX_END - BASE {
            return None;
        }
        let cap = len.div_ceil(ALIGN) * ALIGN;
        let (offset, cap) = match self.take_free(cap) {
            Some(found) => found,
            None => {
                let offset = self.top;
                let end = offset.checked_add(cap).filter(|end| *end <= MAX_END)?;
                self.top = end;
                self.high_water = self.high_water.max(end);
                (offset, cap)
            }
        };
        self.live.insert(offset, Block { len, cap });
        Some(offset)
    }

    /// Best fit among the free blocks: returns the offset and the space the
    /// new block gets. The rest of a much larger free block stays free; a
    /// small remainder goes with the block so that no space is lost.
    fn take_free(&mut self, cap: u64) -> Option<(u64, u64)> {
        let &(free_cap, offset) = self.free_by_size.range((cap, 0)..).next()?;
        self.remove_free(offset, free_cap);
        if free_cap - cap >= MIN_SPLIT {
            self.insert_free(offset + cap, free_cap - cap);
            Some((offset, cap))
        } else {
            Some((offset, free_cap))
        }
    }

    /// Releases the block at `offset`; unknown offsets are ignored, so stale
    /// and double frees (which some PDKs do) are harmless.
    pub(crate) fn free(&mut self, offset: u64) -> bool {
        let Some(block) = self.live.remove(&offset) else {
            return false;
        };
        let (mut start, mut cap) = (offset, block.cap);
        if let Some((&prev, &prev_cap)) = self.free_by_offset.range(..start).next_back() {
            if prev + prev_cap == start {
                self.remove_free(prev, prev_cap);
                start = prev;
                cap += prev_cap;
            }
        }
        if let Some(&next_cap) = self.free_by_offset.get(&(start + cap)) {
            self.remove_free(start + cap, next_cap);
            cap += next_cap;
        }
        if start + cap == self.top {
            self.top = start;
        } else {
            self.insert_free(start, cap);
        }
        true
    }

    /// The exact length of the live block that starts at `offset`, or 0.
    pub(crate) fn length(&self, offset: u64) -> u64 {
        self.live.get(&offset).map_or(0, |block| block.len)
    }

    /// Whether `offset..offset + len` lies inside the region blocks live in.
    pub(crate) fn in_region(&self, offset: u64, len: u64) -> bool {
        offset >= BASE && offset.checked_add(len).is_some_and(|end| end <= self.top)
    }

    fn insert_free(&mut self, offset: u64, cap: u64) {
        self.free_by_size.insert((cap, offset));
        self.free_by_offset.insert(offset, cap);
    }

    fn remove_free(&mut self, offset: u64, cap: u64) {
        self.free_by_size.remove(&(cap, offset));
        self.free_by_offset.remove(&offset);
    }
}
