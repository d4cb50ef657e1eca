//! The names of the Extism ABI, in one place: namespaces, the pre-1.0
//! spelling, every function `extism:host/env` provides and where it is
//! implemented, and the rules that follow from them (which module is the
//! plug-in, which exports are callable).
//!
//! The kernel (`kernel/`) and the services (`env.rs`) define their functions
//! with the names below; a unit test checks that what they define is exactly
//! this table, so a name added in one place and not the other fails the build's
//! tests rather than a plug-in's load.

use wasmtime::FuncType;

/// The namespace of the kernel and the services.
pub(crate) const KERNEL_NAMESPACE: &str = "extism:host/env";

/// The namespace host functions get unless they name another.
pub const USER_NAMESPACE: &str = "extism:host/user";

/// The module pre-1.0 PDKs import the kernel (as `extism_*`) and user
/// functions from.
pub(crate) const LEGACY_NAMESPACE: &str = "env";
/// The prefix of kernel function names in [`LEGACY_NAMESPACE`].
pub(crate) const LEGACY_PREFIX: &str = "extism_";

/// The namespaces of WASI preview 1.
pub(crate) const WASI_NAMESPACES: &[&str] = &["wasi_snapshot_preview1", "wasi_unstable"];

/// The name of the module that is the plug-in itself.
pub(crate) const MAIN: &str = "main";

/// Where a function of `extism:host/env` is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    /// In `kernel.wat`: plug-ins import it from the store's kernel instance.
    KernelWasm,
    /// A host function over the block table (`kernel::add_to_linker`).
    KernelHost,
    /// A service: config, vars, logging, HTTP (`env::add_to_linker`).
    Service,
}

/// Every function of `extism:host/env`.
pub(crate) const FUNCTIONS: &[(&str, Home)] = &[
    ("load_u8", Home::KernelWasm),
    ("load_u64", Home::KernelWasm),
    ("store_u8", Home::KernelWasm),
    ("store_u64", Home::KernelWasm),
    ("input_length", Home::KernelWasm),
    ("input_offset", Home::KernelWasm),
    ("input_load_u8", Home::KernelWasm),
    ("input_load_u64", Home::KernelWasm),
    ("alloc", Home::KernelHost),
    ("free", Home::KernelHost),
    ("length", Home::KernelHost),
    ("length_unsafe", Home::KernelHost),
    ("output_set", Home::KernelHost),
    ("output_length", Home::KernelHost),
    ("output_offset", Home::KernelHost),
    ("error_set", Home::KernelHost),
    ("error_get", Home::KernelHost),
    ("input_set", Home::KernelHost),
    ("reset", Home::KernelHost),
    ("memory_bytes", Home::KernelHost),
    ("config_get", Home::Service),
    ("var_get", Home::Service),
    ("var_set", Home::Service),
    ("log_trace", Home::Service),
    ("log_debug", Home::Service),
    ("log_info", Home::Service),
    ("log_warn", Home::Service),
    ("log_error", Home::Service),
    ("get_log_level", Home::Service),
    ("http_request", Home::Service),
    ("http_status_code", Home::Service),
    ("http_headers", Home::Service),
];

/// Where the `extism:host/env` function `name` is implemented, if it is one.
pub(crate) fn home(name: &str) -> Option<Home> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, h)| h)
}

/// The kernel function an import names, under its namespace or (pre-1.0
/// PDKs) as `env::extism_*`; None for any other import.
pub(crate) fn kernel_import<'a>(module: &str, name: &'a str) -> Option<&'a str> {
    if module == KERNEL_NAMESPACE {
        Some(name)
    } else if module == LEGACY_NAMESPACE {
        name.strip_prefix(LEGACY_PREFIX)
    } else {
        None
    }
}

/// Every function name of `extism:host/env`, sorted, for error messages.
pub(crate) fn function_names() -> String {
    let mut names: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.join(", ")
}

/// Whether an export of this type can be called as a plug-in function
/// (`() -> i32`, or `() -> ()` as `_start` and some PDKs' exports are).
pub(crate) fn is_plugin_function(f: &FuncType) -> bool {
    f.params().len() == 0
        && (f.results().len() == 0
            || (f.results().len() == 1
                && matches!(f.results().next(), Some(wasmtime::ValType::I32))))
}

/// The reference's naming rules for a manifest's modules: an entry's name is
/// its `name` or `main`; a single entry is always `main`; with several, when
/// no entry is `main`, the last one becomes `main`. Returns a name per entry
/// and the index of the main one. Duplicate names are left to the caller.
pub(crate) fn module_names(declared: &[Option<&str>]) -> (Vec<String>, usize) {
    if declared.len() == 1 {
        return (vec![MAIN.to_string()], 0);
    }
    let mut names: Vec<String> = declared
        .iter()
        .map(|n| n.unwrap_or(MAIN).to_string())
        .collect();
    let main = match names.iter().position(|n| n == MAIN) {
        Some(main) => main,
        None => {
            let last = names.len().saturating_sub(1);
            if let Some(name) = names.get_mut(last) {
                *name = MAIN.to_string();
            }
            last
        }
    };
    (names, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the kernel and the services define are exactly the table's.
    #[test]
    fn definitions_match_the_table() {
        let engine = crate::Engine::default();
        let mut linker = wasmtime::Linker::new(engine.wasmtime());
        crate::kernel::add_to_linker(&mut linker, KERNEL_NAMESPACE).unwrap();
        crate::env::add_to_linker(&mut linker, KERNEL_NAMESPACE, false).unwrap();
        let mut store = wasmtime::Store::new(engine.wasmtime(), crate::store::StoreData::scratch());
        let mut defined: Vec<String> = linker
            .iter(&mut store)
            .map(|(module, name, _)| {
                assert_eq!(module, KERNEL_NAMESPACE);
                name.to_string()
            })
            .collect();
        defined.sort();
        let mut host: Vec<String> = FUNCTIONS
            .iter()
            .filter(|(_, h)| *h != Home::KernelWasm)
            .map(|(n, _)| n.to_string())
            .collect();
        host.sort();
        assert_eq!(defined, host);

        let mut exported: Vec<String> = engine
            .kernel_module()
            .exports()
            .filter(|e| matches!(e.ty(), wasmtime::ExternType::Func(_)))
            .map(|e| e.name().to_string())
            .filter(|n| home(n) == Some(Home::KernelWasm))
            .collect();
        exported.sort();
        let mut wasm: Vec<String> = FUNCTIONS
            .iter()
            .filter(|(_, h)| *h == Home::KernelWasm)
            .map(|(n, _)| n.to_string())
            .collect();
        wasm.sort();
        assert_eq!(exported, wasm);
    }

    #[test]
    fn legacy_names_reach_the_kernel() {
        assert_eq!(kernel_import("env", "extism_alloc"), Some("alloc"));
        assert_eq!(kernel_import("env", "alloc"), None);
        assert_eq!(kernel_import(KERNEL_NAMESPACE, "alloc"), Some("alloc"));
        assert_eq!(kernel_import(USER_NAMESPACE, "alloc"), None);
    }
}
