//! The plug-in's var store: bytes kept across calls, under a size limit.

use std::collections::BTreeMap;

/// What one entry costs on top of its key and value, as the reference counts
/// it (`size_of::<String>() + size_of::<Vec<u8>>()` on a 64-bit host), so that
/// a plug-in fills the store at the same point on both runtimes.
const ENTRY_OVERHEAD: u64 = 48;

/// Why a var could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarError {
    /// `max_var_bytes` is 0.
    Disabled,
    /// Storing the value would take the store past its limit.
    Full { needed: u64, limit: u64 },
}

impl std::fmt::Display for VarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarError::Disabled => write!(f, "vars are disabled by this host (max_var_bytes is 0)"),
            VarError::Full { needed, limit } => write!(
                f,
                "variable store is full: storing this var needs {needed} bytes, the limit (max_var_bytes) is {limit}"
            ),
        }
    }
}

/// Vars of one plug-in instance.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    entries: BTreeMap<String, Vec<u8>>,
    /// Sum of key, value and overhead over all entries.
    size: u64,
    limit: u64,
}

impl Vars {
    pub(crate) fn new(limit: u64) -> Self {
        Vars {
            limit,
            ..Vars::default()
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Stores `value` under `key`; an empty value removes the key (an empty
    /// block is offset 0, which the ABI reads as "delete").
    ///
    /// The existing value of the key counts against the limit while the new
    /// one is checked, exactly as in the reference.
    pub(crate) fn set(&mut self, key: &str, value: &[u8]) -> Result<(), VarError> {
        if self.limit == 0 {
            return Err(VarError::Disabled);
        }
        if value.is_empty() {
            self.remove(key);
            return Ok(());
        }
        let needed = self.size + entry_size(key, value);
        if needed > self.limit {
            return Err(VarError::Full {
                needed,
                limit: self.limit,
            });
        }
        if let Some(old) = self.entries.insert(key.to_string(), value.to_vec()) {
            self.size -= entry_size(key, &old);
        }
        self.size += entry_size(key, value);
        Ok(())
    }

    /// Whether storing `value_len` bytes under `key` would be accepted, so
    /// that a refused value need not be copied first.
    pub(crate) fn check(&self, key: &str, value_len: u64) -> Result<(), VarError> {
        if self.limit == 0 {
            return Err(VarError::Disabled);
        }
        if value_len == 0 {
            return Ok(());
        }
        let needed = self.size + key.len() as u64 + value_len + ENTRY_OVERHEAD;
        if needed > self.limit {
            return Err(VarError::Full {
                needed,
                limit: self.limit,
            });
        }
        Ok(())
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Vec<u8>> {
        let old = self.entries.remove(key)?;
        self.size -= entry_size(key, &old);
        Some(old)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.size = 0;
    }
}

fn entry_size(key: &str, value: &[u8]) -> u64 {
    key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_counts_like_the_reference() {
        let mut vars = Vars::new(100);
        vars.set("k", &[1; 40]).unwrap(); // 1 + 40 + 48 = 89
        assert_eq!(vars.get("k"), Some(&[1u8; 40][..]));
        // Replacing counts the old value too: 89 + 89 > 100.
        assert!(matches!(
            vars.set("k", &[2; 40]),
            Err(VarError::Full {
                needed: 178,
                limit: 100
            })
        ));
        vars.set("k", &[]).unwrap();
        assert_eq!(vars.get("k"), None);
        vars.set("k", &[3; 51]).unwrap(); // exactly 100
        assert!(Vars::new(0).set("a", b"b").unwrap_err() == VarError::Disabled);
    }
}
