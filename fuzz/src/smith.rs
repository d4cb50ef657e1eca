//! Target 5: arbitrary wasm modules from wasm-smith, loaded as plug-ins.
//!
//! wasm-smith picks imports only from [`available_imports`]: every
//! `extism:host/env` function with its real type, or (for one input in four)
//! a list that also has wrong types, unknown kernel names, a memory import
//! and a user function no host registered. Exports are fixed: `run` and `go`,
//! both `() -> i32`, so the host can call them.
//!
//! Plug-ins run on a fuel-metered engine (fuel also bounds a start function,
//! which no timeout covers) with a timeout and `max_pages`. Checks: loading
//! fails only with a typed error; calls never panic and end (fuel/timeout);
//! after any call the plug-in can be called again.

use std::sync::OnceLock;

pub use crate::oracles::wasm::{check, engine, FUEL, HANG, TIMEOUT};
use arbitrary::{Result, Unstructured};

const KERNEL_IMPORTS: &str = r#"
  (import "extism:host/env" "alloc" (func (param i64) (result i64)))
  (import "extism:host/env" "free" (func (param i64)))
  (import "extism:host/env" "length" (func (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func (param i64 i32)))
  (import "extism:host/env" "store_u64" (func (param i64 i64)))
  (import "extism:host/env" "input_length" (func (result i64)))
  (import "extism:host/env" "input_offset" (func (result i64)))
  (import "extism:host/env" "input_load_u8" (func (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func (param i64 i64)))
  (import "extism:host/env" "output_length" (func (result i64)))
  (import "extism:host/env" "output_offset" (func (result i64)))
  (import "extism:host/env" "error_set" (func (param i64)))
  (import "extism:host/env" "error_get" (func (result i64)))
  (import "extism:host/env" "input_set" (func (param i64 i64)))
  (import "extism:host/env" "reset" (func))
  (import "extism:host/env" "memory_bytes" (func (result i64)))
  (import "extism:host/env" "config_get" (func (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func (param i64 i64)))
  (import "extism:host/env" "log_info" (func (param i64)))
  (import "extism:host/env" "log_error" (func (param i64)))
  (import "extism:host/env" "get_log_level" (func (result i32)))
  (import "extism:host/env" "http_request" (func (param i64 i64) (result i64)))
  (import "extism:host/env" "http_status_code" (func (result i32)))
  (import "extism:host/env" "http_headers" (func (result i64)))
"#;

const WRONG_IMPORTS: &str = r#"
  (import "extism:host/env" "alloc" (func (param i32) (result i32)))
  (import "extism:host/env" "length" (func (param i64)))
  (import "extism:host/env" "not_a_kernel_function" (func (param i64) (result i64)))
  (import "extism:host/env" "memory" (memory 1))
  (import "extism:host/user" "nobody_registered_this" (func (param i64) (result i64)))
  (import "env" "extism_alloc" (func (param i64) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
"#;

fn wat_to_wasm(wat: &str) -> Vec<u8> {
    // A tiny WAT reader is not worth a dependency: build the modules with
    // wasm-encoder from a parsed description instead.
    encode_imports_module(wat)
}

/// Encodes a module made only of `(import "m" "n" (func (param ..) (result ..)))`
/// and `(import "m" "n" (memory N))` lines.
fn encode_imports_module(text: &str) -> Vec<u8> {
    use wasm_encoder::{EntityType, ImportSection, MemoryType, Module, TypeSection, ValType};
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    let mut type_count = 0u32;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("(import"))
    {
        let quoted: Vec<&str> = line.split('"').collect();
        let (module, name) = (quoted[1], quoted[3]);
        let rest = quoted[4];
        if rest.contains("(memory") {
            imports.import(
                module,
                name,
                EntityType::Memory(MemoryType {
                    minimum: 1,
                    maximum: None,
                    memory64: false,
                    shared: false,
                    page_size_log2: None,
                }),
            );
            continue;
        }
        let list = |key: &str| -> Vec<ValType> {
            let Some(start) = rest.find(key) else {
                return Vec::new();
            };
            let tail = &rest[start + key.len()..];
            let end = tail.find(')').unwrap_or(tail.len());
            tail[..end]
                .split_whitespace()
                .map(|t| match t {
                    "i32" => ValType::I32,
                    "i64" => ValType::I64,
                    "f32" => ValType::F32,
                    _ => ValType::F64,
                })
                .collect()
        };
        let params = list("(param");
        let results = list("(result");
        types.ty().function(params, results);
        imports.import(module, name, EntityType::Function(type_count));
        type_count += 1;
    }
    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.finish()
}

/// A module that only exports `run` and `go`, `() -> i32`.
fn exports_module() -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, Module,
        TypeSection, ValType,
    };
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    funcs.function(0);
    let mut exports = ExportSection::new();
    exports.export("run", ExportKind::Func, 0);
    exports.export("go", ExportKind::Func, 1);
    let mut code = CodeSection::new();
    for _ in 0..2 {
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(0));
        f.instruction(&Instruction::End);
        code.function(&f);
    }
    let mut module = Module::new();
    module.section(&types);
    module.section(&funcs);
    module.section(&exports);
    module.section(&code);
    module.finish()
}

struct Shapes {
    right: Vec<u8>,
    wrong: Vec<u8>,
    exports: Vec<u8>,
}

fn shapes() -> &'static Shapes {
    static S: OnceLock<Shapes> = OnceLock::new();
    S.get_or_init(|| Shapes {
        right: wat_to_wasm(KERNEL_IMPORTS),
        wrong: wat_to_wasm(&format!("{KERNEL_IMPORTS}{WRONG_IMPORTS}")),
        exports: exports_module(),
    })
}

/// Makes a module from fuzz bytes.
pub fn module(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let wrong = u.ratio(1, 4)?;
    let s = shapes();
    let mut config = wasm_smith::Config {
        available_imports: Some(if wrong {
            s.wrong.clone()
        } else {
            s.right.clone()
        }),
        exports: Some(s.exports.clone()),
        max_imports: 12,
        max_funcs: 12,
        max_instructions: 120,
        max_memories: 2,
        max_tables: 2,
        max_memory32_bytes: 1 << 24,
        max_memory64_bytes: 1 << 24,
        max_table_elements: 10_000,
        max_data_segments: 4,
        max_element_segments: 4,
        max_nesting_depth: 6,
        max_type_size: 200,
        memory64_enabled: false,
        threads_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        shared_everything_threads_enabled: false,
        allow_start_export: true,
        ..wasm_smith::Config::default()
    };
    // Sometimes allow the proposals a hostile module may use anyway.
    if u.ratio(1, 8)? {
        config.threads_enabled = true;
        config.gc_enabled = true;
        config.exceptions_enabled = true;
        config.memory64_enabled = true;
    }
    let m = wasm_smith::Module::new(config, u)?;
    Ok(m.to_bytes())
}
