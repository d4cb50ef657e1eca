//! `extism-rs info`: a plug-in's exports and imports, and whether this host
//! provides each import (a load-time conformance report).
//!
//! Imports and exports are read with `wasmparser`. Whether an import is
//! provided is decided by extism-host itself: for each import, a module that
//! imports only that item is compiled (with WASI enabled) and the link error,
//! if any, says why it is not provided. When every import is provided, the
//! whole plug-in is compiled as well, so anything else that stops it from
//! loading shows up too.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use extism_host::{Error, Manifest, PluginBuilder, Wasm};
use wasmparser::{
    CompositeInnerType, ExternalKind, FuncType, GlobalType, MemoryType, Parser, Payload, RefType,
    TableType, TypeRef, ValType,
};

use crate::error::{io, CliError};

const KERNEL_NAMESPACE: &str = "extism:host/env";
const WASI_NAMESPACES: &[&str] = &["wasi_snapshot_preview1", "wasi_unstable"];

/// List a plug-in's exports and imports, and check each import against this host.
#[derive(Args, Debug)]
#[command(after_help = "\
Each import is reported as provided (by the Extism kernel, or by WASI, which `call --wasi`
enables) or NOT provided, with the reason extism-host gives. Exits with 1 when an import is not
provided or the plug-in does not compile, 0 when it would load.")]
pub struct InfoArgs {
    /// The wasm module (binary) to inspect
    #[arg(value_name = "WASM")]
    pub wasm: PathBuf,
}

/// The type of an import or export.
#[derive(Debug, Clone)]
enum ItemType {
    /// A function; None when its type is not a plain function type (GC).
    Func(Option<FuncType>),
    Memory(MemoryType),
    Table(TableType),
    Global(GlobalType),
    Tag,
}

#[derive(Debug)]
struct Import {
    module: String,
    name: String,
    ty: ItemType,
}

#[derive(Debug)]
struct Export {
    name: String,
    ty: ItemType,
}

#[derive(Debug, Default)]
struct ModuleInfo {
    imports: Vec<Import>,
    exports: Vec<Export>,
}

/// Reads a module's imports and exports with their types.
fn parse(bytes: &[u8]) -> Result<ModuleInfo, wasmparser::BinaryReaderError> {
    let mut types: Vec<Option<FuncType>> = Vec::new();
    let mut funcs: Vec<Option<FuncType>> = Vec::new();
    let mut memories: Vec<MemoryType> = Vec::new();
    let mut tables: Vec<TableType> = Vec::new();
    let mut globals: Vec<GlobalType> = Vec::new();
    let mut info = ModuleInfo::default();
    let mut exports = Vec::new();
    let func_type =
        |types: &[Option<FuncType>], index: u32| types.get(index as usize).cloned().flatten();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group?.types() {
                        types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f.clone()),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = match import.ty {
                        TypeRef::Func(index) | TypeRef::FuncExact(index) => {
                            let f = func_type(&types, index);
                            funcs.push(f.clone());
                            ItemType::Func(f)
                        }
                        TypeRef::Memory(m) => {
                            memories.push(m);
                            ItemType::Memory(m)
                        }
                        TypeRef::Table(t) => {
                            tables.push(t);
                            ItemType::Table(t)
                        }
                        TypeRef::Global(g) => {
                            globals.push(g);
                            ItemType::Global(g)
                        }
                        TypeRef::Tag(_) => ItemType::Tag,
                    };
                    info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for index in reader {
                    funcs.push(func_type(&types, index?));
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories.push(memory?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    tables.push(table?.ty);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    globals.push(global?.ty);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    exports.push((export.name.to_string(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    for (name, kind, index) in exports {
        let index = index as usize;
        let ty = match kind {
            ExternalKind::Func | ExternalKind::FuncExact => {
                ItemType::Func(funcs.get(index).cloned().flatten())
            }
            ExternalKind::Memory => match memories.get(index) {
                Some(m) => ItemType::Memory(*m),
                None => continue,
            },
            ExternalKind::Table => match tables.get(index) {
                Some(t) => ItemType::Table(*t),
                None => continue,
            },
            ExternalKind::Global => match globals.get(index) {
                Some(g) => ItemType::Global(*g),
                None => continue,
            },
            ExternalKind::Tag => ItemType::Tag,
        };
        info.exports.push(Export { name, ty });
    }
    Ok(info)
}

/// A value type as text, and whether it can be written in WAT as is.
fn val_type(ty: &ValType) -> (String, bool) {
    match ty {
        ValType::Ref(r) if *r == RefType::FUNCREF => ("funcref".into(), true),
        ValType::Ref(r) if *r == RefType::EXTERNREF => ("externref".into(), true),
        ValType::Ref(r) => (format!("{r:?}"), false),
        other => (other.to_string(), true),
    }
}

fn ref_type(ty: &RefType) -> (String, bool) {
    val_type(&ValType::Ref(*ty))
}

/// An import or export type the way extism-host's errors write it.
fn describe(ty: &ItemType) -> String {
    match ty {
        ItemType::Func(Some(f)) => {
            let list = |types: &[ValType]| {
                types
                    .iter()
                    .map(|t| val_type(t).0)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("(func ({}) -> ({}))", list(f.params()), list(f.results()))
        }
        ItemType::Func(None) => "(func <gc type>)".into(),
        ItemType::Memory(m) => format!("(memory {})", memory_limits(m)),
        ItemType::Table(t) => format!(
            "(table {} {})",
            table_limits(t),
            ref_type(&t.element_type).0
        ),
        ItemType::Global(g) => {
            let ty = val_type(&g.content_type).0;
            if g.mutable {
                format!("(global (mut {ty}))")
            } else {
                format!("(global {ty})")
            }
        }
        ItemType::Tag => "(tag)".into(),
    }
}

fn memory_limits(m: &MemoryType) -> String {
    let mut text = String::new();
    if m.memory64 {
        text.push_str("i64 ");
    }
    let _ = write!(text, "{}", m.initial);
    if let Some(max) = m.maximum {
        let _ = write!(text, " {max}");
    }
    if m.shared {
        text.push_str(" shared");
    }
    text
}

fn table_limits(t: &TableType) -> String {
    let mut text = String::new();
    if t.table64 {
        text.push_str("i64 ");
    }
    let _ = write!(text, "{}", t.initial);
    if let Some(max) = t.maximum {
        let _ = write!(text, " {max}");
    }
    text
}

/// Whether an export can be called as an Extism function.
fn is_plugin_function(ty: &ItemType) -> bool {
    match ty {
        ItemType::Func(Some(f)) => {
            f.params().is_empty() && (f.results().is_empty() || f.results() == [ValType::I32])
        }
        _ => false,
    }
}

/// A WAT string literal.
fn wat_string(text: &str) -> String {
    let mut out = String::from("\"");
    for byte in text.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\' {
            out.push(byte as char);
        } else {
            let _ = write!(out, "\\{byte:02x}");
        }
    }
    out.push('"');
    out
}

/// A module that imports only `import`, or None when its type cannot be
/// written in WAT here.
fn probe_module(import: &Import) -> Option<String> {
    let desc = match &import.ty {
        ItemType::Func(Some(f)) => {
            let mut desc = String::from("(func");
            for (keyword, types) in [("param", f.params()), ("result", f.results())] {
                if !types.is_empty() {
                    let _ = write!(desc, " ({keyword}");
                    for t in types {
                        let (text, ok) = val_type(t);
                        if !ok {
                            return None;
                        }
                        let _ = write!(desc, " {text}");
                    }
                    desc.push(')');
                }
            }
            desc.push(')');
            desc
        }
        ItemType::Memory(m) => format!("(memory {})", memory_limits(m)),
        ItemType::Table(t) => {
            let (element, ok) = ref_type(&t.element_type);
            if !ok {
                return None;
            }
            format!("(table {} {element})", table_limits(t))
        }
        ItemType::Global(g) => {
            let (ty, ok) = val_type(&g.content_type);
            if !ok || g.shared {
                return None;
            }
            if g.mutable {
                format!("(global (mut {ty}))")
            } else {
                format!("(global {ty})")
            }
        }
        ItemType::Func(None) | ItemType::Tag => return None,
    };
    Some(format!(
        "(module (import {} {} {desc}))",
        wat_string(&import.module),
        wat_string(&import.name)
    ))
}

/// Whether this host provides one import.
enum Status {
    Provided(&'static str),
    Missing(String),
    Unchecked(String),
}

impl Status {
    fn is_ok(&self) -> bool {
        matches!(self, Status::Provided(_))
    }
}

/// Checks one import by compiling a module that imports only it.
fn check(import: &Import) -> Status {
    let Some(wat) = probe_module(import) else {
        return Status::Unchecked(format!("cannot check a {} import", describe(&import.ty)));
    };
    let result = PluginBuilder::from_wasm(wat)
        .with_name("probe")
        .with_wasi(true)
        .compile();
    match result {
        Ok(_) => Status::Provided(provider(import)),
        Err(Error::Link { reason, .. }) => {
            let reason = reason.strip_prefix("but ").unwrap_or(&reason);
            if !matches!(import.ty, ItemType::Func(_)) {
                Status::Missing(format!(
                    "this host provides only functions to plug-ins ({reason})"
                ))
            } else if reason.starts_with("no host function") {
                Status::Missing(format!("register a host function ({reason})"))
            } else {
                Status::Missing(reason.to_string())
            }
        }
        Err(other) => Status::Unchecked(other.to_string()),
    }
}

/// Who provides an import this host resolves.
fn provider(import: &Import) -> &'static str {
    if import.module == KERNEL_NAMESPACE {
        "kernel"
    } else if import.module == "env" && import.name.starts_with("extism_") {
        "kernel (pre-1.0 PDK name)"
    } else if WASI_NAMESPACES.contains(&import.module.as_str()) {
        "WASI (call with --wasi)"
    } else {
        "a host function"
    }
}

/// Runs `info`.
pub fn run(args: &InfoArgs) -> Result<ExitCode, CliError> {
    let path = &args.wasm;
    let bytes = std::fs::read(path).map_err(io(format!("cannot read `{}`", path.display())))?;
    if !bytes.starts_with(b"\0asm") {
        return Err(CliError::Other(format!(
            "`{}` is not a wasm binary module",
            path.display()
        )));
    }
    let info = parse(&bytes)
        .map_err(|e| CliError::Other(format!("`{}` is not valid wasm: {e}", path.display())))?;
    let mut out = String::new();
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let _ = writeln!(
        out,
        "{file_name}: {} bytes, {} exports, {} imports",
        bytes.len(),
        info.exports.len(),
        info.imports.len()
    );

    let _ = writeln!(out, "\nexports:");
    let rows: Vec<[String; 3]> = info
        .exports
        .iter()
        .map(|e| {
            let note = if is_plugin_function(&e.ty) {
                "plug-in function".to_string()
            } else {
                String::new()
            };
            [e.name.clone(), describe(&e.ty), note]
        })
        .collect();
    table(&mut out, &rows);

    let _ = writeln!(out, "\nimports:");
    let statuses: Vec<Status> = info.imports.iter().map(check).collect();
    let rows: Vec<[String; 3]> = info
        .imports
        .iter()
        .zip(&statuses)
        .map(|(i, status)| {
            let note = match status {
                Status::Provided(by) => format!("provided by {by}"),
                Status::Missing(reason) => format!("NOT provided: {reason}"),
                Status::Unchecked(reason) => format!("NOT checked: {reason}"),
            };
            [format!("{}::{}", i.module, i.name), describe(&i.ty), note]
        })
        .collect();
    table(&mut out, &rows);

    let failing = statuses.iter().filter(|s| !s.is_ok()).count();
    let needs_wasi = info
        .imports
        .iter()
        .any(|i| WASI_NAMESPACES.contains(&i.module.as_str()));
    let ok = if failing > 0 {
        let _ = writeln!(
            out,
            "\nresult: {failing} of {} imports not provided: this host cannot load the plug-in as is",
            info.imports.len()
        );
        false
    } else {
        let manifest = Manifest::new([Wasm::file(path)]);
        match PluginBuilder::new(manifest).with_wasi(needs_wasi).compile() {
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

    #[test]
    fn wat_strings_are_escaped() {
        assert_eq!(wat_string("extism:host/env"), "\"extism:host/env\"");
        assert_eq!(wat_string("a\"b\\c\u{e9}"), "\"a\\22b\\5cc\\c3\\a9\"");
    }

    #[test]
    fn reads_imports_and_exports() {
        let wasm = wat_module(
            r#"(module
                (import "extism:host/env" "alloc" (func (param i64) (result i64)))
                (import "env" "mem" (memory 1 2))
                (import "env" "g" (global (mut i32)))
                (func (export "run") (result i32) i32.const 0)
                (func (export "add") (param i32 i32) (result i32) local.get 0)
                (memory (export "memory") 3)
                (table (export "table") 1 funcref))"#,
        );
        let info = parse(&wasm).unwrap();
        let imports: Vec<String> = info
            .imports
            .iter()
            .map(|i| format!("{}::{} {}", i.module, i.name, describe(&i.ty)))
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
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.name,
                    describe(&e.ty),
                    is_plugin_function(&e.ty)
                )
            })
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
        let wasm = wat_module(
            r#"(module
                (import "extism:host/env" "alloc" (func (param i64) (result i64)))
                (import "extism:host/env" "alloc_v2" (func (param i64) (result i64)))
                (import "extism:host/env" "length" (func (param i32) (result i32)))
                (import "env" "extism_free" (func (param i64)))
                (import "extism:host/user" "kv_read" (func (param i64) (result i64)))
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                (import "env" "mem" (memory 1)))"#,
        );
        let info = parse(&wasm).unwrap();
        let statuses: Vec<String> = info
            .imports
            .iter()
            .map(|i| match check(i) {
                Status::Provided(by) => format!("provided by {by}"),
                Status::Missing(reason) => format!("missing: {reason}"),
                Status::Unchecked(reason) => format!("unchecked: {reason}"),
            })
            .collect();
        assert_eq!(statuses[0], "provided by kernel");
        assert!(
            statuses[1].starts_with("missing: which is not an Extism kernel function"),
            "{}",
            statuses[1]
        );
        assert!(
            statuses[2].starts_with("missing: this host provides it as (func (i64) -> (i64))"),
            "{}",
            statuses[2]
        );
        assert_eq!(statuses[3], "provided by kernel (pre-1.0 PDK name)");
        assert!(
            statuses[4].starts_with("missing: register a host function"),
            "{}",
            statuses[4]
        );
        assert_eq!(statuses[5], "provided by WASI (call with --wasi)");
        assert!(statuses[6].starts_with("missing: "), "{}", statuses[6]);
    }

    fn wat_module(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).expect("valid WAT")
    }
}
