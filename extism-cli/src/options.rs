//! Options shared by `call` and `bench`: what to load, the manifest settings
//! and the plug-in options, with the names and meanings of `extism call`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use extism_host::{LogLevel, Manifest, PluginBuilder, Wasm};

use crate::error::{io, CliError};

/// The plug-in's input.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Input")]
pub struct InputArgs {
    /// Input data passed to the function (default: empty)
    #[arg(short = 'i', long, value_name = "DATA", conflicts_with = "stdin")]
    pub input: Option<String>,

    /// Read the input from stdin (all of it, as bytes)
    #[arg(long)]
    pub stdin: bool,
}

impl InputArgs {
    /// The input bytes.
    pub fn read(&self) -> Result<Vec<u8>, CliError> {
        if self.stdin {
            let mut input = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut input)
                .map_err(io("cannot read the input from stdin"))?;
            Ok(input)
        } else {
            Ok(self.input.clone().unwrap_or_default().into_bytes())
        }
    }
}

/// How to load the plug-in and what it may do.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Plug-in options")]
pub struct PluginArgs {
    /// Read WASM_OR_MANIFEST as an Extism manifest (JSON or TOML) instead of
    /// a wasm module; a file ending in .json or .toml, or starting with `{`, is
    /// read as one without it. Relative module paths in it are relative to the
    /// current directory
    #[arg(short = 'm', long)]
    pub manifest: bool,

    /// Additional module to link, as NAME=PATH or PATH (named after the file
    /// stem); the plug-in imports its exports by that name. Repeatable
    #[arg(long, value_name = "[NAME=]PATH")]
    pub link: Vec<String>,

    /// Set a config value the plug-in reads with config_get. Repeatable;
    /// KEY alone sets an empty value; overrides --set-config and the manifest
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_config)]
    pub config: Vec<(String, String)>,

    /// Set config values from a JSON object of strings, merged with the
    /// manifest's config (--config values win)
    #[arg(long, value_name = "JSON", value_parser = parse_set_config)]
    pub set_config: Option<BTreeMap<String, String>>,

    /// Allow HTTP requests to hosts matching this pattern (`*` is a
    /// wildcard). Repeatable; with none, every request fails
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,

    /// Map a host directory into the plug-in's WASI file system, as
    /// HOST_PATH:GUEST_PATH or PATH (same path inside); prefix with `ro:` to
    /// mount it read-only. Repeatable; needs --wasi
    #[arg(long, value_name = "[ro:]HOST_PATH[:GUEST_PATH]", value_parser = parse_allow_path)]
    pub allow_path: Vec<(String, PathBuf)>,

    /// Enable WASI preview 1 for the plug-in
    #[arg(long)]
    pub wasi: bool,

    /// Pass the plug-in's WASI stdout and stderr through to ours (discarded
    /// by default; its stdout lands among the outputs)
    #[arg(long, requires = "wasi")]
    pub wasi_stdio: bool,

    /// Time limit of each call in milliseconds (0: none)
    #[arg(long, value_name = "MS")]
    pub timeout: Option<u64>,

    /// Maximum number of 64 KiB pages the plug-in's memories may grow to (0: no limit)
    #[arg(long, value_name = "PAGES")]
    pub memory_max: Option<u32>,

    /// Maximum size in bytes of the plug-in's var store (0 disables vars;
    /// default 1 MiB)
    #[arg(long, value_name = "BYTES")]
    pub var_max: Option<u64>,

    /// Maximum size in bytes of an HTTP response body (default 50 MiB)
    #[arg(long, value_name = "BYTES")]
    pub http_response_max: Option<u64>,

    /// Let the plug-in read HTTP response headers
    #[arg(long)]
    pub http_response_headers: bool,

    /// Plug-in log lines at this level and above go to stderr: trace, debug,
    /// info, warn, error or off
    #[arg(long, value_name = "LEVEL", default_value = "error")]
    pub log_level: LogLevel,

    /// Give each call this much fuel (wasm instructions, roughly); a call
    /// that uses it up fails
    #[arg(long, value_name = "UNITS")]
    pub fuel: Option<u64>,
}

impl PluginArgs {
    /// The manifest: the module at `wasm` (or the manifest file at `wasm`
    /// with `--manifest`) with every option applied.
    pub fn manifest(&self, wasm: &str) -> Result<Manifest, CliError> {
        let mut manifest = if self.manifest || is_manifest(Path::new(wasm)) {
            read_manifest(Path::new(wasm))?
        } else {
            Manifest::new([wasm_entry(wasm)])
        };
        if !self.link.is_empty() {
            let mut modules: Vec<Wasm> = self.link.iter().map(|l| link_entry(l)).collect();
            modules.append(&mut manifest.wasm);
            manifest.wasm = modules;
        }
        for host in &self.allow_host {
            manifest = manifest.with_allowed_host(host.clone());
        }
        for (host, guest) in &self.allow_path {
            manifest = manifest.with_allowed_path(host.clone(), guest.clone());
        }
        for (key, value) in self.set_config.iter().flatten() {
            manifest = manifest.with_config(key.clone(), value.clone());
        }
        for (key, value) in &self.config {
            manifest = manifest.with_config(key.clone(), value.clone());
        }
        match self.timeout {
            Some(0) => manifest.timeout_ms = None,
            Some(ms) => manifest = manifest.with_timeout(Duration::from_millis(ms)),
            None => {}
        }
        match self.memory_max {
            Some(0) => manifest.memory.max_pages = None,
            Some(pages) => manifest = manifest.with_max_pages(pages),
            None => {}
        }
        if let Some(bytes) = self.var_max {
            manifest = manifest.with_max_var_bytes(bytes);
        }
        if let Some(bytes) = self.http_response_max {
            manifest = manifest.with_max_http_response_bytes(bytes);
        }
        Ok(manifest)
    }

    /// A builder for the plug-in with every option applied; its log lines
    /// go to stderr.
    pub fn builder(&self, wasm: &str) -> Result<PluginBuilder, CliError> {
        let mut builder = PluginBuilder::new(self.manifest(wasm)?)
            .with_wasi(self.wasi)
            .with_wasi_stdio(self.wasi_stdio)
            .with_http_response_headers(self.http_response_headers)
            .with_log_level(self.log_level)
            .with_logger(|level, message| eprintln!("[{level}] {message}"));
        if let Some(fuel) = self.fuel {
            builder = builder.with_fuel_limit(fuel);
        }
        Ok(builder)
    }
}

/// Whether the file at `path` is an Extism manifest rather than a module: it
/// ends in `.json` or `.toml`, or its text starts with `{` (a JSON object; a
/// wasm module starts with `\0asm`, WAT text with `(` or a comment).
pub fn is_manifest(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json") || ext.eq_ignore_ascii_case("toml"))
    {
        return true;
    }
    let mut start = [0u8; 256];
    let read = std::fs::File::open(path).and_then(|mut file| file.read(&mut start));
    let Ok(read) = read else {
        return false;
    };
    start[..read]
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|&byte| byte == b'{')
}

/// Reads the manifest file at `path` (JSON or TOML).
pub fn read_manifest(path: &Path) -> Result<Manifest, CliError> {
    Manifest::from_path(path).map_err(|error| match error {
        extism_host::Error::ManifestFile { source, .. } => {
            io(format!("cannot read manifest `{}`", path.display()))(source)
        }
        other => other.into(),
    })
}

/// A `wasm` entry for a path or an http(s) URL.
fn wasm_entry(location: &str) -> Wasm {
    if location.starts_with("http://") || location.starts_with("https://") {
        Wasm::url(location)
    } else {
        Wasm::file(location)
    }
}

/// `--link NAME=PATH` or `--link PATH` (named after the file stem).
fn link_entry(link: &str) -> Wasm {
    let (name, location) = match link.split_once('=') {
        Some((name, location)) => (name.to_string(), location),
        None => {
            let stem = Path::new(link)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| link.to_string());
            (stem, link)
        }
    };
    wasm_entry(location).with_name(name)
}

/// `KEY=VALUE`, or `KEY` for an empty value.
fn parse_config(arg: &str) -> Result<(String, String), String> {
    let (key, value) = arg.split_once('=').unwrap_or((arg, ""));
    if key.is_empty() {
        return Err("the key is empty (expected KEY=VALUE)".into());
    }
    Ok((key.to_string(), value.to_string()))
}

/// A JSON object of string values.
fn parse_set_config(arg: &str) -> Result<BTreeMap<String, String>, String> {
    serde_json::from_str(arg).map_err(|e| format!("expected a JSON object of strings: {e}"))
}

/// `[ro:]HOST[:GUEST]`: the manifest's `allowed_paths` entry, keyed by the
/// host path (with its `ro:` prefix).
fn parse_allow_path(arg: &str) -> Result<(String, PathBuf), String> {
    let (read_only, rest) = match arg.strip_prefix("ro:") {
        Some(rest) => (true, rest),
        None => (false, arg),
    };
    let (host, guest) = rest.split_once(':').unwrap_or((rest, rest));
    if host.is_empty() || guest.is_empty() {
        return Err("expected [ro:]HOST_PATH[:GUEST_PATH]".into());
    }
    let host = if read_only {
        format!("ro:{host}")
    } else {
        host.to_string()
    };
    Ok((host, PathBuf::from(guest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Test {
        #[command(flatten)]
        plugin: PluginArgs,
    }

    fn parse(args: &[&str]) -> PluginArgs {
        Test::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
            .unwrap()
            .plugin
    }

    #[test]
    fn allow_path_forms() {
        assert_eq!(
            parse_allow_path("/tmp/a:/data").unwrap(),
            ("/tmp/a".into(), "/data".into())
        );
        assert_eq!(
            parse_allow_path("/tmp/a").unwrap(),
            ("/tmp/a".into(), "/tmp/a".into())
        );
        assert_eq!(
            parse_allow_path("ro:/tmp/a:/data").unwrap(),
            ("ro:/tmp/a".into(), "/data".into())
        );
        assert_eq!(
            parse_allow_path("ro:/tmp/a").unwrap(),
            ("ro:/tmp/a".into(), "/tmp/a".into())
        );
        assert!(parse_allow_path(":/data").is_err());
    }

    #[test]
    fn config_precedence() {
        let args = parse(&[
            "--set-config",
            r#"{"a": "json", "b": "json"}"#,
            "--config",
            "b=flag",
            "--config",
            "c",
            "--config",
            "d=x=y",
        ]);
        let manifest = args.manifest("p.wasm").unwrap();
        assert_eq!(manifest.config["a"], "json");
        assert_eq!(manifest.config["b"], "flag");
        assert_eq!(manifest.config["c"], "");
        assert_eq!(manifest.config["d"], "x=y");
    }

    #[test]
    fn limits_and_links() {
        let args = parse(&[
            "--timeout",
            "250",
            "--memory-max",
            "4",
            "--var-max",
            "0",
            "--http-response-max",
            "10",
            "--link",
            "lib=/x/lib.wasm",
            "--link",
            "/y/other.wasm",
            "--allow-host",
            "*.example.com",
        ]);
        let manifest = args.manifest("https://example.com/p.wasm").unwrap();
        assert_eq!(manifest.timeout_ms, Some(250));
        assert_eq!(manifest.memory.max_pages, Some(4));
        assert_eq!(manifest.memory.max_var_bytes, Some(0));
        assert_eq!(manifest.memory.max_http_response_bytes, Some(10));
        assert_eq!(
            manifest.wasm,
            vec![
                Wasm::file("/x/lib.wasm").with_name("lib"),
                Wasm::file("/y/other.wasm").with_name("other"),
                Wasm::url("https://example.com/p.wasm"),
            ]
        );
        assert_eq!(
            manifest.allowed_hosts,
            Some(vec!["*.example.com".to_string()])
        );
        let none = parse(&["--timeout", "0", "--memory-max", "0"])
            .manifest("p.wasm")
            .unwrap();
        assert_eq!(none.timeout_ms, None);
        assert_eq!(none.memory.max_pages, None);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["--set-config", "[1]"][..],
            &["--config", "=v"],
            &["--log-level", "loud"],
            &["--wasi-stdio"],
        ] {
            let err = Test::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
    }
}
