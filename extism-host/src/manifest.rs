//! Extism manifests: which wasm to load and what the plug-in may do.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A plug-in's description: its modules, limits, config and capabilities.
///
/// The JSON form is the one every Extism SDK reads; TOML with the same
/// fields works too, as in the official runtime. [`Manifest::from_path`]
/// reads either from a file, and `str::parse` (or [`Manifest::from_json`])
/// from text:
///
/// ```
/// use extism_host::Manifest;
///
/// let manifest: Manifest = r#"{
///     "wasm": [
///         { "path": "plugin.wasm", "hash": "0c5a..." },
///         { "url": "https://example.com/helper.wasm", "name": "helper" }
///     ],
///     "config": { "vowels": "aeiouAEIOU" },
///     "memory": { "max_pages": 16, "max_var_bytes": 4096 },
///     "allowed_hosts": ["*.example.com"],
///     "allowed_paths": { "ro:/var/data": "/data" },
///     "timeout_ms": 1000
/// }"#.parse()?;
/// assert_eq!(manifest.config["vowels"], "aeiouAEIOU");
/// assert_eq!(manifest.memory.max_pages, Some(16));
///
/// let toml: Manifest = r#"
///     timeout_ms = 1000
///     config = { vowels = "aeiouAEIOU" }
///     [[wasm]]
///     path = "plugin.wasm"
/// "#.parse()?;
/// assert_eq!(toml.timeout_ms, manifest.timeout_ms);
/// # Ok::<(), extism_host::Error>(())
/// ```
///
/// Rust code builds the same thing with [`Manifest::new`] and the `with_*`
/// methods:
///
/// ```
/// use extism_host::{Manifest, Wasm};
/// use std::time::Duration;
///
/// let manifest = Manifest::new([Wasm::file("plugin.wasm")])
///     .with_config("vowels", "aeiouAEIOU")
///     .with_max_pages(16)
///     .with_allowed_host("*.example.com")
///     .with_timeout(Duration::from_secs(1));
/// assert_eq!(manifest.timeout_ms, Some(1000));
/// assert_eq!(manifest.to_json(), r#"{"wasm":[{"path":"plugin.wasm"}],"memory":{"max_pages":16},"config":{"vowels":"aeiouAEIOU"},"allowed_hosts":["*.example.com"],"timeout_ms":1000}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The modules. With several, the one named `main` (or else the last) is
    /// the plug-in; the others satisfy its imports by name.
    #[serde(default)]
    pub wasm: Vec<Wasm>,
    /// Memory and size limits.
    #[serde(default)]
    pub memory: MemoryOptions,
    /// Read-only values the plug-in reads with `config_get`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Host name patterns the plug-in may send HTTP requests to (globs: `*`
    /// matches any run of characters, dots included). None or empty: no host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_hosts: Option<Vec<String>>,
    /// Host directories mapped into the plug-in's WASI file system, as
    /// `host path → guest path`; a host path starting with `ro:` is mounted
    /// read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_paths: Option<BTreeMap<String, PathBuf>>,
    /// Wall-clock limit of each call, in milliseconds. None: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// Limits on memory and on the sizes of what crosses the boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryOptions {
    /// How far all of the plug-in's memories together may grow, in 64 KiB
    /// pages. None: no limit beyond wasm's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u32>,
    /// Largest HTTP response body a plug-in may receive. None: 50 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_http_response_bytes: Option<u64>,
    /// Size of the var store. None: 1 MiB; 0 disables `var_set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_var_bytes: Option<u64>,
}

/// Default of [`MemoryOptions::max_var_bytes`], as in the reference runtime.
pub const DEFAULT_MAX_VAR_BYTES: u64 = 1024 * 1024;
/// Default of [`MemoryOptions::max_http_response_bytes`], as in the reference runtime.
pub const DEFAULT_MAX_HTTP_RESPONSE_BYTES: u64 = 50 * 1024 * 1024;

/// Where a module comes from, with its optional name and expected hash.
///
/// ```
/// use extism_host::{Manifest, Plugin, Wasm};
///
/// let file = Wasm::file("plugins/count_vowels.wasm").with_name("main");
/// let url = Wasm::url("https://example.com/helper.wasm").with_name("helper");
/// assert_eq!(url.meta().name.as_deref(), Some("helper"));
///
/// // Bytes (or WAT text); with a hash, other bytes are refused.
/// let wat = r#"(module (func (export "noop")))"#;
/// let hash = "0000000000000000000000000000000000000000000000000000000000000000";
/// let error = Plugin::new(Manifest::new([Wasm::data(wat).with_hash(hash)]), [], false)
///     .unwrap_err();
/// assert_eq!(error.kind(), "hash_mismatch");
/// # let _ = file;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wasm {
    /// A file on the host.
    File {
        /// The file's path.
        path: PathBuf,
        /// Name and hash.
        meta: WasmMeta,
    },
    /// The module's bytes (base64 in JSON).
    Data {
        /// The module's bytes.
        data: Vec<u8>,
        /// Name and hash.
        meta: WasmMeta,
    },
    /// A module downloaded when the plug-in is created.
    Url {
        /// What to send.
        request: WasmRequest,
        /// Name and hash.
        meta: WasmMeta,
    },
}

/// The name and expected hash of a [`Wasm`] entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasmMeta {
    /// The module name other modules import it by; `main` marks the plug-in.
    pub name: Option<String>,
    /// Lower-case hex SHA-256 the bytes must have.
    pub hash: Option<String>,
}

/// How to fetch a [`Wasm::Url`] module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasmRequest {
    /// The URL.
    pub url: String,
    /// HTTP method; GET when None.
    pub method: Option<String>,
    /// Request headers.
    pub headers: BTreeMap<String, String>,
}

impl Wasm {
    /// A module read from a file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Wasm::File {
            path: path.into(),
            meta: WasmMeta::default(),
        }
    }

    /// A module given as bytes (wasm or WAT text).
    pub fn data(data: impl Into<Vec<u8>>) -> Self {
        Wasm::Data {
            data: data.into(),
            meta: WasmMeta::default(),
        }
    }

    /// A module downloaded with GET from `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Wasm::Url {
            request: WasmRequest {
                url: url.into(),
                ..WasmRequest::default()
            },
            meta: WasmMeta::default(),
        }
    }

    /// Names the module (other modules import it by this name).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.meta_mut().name = Some(name.into());
        self
    }

    /// Requires the module's bytes to have this SHA-256 (lower-case hex).
    pub fn with_hash(mut self, hash: impl Into<String>) -> Self {
        self.meta_mut().hash = Some(hash.into());
        self
    }

    /// The entry's name and hash.
    pub fn meta(&self) -> &WasmMeta {
        match self {
            Wasm::File { meta, .. } | Wasm::Data { meta, .. } | Wasm::Url { meta, .. } => meta,
        }
    }

    fn meta_mut(&mut self) -> &mut WasmMeta {
        match self {
            Wasm::File { meta, .. } | Wasm::Data { meta, .. } | Wasm::Url { meta, .. } => meta,
        }
    }
}

impl Manifest {
    /// A manifest with these modules and every option at its default.
    pub fn new(wasm: impl IntoIterator<Item = Wasm>) -> Self {
        Manifest {
            wasm: wasm.into_iter().collect(),
            ..Manifest::default()
        }
    }

    /// Reads a manifest from JSON; the error names the offending field.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Manifest(e.to_string()))
    }

    /// Reads a manifest from TOML (the JSON form's fields, in TOML); the
    /// error names the offending field.
    pub fn from_toml(toml: &str) -> Result<Self> {
        toml::from_str(toml).map_err(|e| {
            let message = e.message().trim_end();
            let Some(span) = e.span() else {
                return Error::Manifest(message.to_string());
            };
            // As serde_json says where, for the JSON form; the line itself
            // shows the key, which TOML's message leaves out.
            let start = span.start.min(toml.len());
            let line = toml[..start].matches('\n').count() + 1;
            let text: String = toml
                .lines()
                .nth(line - 1)
                .unwrap_or("")
                .trim()
                .chars()
                .take(80)
                .collect();
            Error::Manifest(format!("{message} at line {line}: `{text}`"))
        })
    }

    /// Reads a manifest file: JSON, or TOML for a `.toml` file (a file of
    /// another extension is JSON if it starts with `{`). Relative `path`s of
    /// the manifest's modules stay relative to the current directory, as in
    /// the other Extism SDKs.
    ///
    /// # Errors
    /// [`Error::ManifestFile`] when the file cannot be read,
    /// [`Error::Manifest`] when it does not parse.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ManifestFile {
            path: path.to_path_buf(),
            source,
        })?;
        let toml = path.extension().is_some_and(|ext| ext == "toml");
        let parsed = if toml {
            Manifest::from_toml(&text)
        } else {
            text.parse()
        };
        parsed.map_err(|e| match e {
            Error::Manifest(message) => {
                Error::Manifest(format!("file `{}`: {message}", path.display()))
            }
            other => other,
        })
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: every map has string keys.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Sets a config value.
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }

    /// Allows HTTP requests to hosts matching `pattern`.
    pub fn with_allowed_host(mut self, pattern: impl Into<String>) -> Self {
        self.allowed_hosts
            .get_or_insert_with(Vec::new)
            .push(pattern.into());
        self
    }

    /// Maps the host directory `host` to `guest` in the plug-in's WASI file
    /// system (prefix `host` with `ro:` for read-only).
    pub fn with_allowed_path(mut self, host: impl Into<String>, guest: impl Into<PathBuf>) -> Self {
        self.allowed_paths
            .get_or_insert_with(BTreeMap::new)
            .insert(host.into(), guest.into());
        self
    }

    /// Limits every call to `timeout` of wall-clock time.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// Limits the growth of all the plug-in's memories to `pages` × 64 KiB.
    pub fn with_max_pages(mut self, pages: u32) -> Self {
        self.memory.max_pages = Some(pages);
        self
    }

    /// Limits the var store to `bytes` (0 disables vars).
    pub fn with_max_var_bytes(mut self, bytes: u64) -> Self {
        self.memory.max_var_bytes = Some(bytes);
        self
    }

    /// Limits each HTTP response body to `bytes`.
    pub fn with_max_http_response_bytes(mut self, bytes: u64) -> Self {
        self.memory.max_http_response_bytes = Some(bytes);
        self
    }
}

impl std::str::FromStr for Manifest {
    type Err = Error;

    /// JSON when the text starts with `{` (after white space), TOML otherwise.
    fn from_str(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Manifest::from_json(text)
        } else {
            Manifest::from_toml(text)
        }
    }
}

impl From<&Manifest> for Manifest {
    fn from(manifest: &Manifest) -> Self {
        manifest.clone()
    }
}

/// The JSON shape of a `wasm` entry: which of `path`, `data` and `url` is
/// present decides the kind.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWasm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<RawData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
}

/// `data` is base64 text. The reference also takes `{"ptr": .., "len": ..}`,
/// a raw host pointer: never acceptable from a manifest that may come from
/// outside the process, so it is read only to be refused with a clear error.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawData {
    Base64(String),
    Pointer {
        #[allow(dead_code)]
        ptr: serde_json::Value,
        #[allow(dead_code)]
        len: serde_json::Value,
    },
}

impl<'de> Deserialize<'de> for Wasm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let raw = RawWasm::deserialize(deserializer)?;
        let meta = WasmMeta {
            name: raw.name,
            hash: raw.hash,
        };
        let http_fields = raw.method.is_some() || raw.headers.is_some();
        match (raw.path, raw.data, raw.url) {
            (Some(path), None, None) if !http_fields => Ok(Wasm::File { path, meta }),
            (None, Some(data), None) if !http_fields => {
                let data = match data {
                    RawData::Base64(text) => base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .map_err(|e| D::Error::custom(format!("`data` is not valid base64: {e}")))?,
                    RawData::Pointer { .. } => {
                        return Err(D::Error::custom(
                            "`data` as {\"ptr\", \"len\"} (a raw host pointer) is not accepted; give the module as base64 text",
                        ))
                    }
                };
                Ok(Wasm::Data { data, meta })
            }
            (None, None, Some(url)) => Ok(Wasm::Url {
                request: WasmRequest {
                    url,
                    method: raw.method,
                    headers: raw.headers.unwrap_or_default(),
                },
                meta,
            }),
            (None, None, None) => Err(D::Error::custom(
                "a `wasm` entry needs one of `path`, `data` or `url`",
            )),
            (path, data, url)
                if [path.is_some(), data.is_some(), url.is_some()]
                    .iter()
                    .filter(|p| **p)
                    .count()
                    > 1 =>
            {
                Err(D::Error::custom(
                    "a `wasm` entry takes only one of `path`, `data` and `url`",
                ))
            }
            _ => Err(D::Error::custom(
                "`method` and `headers` belong only to a `wasm` entry with a `url`",
            )),
        }
    }
}

impl Serialize for Wasm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let meta = self.meta().clone();
        let mut raw = RawWasm {
            name: meta.name,
            hash: meta.hash,
            ..RawWasm::default()
        };
        match self {
            Wasm::File { path, .. } => raw.path = Some(path.clone()),
            Wasm::Data { data, .. } => {
                raw.data = Some(RawData::Base64(
                    base64::engine::general_purpose::STANDARD.encode(data),
                ))
            }
            Wasm::Url { request, .. } => {
                raw.url = Some(request.url.clone());
                raw.method = request.method.clone();
                raw.headers = Some(request.headers.clone());
            }
        }
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field() {
        let manifest = Manifest::from_json(
            r#"{
            "wasm": [
                {"path": "a.wasm", "name": "main", "hash": "ab"},
                {"data": "AGFzbQEAAAA=", "name": "lib"},
                {"url": "http://127.0.0.1/x.wasm", "method": "POST", "headers": {"k": "v"}}
            ],
            "memory": {"max_pages": 4, "max_http_response_bytes": 10, "max_var_bytes": 0},
            "config": {"a": "b"},
            "allowed_hosts": ["*.example.com"],
            "allowed_paths": {"ro:/tmp": "/data"},
            "timeout_ms": 5
        }"#,
        )
        .unwrap();
        assert_eq!(manifest.wasm.len(), 3);
        assert_eq!(
            manifest.wasm[1],
            Wasm::data(b"\0asm\x01\0\0\0".to_vec()).with_name("lib")
        );
        match &manifest.wasm[2] {
            Wasm::Url { request, .. } => {
                assert_eq!(request.method.as_deref(), Some("POST"));
                assert_eq!(request.headers["k"], "v");
            }
            other => panic!("not a url entry: {other:?}"),
        }
        assert_eq!(manifest.memory.max_var_bytes, Some(0));
        assert_eq!(manifest.timeout_ms, Some(5));
        // Round trip.
        let again = Manifest::from_json(&manifest.to_json()).unwrap();
        assert_eq!(again, manifest);
    }

    #[test]
    fn errors_name_the_field() {
        let err = Manifest::from_json(r#"{"wasm": [], "timeout": 5}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `timeout`"), "{err}");
        let err = Manifest::from_json(r#"{"wasm": [{"data": {"ptr": 1, "len": 2}}]}"#).unwrap_err();
        assert!(err.to_string().contains("raw host pointer"), "{err}");
        let err = Manifest::from_json(r#"{"wasm": [{"name": "x"}]}"#).unwrap_err();
        assert!(
            err.to_string().contains("one of `path`, `data` or `url`"),
            "{err}"
        );
        let err = Manifest::from_json(r#"{"wasm": [{"path": "a", "url": "b"}]}"#).unwrap_err();
        assert!(err.to_string().contains("only one of"), "{err}");
        let err = Manifest::from_json(r#"{"wasm": [{"data": "!!"}]}"#).unwrap_err();
        assert!(err.to_string().contains("base64"), "{err}");
        let err = Manifest::from_json(r#"{"memory": {"max_pages": "x"}}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }
}
