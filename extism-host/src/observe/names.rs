//! What an instrumented module tells about itself: its functions' names
//! (from the `name` section, demangled) and the instrumentation's version
//! (the `wasm_instr_version_major` / `_minor` globals it exports).

use std::sync::Arc;

use rustc_hash::FxHashMap;
use wasmparser::{ExternalKind, Name, Operator, Parser, Payload};

use super::imports;

/// The longest function name kept; a name section is plug-in data.
const MAX_NAME_BYTES: usize = 1024;

/// The functions of an instrumented module and its instrumentation version.
#[derive(Debug, Default)]
pub(crate) struct Instrumentation {
    names: FxHashMap<u32, Arc<str>>,
    /// The exported version globals, when the instrumentation added them.
    pub(crate) version: Option<(u32, u32)>,
}

impl Instrumentation {
    /// Reads `wasm` when it imports an Observe namespace; None otherwise.
    /// Malformed sections are skipped: the module is compiled (and any
    /// problem reported) separately.
    pub(crate) fn read(wasm: &[u8]) -> Option<Instrumentation> {
        let mut instrumented = false;
        let mut info = Instrumentation::default();
        let mut globals: Vec<Option<i32>> = Vec::new();
        let mut imported_globals = 0u32;
        let mut version_exports: [Option<u32>; 2] = [None, None];
        for payload in Parser::new(0).parse_all(wasm) {
            let Ok(payload) = payload else { break };
            match payload {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports().flatten() {
                        if imports::is_observe_namespace(import.module) {
                            instrumented = true;
                        }
                        if matches!(import.ty, wasmparser::TypeRef::Global(_)) {
                            imported_globals += 1;
                        }
                    }
                }
                Payload::GlobalSection(reader) => {
                    for global in reader.into_iter().flatten() {
                        let mut ops = global.init_expr.get_operators_reader();
                        let value = match ops.read() {
                            Ok(Operator::I32Const { value }) => Some(value),
                            _ => None,
                        };
                        globals.push(value);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader.into_iter().flatten() {
                        let slot = match export.name {
                            "wasm_instr_version_major" => 0,
                            "wasm_instr_version_minor" => 1,
                            _ => continue,
                        };
                        if export.kind == ExternalKind::Global {
                            version_exports[slot] = Some(export.index);
                        }
                    }
                }
                Payload::CustomSection(section) => {
                    if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                        for name in reader.into_iter().flatten() {
                            if let Name::Function(map) = name {
                                for naming in map.into_iter().flatten() {
                                    info.names
                                        .insert(naming.index, demangle(naming.name).into());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if !instrumented {
            return None;
        }
        let value = |index: Option<u32>| {
            let local = index?.checked_sub(imported_globals)?;
            // The instrumenter writes the versions as i32 constants.
            globals
                .get(local as usize)
                .copied()
                .flatten()
                .map(|v| v as u32)
        };
        info.version = value(version_exports[0]).zip(value(version_exports[1]));
        Some(info)
    }

    /// The name of function `index`, or `func[index]` when the module has
    /// none for it.
    pub(crate) fn name(&self, index: u32) -> Arc<str> {
        match self.names.get(&index) {
            Some(name) => name.clone(),
            None => unnamed(index),
        }
    }

    /// How many functions have names.
    #[cfg(test)]
    pub(crate) fn named(&self) -> usize {
        self.names.len()
    }
}

/// How a function without a name is shown.
pub(crate) fn unnamed(index: u32) -> Arc<str> {
    format!("func[{index}]").into()
}

/// A symbol as people read it: Rust (legacy and v0 mangling, without the
/// hash) and C++ names demangled, others as they are; capped in length.
pub(crate) fn demangle(raw: &str) -> String {
    let mut name = if let Ok(rust) = rustc_demangle::try_demangle(raw) {
        format!("{rust:#}")
    } else if let Some(cpp) = cpp_demangle::Symbol::new(raw)
        .ok()
        .and_then(|symbol| symbol.demangle().ok())
    {
        cpp
    } else {
        raw.to_string()
    };
    if name.len() > MAX_NAME_BYTES {
        let mut end = MAX_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_name_section_and_are_demangled() {
        let wasm = wat::parse_str(
            r#"(module
                (import "dylibso:observe/instrument" "enter" (func $enter (param i32)))
                (func $_ZN5hello5outer17h0123456789abcdefE)
                (func $_Z5innerv)
                (func $plain)
                (global (export "wasm_instr_version_major") i32 (i32.const 0))
                (global (export "wasm_instr_version_minor") i32 (i32.const 4)))"#,
        )
        .unwrap();
        let info = Instrumentation::read(&wasm).unwrap();
        assert_eq!(&*info.name(1), "hello::outer");
        assert_eq!(&*info.name(2), "inner()");
        assert_eq!(&*info.name(3), "plain");
        assert_eq!(&*info.name(9), "func[9]");
        assert_eq!(info.version, Some((0, 4)));
        assert_eq!(info.named(), 4);
    }

    #[test]
    fn modules_without_observe_imports_are_not_read() {
        let wasm = wat::parse_str("(module (func $f))").unwrap();
        assert!(Instrumentation::read(&wasm).is_none());
    }
}
