//! Turning a manifest's `wasm` entries into named module bytes: reading
//! files, decoding data, downloading URLs, checking hashes and choosing the
//! main module the way the reference runtime does.

use sha2::{Digest, Sha256};

use crate::abi::{self, KERNEL_NAMESPACE, MAIN};
use crate::error::{BoxError, Error, Result};
use crate::manifest::{Manifest, Wasm};

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
    // Main last; `linker::plan` then puts each module after the modules it
    // imports from, which is the order instances are made in.
    modules.sort_by_key(|m| m.name == MAIN);
    Ok(modules)
}

/// Each entry's module name ([`abi::module_names`]), checked: unique, and
/// not the kernel's namespace.
fn module_names(wasm: &[Wasm]) -> Result<Vec<String>> {
    let declared: Vec<Option<&str>> = wasm.iter().map(|w| w.meta().name.as_deref()).collect();
    let (names, _) = abi::module_names(&declared);
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

/// The name a plug-in gets when the host gives none: its main module's file
/// name or URL, or `plugin`.
pub(crate) fn default_plugin_name(wasm: &[Wasm]) -> String {
    let declared: Vec<Option<&str>> = wasm.iter().map(|w| w.meta().name.as_deref()).collect();
    let (_, main) = abi::module_names(&declared);
    match wasm.get(main) {
        Some(Wasm::File { path, .. }) => path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into()),
        Some(Wasm::Url { request, .. }) => request.url.clone(),
        _ => "plugin".into(),
    }
}

/// Why a module's bytes could not be had: in words, and the error behind
/// it, which becomes [`Error::WasmSource`]'s source.
pub(crate) struct LoadFailure {
    cause: String,
    source: Option<BoxError>,
}

impl LoadFailure {
    /// A failure with no error behind it.
    pub(crate) fn new(cause: impl Into<String>) -> Self {
        LoadFailure {
            cause: cause.into(),
            source: None,
        }
    }

    /// `what` failed because of `source`.
    pub(crate) fn because(
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        LoadFailure {
            cause: what.to_string(),
            source: Some(Box::new(source)),
        }
    }
}

fn read(wasm: &Wasm, name: &str) -> Result<Vec<u8>> {
    let (source_name, bytes) = match wasm {
        Wasm::Data { data, .. } => return Ok(data.clone()),
        Wasm::File { path, .. } => (format!("file `{}`", path.display()), read_file(path)),
        Wasm::Url { request, .. } => (
            format!("URL `{}`", request.url),
            crate::http::fetch_module(request),
        ),
    };
    bytes.map_err(|failure| Error::WasmSource {
        module: name.to_string(),
        source_name,
        cause: failure.cause,
        source: failure.source,
    })
}

/// Reads a module file: a regular file (symbolic links followed) of at most
/// [`MAX_MODULE_BYTES`]. Devices and FIFOs are refused before they are
/// opened, since opening a FIFO blocks and `/dev/zero` never ends.
fn read_file(path: &std::path::Path) -> std::result::Result<Vec<u8>, LoadFailure> {
    let regular = |meta: &std::fs::Metadata| -> std::result::Result<(), LoadFailure> {
        if !meta.is_file() {
            return Err(LoadFailure::new("it is not a regular file"));
        }
        if meta.len() > MAX_MODULE_BYTES {
            return Err(LoadFailure::new(format!(
                "it is {} bytes, more than the {MAX_MODULE_BYTES} bytes a module may be",
                meta.len()
            )));
        }
        Ok(())
    };
    let cannot_open = |e| LoadFailure::because("cannot open it", e);
    regular(&std::fs::metadata(path).map_err(cannot_open)?)?;
    let file = std::fs::File::open(path).map_err(cannot_open)?;
    // Checked again on the open file, in case the path changed in between.
    let meta = file.metadata().map_err(cannot_open)?;
    regular(&meta)?;
    read_capped(file, meta.len())
}

/// Reads a module from `reader`, refusing more than [`MAX_MODULE_BYTES`].
pub(crate) fn read_capped(
    reader: impl std::io::Read,
    expected_len: u64,
) -> std::result::Result<Vec<u8>, LoadFailure> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(expected_len.min(MAX_MODULE_BYTES) as usize);
    reader
        .take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadFailure::because("cannot read it", e))?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(LoadFailure::new(format!(
            "the module is larger than the {MAX_MODULE_BYTES} bytes a module may be"
        )));
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
    fn the_plugin_is_named_after_its_main_module() {
        // `a` is unnamed, so it is main, though `b` comes last.
        let wasm = [Wasm::file("dir/a.wat"), Wasm::file("b.wat").with_name("b")];
        assert_eq!(default_plugin_name(&wasm), "a.wat");
        let wasm = [
            Wasm::file("a.wat").with_name("a"),
            Wasm::file("b.wat").with_name("b"),
        ];
        assert_eq!(default_plugin_name(&wasm), "b.wat");
        assert_eq!(default_plugin_name(&[Wasm::data(vec![])]), "plugin");
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
