//! What a plug-in imports and exports, as typed items, and what this host
//! gives each import: the linker's own resolution, for tools that report on a
//! plug-in ([`CompiledPlugin::imports`](crate::CompiledPlugin::imports),
//! [`PluginBuilder::inspect`](crate::PluginBuilder::inspect)).

use std::fmt;

use wasmtime::{ExternType, ImportType, Module};

use crate::abi::{self, WASI_NAMESPACES};
use crate::linker::ImportSource;

/// The type of an import or an export.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemType {
    /// A function, with its parameter and result types as WAT writes them.
    Func {
        /// Parameter types (`i32`, `i64`, `f32`, `f64`, `v128`, `funcref`...).
        params: Vec<String>,
        /// Result types.
        results: Vec<String>,
    },
    /// A memory, in 64 KiB pages.
    Memory {
        /// Initial size.
        minimum: u64,
        /// Largest size, if declared.
        maximum: Option<u64>,
        /// Indexed by 64-bit addresses.
        memory64: bool,
        /// Shared between threads.
        shared: bool,
    },
    /// A table.
    Table {
        /// Initial size, in elements.
        minimum: u64,
        /// Largest size, if declared.
        maximum: Option<u64>,
        /// The element type.
        element: String,
    },
    /// A global.
    Global {
        /// Its value type.
        content: String,
        /// Whether it can be set.
        mutable: bool,
    },
    /// An exception tag.
    Tag,
}

impl From<&ExternType> for ItemType {
    fn from(ty: &ExternType) -> Self {
        match ty {
            ExternType::Func(f) => ItemType::Func {
                params: f.params().map(|t| val_name(&t)).collect(),
                results: f.results().map(|t| val_name(&t)).collect(),
            },
            ExternType::Memory(m) => ItemType::Memory {
                minimum: m.minimum(),
                maximum: m.maximum(),
                memory64: m.is_64(),
                shared: m.is_shared(),
            },
            ExternType::Table(t) => ItemType::Table {
                minimum: t.minimum(),
                maximum: t.maximum(),
                element: ref_name(t.element()),
            },
            ExternType::Global(g) => ItemType::Global {
                content: val_name(g.content()),
                mutable: g.mutability() == wasmtime::Mutability::Var,
            },
            ExternType::Tag(_) => ItemType::Tag,
        }
    }
}

/// A value type as WAT writes it, with the short names of the common
/// reference types.
fn val_name(ty: &wasmtime::ValType) -> String {
    match ty {
        wasmtime::ValType::Ref(r) => ref_name(r),
        other => other.to_string(),
    }
}

fn ref_name(ty: &wasmtime::RefType) -> String {
    let short = match (ty.is_nullable(), ty.heap_type()) {
        (true, wasmtime::HeapType::Func) => "funcref",
        (true, wasmtime::HeapType::Extern) => "externref",
        _ => return ty.to_string(),
    };
    short.to_string()
}

/// As WAT would write it, with `->` between parameters and results:
/// `(func (i64) -> (i64))`, `(memory 1 2)`, `(global (mut i32))`.
impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limits = |f: &mut fmt::Formatter<'_>, wide: bool, min: u64, max: Option<u64>| {
            if wide {
                f.write_str("i64 ")?;
            }
            write!(f, "{min}")?;
            match max {
                Some(max) => write!(f, " {max}"),
                None => Ok(()),
            }
        };
        match self {
            ItemType::Func { params, results } => {
                write!(
                    f,
                    "(func ({}) -> ({}))",
                    params.join(", "),
                    results.join(", ")
                )
            }
            ItemType::Memory {
                minimum,
                maximum,
                memory64,
                shared,
            } => {
                f.write_str("(memory ")?;
                limits(f, *memory64, *minimum, *maximum)?;
                f.write_str(if *shared { " shared)" } else { ")" })
            }
            ItemType::Table {
                minimum,
                maximum,
                element,
            } => {
                f.write_str("(table ")?;
                limits(f, false, *minimum, *maximum)?;
                write!(f, " {element})")
            }
            ItemType::Global { content, mutable } if *mutable => {
                write!(f, "(global (mut {content}))")
            }
            ItemType::Global { content, .. } => write!(f, "(global {content})"),
            ItemType::Tag => f.write_str("(tag)"),
        }
    }
}

/// What [`PluginBuilder::inspect`](crate::PluginBuilder::inspect) found: the
/// main module's exports, and every import with what provides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The main module's exports, in order.
    pub exports: Vec<ExportItem>,
    /// Every import of every module, module by module in link order.
    pub imports: Vec<ImportItem>,
}

impl Inspection {
    /// Whether every import is provided (the plug-in links).
    pub fn links(&self) -> bool {
        self.imports.iter().all(ImportItem::is_provided)
    }
}

/// One export of a plug-in's main module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportItem {
    /// The export's name.
    pub name: String,
    /// Its type.
    pub ty: ItemType,
    /// Whether it can be called as a plug-in function (`() -> i32`, or
    /// `() -> ()`).
    pub plugin_function: bool,
}

/// What provides an import.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportProvider {
    /// The Extism kernel (`extism:host/env`).
    Kernel,
    /// The Extism kernel, under a pre-1.0 PDK's name (`env::extism_*`).
    LegacyKernel,
    /// WASI preview 1.
    Wasi,
    /// A host function the plug-in was built with.
    HostFunction,
    /// An export of another module of the plug-in.
    Module(String),
}

impl fmt::Display for ImportProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportProvider::Kernel => f.write_str("the Extism kernel"),
            ImportProvider::LegacyKernel => f.write_str("the Extism kernel (pre-1.0 PDK name)"),
            ImportProvider::Wasi => f.write_str("WASI"),
            ImportProvider::HostFunction => f.write_str("a host function"),
            ImportProvider::Module(name) => write!(f, "module `{name}`"),
        }
    }
}

/// One import of one module of a plug-in, and how this host resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportItem {
    /// The plug-in's module that imports it (`main` for the plug-in itself).
    pub importer: String,
    /// The namespace it is imported from.
    pub module: String,
    /// Its name within the namespace.
    pub name: String,
    /// Its type.
    pub ty: ItemType,
    /// What provides it, or would by its namespace when it is missing (a
    /// missing import from an unknown namespace is a host function's to give).
    pub provider: ImportProvider,
    /// Why nothing provides it, when nothing does: the reason
    /// [`Error::Link`](crate::Error::Link) gives.
    pub problem: Option<String>,
}

impl ImportItem {
    /// Whether this host provides the import.
    pub fn is_provided(&self) -> bool {
        self.problem.is_none()
    }
}

/// The exports of `module`, in order.
pub(crate) fn exports(module: &Module) -> Vec<ExportItem> {
    module
        .exports()
        .map(|e| {
            let ty = e.ty();
            ExportItem {
                name: e.name().to_string(),
                plugin_function: matches!(&ty, ExternType::Func(f) if abi::is_plugin_function(f)),
                ty: ItemType::from(&ty),
            }
        })
        .collect()
}

/// Every import of a linked plug-in, module by module in link order.
pub(crate) fn imports(plan: &crate::linker::LinkPlan) -> Vec<ImportItem> {
    let names: Vec<&str> = plan.modules.iter().map(|m| m.name.as_str()).collect();
    plan.modules
        .iter()
        .flat_map(|linked| {
            let names = &names;
            linked
                .module
                .imports()
                .zip(&linked.imports)
                .map(move |(import, source)| item(&linked.name, &import, Ok(source), names))
        })
        .collect()
}

/// The report of one import: `resolved` is the linker's answer, `modules`
/// the plug-in's module names in link order.
pub(crate) fn item(
    importer: &str,
    import: &ImportType<'_>,
    resolved: Result<&ImportSource, &str>,
    modules: &[&str],
) -> ImportItem {
    let (namespace, name) = (import.module(), import.name());
    let provider = match resolved {
        Ok(
            ImportSource::Module { index, .. }
            | ImportSource::Command { index, .. }
            | ImportSource::Late { index },
        ) => ImportProvider::Module(modules.get(*index).copied().unwrap_or_default().to_string()),
        _ => by_namespace(namespace, name, modules),
    };
    ImportItem {
        importer: importer.to_string(),
        module: namespace.to_string(),
        name: name.to_string(),
        ty: ItemType::from(&import.ty()),
        provider,
        problem: resolved.err().map(str::to_string),
    }
}

/// What provides an import from `namespace`, by the ABI's rules.
fn by_namespace(namespace: &str, name: &str, modules: &[&str]) -> ImportProvider {
    if abi::kernel_import(namespace, name).is_some() {
        if namespace == abi::LEGACY_NAMESPACE {
            ImportProvider::LegacyKernel
        } else {
            ImportProvider::Kernel
        }
    } else if WASI_NAMESPACES.contains(&namespace) {
        ImportProvider::Wasi
    } else if modules.contains(&namespace) {
        ImportProvider::Module(namespace.to_string())
    } else {
        ImportProvider::HostFunction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_wat() {
        let func = ItemType::Func {
            params: vec!["i32".into(), "i64".into()],
            results: vec![],
        };
        assert_eq!(func.to_string(), "(func (i32, i64) -> ())");
        let memory = ItemType::Memory {
            minimum: 1,
            maximum: Some(2),
            memory64: false,
            shared: false,
        };
        assert_eq!(memory.to_string(), "(memory 1 2)");
        let global = ItemType::Global {
            content: "i32".into(),
            mutable: true,
        };
        assert_eq!(global.to_string(), "(global (mut i32))");
    }
}
