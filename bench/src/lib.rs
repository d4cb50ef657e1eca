//! Shared set-up of the benchmarks (`benches/runtimes.rs`) and of the
//! profiling driver (`src/bin/profile.rs`): the plug-ins, the `echo` host
//! function in each runtime, and the plain-wasmtime floor module.

use std::path::PathBuf;

/// Bytes of a committed test plug-in (`plugins/wasm/NAME`).
pub fn plugin_bytes(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/wasm")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// An input of `len` bytes (not all equal, so nothing special-cases it).
pub fn input_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

// ---------------------------------------------------------------- ours

pub mod ours {
    use extism_host::{CurrentPlugin, HostError, HostFunction, ValType, PTR};

    /// `echo(data) -> data`, typed (`HostFunction::wrap`).
    pub fn echo_typed() -> HostFunction {
        HostFunction::wrap(
            "echo",
            |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
                let bytes = plugin.read_bytes(data)?.to_vec();
                plugin.write_bytes(&bytes)
            },
        )
    }

    /// `echo(data) -> data` over the raw stack (`HostFunction::new`).
    pub fn echo_raw() -> HostFunction {
        HostFunction::new(
            "echo",
            [PTR],
            [ValType::I64],
            |plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
                let bytes = plugin.read_bytes(stack[0])?.to_vec();
                stack[0] = plugin.write_bytes(&bytes)?;
                Ok(())
            },
        )
    }

    /// reflect.rust.wasm with the typed `echo`.
    pub fn reflect_plugin(typed: bool) -> extism_host::Plugin {
        let echo = if typed { echo_typed() } else { echo_raw() };
        extism_host::PluginBuilder::from_wasm(super::plugin_bytes("reflect.rust.wasm"))
            .with_function(echo)
            .build()
            .expect("ours: reflect plug-in")
    }
}

// ---------------------------------------------------------- reference

pub mod reference {
    use extism::{Function, UserData, PTR};

    /// `echo(data) -> data` with `extism::Function::new`.
    pub fn echo() -> Function {
        Function::new("echo", [PTR], [PTR], UserData::new(()), echo_fn)
    }

    /// The body of `echo` as a named function (for `PluginBuilder::with_function`).
    pub fn echo_fn(
        plugin: &mut extism::CurrentPlugin,
        inputs: &[extism::Val],
        outputs: &mut [extism::Val],
        _user_data: UserData<()>,
    ) -> Result<(), extism::Error> {
        let handle = plugin
            .memory_from_val(&inputs[0])
            .ok_or_else(|| extism::Error::msg("echo: bad offset"))?;
        let bytes = plugin.memory_bytes(handle)?.to_vec();
        let out = plugin.memory_new(bytes)?;
        outputs[0] = plugin.memory_to_val(out);
        Ok(())
    }

    /// reflect.rust.wasm with `echo`, compile cache as configured by default.
    pub fn reflect_plugin() -> extism::Plugin {
        let bytes = super::plugin_bytes("reflect.rust.wasm");
        extism::Plugin::new(&bytes[..], [echo()], false).expect("reference: reflect plug-in")
    }

    pub fn reflect_compiled() -> extism::CompiledPlugin {
        let bytes = super::plugin_bytes("reflect.rust.wasm");
        extism::CompiledPlugin::new(extism::PluginBuilder::new(&bytes[..]).with_function(
            "echo",
            [PTR],
            [PTR],
            UserData::new(()),
            echo_fn,
        ))
        .expect("reference: compiled reflect plug-in")
    }
}

// -------------------------------------------------------------- floor

pub mod floor {
    use wasmtime::{Caller, Engine, Instance, InstancePre, Linker, Module, Store, TypedFunc};

    /// A module with an export that does nothing, a loop calling an imported
    /// host function, and a copy between two regions of its memory.
    pub const WAT: &str = r#"
(module
  (import "host" "echo" (func $echo (param i64) (result i64)))
  (memory (export "memory") 40)
  (func (export "noop") (result i32) i32.const 0)
  ;; calls echo n times, threading the value through
  (func (export "host_loop") (param $n i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $echo (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; copies len bytes from 0 to 0x180000 (input region to output region)
  (func (export "copy") (param $len i32)
    (memory.copy (i32.const 0x180000) (i32.const 0) (local.get $len)))
)
"#;

    pub struct Floor {
        pub engine: Engine,
        pub module: Module,
        pub pre: InstancePre<()>,
    }

    pub fn linker(engine: &Engine) -> Linker<()> {
        let mut linker = Linker::new(engine);
        linker
            .func_wrap("host", "echo", |_caller: Caller<'_, ()>, x: i64| {
                x.wrapping_add(1)
            })
            .unwrap();
        linker
    }

    impl Floor {
        pub fn new() -> Self {
            let engine = Engine::default();
            let module = Module::new(&engine, WAT).unwrap();
            let pre = linker(&engine).instantiate_pre(&module).unwrap();
            Floor {
                engine,
                module,
                pre,
            }
        }

        pub fn instance(&self) -> (Store<()>, Instance) {
            let mut store = Store::new(&self.engine, ());
            let instance = self.pre.instantiate(&mut store).unwrap();
            (store, instance)
        }
    }

    pub struct Running {
        pub store: Store<()>,
        pub instance: Instance,
        pub noop: TypedFunc<(), i32>,
        pub host_loop: TypedFunc<i32, i64>,
        pub copy: TypedFunc<i32, ()>,
        pub memory: wasmtime::Memory,
    }

    impl Running {
        pub fn new(floor: &Floor) -> Self {
            let (mut store, instance) = floor.instance();
            let noop = instance.get_typed_func(&mut store, "noop").unwrap();
            let host_loop = instance.get_typed_func(&mut store, "host_loop").unwrap();
            let copy = instance.get_typed_func(&mut store, "copy").unwrap();
            let memory = instance.get_memory(&mut store, "memory").unwrap();
            Running {
                store,
                instance,
                noop,
                host_loop,
                copy,
                memory,
            }
        }

        /// The floor of `reflect`: input into linear memory, a wasm copy,
        /// output out as a borrowed slice.
        pub fn reflect(&mut self, input: &[u8]) -> usize {
            self.memory.write(&mut self.store, 0, input).unwrap();
            self.copy.call(&mut self.store, input.len() as i32).unwrap();
            let out = &self.memory.data(&self.store)[0x180000..0x180000 + input.len()];
            std::hint::black_box(out).len()
        }
    }

    /// Cold creation floor: compile `bytes` and instantiate them with every
    /// import a trap.
    pub fn cold_create(engine: &Engine, bytes: &[u8]) -> (Store<()>, Instance) {
        let module = Module::new(engine, bytes).unwrap();
        let mut linker: Linker<()> = Linker::new(engine);
        linker.define_unknown_imports_as_traps(&module).unwrap();
        let mut store = Store::new(engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        (store, instance)
    }
}

/// An Extism plug-in (WAT) whose export `bump_loop` calls the user host
/// function `bump(i64) -> i64` `BUMP_LOOP_N` times with no memory traffic:
/// the bare host-call cost of a runtime. Returns 0 when `bump` adds 1.
pub const BUMP_WAT: &str = r#"
(module
  (import "extism:host/user" "bump" (func $bump (param i64) (result i64)))
  (func (export "bump_loop") (result i32)
    (local $n i32) (local $acc i64)
    (local.set $n (i32.const 1000))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $bump (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.wrap_i64 (i64.sub (local.get $acc) (i64.const 1000))))
)
"#;

/// How many host calls one `bump_loop` call makes.
pub const BUMP_LOOP_N: u32 = 1000;

/// `BUMP_WAT` as a binary module.
pub fn bump_wasm() -> Vec<u8> {
    wat::parse_str(BUMP_WAT).expect("BUMP_WAT")
}

pub mod bump {
    use extism_host::{CurrentPlugin, HostError, HostFunction, ValType};

    pub fn ours(typed: bool) -> extism_host::Plugin {
        let f = if typed {
            HostFunction::wrap(
                "bump",
                |_plugin: &mut CurrentPlugin<'_>, x: i64| -> Result<i64, HostError> { Ok(x + 1) },
            )
        } else {
            HostFunction::new(
                "bump",
                [ValType::I64],
                [ValType::I64],
                |_plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
                    stack[0] = stack[0].wrapping_add(1);
                    Ok(())
                },
            )
        };
        extism_host::PluginBuilder::from_wasm(super::bump_wasm())
            .with_function(f)
            .build()
            .expect("ours: bump plug-in")
    }

    pub fn reference() -> extism::Plugin {
        let f = extism::Function::new(
            "bump",
            [extism::ValType::I64],
            [extism::ValType::I64],
            extism::UserData::new(()),
            |_plugin, inputs, outputs, _| {
                outputs[0] = extism::Val::I64(inputs[0].unwrap_i64() + 1);
                Ok(())
            },
        );
        extism::Plugin::new(&super::bump_wasm()[..], [f], false).expect("reference: bump plug-in")
    }
}
