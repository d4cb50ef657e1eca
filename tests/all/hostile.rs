//! Hostile plug-ins: module shapes and kernel use chosen to panic the host,
//! hang it, or make it hold memory outside the plug-in's limits. Each test
//! asserts the bound that holds instead (a typed error, a time, an RSS
//! figure). Figures that need a quiet process (RSS) are taken in a child
//! process running one test alone (see [`isolated`]).
//!
//! The classes that held before these tests were written are covered where
//! their feature is tested: kernel ABI edges in `kernel.rs` and
//! `regressions.rs`, copy-before-check of vars and HTTP bodies in `limits.rs`
//! and `http.rs`, `memory.grow` limits in `limits.rs`, file-system escapes
//! in `filesystem.rs`, deadlines and cancels in `interruption.rs`.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use extism_host::{
    CurrentPlugin, Engine, EngineBuilder, Error, HostError, HostFunction, Manifest, Plugin,
    PluginBuilder, Pool, PoolBuilder, Wasm,
};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, Instruction, MemorySection, MemoryType, Module, TypeSection,
    ValType,
};

use crate::support::{peak_rss, reset_peak, rss, Reply, Server};

fn build(wat: &str) -> Result<Plugin, Error> {
    PluginBuilder::new(Manifest::new([Wasm::data(wat)])).build()
}

const MIB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------
// 1. Modules that import their own exports; a pool's places.

#[test]
fn a_module_importing_its_own_export_is_a_link_error() {
    let err = build(
        r#"(module
             (import "main" "f" (func))
             (func (export "f"))
             (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .expect_err("a self-import must not build");
    match &err {
        Error::Link { module, import, .. } => {
            assert_eq!(module, "main");
            assert_eq!(import, "main::f");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    assert!(
        err.to_string().contains("cannot import its own export"),
        "{err}"
    );
}

#[test]
fn a_named_module_importing_itself_is_a_link_error() {
    let lib = r#"(module (import "lib" "g" (func)) (func (export "g")))"#;
    let main =
        r#"(module (import "lib" "g" (func)) (func (export "run") (result i32) (i32.const 0)))"#;
    let manifest = Manifest::new([Wasm::data(lib).with_name("lib"), Wasm::data(main)]);
    let err = PluginBuilder::new(manifest)
        .build()
        .expect_err("a self-import must not build");
    assert!(
        matches!(&err, Error::Link { module, .. } if module == "lib"),
        "{err:?}"
    );
}

/// The start function calls a host function that panics the first `n` times.
fn panicking_start(panics: u32) -> extism_host::CompiledPlugin {
    let left = Arc::new(AtomicU32::new(panics));
    let boom = HostFunction::new(
        "boom",
        [],
        [],
        move |_plugin: &mut CurrentPlugin<'_>, _stack: &mut [u64]| -> Result<(), HostError> {
            if left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                panic!("host function panics during instantiation");
            }
            Ok(())
        },
    );
    let wat = r#"(module
        (import "extism:host/user" "boom" (func $boom))
        (func $start (call $boom))
        (start $start)
        (func (export "run") (result i32) (i32.const 0)))"#;
    PluginBuilder::new(Manifest::new([Wasm::data(wat)]))
        .with_function(boom)
        .compile()
        .expect("it compiles")
}

#[test]
fn panicking_instantiations_give_the_pool_place_back() {
    let pool = Pool::builder()
        .with_max_instances(2)
        .build(panicking_start(3));
    for _ in 0..3 {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            pool.get(Duration::from_millis(200)).map(drop)
        }));
        assert!(
            result.is_err(),
            "the host function's panic reaches the caller"
        );
    }
    let metrics = pool.metrics();
    assert_eq!((metrics.in_use, metrics.created), (0, 0), "{metrics:?}");
    let mut plugin = pool
        .get(Duration::from_millis(200))
        .expect("places are free again");
    assert_eq!(plugin.call_bytes("run", b"").expect("runs"), b"");
    drop(plugin);
    assert_eq!(pool.metrics().created, 1);
}

#[test]
fn a_dropped_async_checkout_gives_its_place_back() {
    // The start function awaits forever; the checkout is dropped meanwhile.
    let never = HostFunction::wrap_async("never", |_plugin, ()| {
        Box::new(async {
            std::future::pending::<()>().await;
            Ok(())
        })
    });
    let wat = r#"(module
        (import "extism:host/user" "never" (func $never))
        (func $start (call $never))
        (start $start)
        (func (export "run") (result i32) (i32.const 0)))"#;
    let compiled = PluginBuilder::new(Manifest::new([Wasm::data(wat)]))
        .with_async(true)
        .with_function(never)
        .compile()
        .expect("it compiles");
    let pool = Pool::builder().with_max_instances(1).build(compiled);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let get = pool.get_async(Duration::from_secs(5));
        let outcome = tokio::time::timeout(Duration::from_millis(100), get).await;
        assert!(outcome.is_err(), "instantiation never ends");
    });
    let metrics = pool.metrics();
    assert_eq!(metrics.in_use, 0, "the dropped checkout left: {metrics:?}");
}

// ---------------------------------------------------------------------------
// 2. Block bookkeeping.

/// `run` allocates `input` (a decimal count) one-byte blocks and frees none.
const ALLOC_MANY_WAT: &str = concat!(
    "(module",
    kernel_imports!(),
    r#"
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (local $n i64) (local $i i64)
    ;; The count, in decimal.
    (block $parsed
      (loop $digit
        (br_if $parsed (i64.ge_u (local.get $i) (call $input_length)))
        (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10))
          (i64.extend_i32_u (i32.sub (call $input_load_u8 (local.get $i)) (i32.const 48)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $digit)))
    (local.set $i (i64.const 0))
    (block $done
      (loop $more
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (if (i64.eqz (call $alloc (i64.const 1))) (then (return (i32.const 1))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $more)))
    (i32.const 0)))"#
);

fn alloc_many(max_pages: Option<u32>) -> Plugin {
    let mut manifest = Manifest::new([Wasm::data(ALLOC_MANY_WAT)]);
    if let Some(pages) = max_pages {
        manifest = manifest.with_max_pages(pages);
    }
    PluginBuilder::new(manifest).build().expect("it builds")
}

#[test]
fn block_bookkeeping_counts_against_max_pages() {
    // 2 pages (128 KiB) hold 16,384 one-byte blocks of 8 bytes, but their
    // bookkeeping does not fit beside them: the call fails at the limit.
    let mut plugin = alloc_many(Some(2));
    let err = plugin
        .call_bytes("run", b"16000")
        .expect_err("the bookkeeping is over budget");
    assert!(
        matches!(&err, Error::MemoryLimit { max_pages: 2, function, .. } if function == "run"),
        "{err:?}"
    );
    // The budget is charged per live block and refunded by the next call's
    // reset: what fits keeps fitting, call after call.
    for _ in 0..3 {
        plugin
            .call_bytes("run", b"500")
            .expect("500 blocks fit in 2 pages");
    }
}

alone!(block_bookkeeping_rss, child_block_bookkeeping_rss, {
    // 16M one-byte blocks under a 131 MiB budget (2100 pages): before the
    // bookkeeping was charged this peaked at 1.2 GiB and kept 800 MiB.
    let mut plugin = alloc_many(Some(2100));
    let before = rss();
    reset_peak();
    let started = Instant::now();
    let err = plugin
        .call_bytes("run", b"16000000")
        .expect_err("over budget");
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::MemoryLimit { .. }), "{err:?}");
    let peak = peak_rss().saturating_sub(before);
    let kept = rss().saturating_sub(before);
    println!(
        "16M alloc(1) under max_pages 2100: MemoryLimit after {elapsed:?}; peak +{} MiB, kept +{} MiB",
        peak / MIB,
        kept / MIB
    );
    // The budget is 131 MiB for the kernel memory and bookkeeping together.
    assert!(peak < 200 * MIB, "peak +{} MiB", peak / MIB);
});

alone!(
    block_bookkeeping_is_released_after_the_call,
    child_block_bookkeeping_released,
    {
        // Without a limit, a call's tables are released when it ends: what
        // stays is the kernel memory (8 MiB for 1M blocks of 8 bytes).
        let mut unlimited = alloc_many(None);
        let before = rss();
        unlimited.call_bytes("run", b"1000000").expect("fits");
        let kept = rss().saturating_sub(before);

        println!(
            "1M alloc(1) without a limit: kept +{} MiB after the call",
            kept / MIB
        );
        assert!(kept < 40 * MIB, "kept +{} MiB", kept / MIB);
    }
);

// ---------------------------------------------------------------------------
// 3. Copies of plug-in data.

/// `error` sets the error to a new block of `input` bytes (a decimal count)
/// of `x`; `log` logs such a block.
const BIG_TEXT_WAT: &str = concat!(
    "(module",
    kernel_imports!(),
    r#"
  (memory (export "memory") 1)
  (func $text (result i64)
    (local $n i64) (local $i i64) (local $block i64)
    (block $parsed
      (loop $digit
        (br_if $parsed (i64.ge_u (local.get $i) (call $input_length)))
        (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10))
          (i64.extend_i32_u (i32.sub (call $input_load_u8 (local.get $i)) (i32.const 48)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $digit)))
    (local.set $block (call $alloc (local.get $n)))
    (local.set $i (i64.const 0))
    (block $done
      (loop $fill
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $block) (local.get $i)) (i32.const 120))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $fill)))
    (local.get $block))
  (func (export "error") (result i32)
    (call $error_set (call $text))
    (i32.const 1))
  (func (export "log") (result i32)
    (call $log_info (call $text))
    (i32.const 0)))"#
);

#[test]
fn a_huge_error_message_is_cut_and_keeps_its_length() {
    let mut plugin = build(BIG_TEXT_WAT).expect("it builds");
    let err = plugin
        .call_bytes("error", b"4194304")
        .expect_err("the plug-in fails");
    let Error::Plugin { message, code, .. } = &err else {
        panic!("expected Error::Plugin, got {err:?}");
    };
    assert_eq!(*code, 1);
    assert!(
        message.len() <= 64 * 1024 + 64,
        "{} bytes kept",
        message.len()
    );
    assert!(message.starts_with("xxxx"));
    assert!(
        message.ends_with("(cut: 4194304 bytes in all)"),
        "{}",
        &message[message.len() - 40..]
    );
    // A short message is whole.
    let err = plugin.call_bytes("error", b"10").expect_err("fails");
    assert!(
        matches!(&err, Error::Plugin { message, .. } if message == "xxxxxxxxxx"),
        "{err:?}"
    );
}

#[test]
fn a_huge_log_line_is_cut() {
    let lines = Arc::new(std::sync::Mutex::new(Vec::<usize>::new()));
    let seen = lines.clone();
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(BIG_TEXT_WAT)]))
        .with_logger(move |_level, line| seen.lock().unwrap().push(line.len()))
        .build()
        .expect("it builds");
    plugin.call_bytes("log", b"4194304").expect("logs");
    plugin.call_bytes("log", b"100").expect("logs");
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0] <= 1024 * 1024 + 64,
        "a 4 MiB line came through as {} bytes",
        lines[0]
    );
    assert_eq!(lines[1], 100);
}

/// Loads a manifest on another thread, so that a source that blocks fails
/// the test instead of hanging it.
fn load_within(manifest: Manifest, limit: Duration) -> Result<Plugin, Error> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(PluginBuilder::new(manifest).build());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("loading did not end within {limit:?}"))
}

#[test]
fn module_files_must_be_regular_files() {
    let err = load_within(
        Manifest::new([Wasm::file("/dev/zero")]),
        Duration::from_secs(5),
    )
    .expect_err("/dev/zero is no module");
    assert!(
        matches!(&err, Error::WasmSource { cause, .. } if cause.contains("not a regular file")),
        "{err:?}"
    );

    let dir = tempfile::tempdir().expect("a temporary directory");
    let fifo = dir.path().join("plugin.wasm");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let started = Instant::now();
    let err = load_within(Manifest::new([Wasm::file(&fifo)]), Duration::from_secs(5))
        .expect_err("a FIFO is no module");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&err, Error::WasmSource { cause, .. } if cause.contains("not a regular file")),
        "{err:?}"
    );

    // A directory neither.
    let err = load_within(
        Manifest::new([Wasm::file(dir.path())]),
        Duration::from_secs(5),
    )
    .expect_err("a directory is no module");
    assert!(matches!(err, Error::WasmSource { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// 4. The module cache.

/// A distinct module (by `salt`) with a `data_bytes` data segment.
fn module_with_data(salt: u32, data_bytes: usize) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0);
    module.section(&functions);
    let mut memories = MemorySection::new();
    let pages = (data_bytes as u64).div_ceil(65536) + 1;
    memories.memory(MemoryType {
        minimum: pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("run", ExportKind::Func, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut run = Function::new([]);
    run.instruction(&Instruction::I32Const(salt as i32));
    run.instruction(&Instruction::Drop);
    run.instruction(&Instruction::I32Const(0));
    run.instruction(&Instruction::End);
    code.function(&run);
    module.section(&code);
    let mut data = DataSection::new();
    let mut bytes = vec![0u8; data_bytes];
    bytes[..4].copy_from_slice(&salt.to_le_bytes());
    // Not all zero, so that the memory image has pages to keep.
    for (i, b) in bytes.iter_mut().enumerate().skip(4) {
        *b = (i % 251) as u8;
    }
    data.active(0, &ConstExpr::i32_const(0), bytes);
    module.section(&data);
    module.finish()
}

#[test]
fn the_module_cache_keeps_to_its_byte_budget() {
    let engine = EngineBuilder::default()
        .with_module_cache(64, 16 * MIB)
        .build()
        .expect("an engine");
    for salt in 0..12 {
        let wasm = module_with_data(salt, 2 * MIB as usize);
        let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(wasm)]))
            .with_engine(engine.clone())
            .build()
            .expect("it builds");
        plugin.call_bytes("run", b"").expect("runs");
    }
    let stats = engine.module_cache_stats();
    assert!(stats.bytes <= 16 * MIB, "{stats:?}");
    assert!((1..12).contains(&stats.entries), "{stats:?}");
    engine.clear_module_cache();
    assert_eq!(engine.module_cache_stats().entries, 0);
    assert_eq!(engine.module_cache_stats().bytes, 0);

    // A cache of 0 entries keeps nothing; plug-ins still load.
    let none = EngineBuilder::default()
        .with_module_cache(0, 0)
        .build()
        .expect("an engine");
    PluginBuilder::new(Manifest::new([Wasm::data(module_with_data(99, 1024))]))
        .with_engine(none.clone())
        .build()
        .expect("it builds");
    assert_eq!(none.module_cache_stats().entries, 0);
}

alone!(module_cache_rss, child_module_cache_rss, {
    // 64 distinct modules with 4 MiB data segments, every plug-in dropped:
    // before the byte budget this kept 1.1 GiB.
    let engine = Engine::builder().build().expect("an engine");
    let before = rss();
    for salt in 0..64 {
        let wasm = module_with_data(salt, 4 * MIB as usize);
        let plugin = PluginBuilder::new(Manifest::new([Wasm::data(wasm)]))
            .with_engine(engine.clone())
            .build()
            .expect("it builds");
        drop(plugin);
    }
    let kept = rss().saturating_sub(before);
    let stats = engine.module_cache_stats();
    println!(
        "64 modules x 4 MiB data, all dropped: kept +{} MiB; cache {} entries, {} MiB charged",
        kept / MIB,
        stats.entries,
        stats.bytes / MIB
    );
    assert!(stats.bytes <= 256 * MIB);
    assert!(kept < 400 * MIB, "kept +{} MiB", kept / MIB);
    engine.clear_module_cache();
    let cleared = rss().saturating_sub(before);
    println!("after clear_module_cache: +{} MiB", cleared / MIB);
    assert!(
        cleared < 100 * MIB,
        "kept +{} MiB after clearing",
        cleared / MIB
    );
});

// ---------------------------------------------------------------------------
// 5. Pool isolation.

/// `fetch` sends the input as an HTTP request; `last_status` returns the
/// status the kernel remembers (as the exit code); `last_headers` outputs
/// the remembered headers; `echo` outputs its input; `peek` returns the
/// first kernel-memory word past the header (as the exit code, 0 if clean).
const ISOLATION_WAT: &str = concat!(
    "(module",
    kernel_imports!(),
    r#"
  (memory (export "memory") 1)
  (func (export "fetch") (result i32)
    (drop (call $http_request (call $input_offset) (i64.const 0)))
    (i32.const 0))
  (func (export "last_status") (result i32)
    (call $http_status_code))
  (func (export "last_headers") (result i32)
    (local $h i64)
    (local.set $h (call $http_headers))
    (if (i64.ne (local.get $h) (i64.const 0))
      (then (call $output_set (local.get $h) (call $length (local.get $h)))))
    (i32.const 0))
  (func (export "echo") (result i32)
    (call $output_set (call $input_offset) (call $input_length))
    (i32.const 0))
  (func (export "peek") (result i32)
    (i32.wrap_i64 (call $load_u64 (i64.const 64)))))"#
);

fn isolation_pool(builder: PoolBuilder) -> extism_host::Pool {
    let manifest = Manifest::new([Wasm::data(ISOLATION_WAT)]).with_allowed_host("127.0.0.1");
    let compiled = PluginBuilder::new(manifest)
        .with_http_response_headers(true)
        .compile()
        .expect("it compiles");
    builder.with_max_instances(1).build(compiled)
}

#[test]
fn a_pooled_instance_comes_back_clean() {
    let server = Server::start(|_| Reply::ok("hi").with_header("set-cookie", "session=user-a"));
    let pool = isolation_pool(Pool::builder());
    let request = serde_json::json!({ "url": server.url("/login") }).to_string();

    // User A: a var, an HTTP response with a cookie, input in the kernel, a
    // cancel handle.
    let mut a = pool.get(Duration::from_secs(5)).expect("a checkout");
    a.set_var("session", b"user-a").expect("a var");
    a.call_bytes("fetch", request.as_bytes()).expect("fetches");
    assert!(matches!(
        a.call_bytes("last_status", b""),
        Err(Error::ExitCode { code: 200, .. })
    ));
    let headers = a.call_bytes("last_headers", b"").expect("headers").to_vec();
    assert!(String::from_utf8_lossy(&headers).contains("session=user-a"));
    a.call_bytes("echo", b"AAAAAAAAsecret").expect("echoes");
    a.set_timeout(Some(Duration::from_millis(1)));
    let a_cancel = a.cancel_handle();
    drop(a);

    // User B gets the same instance and sees none of it.
    let mut b = pool.get(Duration::from_secs(5)).expect("the same instance");
    assert_eq!(pool.metrics().created, 1);
    assert_eq!(b.var("session"), None);
    assert_eq!(b.vars().count(), 0);
    b.call_bytes("last_status", b"")
        .expect("no status: exit code 0");
    assert_eq!(b.call_bytes("last_headers", b"").expect("no headers"), b"");
    b.call_bytes("peek", b"")
        .expect("the kernel memory was zeroed");
    assert_eq!(b.timeout(), None, "A's time limit is gone");
    assert!(
        !a_cancel.cancel(),
        "A's cancel handle no longer reaches the instance"
    );
    b.call_bytes("echo", b"b").expect("B's call runs");
}

#[test]
fn a_pool_can_keep_vars_across_checkouts() {
    let pool = isolation_pool(Pool::builder().with_keep_vars(true));
    let mut a = pool.get(Duration::from_secs(5)).expect("a checkout");
    a.set_var("k", b"v").expect("a var");
    drop(a);
    let b = pool.get(Duration::from_secs(5)).expect("the same instance");
    assert_eq!(b.var("k"), Some(&b"v"[..]));
}

#[test]
fn an_old_cancel_handle_cannot_stop_the_next_users_call() {
    let pool = isolation_pool(Pool::builder());
    let a = pool.get(Duration::from_secs(5)).expect("a checkout");
    let a_cancel = a.cancel_handle();
    drop(a);
    let mut b = pool.get(Duration::from_secs(5)).expect("the same instance");
    let b_cancel = b.cancel_handle();
    // While B's call runs, A's handle keeps cancelling; B's own works.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spam = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut marked = 0;
            while !stop.load(Ordering::Relaxed) {
                marked += u32::from(a_cancel.cancel());
                std::thread::yield_now();
            }
            marked
        })
    };
    for _ in 0..200 {
        b.call_bytes("echo", b"x").expect("A cannot cancel B");
    }
    stop.store(true, Ordering::Relaxed);
    assert_eq!(spam.join().unwrap(), 0);
    assert!(!b_cancel.cancel(), "nothing runs now");
}

// ---------------------------------------------------------------------------
// 6. Small host stacks.

const RECURSE_WAT: &str = r#"(module
  (func $deep (export "run") (result i32)
    (call $deep)))"#;

/// Calls `run` of `compiled` on a thread with a `stack`-byte stack.
fn call_on_small_thread(compiled: extism_host::CompiledPlugin, stack: usize) -> Result<(), Error> {
    let mut plugin = compiled.instantiate().expect("an instance");
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || plugin.call_bytes("run", b"").map(drop))
        .expect("a thread")
        .join()
        .expect("the thread does not die")
}

#[test]
fn deep_recursion_on_a_small_thread_is_a_trap() {
    let compiled = PluginBuilder::new(Manifest::new([Wasm::data(RECURSE_WAT)]))
        .compile()
        .expect("it compiles");
    for stack in [256 * 1024, 64 * 1024] {
        let err = call_on_small_thread(compiled.clone(), stack).expect_err("it overflows");
        assert!(
            matches!(&err, Error::Trap { trap, .. } if trap.contains("stack")),
            "{stack}-byte thread: {err:?}"
        );
    }
    // Instantiation runs wasm too (start functions).
    let start = r#"(module (func $deep (call $deep)) (start $deep)
                           (func (export "run") (result i32) (i32.const 0)))"#;
    let compiled = PluginBuilder::new(Manifest::new([Wasm::data(start)]))
        .compile()
        .expect("it compiles");
    let err = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || compiled.instantiate().map(drop))
        .expect("a thread")
        .join()
        .expect("the thread does not die")
        .expect_err("the start function overflows");
    assert!(matches!(err, Error::Instantiate { .. }), "{err:?}");
}

#[test]
fn engine_mistakes_are_engine_errors() {
    match EngineBuilder::default()
        .with_compilation_cache("/dev/null/x")
        .build()
    {
        Err(error @ Error::Engine { .. }) => {
            let text = error.to_string();
            assert!(text.starts_with("cannot create the engine: "), "{text}");
            assert!(text.contains("compilation cache"), "{text}");
            assert_eq!(error.plugin(), None);
        }
        other => panic!("expected Error::Engine, got {other:?}"),
    }
}

#[test]
fn the_wasm_stack_size_is_an_engine_option() {
    assert!(matches!(
        EngineBuilder::default().with_wasm_stack_bytes(0).build(),
        Err(Error::Engine { .. })
    ));
    assert!(EngineBuilder::default()
        .with_wasm_stack_bytes(usize::MAX)
        .build()
        .is_err());
    // A 4 MiB wasm stack from a 256 KiB thread: still a trap, not an abort.
    let engine = EngineBuilder::default()
        .with_wasm_stack_bytes(4 << 20)
        .build()
        .expect("an engine");
    let compiled = PluginBuilder::new(Manifest::new([Wasm::data(RECURSE_WAT)]))
        .with_engine(engine)
        .compile()
        .expect("it compiles");
    let err = call_on_small_thread(compiled, 256 * 1024).expect_err("it overflows");
    assert!(
        matches!(&err, Error::Trap { trap, .. } if trap.contains("stack")),
        "{err:?}"
    );
}

#[test]
fn deep_recursion_in_an_async_call_is_a_trap() {
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(RECURSE_WAT)]))
        .with_async(true)
        .build_async_blocking();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let err = runtime
        .block_on(plugin.call_bytes_async("run", b""))
        .map(<[u8]>::to_vec)
        .expect_err("it overflows");
    assert!(
        matches!(&err, Error::Trap { trap, .. } if trap.contains("stack")),
        "{err:?}"
    );
}

trait BuildAsyncBlocking {
    fn build_async_blocking(self) -> Plugin;
}

impl BuildAsyncBlocking for PluginBuilder {
    fn build_async_blocking(self) -> Plugin {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(self.build_async()).expect("it builds")
    }
}

// ---------------------------------------------------------------------------
// 7. Globals.

fn module_with_globals(count: u32) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0);
    module.section(&functions);
    let mut globals = GlobalSection::new();
    for i in 0..count {
        globals.global(
            GlobalType {
                val_type: ValType::I64,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i64_const(i64::from(i)),
        );
    }
    module.section(&globals);
    let mut exports = ExportSection::new();
    exports.export("run", ExportKind::Func, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut run = Function::new([]);
    run.instruction(&Instruction::I32Const(0));
    run.instruction(&Instruction::End);
    code.function(&run);
    module.section(&code);
    module.finish()
}

#[test]
fn too_many_globals_are_refused_at_load() {
    let err = PluginBuilder::new(Manifest::new([Wasm::data(module_with_globals(1_000_000))]))
        .build()
        .expect_err("1M globals are refused");
    assert!(
        matches!(
            &err,
            Error::ModuleLimit { what: "globals", found: 1_000_000, max: 65_536, module, .. } if module == "main"
        ),
        "{err:?}"
    );
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(module_with_globals(1000))]))
        .build()
        .expect("1000 globals are fine");
    plugin.call_bytes("run", b"").expect("runs");
}
