//! Per-call figures (`Plugin::last_call`), their sums (`Plugin::stats`,
//! `Pool::stats`) and the spans that carry them, against what real
//! plug-ins did.

use std::time::Duration;

use extism_host::{
    CallOutcome, Error, HostError, HostFunction, Manifest, PluginBuilder, Pool, Wasm,
};

use crate::support::{self, Capture};

/// The Rust PDK's reflect plug-in with an `echo` host function that takes
/// at least a millisecond.
fn reflect() -> extism_host::Plugin {
    let slow_echo = HostFunction::wrap(
        "echo",
        |plugin: &mut extism_host::CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            std::thread::sleep(Duration::from_millis(1));
            let bytes = plugin.read_bytes(data)?.to_vec();
            plugin.write_bytes(&bytes)
        },
    );
    PluginBuilder::new(Manifest::new([support::plugin_wasm("reflect.rust.wasm")]))
        .with_function(slow_echo)
        .with_call_timing(true)
        .build()
        .unwrap()
}

#[test]
fn the_last_call_counts_host_calls_bytes_and_memory() {
    let mut plugin = reflect();
    assert!(plugin.last_call().is_none());
    plugin.call_bytes("host_roundtrip", b"5").unwrap();
    let last = plugin.last_call().unwrap().clone();
    assert_eq!(&*last.function, "host_roundtrip");
    assert_eq!((last.input_bytes, last.output_bytes), (1, 1));
    assert_eq!(last.outcome, CallOutcome::Ok);
    assert_eq!(last.host_calls, 5);
    assert!(last.host_time >= Duration::from_millis(5), "{last:?}");
    assert!(last.duration.unwrap() >= last.host_time, "{last:?}");
    assert_eq!((last.http_requests, last.fuel_consumed), (0, None));
    // The plug-in's memory (17 pages for this PDK build) and the kernel's.
    assert!(last.memory_pages >= 18, "{last:?}");
    assert!(last.peak_memory_pages >= last.memory_pages);

    let input = vec![7u8; 300_000];
    plugin.call_bytes("reflect", &input).unwrap();
    let last = plugin.last_call().unwrap();
    assert_eq!((last.input_bytes, last.output_bytes), (300_000, 300_000));
    assert_eq!(last.host_calls, 0);

    let stats = plugin.stats();
    assert_eq!(
        (stats.calls, stats.failed_calls, stats.host_calls),
        (2, 0, 5)
    );
    assert_eq!(stats.input_bytes, 300_001);
    assert_eq!(stats.output_bytes, 300_001);
}

// A subscriber changes the process-wide level hint, which other tests
// read (the log level): run alone.
alone!(calls_are_timed_when_it_is_free_or_wanted, timing_child, {
    let wasm = || Manifest::new([support::plugin_wasm("count_vowels.rust.wasm")]);
    let mut untimed = PluginBuilder::new(wasm()).build().unwrap();
    untimed.call_bytes("count_vowels", b"a").unwrap();
    assert_eq!(untimed.last_call().unwrap().duration, None);
    assert_eq!(untimed.stats().timed_calls, 0);
    // A timeout reads the clock anyway.
    let mut with_timeout = PluginBuilder::new(wasm().with_timeout(Duration::from_secs(60)))
        .build()
        .unwrap();
    with_timeout.call_bytes("count_vowels", b"a").unwrap();
    assert!(with_timeout.last_call().unwrap().duration.unwrap() > Duration::ZERO);
    // A subscriber that takes the call's span wants it.
    let capture = Capture::default();
    capture.during(|| untimed.call_bytes("count_vowels", b"a").unwrap());
    assert!(untimed.last_call().unwrap().duration.is_some());
    assert!(capture.spans("call")[0].fields.contains("duration_us="));
    assert_eq!(untimed.stats().timed_calls, 1);
});

#[test]
fn a_failed_call_has_its_kind_and_exit_code() {
    let mut plugin = reflect();
    let error = plugin
        .call_bytes("host_roundtrip", b"not a number")
        .unwrap_err();
    assert!(matches!(error, Error::Plugin { .. }), "{error:?}");
    let last = plugin.last_call().unwrap();
    assert_eq!(
        last.outcome,
        CallOutcome::Failed {
            kind: "plugin",
            exit_code: error.exit_code()
        }
    );
    assert_eq!(last.output_bytes, 0);
    // A missing export fails before any wasm runs, and is counted too.
    let error = plugin.call_bytes("missing", b"").unwrap_err();
    assert_eq!(error.kind(), "function_not_found");
    let last = plugin.last_call().unwrap();
    assert_eq!((&*last.function, last.host_calls), ("missing", 0));
    assert_eq!((plugin.stats().calls, plugin.stats().failed_calls), (2, 2));
}

#[test]
fn fuel_is_counted_when_metered() {
    let mut plugin = PluginBuilder::new(Manifest::new([support::plugin_wasm(
        "count_vowels.rust.wasm",
    )]))
    .with_fuel_limit(10_000_000)
    .build()
    .unwrap();
    plugin.call_bytes("count_vowels", b"aeiou").unwrap();
    let used = plugin.last_call().unwrap().fuel_consumed.unwrap();
    assert_eq!(Some(used), plugin.fuel_consumed());
    plugin.call_bytes("count_vowels", b"aeiou").unwrap();
    let again = plugin.fuel_consumed().unwrap();
    assert_eq!(plugin.stats().fuel_consumed, used + again);
}

#[test]
fn memory_growth_during_a_call_is_the_peak() {
    // Grows its memory by the input's first byte, in pages.
    let wat = concat!(
        "(module",
        kernel_imports!(),
        r#"(memory (export "memory") 1)
          (func (export "grow") (result i32)
            (drop (memory.grow (call $input_load_u8 (i64.const 0))))
            (i32.const 0)))"#
    );
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(wat)]))
        .build()
        .unwrap();
    plugin.call_bytes("grow", &[0]).unwrap();
    let before = plugin.last_call().unwrap().memory_pages;
    plugin.call_bytes("grow", &[10]).unwrap();
    let last = plugin.last_call().unwrap();
    assert_eq!(last.memory_pages, before + 10);
    assert_eq!(last.peak_memory_pages, before + 10);
    assert_eq!(plugin.stats().peak_memory_pages, before + 10);
}

#[test]
fn a_pool_adds_up_its_checkouts() {
    let compiled = PluginBuilder::new(Manifest::new([support::plugin_wasm("reflect.rust.wasm")]))
        .with_function(support::echo())
        .compile()
        .unwrap();
    let pool = Pool::builder().with_max_instances(2).build(compiled);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5 {
                    let mut plugin = pool.get(Duration::from_secs(10)).unwrap();
                    plugin.call_bytes("host_roundtrip", b"3").unwrap();
                    // What a checkout sees is its own calls only.
                    assert_eq!(plugin.stats().calls, 1);
                }
            });
        }
    });
    let stats = pool.stats();
    assert_eq!(
        (stats.calls, stats.host_calls, stats.failed_calls),
        (20, 60, 0)
    );
    assert_eq!(stats.input_bytes, 20);
}

// A subscriber changes the process-wide level hint, which other tests
// read (the log level): run alone.
alone!(the_call_span_carries_the_figures, call_span_child, {
    let capture = Capture::default();
    capture.during(|| {
        let mut plugin = reflect();
        plugin.call_bytes("host_roundtrip", b"2").unwrap();
        let _ = plugin.call_bytes("host_roundtrip", b"x");
    });
    let calls = capture.spans("call");
    assert_eq!(calls.len(), 2);
    for field in [
        "function=host_roundtrip",
        "input_bytes=1",
        "output_bytes=1",
        "outcome=ok",
        "exit_code=0",
        "host_calls=2",
        "http_requests=0",
    ] {
        assert!(
            calls[0].fields.contains(field),
            "{field} in {}",
            calls[0].fields
        );
    }
    assert!(
        calls[1].fields.contains("outcome=plugin"),
        "{}",
        calls[1].fields
    );
    assert!(calls[0].fields.contains("peak_memory_pages="));
    // Creation: compilation (a module cache miss or hit) and instantiation.
    let compile = capture.spans("compile");
    assert_eq!(compile.len(), 1);
    assert!(
        compile[0].fields.contains("modules=1"),
        "{}",
        compile[0].fields
    );
    assert!(
        compile[0].fields.contains("cached="),
        "{}",
        compile[0].fields
    );
    assert_eq!(capture.spans("instantiate").len(), 1);
});

// A subscriber changes the process-wide level hint, which other tests
// read (the log level): run alone.
alone!(
    the_module_cache_shows_in_the_compile_span,
    compile_span_child,
    {
        let capture = Capture::default();
        let wat = r#"(module (func (export "unique_to_this_test") (result i32) (i32.const 0)))"#;
        capture.during(|| {
            for _ in 0..2 {
                PluginBuilder::new(Manifest::new([Wasm::data(wat)]))
                    .build()
                    .unwrap();
            }
        });
        let compile = capture.spans("compile");
        assert!(
            compile[0].fields.contains("cached=0"),
            "{}",
            compile[0].fields
        );
        assert!(
            compile[1].fields.contains("cached=1"),
            "{}",
            compile[1].fields
        );
    }
);
