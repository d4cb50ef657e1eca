//! `extism-rs info`: a plug-in's exports and imports, and whether this host
//! provides each import (a load-time conformance report).
//!
//! Everything comes from extism-host's own inspection
//! ([`PluginBuilder::inspect`]): the linker's resolution of each import, with
//! WASI enabled. When every import is provided, the whole plug-in is compiled
//! as well, so anything else that stops it from loading shows up too.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use extism_host::{
    ImportItem, ImportProvider, Inspection, ItemType, Manifest, PluginBuilder, Wasm,
};

use crate::error::{in_cli_terms, io, CliError};
use crate::options::{is_manifest, read_manifest};

/// List a plug-in's exports and imports, and check each import against this host.
#[derive(Args, Debug)]
#[command(after_help = "\
Each import is reported as provided (by the Extism kernel, or by WASI, which `call --wasi`
enables) or NOT provided, with the reason extism-host gives. Exits with 1 when an import is not
provided or the plug-in does not compile, 0 when it would load.")]
pub struct InfoArgs {
    /// The wasm module (binary or WAT text), or an Extism manifest (JSON or
    /// TOML), to inspect
    #[arg(value_name = "WASM_OR_MANIFEST")]
    pub wasm: PathBuf,
}

/// How one import reads in the report.
fn import_note(import: &ImportItem) -> String {
    let Some(reason) = &import.problem else {
        return match &import.provider {
            ImportProvider::Kernel => "provided by kernel".into(),
            ImportProvider::LegacyKernel => "provided by kernel (pre-1.0 PDK name)".into(),
            ImportProvider::Wasi => "provided by WASI (call with --wasi)".into(),
            other => format!("provided by {other}"),
        };
    };
    let reason = in_cli_terms(reason);
    if !matches!(import.ty, ItemType::Func { .. }) {
        format!("NOT provided: this host provides only functions to plug-ins ({reason})")
    } else if import.provider == ImportProvider::HostFunction {
        format!("NOT provided: register a host function ({reason})")
    } else {
        format!("NOT provided: {reason}")
    }
}

/// Inspects the plug-in `manifest` describes, with WASI enabled.
fn inspect(path: &std::path::Path, manifest: &Manifest) -> Result<Inspection, CliError> {
    PluginBuilder::new(manifest)
        .with_wasi(true)
        .inspect()
        .map_err(|e| CliError::Other(format!("`{}` cannot be inspected: {e}", path.display())))
}

/// The manifest of the plug-in at `path`, and what it is in words: a module's
/// size, or a manifest's module count.
fn load(path: &std::path::Path) -> Result<(Manifest, String), CliError> {
    if is_manifest(path) {
        let manifest = read_manifest(path)?;
        let what = match manifest.wasm.len() {
            1 => "manifest of 1 module".to_string(),
            n => format!("manifest of {n} modules"),
        };
        return Ok((manifest, what));
    }
    let bytes = std::fs::read(path).map_err(io(format!("cannot read `{}`", path.display())))?;
    if !wat::Detect::from_bytes(&bytes).is_wasm() {
        return Err(CliError::Other(format!(
            "`{}` is not a wasm module (binary or WAT text) or an Extism manifest",
            path.display()
        )));
    }
    Ok((
        Manifest::new([Wasm::file(path)]),
        format!("{} bytes", bytes.len()),
    ))
}

/// Runs `info`.
pub fn run(args: &InfoArgs) -> Result<ExitCode, CliError> {
    let path = &args.wasm;
    let (manifest, what) = load(path)?;
    let info = inspect(path, &manifest)?;
    let mut out = String::new();
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let _ = writeln!(
        out,
        "{file_name}: {what}, {} exports, {} imports",
        info.exports.len(),
        info.imports.len()
    );

    let _ = writeln!(out, "\nexports:");
    let rows: Vec<[String; 3]> = info
        .exports
        .iter()
        .map(|e| {
            let note = if e.plugin_function {
                "plug-in function".to_string()
            } else {
                String::new()
            };
            [e.name.clone(), e.ty.to_string(), note]
        })
        .collect();
    table(&mut out, &rows);

    let _ = writeln!(out, "\nimports:");
    let rows: Vec<[String; 3]> = info
        .imports
        .iter()
        .map(|i| {
            [
                format!("{}::{}", i.module, i.name),
                i.ty.to_string(),
                import_note(i),
            ]
        })
        .collect();
    table(&mut out, &rows);

    let failing = info.imports.iter().filter(|i| !i.is_provided()).count();
    let needs_wasi = info
        .imports
        .iter()
        .any(|i| i.provider == ImportProvider::Wasi);
    let ok = if failing > 0 {
        let _ = writeln!(
            out,
            "\nresult: {failing} of {} imports not provided: this host cannot load the plug-in as is",
            info.imports.len()
        );
        false
    } else {
        match PluginBuilder::new(&manifest)
            .with_wasi(needs_wasi)
            .compile()
        {
            Ok(compiled) => {
                let mut functions: Vec<&str> = compiled.functions().collect();
                functions.sort_unstable();
                let _ = writeln!(
                    out,
                    "\nresult: every import is provided; the plug-in compiles{}. Functions: {}",
                    if needs_wasi { " (needs --wasi)" } else { "" },
                    if functions.is_empty() {
                        "none".to_string()
                    } else {
                        functions.join(", ")
                    }
                );
                true
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "\nresult: every import is provided, but the plug-in does not load: {e}"
                );
                false
            }
        }
    };
    print!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes rows with aligned columns (trailing empty cells dropped).
fn table(out: &mut String, rows: &[[String; 3]]) {
    if rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    for [a, b, c] in rows {
        let line = format!("  {a:<w0$}  {b:<w1$}  {c}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect_wat(wat: &str) -> Inspection {
        PluginBuilder::from_wasm(wat)
            .with_wasi(true)
            .inspect()
            .expect("inspectable")
    }

    #[test]
    fn reads_imports_and_exports() {
        let info = inspect_wat(
            r#"(module
                (import "extism:host/env" "alloc" (func (param i64) (result i64)))
                (import "env" "mem" (memory 1 2))
                (import "env" "g" (global (mut i32)))
                (func (export "run") (result i32) i32.const 0)
                (func (export "add") (param i32 i32) (result i32) local.get 0)
                (memory (export "memory") 3)
                (table (export "table") 1 funcref))"#,
        );
        let imports: Vec<String> = info
            .imports
            .iter()
            .map(|i| format!("{}::{} {}", i.module, i.name, i.ty))
            .collect();
        assert_eq!(
            imports,
            [
                "extism:host/env::alloc (func (i64) -> (i64))",
                "env::mem (memory 1 2)",
                "env::g (global (mut i32))",
            ]
        );
        let exports: Vec<String> = info
            .exports
            .iter()
            .map(|e| format!("{} {} {}", e.name, e.ty, e.plugin_function))
            .collect();
        assert_eq!(
            exports,
            [
                "run (func () -> (i32)) true",
                "add (func (i32, i32) -> (i32)) false",
                "memory (memory 3) false",
                "table (table 1 funcref) false",
            ]
        );
    }

    #[test]
    fn checks_imports_against_the_host() {
        let info = inspect_wat(
            r#"(module
                (import "extism:host/env" "alloc" (func (param i64) (result i64)))
                (import "extism:host/env" "alloc_v2" (func (param i64) (result i64)))
                (import "extism:host/env" "length" (func (param i32) (result i32)))
                (import "env" "extism_free" (func (param i64)))
                (import "extism:host/user" "kv_read" (func (param i64) (result i64)))
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                (import "env" "mem" (memory 1)))"#,
        );
        let notes: Vec<String> = info.imports.iter().map(import_note).collect();
        assert_eq!(notes[0], "provided by kernel");
        assert!(
            notes[1].starts_with("NOT provided: which is not an Extism kernel function"),
            "{}",
            notes[1]
        );
        assert!(
            notes[2].starts_with("NOT provided: this host provides it as (func (i64) -> (i64))"),
            "{}",
            notes[2]
        );
        assert_eq!(notes[3], "provided by kernel (pre-1.0 PDK name)");
        assert!(
            notes[4].starts_with("NOT provided: register a host function"),
            "{}",
            notes[4]
        );
        assert_eq!(notes[5], "provided by WASI (call with --wasi)");
        assert!(
            notes[6].starts_with("NOT provided: this host provides only functions"),
            "{}",
            notes[6]
        );
    }
}
