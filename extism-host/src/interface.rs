//! The export check behind `#[plugin_interface]`: does a compiled plug-in have every
//! export a trait calls, each of them an Extism function? Generated code reaches it
//! through [`crate::__private`], with a table of the trait's exports.

use crate::abi::is_plugin_function;
use crate::compiled::CompiledPlugin;
use crate::error::{Error, MistypedExport, Result};
use crate::linker;

/// One export an interface calls: its name, and whether the plug-in may lack it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSpec {
    /// The export's name in the plug-in.
    pub name: &'static str,
    /// `#[optional]`: the plug-in may lack the export.
    pub optional: bool,
}

impl ExportSpec {
    /// An export the plug-in must have.
    pub const fn required(name: &'static str) -> Self {
        ExportSpec {
            name,
            optional: false,
        }
    }

    /// An export the plug-in may lack.
    pub const fn optional(name: &'static str) -> Self {
        ExportSpec {
            name,
            optional: true,
        }
    }
}

/// Checks that `compiled` implements the interface `interface` (a trait's name), which
/// calls `exports`.
///
/// Every required export must be present, and every export that is present, optional or
/// not, must be an Extism function (`() -> i32` or `() -> ()`): an optional export of
/// another type is a mistake in the plug-in or the trait, which a call could only report
/// later and less clearly.
///
/// # Errors
/// [`Error::Interface`] listing, in the order of `exports`, every missing required export
/// and every export of another type.
pub fn check_interface(
    compiled: &CompiledPlugin,
    interface: &str,
    exports: &[ExportSpec],
) -> Result<()> {
    let module = compiled.main_module();
    let mut missing = Vec::new();
    let mut mistyped = Vec::new();
    for export in exports {
        match module.get_export(export.name) {
            Some(wasmtime::ExternType::Func(f)) if is_plugin_function(&f) => {}
            Some(other) => mistyped.push(MistypedExport {
                name: export.name.to_string(),
                found: linker::describe(&other),
            }),
            None if export.optional => {}
            None => missing.push(export.name.to_string()),
        }
    }
    if missing.is_empty() && mistyped.is_empty() {
        return Ok(());
    }
    Err(Error::Interface {
        plugin: compiled.name().to_string(),
        interface: interface.to_string(),
        missing,
        mistyped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PluginBuilder;

    const WAT: &str = r#"(module
        (memory (export "memory") 1)
        (func (export "returns_i32") (result i32) (i32.const 0))
        (func (export "returns_nothing"))
        (func (export "takes_param") (param i32))
        (global (export "counter") i32 (i32.const 0)))"#;

    fn compiled() -> CompiledPlugin {
        PluginBuilder::from_wasm(WAT)
            .with_name("probe")
            .compile()
            .unwrap()
    }

    fn check(exports: &[ExportSpec]) -> Result<()> {
        check_interface(&compiled(), "Probe", exports)
    }

    fn mistyped(name: &str, found: &str) -> MistypedExport {
        MistypedExport {
            name: name.into(),
            found: found.into(),
        }
    }

    #[test]
    fn both_extism_signatures_pass() {
        check(&[
            ExportSpec::required("returns_i32"),
            ExportSpec::required("returns_nothing"),
            ExportSpec::optional("absent"),
        ])
        .unwrap();
        check(&[]).unwrap();
    }

    #[test]
    fn every_problem_is_listed_in_table_order() {
        let error = check(&[
            ExportSpec::required("zeta"),
            ExportSpec::required("returns_i32"),
            ExportSpec::required("takes_param"),
            ExportSpec::optional("absent"),
            ExportSpec::required("alpha"),
            // Optional, but present with another type: reported.
            ExportSpec::optional("memory"),
            ExportSpec::optional("counter"),
        ])
        .unwrap_err();
        match &error {
            Error::Interface {
                plugin,
                interface,
                missing,
                mistyped: found,
            } => {
                assert_eq!(plugin, "probe");
                assert_eq!(interface, "Probe");
                assert_eq!(missing, &["zeta", "alpha"]);
                assert_eq!(
                    found,
                    &[
                        mistyped("takes_param", "(func (i32) -> ())"),
                        mistyped("memory", "(memory 1)"),
                        mistyped("counter", "(global i32)"),
                    ]
                );
            }
            other => panic!("expected Error::Interface, got {other:?}"),
        }
        assert_eq!(error.plugin(), Some("probe"));
        assert_eq!(error.exit_code(), -1);
        assert_eq!(
            error.to_string(),
            "plug-in `probe`: does not implement `Probe`: functions `zeta`, `alpha` not found; \
             function `takes_param` has type (func (i32) -> ()), \
             expected `() -> i32` or `() -> ()`; \
             function `memory` has type (memory 1), expected `() -> i32` or `() -> ()`; \
             function `counter` has type (global i32), expected `() -> i32` or `() -> ()`"
        );
    }

    #[test]
    fn one_missing_export() {
        let error = check(&[ExportSpec::required("absent")]).unwrap_err();
        assert!(
            matches!(&error, Error::Interface { missing, mistyped, .. }
                if missing == &["absent"] && mistyped.is_empty()),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "plug-in `probe`: does not implement `Probe`: function `absent` not found"
        );
    }

    #[test]
    fn one_mistyped_export() {
        let error = check(&[ExportSpec::required("takes_param")]).unwrap_err();
        assert!(
            matches!(&error, Error::Interface { missing, mistyped: found, .. }
                if missing.is_empty() && found == &[mistyped("takes_param", "(func (i32) -> ())")]),
            "{error:?}"
        );
    }
}
