//! What per-call telemetry costs (issue 15): the no-op call and a host
//! round trip with no `tracing` subscriber and with one (a registry and a
//! fmt layer writing to a sink, as an application's logging would be),
//! against the reference (extism 1.41) and the plain-wasmtime floor; and an
//! Observe-instrumented module observed by us against the floor (wasmtime
//! with host functions that do nothing for its imports), since the
//! reference cannot link such modules.
//!
//! Function ids as in `runtimes.rs`: `ours`, `ours_<variant>`, `reference`,
//! `floor`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extism_bench::{floor, ours, plugin_bytes, reference};
use extism_host::observe::{Observe, Trace};
use extism_host::{Manifest, PluginBuilder, Wasm};
use tracing_subscriber::layer::SubscriberExt;

fn subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(tracing_subscriber::fmt::layer().with_writer(std::io::sink))
}

fn calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("11_telemetry");
    let mut p = ours::reflect_plugin(true);
    let mut r = reference::reflect_plugin();
    let fl = floor::Floor::new();
    let mut run = floor::Running::new(&fl);
    g.bench_function(BenchmarkId::new("ours", "noop"), |b| {
        b.iter(|| black_box(p.call_bytes("noop", b"").unwrap().len()))
    });
    {
        let _guard = tracing::subscriber::set_default(subscriber());
        g.bench_function(BenchmarkId::new("ours_subscriber", "noop"), |b| {
            b.iter(|| black_box(p.call_bytes("noop", b"").unwrap().len()))
        });
    }
    g.bench_function(BenchmarkId::new("reference", "noop"), |b| {
        b.iter(|| black_box(r.call::<&[u8], &[u8]>("noop", b"").unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("floor", "noop"), |b| {
        b.iter(|| black_box(run.noop.call(&mut run.store, ()).unwrap()))
    });

    let n = 10u32;
    let input = n.to_string();
    let per_trip = |elapsed: Duration| elapsed / n;
    let trips = |plugin: &mut extism_host::Plugin, iters: u64| {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(
                plugin
                    .call_bytes("host_roundtrip", input.as_bytes())
                    .unwrap(),
            );
        }
        per_trip(start.elapsed())
    };
    g.bench_function(BenchmarkId::new("ours", "host_roundtrip N=10"), |b| {
        b.iter_custom(|iters| trips(&mut p, iters))
    });
    {
        let _guard = tracing::subscriber::set_default(subscriber());
        g.bench_function(
            BenchmarkId::new("ours_subscriber", "host_roundtrip N=10"),
            |b| b.iter_custom(|iters| trips(&mut p, iters)),
        );
    }
    g.bench_function(BenchmarkId::new("reference", "host_roundtrip N=10"), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(r.call::<&str, &str>("host_roundtrip", &input).unwrap());
            }
            per_trip(start.elapsed())
        })
    });
    g.finish();
}

/// The instrumented `run` of `observe_nested.wasm` (4 function calls, a
/// span, 2 memory-grow events).
fn observed(c: &mut Criterion) {
    let mut g = c.benchmark_group("12_observed_call");
    let bytes = plugin_bytes("wat/observe_nested.wasm");
    let build = |observe: Observe| {
        PluginBuilder::new(Manifest::new([Wasm::data(bytes.clone())]))
            .with_observe(observe)
            .build()
            .unwrap()
    };
    let adapter = |trace: &Trace| {
        black_box(trace.events.len());
    };
    let mut quiet = build(Observe::new().with_tracing(false).with_adapter(adapter));
    g.bench_function(BenchmarkId::new("ours", "nested run"), |b| {
        b.iter(|| black_box(quiet.call_bytes("run", b"").unwrap().len()))
    });
    let mut traced = build(Observe::new().with_min_duration(Duration::ZERO));
    {
        let _guard = tracing::subscriber::set_default(subscriber());
        g.bench_function(BenchmarkId::new("ours_subscriber", "nested run"), |b| {
            b.iter(|| black_box(traced.call_bytes("run", b"").unwrap().len()))
        });
    }
    // The floor: the same module on plain wasmtime, its imports doing
    // nothing (memory still grows: a fresh instance every 1000 calls).
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, &bytes).unwrap();
    let mut linker = wasmtime::Linker::<()>::new(&engine);
    for name in ["enter", "exit", "memory-grow"] {
        linker
            .func_wrap("dylibso:observe/instrument", name, |_: i32| {})
            .unwrap();
    }
    linker
        .func_wrap("dylibso:observe/api", "span-enter", |_: i32, _: i32| {})
        .unwrap();
    linker
        .func_wrap("dylibso:observe/api", "span-exit", || {})
        .unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    g.bench_function(BenchmarkId::new("floor", "nested run"), |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let batch = left.min(1000);
                let mut store = wasmtime::Store::new(&engine, ());
                let instance = pre.instantiate(&mut store).unwrap();
                let run = instance
                    .get_typed_func::<(), i32>(&mut store, "run")
                    .unwrap();
                let start = Instant::now();
                for _ in 0..batch {
                    black_box(run.call(&mut store, ()).unwrap());
                }
                elapsed += start.elapsed();
                left -= batch;
            }
            elapsed
        })
    });
    g.finish();
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .without_plots()
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = short();
    targets = calls, observed
}
criterion_main!(benches);
