//! The modules an engine compiled recently, so that loading the same plug-in
//! again costs a hash instead of a compilation.
//!
//! Entries are keyed by the SHA-256 of the module's bytes; the bytes
//! themselves are not kept. The cache is bounded by entries and by bytes
//! (each entry is charged its compiled image plus the size of its source, an
//! upper bound on the memory image wasmtime builds from its data segments),
//! and evicts the least recently used entry first. A module still used by a
//! plug-in lives on in that plug-in after eviction.

use std::collections::VecDeque;

use sha2::{Digest, Sha256};

/// How many modules an engine keeps compiled by default.
pub(crate) const DEFAULT_ENTRIES: usize = 64;

/// How many bytes of compiled modules an engine keeps by default.
pub(crate) const DEFAULT_BYTES: u64 = 256 * 1024 * 1024;

/// What an engine's module cache holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleCacheStats {
    /// Modules held.
    pub entries: usize,
    /// Bytes they are charged (see [`EngineBuilder::with_module_cache`](crate::EngineBuilder::with_module_cache)).
    pub bytes: u64,
}

pub(crate) type Key = [u8; 32];

pub(crate) fn key(bytes: &[u8]) -> Key {
    Sha256::digest(bytes).into()
}

/// Recently compiled modules, most recently used last.
pub(crate) struct ModuleCache {
    entries: VecDeque<Entry>,
    bytes: u64,
    max_entries: usize,
    max_bytes: u64,
}

struct Entry {
    key: Key,
    cost: u64,
    module: wasmtime::Module,
}

impl ModuleCache {
    pub(crate) fn new(max_entries: usize, max_bytes: u64) -> Self {
        ModuleCache {
            entries: VecDeque::new(),
            bytes: 0,
            max_entries,
            max_bytes,
        }
    }

    pub(crate) fn get(&mut self, key: &Key) -> Option<wasmtime::Module> {
        let at = self.entries.iter().position(|e| e.key == *key)?;
        let entry = self.entries.remove(at)?;
        let module = entry.module.clone();
        self.entries.push_back(entry);
        Some(module)
    }

    /// Keeps `module` (compiled from `source_len` bytes) if it fits the
    /// budget, evicting the least recently used entries to make room.
    pub(crate) fn insert(&mut self, key: Key, source_len: usize, module: &wasmtime::Module) {
        if self.entries.iter().any(|e| e.key == key) {
            return;
        }
        let image = module.image_range();
        let cost = (image.end as u64 - image.start as u64).saturating_add(source_len as u64);
        if cost > self.max_bytes || self.max_entries == 0 {
            return;
        }
        while self.entries.len() >= self.max_entries || self.bytes + cost > self.max_bytes {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.cost,
                None => break,
            }
        }
        self.bytes += cost;
        self.entries.push_back(Entry {
            key,
            cost,
            module: module.clone(),
        });
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    pub(crate) fn stats(&self) -> ModuleCacheStats {
        ModuleCacheStats {
            entries: self.entries.len(),
            bytes: self.bytes,
        }
    }
}
