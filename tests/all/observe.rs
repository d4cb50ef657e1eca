//! Observe SDK instrumented modules: the imports, the trace tree they make
//! (as a value, as `tracing` spans, as the stdout adapter's text), the
//! minimum-duration filter, and the bounds a hostile instrumented module
//! runs into.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use extism_host::observe::{Observe, StdoutAdapter, Trace, TraceEvent};
use extism_host::{Error, Manifest, PluginBuilder, Wasm};

use crate::support::{peak_rss, reset_peak, rss, Capture};

/// The Observe imports, under their own names, for hand-written modules.
const IMPORTS: &str = r#"
  (import "dylibso:observe/instrument" "enter" (func $enter (param i32)))
  (import "dylibso:observe/instrument" "exit" (func $exit (param i32)))
  (import "dylibso:observe/instrument" "memory-grow" (func $grow (param i32)))
  (import "dylibso:observe/api" "span-enter" (func $span_enter (param i32 i32)))
  (import "dylibso:observe/api" "span-exit" (func $span_exit))
  (import "dylibso:observe/api" "span-tags" (func $span_tags (param i32 i32)))
  (import "dylibso:observe/api" "metric" (func $metric (param i32 i32 i32)))
  (import "dylibso:observe/api" "log" (func $log (param i32 i32 i32)))
"#;

/// An instrumented module as the instrumenter leaves one: every function
/// reports entering and leaving by its index (imports are 0–7, then 8 =
/// `hello::inner`, 9 = `outer`, 10 = `run`, 11 = `_start`), a name section
/// with a mangled Rust name, and the version globals. `outer` opens a span
/// with tags and a metric, then logs; `inner` grows memory.
fn nested() -> String {
    format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (data (i32.const 0) "work")
  (data (i32.const 16) "user:ada,plan:pro")
  (data (i32.const 48) "vowels.count:3|c")
  (data (i32.const 80) "counted")
  (global (export "wasm_instr_version_major") i32 (i32.const 0))
  (global (export "wasm_instr_version_minor") i32 (i32.const 4))
  (func $_ZN5hello5inner17h0123456789abcdefE
    (call $enter (i32.const 8))
    (call $grow (i32.const 1))
    (drop (memory.grow (i32.const 1)))
    (call $exit (i32.const 8)))
  (func $outer
    (call $enter (i32.const 9))
    (call $_ZN5hello5inner17h0123456789abcdefE)
    (call $span_enter (i32.const 0) (i32.const 4))
    (call $span_tags (i32.const 16) (i32.const 17))
    (call $metric (i32.const 1) (i32.const 48) (i32.const 16))
    (call $span_exit)
    (call $log (i32.const 3) (i32.const 80) (i32.const 7))
    (call $exit (i32.const 9)))
  (func $run (export "run") (result i32)
    (call $enter (i32.const 10))
    (call $outer)
    (call $exit (i32.const 10))
    (i32.const 0))
  (func $_start (export "_start")
    (call $enter (i32.const 11))
    (call $outer)
    (call $exit (i32.const 11))))"#
    )
}

/// An adapter that keeps every trace.
#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<Trace>>>);

impl Keep {
    fn observe(&self) -> Observe {
        let keep = self.0.clone();
        Observe::new()
            .with_min_duration(Duration::ZERO)
            .with_adapter(move |trace: &Trace| keep.lock().unwrap().push(trace.clone()))
    }

    fn take(&self) -> Vec<Trace> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn one(&self) -> Trace {
        let mut traces = self.take();
        assert_eq!(traces.len(), 1, "one trace per call: {traces:#?}");
        traces.remove(0)
    }
}

/// The trace's calls as `depth name`.
fn outline(trace: &Trace) -> Vec<String> {
    trace
        .calls()
        .iter()
        .map(|(depth, call)| format!("{}{}", "  ".repeat(*depth), call.name))
        .collect()
}

/// The stdout adapter's text with durations hidden.
fn masked(tree: &str) -> Vec<String> {
    tree.lines()
        .map(|line| match line.find(" took ") {
            Some(at) => {
                let rest = &line[at + 6..];
                let tail = rest.find(' ').map_or("", |i| &rest[i..]);
                format!("{} took _{tail}", &line[..at])
            }
            None => line.to_string(),
        })
        .collect()
}

fn observed(wat: &str, observe: Observe) -> extism_host::Plugin {
    PluginBuilder::new(Manifest::new([Wasm::data(wat.as_bytes().to_vec())]))
        .with_observe(observe)
        .build()
        .expect("the instrumented module builds")
}

#[test]
fn an_extism_export_gives_the_exact_tree() {
    let keep = Keep::default();
    let mut plugin = observed(&nested(), keep.observe());
    plugin.set_trace_metadata([
        ("http.url", "https://example.com/x"),
        ("http.status_code", "200"),
    ]);
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    assert_eq!(&*trace.function, "run");
    assert_eq!(trace.instrumentation_version, Some((0, 4)));
    assert_eq!(trace.metadata["http.url"], "https://example.com/x");
    assert_eq!(
        (trace.dropped, trace.problems.len()),
        (0, 0),
        "{:?}",
        trace.problems
    );
    assert_eq!(
        outline(&trace),
        ["run", "  outer", "    hello::inner", "    work"]
    );
    let calls = trace.calls();
    let (run, outer) = (calls[0].1, calls[1].1);
    assert_eq!(
        (run.index, outer.index, calls[3].1.index),
        (Some(10), Some(9), None)
    );
    assert!(calls.iter().all(|(_, c)| c.finished));
    // Each call lies within its parent.
    assert!(outer.start >= run.start && outer.start + outer.duration <= run.start + run.duration);
    assert_eq!(
        masked(&trace.tree()),
        [
            "Call to run took _",
            "  Call to outer took _",
            "    Call to hello::inner took _",
            "      - Allocated 1 pages of memory in hello::inner",
            "    Call to work took _",
            "      - Span tags: user:ada, plan:pro",
            "      - Metric: vowels.count:3|c",
            "    - Log (info): counted",
        ]
    );
    // The same call's figures: the memory grew by a page during it.
    let last = plugin.last_call().unwrap();
    assert_eq!(last.peak_memory_pages, last.memory_pages);
    assert!(last.memory_pages >= 2, "{last:?}");
}

#[test]
fn a_wasi_command_is_traced_through_start() {
    let keep = Keep::default();
    let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(nested().into_bytes())]))
        .with_wasi(true)
        .with_observe(keep.observe())
        .build()
        .unwrap();
    plugin.call_bytes("_start", b"").unwrap();
    let trace = keep.one();
    assert_eq!(&*trace.function, "_start");
    assert_eq!(
        outline(&trace),
        ["_start", "  outer", "    hello::inner", "    work"]
    );
    // `_start` gives the next call a fresh instance, traced as well.
    plugin.call_bytes("run", b"").unwrap();
    assert_eq!(outline(&keep.one())[0], "run");
}

// A subscriber changes the process-wide level hint, which other tests
// read (the log level): run alone.
alone!(
    traces_become_tracing_spans_under_the_call_span,
    spans_child,
    {
        let capture = Capture::default();
        let mut plugin = observed(&nested(), Observe::new().with_min_duration(Duration::ZERO));
        capture.during(|| plugin.call_bytes("run", b"").unwrap());
        assert_eq!(
            capture.tree(
                "extism_host",
                &["name", "function", "outcome", "pages", "metric", "message"]
            ),
            [
                "call function=run outcome=ok",
                "  function name=run",
                "    function name=outer",
                "      function name=hello::inner",
                "        event message=memory pages=1",
                "      span name=work",
                "        event message=span",
                "        event message=metric metric=vowels.count:3|c",
                "      event message=counted",
                // The crate's own debug event as the call ends.
                "  event message=call function=run",
            ]
        );
    }
);

#[test]
fn short_calls_are_filtered_and_their_events_move_up() {
    let keep = Keep::default();
    let observe = keep.observe().with_min_duration(Duration::from_secs(3600));
    let mut plugin = observed(&nested(), observe);
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    // The top-level call is always kept; everything shorter than an hour
    // is gone, and what it held but tags is in `run`.
    assert_eq!(outline(&trace), ["run"]);
    assert_eq!(
        masked(&trace.tree()),
        [
            "Call to run took _",
            "  - Allocated 1 pages of memory in run",
            "  - Metric: vowels.count:3|c",
            "  - Log (info): counted",
        ]
    );
}

#[test]
fn the_stdout_adapter_prints_the_tree() {
    let out = Arc::new(Mutex::new(Vec::new()));
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let observe = Observe::new()
        .with_min_duration(Duration::ZERO)
        .with_tracing(false)
        .with_adapter(StdoutAdapter::to_writer(Shared(out.clone())));
    let mut plugin = observed(&nested(), observe);
    plugin.call_bytes("run", b"").unwrap();
    plugin.call_bytes("run", b"").unwrap();
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines = masked(&text);
    assert_eq!(lines.len(), 16, "{text}");
    assert_eq!(lines[0], "Call to run took _");
    assert_eq!(lines[8], "Call to run took _");
}

#[test]
fn the_deprecated_namespace_works_too() {
    let wat = r#"(module
      (import "dylibso_observe" "instrument_enter" (func $enter (param i32)))
      (import "dylibso_observe" "instrument_exit" (func $exit (param i32)))
      (import "dylibso_observe" "instrument_memory_grow" (func $grow (param i32)))
      (import "dylibso_observe" "span_enter" (func $span_enter (param i64 i32)))
      (import "dylibso_observe" "span_exit" (func $span_exit))
      (import "dylibso_observe" "log" (func $log (param i32 i64 i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) "old-span")
      (func $run (export "run") (result i32)
        (call $enter (i32.const 6))
        (call $grow (i32.const 2))
        (call $span_enter (i64.const 0) (i32.const 8))
        (call $log (i32.const 1) (i64.const 0) (i32.const 3))
        (call $span_exit)
        (call $exit (i32.const 6))
        (i32.const 0)))"#;
    let keep = Keep::default();
    let mut plugin = observed(wat, keep.observe());
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    assert_eq!(
        masked(&trace.tree()),
        [
            "Call to run took _",
            "  - Allocated 2 pages of memory in run",
            "  Call to old-span took _",
            "    - Log (error): old",
        ]
    );
}

#[test]
fn observe_imports_need_the_builder_option() {
    let error = PluginBuilder::new(Manifest::new([Wasm::data(nested().into_bytes())]))
        .build()
        .expect_err("not linked without with_observe");
    let Error::Link { import, .. } = &error else {
        panic!("expected Error::Link, got {error:?}");
    };
    assert!(import.contains("dylibso:observe/instrument"), "{error}");
}

#[test]
fn a_trap_leaves_calls_unfinished_and_still_delivers_the_trace() {
    let wat = format!(
        r#"(module {IMPORTS}
      (memory (export "memory") 1)
      (func $deep (call $enter (i32.const 8)) unreachable)
      (func $run (export "run") (result i32)
        (call $enter (i32.const 9)) (call $deep) (call $exit (i32.const 9)) (i32.const 0)))"#
    );
    let keep = Keep::default();
    let mut plugin = observed(&wat, keep.observe());
    let error = plugin.call_bytes("run", b"").unwrap_err();
    assert!(matches!(error, Error::Trap { .. }), "{error:?}");
    let trace = keep.one();
    assert_eq!(outline(&trace), ["run", "  deep"]);
    assert!(trace.calls().iter().all(|(_, c)| !c.finished));
    assert!(!plugin.last_call().unwrap().outcome.is_ok());
}

#[test]
fn malformed_reports_are_dropped_with_problems_never_a_trap() {
    let wat = format!(
        r#"(module {IMPORTS}
      (memory (export "memory") 1)
      (func $run (export "run") (result i32)
        ;; an exit with nothing entered, then one that matches nothing open
        (call $exit (i32.const 3))
        (call $enter (i32.const 8))
        (call $exit (i32.const 99))
        ;; text outside memory, and lengths past its end
        (call $span_enter (i32.const -1) (i32.const 16))
        (call $span_exit)
        (call $log (i32.const 3) (i32.const 65530) (i32.const 100))
        (call $span_tags (i32.const 0) (i32.const -1))
        ;; an unknown metric format and log level
        (call $metric (i32.const 7) (i32.const 0) (i32.const 1))
        (call $log (i32.const 42) (i32.const 0) (i32.const 1))
        ;; an inner call whose exit never comes, closed by its parent's
        (call $enter (i32.const 9))
        (call $exit (i32.const 8))
        (i32.const 0)))"#
    );
    let keep = Keep::default();
    let mut plugin = observed(&wat, keep.observe());
    plugin
        .call_bytes("run", b"")
        .expect("bad reports never fail the call");
    let trace = keep.one();
    // Function 8 is `run` (after the eight imports); 9 has no name.
    assert_eq!(
        outline(&trace),
        ["run", "  (unreadable span name)", "  func[9]"]
    );
    let problems = trace.problems.join("\n");
    for expected in [
        "function 3 exited with nothing entered",
        "function 99 exited, but `run` (function 8) is the call in progress",
        "span-enter: 16 bytes at 4294967295 are outside",
        "log: 100 bytes at 65530 are outside",
        "span-tags: 4294967295 bytes at 0 are outside",
        "metric: unknown format 7",
        "log: unknown level 42",
        "function 8 exited with 1 call(s) inside it still open",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
    let calls = trace.calls();
    assert!(calls[0].1.finished && !calls[2].1.finished);
}

#[test]
fn long_text_is_cut_at_the_limit() {
    let wat = format!(
        r#"(module {IMPORTS}
      (memory (export "memory") 1)
      (func $run (export "run") (result i32)
        (call $span_enter (i32.const 0) (i32.const 60000))
        (call $span_tags (i32.const 0) (i32.const 60000))
        (call $span_exit)
        (i32.const 0)))"#
    );
    let keep = Keep::default();
    let mut plugin = observed(&wat, keep.observe().with_max_text_bytes(100));
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    let span = trace.calls()[0].1;
    // 100 zero bytes, then the mark of a cut.
    assert_eq!(span.name.len(), 100 + '…'.len_utf8());
    assert!(span.name.ends_with('…'));
    let TraceEvent::Tags { tags } = &span.within[0] else {
        panic!("tags expected: {:?}", span.within)
    };
    assert_eq!(tags.concat().len(), 100 + '…'.len_utf8());
}

/// A flood: `n` calls entered and never left, each logging 4 KiB, then as
/// many plain enters and exits.
fn flood(n: u32) -> String {
    format!(
        r#"(module {IMPORTS}
      (memory (export "memory") 1)
      (func $run (export "run") (result i32) (local $i i32)
        (loop $deep
          (call $enter (i32.const 8))
          (call $log (i32.const 3) (i32.const 0) (i32.const 4096))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $deep (i32.lt_u (local.get $i) (i32.const {n}))))
        (local.set $i (i32.const 0))
        (loop $wide
          (call $enter (i32.const 9))
          (call $exit (i32.const 9))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $wide (i32.lt_u (local.get $i) (i32.const {n}))))
        (i32.const 0)))"#
    )
}

#[test]
fn a_flooding_module_is_bounded_by_depth_events_and_text() {
    let keep = Keep::default();
    let observe = keep
        .observe()
        .with_max_depth(64)
        .with_max_events(1000)
        .with_max_trace_text_bytes(64 * 1024);
    let mut plugin = observed(&flood(200_000), observe);
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    let calls = trace.calls();
    let deepest = calls.iter().map(|(d, _)| *d).max().unwrap();
    assert_eq!(deepest, 63, "nesting stops at the depth limit");
    let logs = count(&trace.events, &|e| matches!(e, TraceEvent::Log { .. }));
    // 64 KiB of text at 4 KiB a line.
    assert_eq!(logs, 16);
    let recorded = count(&trace.events, &|_| true);
    assert!(recorded <= 1000, "{recorded} recorded");
    // 200,000 deep enters, their logs and 200,000 wide calls were offered.
    assert_eq!(trace.dropped + recorded as u64, 600_000);
    // The next call starts with an empty, balanced recorder.
    plugin.call_bytes("run", b"").unwrap();
    assert_eq!(keep.one().calls().iter().map(|(d, _)| *d).max(), Some(63));
}

fn count(events: &[TraceEvent], which: &dyn Fn(&TraceEvent) -> bool) -> usize {
    events
        .iter()
        .map(|e| {
            let inner = match e {
                TraceEvent::Call(c) => count(&c.within, which),
                _ => 0,
            };
            inner + usize::from(which(e))
        })
        .sum()
}

alone!(a_flood_holds_little_host_memory, flood_memory_child, {
    // Defaults: 65,536 events, 1 MiB of text. Two million enters without
    // exits, a 4 KiB log line each, then two million calls: what the host
    // holds for the trace stays within the bounds.
    let keep = Keep::default();
    let mut plugin = observed(&flood(2_000_000), keep.observe());
    reset_peak();
    let before = rss();
    plugin.call_bytes("run", b"").unwrap();
    let trace = keep.one();
    let peak = peak_rss().saturating_sub(before);
    assert_eq!(
        trace.dropped + count(&trace.events, &|_| true) as u64,
        6_000_000
    );
    drop(trace);
    let kept = rss().saturating_sub(before);
    println!(
        "figure: a 2M-enter flood: peak +{} KiB, kept +{} KiB",
        peak / 1024,
        kept / 1024
    );
    assert!(peak < 48 * 1024 * 1024, "peak RSS grew by {peak} bytes");
    assert!(kept < 8 * 1024 * 1024, "RSS kept {kept} bytes");
});

#[test]
fn traces_serialize_as_json() {
    let keep = Keep::default();
    let mut plugin = observed(&nested(), keep.observe());
    plugin.call_bytes("run", b"").unwrap();
    let json = serde_json::to_value(keep.one()).unwrap();
    assert_eq!(json["function"], "run");
    let run = &json["events"][0];
    assert_eq!(
        (run["type"].as_str(), run["name"].as_str()),
        (Some("call"), Some("run"))
    );
    let outer = &run["within"][0];
    assert_eq!(outer["within"][1]["name"], "work");
    assert_eq!(outer["within"][2]["type"], "log");
    assert_eq!(outer["within"][2]["level"], "info");
    assert!(run["duration"].as_u64().unwrap() > 0);
}

#[test]
fn async_plugins_are_traced_too() {
    let keep = Keep::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut plugin = PluginBuilder::new(Manifest::new([Wasm::data(nested().into_bytes())]))
            .with_async(true)
            .with_observe(keep.observe())
            .build_async()
            .await
            .unwrap();
        plugin.call_bytes_async("run", b"").await.unwrap();
    });
    assert_eq!(
        outline(&keep.one()),
        ["run", "  outer", "    hello::inner", "    work"]
    );
}
