//! Oracle of the `linked_modules` fuzz target: manifests of one to four WAT
//! modules whose function imports point at each other in any shape (self
//! imports, cycles, chains, missing exports, wrong types), some run through
//! a start function. Building must give a plug-in or a typed error, never a
//! panic; a plug-in that builds must answer `run` twice and serve a pool.
//!
//! Self-contained (extism-host only) so that `tests/regressions.rs` can
//! include this file with `#[path]`.

use std::time::Duration;

use extism_host::{Error, Manifest, PluginBuilder, Pool, Wasm};

/// One import of a module: which module (by index) and which export.
#[derive(Debug, Clone, Copy)]
struct Import {
    from: usize,
    export: u8,
    /// Imported as `(param i32)` instead of `() -> i32`.
    wrong_type: bool,
}

/// Reads a module graph from `data` (two bits per choice, so every byte
/// string is a case).
pub fn check(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let mut next = move |bound: u8| bytes.next().unwrap_or(0) % bound;
    let count = usize::from(next(4)) + 1;
    let mut modules = Vec::with_capacity(count);
    for _ in 0..count {
        let imports: Vec<Import> = (0..next(4))
            .map(|_| Import {
                from: usize::from(next(count as u8)),
                export: next(4),
                wrong_type: next(8) == 0,
            })
            .collect();
        let start = !imports.is_empty() && next(3) == 0;
        modules.push((imports, start));
    }
    let name = |i: usize| {
        if i == count - 1 {
            "main".to_string()
        } else {
            format!("m{i}")
        }
    };
    let wasm: Vec<Wasm> = modules
        .iter()
        .enumerate()
        .map(|(i, (imports, start))| {
            let mut wat = String::from("(module\n");
            for (k, import) in imports.iter().enumerate() {
                let ty = if import.wrong_type {
                    "(param i32)"
                } else {
                    "(result i32)"
                };
                wat.push_str(&format!(
                    "  (import \"{}\" \"f{}\" (func $i{k} {ty}))\n",
                    name(import.from),
                    import.export
                ));
            }
            // f0..f2 exist; f3 is never exported.
            for f in 0..3 {
                wat.push_str(&format!(
                    "  (func (export \"f{f}\") (result i32) (i32.const {f}))\n"
                ));
            }
            let first_call = match imports.first() {
                Some(i) if !i.wrong_type => "(drop (call $i0))",
                Some(_) => "(call $i0 (i32.const 0))",
                None => "",
            };
            if *start {
                wat.push_str(&format!("  (func $start {first_call})\n  (start $start)\n"));
            }
            wat.push_str(&format!(
                "  (func (export \"run\") (result i32) {first_call} (i32.const 0)))\n"
            ));
            Wasm::data(wat).with_name(name(i))
        })
        .collect();
    let manifest = Manifest::new(wasm).with_timeout(Duration::from_secs(2));
    let compiled = match PluginBuilder::new(manifest).with_name("linking").compile() {
        Ok(compiled) => compiled,
        Err(e) => return expected_load_error(&e),
    };
    let mut plugin = match compiled.instantiate() {
        Ok(plugin) => plugin,
        Err(e) => return expected_load_error(&e),
    };
    for _ in 0..2 {
        plugin
            .call_bytes("run", b"")
            .expect("a linked plug-in runs");
    }
    let pool = Pool::builder().with_max_instances(1).build(compiled);
    for _ in 0..3 {
        let mut pooled = pool.get(Duration::from_secs(2)).expect("a checkout");
        pooled
            .call_bytes("run", b"")
            .expect("a pooled plug-in runs");
    }
}

fn expected_load_error(e: &Error) {
    assert!(
        matches!(e, Error::Link { .. } | Error::Instantiate { .. }),
        "unexpected load error: {e:?}"
    );
    assert_eq!(e.plugin(), Some("linking"), "{e}");
}
