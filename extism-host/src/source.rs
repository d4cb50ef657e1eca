//! Turning a manifest's `wasm` entries into named module bytes: reading
//! files, decoding data, downloading URLs, checking hashes and choosing the
//! main module the way the reference runtime does.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Wasm};

/// The name of the module that is the plug-in itself.
pub(crate) const MAIN: &str = "main";
/// The kernel's namespace: no module may take it.
pub(crate) const KERNEL_NAMESPACE: &str = "extism:host/env";

/// The largest module a `wasm` entry may be (file or download): a bound on
/// what reading a manifest makes the host hold.
pub(crate) const MAX_MODULE_BYTES: u64 = 512 * 1024 * 1024;

/// One module's bytes and the name other modules import it by.
pub(crate) struct ModuleSource {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// Loads every module of `manifest`, checks hashes, and orders them with the
/// main module last.
pub(crate) fn load_modules(manifest: &Manifest) -> Result<Vec<ModuleSource>> {
    if manifest.wasm.is_empty() {
        return Err(Error::Manifest(
            "no wasm modules: `wasm` must list at least one".into(),
        ));
    }
    let names = module_names(&manifest.wasm)?;
    let mut modules = Vec::with_capacity(names.len());
    for (wasm, name) in manifest.wasm.iter().zip(names) {
        let bytes = read(wasm, &name)?;
        if let Some(expected) = &wasm.meta().hash {
            check_hash(&name, expected, &bytes)?;
        }
        modules.push(ModuleSource { name, bytes });
    }
    // Dependencies first, main last: instantiation walks this order.
    modules.sort_by_key(|m| m.name == MAIN);
    Ok(modules)
}

/// The reference's naming rules: an entry's name is its `name` or `main`;
/// a single entry is always `main`; with several, when no entry is `main`
/// by the last one, the last becomes `main`.
fn module_names(wasm: &[Wasm]) -> Result<Vec<String>> {
    if wasm.len() == 1 {
        return Ok(vec![MAIN.to_string()]);
    }
    let mut names: Vec<String> = wasm
        .iter()
        .map(|w| w.meta().name.clone().unwrap_or_else(|| MAIN.to_string()))
        .collect();
    if !names.iter().any(|n| n == MAIN) {
        if let Some(last) = names.last_mut() {
            *last = MAIN.to_string();
        }
    }
    let mut seen = std::collections::HashSet::new();
    for name in &names {
        if name == KERNEL_NAMESPACE {
            return Err(Error::Manifest(format!(
                "module name `{name}` is reserved for the Extism kernel"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::Manifest(format!(
                "duplicate module name `{name}` (unnamed modules are called `main`)"
            )));
        }
    }
    Ok(names)
}

fn read(wasm: &Wasm, name: &str) -> Result<Vec<u8>> {
    match wasm {
        Wasm::Data { data, .. } => Ok(data.clone()),
        Wasm::File { path, .. } => read_file(path).map_err(|cause| Error::WasmSource {
            module: name.to_string(),
            source_name: format!("file `{}`", path.display()),
            cause,
        }),
        Wasm::Url { request, .. } => {
            crate::http::fetch_module(request).map_err(|cause| Error::WasmSource {
                module: name.to_string(),
                source_name: format!("URL `{}`", request.url),
                cause,
            })
        }
    }
}

/// Reads a module file: a regular file (symbolic links followed) of at most
/// [`MAX_MODULE_BYTES`]. Devices and FIFOs are refused before they are
/// opened, since opening a FIFO blocks and `/dev/zero` never ends.
fn read_file(path: &std::path::Path) -> std::result::Result<Vec<u8>, String> {
    let regular = |meta: &std::fs::Metadata| -> std::result::Result<(), String> {
        if !meta.is_file() {
            return Err("it is not a regular file".into());
        }
        if meta.len() > MAX_MODULE_BYTES {
            return Err(format!(
                "it is {} bytes, more than the {MAX_MODULE_BYTES} bytes a module may be",
                meta.len()
            ));
        }
        Ok(())
    };
    regular(&std::fs::metadata(path).map_err(|e| e.to_string())?)?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // Checked again on the open file, in case the path changed in between.
    let meta = file.metadata().map_err(|e| e.to_string())?;
    regular(&meta)?;
    read_capped(file, meta.len())
}

/// Reads a module from `reader`, refusing more than [`MAX_MODULE_BYTES`].
pub(crate) fn read_capped(
    reader: impl std::io::Read,
    expected_len: u64,
) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(expected_len.min(MAX_MODULE_BYTES) as usize);
    reader
        .take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(format!(
            "the module is larger than the {MAX_MODULE_BYTES} bytes a module may be"
        ));
    }
    Ok(bytes)
}

fn check_hash(name: &str, expected: &str, bytes: &[u8]) -> Result<()> {
    let found = hex(&Sha256::digest(bytes));
    if found == expected {
        Ok(())
    } else {
        Err(Error::HashMismatch {
            module: name.to_string(),
            expected: expected.to_string(),
            found,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Option<&str>]) -> Result<Vec<String>> {
        let wasm: Vec<Wasm> = entries
            .iter()
            .map(|n| match n {
                Some(n) => Wasm::data(vec![]).with_name(*n),
                None => Wasm::data(vec![]),
            })
            .collect();
        module_names(&wasm)
    }

    #[test]
    fn naming_follows_the_reference() {
        assert_eq!(names(&[Some("lib")]).unwrap(), ["main"]);
        assert_eq!(names(&[Some("a"), Some("b")]).unwrap(), ["a", "main"]);
        assert_eq!(names(&[None, Some("b")]).unwrap(), ["main", "b"]);
        assert!(names(&[None, None])
            .unwrap_err()
            .to_string()
            .contains("duplicate module name `main`"));
        assert!(names(&[Some("extism:host/env"), None]).is_err());
    }

    #[test]
    fn hash_is_lower_case_hex_sha256() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        check_hash("m", empty, b"").unwrap();
        let err = check_hash("m", &empty.to_uppercase(), b"").unwrap_err();
        assert!(err
            .to_string()
            .contains("hash mismatch for wasm module `m`"));
    }
}
