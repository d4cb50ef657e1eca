//! ours (extism-host) vs reference (extism 1.41) vs floor (plain wasmtime 48),
//! in one run. Group and function names are what `report.py` reads:
//! function ids `ours`, `ours_raw` (host function over the raw stack),
//! `reference`, `reference_nocache`, `floor`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use extism_bench::{bump, floor, input_of, ours, plugin_bytes, reference, BUMP_LOOP_N};

/// 1. Cold plug-in creation from bytes in memory.
fn cold_create(c: &mut Criterion) {
    let bytes = plugin_bytes("count_vowels.rust.wasm");
    let mut g = c.benchmark_group("1_cold_create");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| {
        // Warm the shared default engine (kernel compiled once per engine).
        drop(
            extism_host::PluginBuilder::from_wasm(bytes.clone())
                .build()
                .unwrap(),
        );
        b.iter_with_large_drop(|| {
            extism_host::PluginBuilder::from_wasm(bytes.clone())
                .build()
                .unwrap()
        })
    });
    g.bench_function("reference", |b| {
        b.iter_with_large_drop(|| extism::Plugin::new(&bytes[..], [], false).unwrap())
    });
    g.bench_function("reference_nocache", |b| {
        b.iter_with_large_drop(|| {
            extism::PluginBuilder::new(&bytes[..])
                .with_cache_disabled()
                .build()
                .unwrap()
        })
    });
    let engine = wasmtime::Engine::default();
    g.bench_function("floor", |b| {
        b.iter_with_large_drop(|| floor::cold_create(&engine, &bytes))
    });
    g.finish();
}

/// 2. A call of an export that does nothing, empty input.
fn noop_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("2_noop_call");
    let mut p = ours::reflect_plugin(true);
    g.bench_function("ours", |b| {
        b.iter(|| black_box(p.call_bytes("noop", b"").unwrap().len()))
    });
    let mut r = reference::reflect_plugin();
    g.bench_function("reference", |b| {
        b.iter(|| black_box(r.call::<&[u8], &[u8]>("noop", b"").unwrap().len()))
    });
    let fl = floor::Floor::new();
    let mut run = floor::Running::new(&fl);
    g.bench_function("floor", |b| {
        b.iter(|| black_box(run.noop.call(&mut run.store, ()).unwrap()))
    });
    g.finish();
}

/// 3. reflect (output = input) at 1 KiB, 64 KiB, 1 MiB.
fn reflect(c: &mut Criterion) {
    let mut g = c.benchmark_group("3_reflect");
    let mut p = ours::reflect_plugin(true);
    let mut r = reference::reflect_plugin();
    let fl = floor::Floor::new();
    let mut run = floor::Running::new(&fl);
    for (label, len) in [("1KiB", 1 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let input = input_of(len);
        g.throughput(Throughput::Bytes(len as u64));
        assert_eq!(p.call_bytes("reflect", &input).unwrap(), &input[..]);
        assert_eq!(
            r.call::<&[u8], &[u8]>("reflect", &input).unwrap(),
            &input[..]
        );
        g.bench_function(BenchmarkId::new("ours", label), |b| {
            b.iter(|| black_box(p.call_bytes("reflect", &input).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("reference", label), |b| {
            b.iter(|| black_box(r.call::<&[u8], &[u8]>("reflect", &input).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("floor", label), |b| {
            b.iter(|| black_box(run.reflect(&input)))
        });
    }
    g.finish();
}

/// 4. `host_roundtrip`: N calls of the `echo` host function (16-byte block
/// in, new block with the same bytes out). Reported per round trip
/// (the call's time / N).
fn host_roundtrip(c: &mut Criterion) {
    let mut g = c.benchmark_group("4_host_roundtrip");
    let mut typed = ours::reflect_plugin(true);
    let mut raw = ours::reflect_plugin(false);
    let mut r = reference::reflect_plugin();
    for n in [10u32, 1000] {
        let input = n.to_string();
        assert_eq!(
            typed
                .call_bytes("host_roundtrip", input.as_bytes())
                .unwrap(),
            input.as_bytes()
        );
        assert_eq!(
            raw.call_bytes("host_roundtrip", input.as_bytes()).unwrap(),
            input.as_bytes()
        );
        assert_eq!(
            r.call::<&str, &str>("host_roundtrip", &input).unwrap(),
            input
        );
        let per_trip = |elapsed: Duration| elapsed / n;
        g.bench_function(BenchmarkId::new("ours", format!("N={n}")), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(
                        typed
                            .call_bytes("host_roundtrip", input.as_bytes())
                            .unwrap(),
                    );
                }
                per_trip(start.elapsed())
            })
        });
        g.bench_function(BenchmarkId::new("ours_raw", format!("N={n}")), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(raw.call_bytes("host_roundtrip", input.as_bytes()).unwrap());
                }
                per_trip(start.elapsed())
            })
        });
        g.bench_function(BenchmarkId::new("reference", format!("N={n}")), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(r.call::<&str, &str>("host_roundtrip", &input).unwrap());
                }
                per_trip(start.elapsed())
            })
        });
    }
    g.finish();
}

/// 5. A bare host call (i64 -> i64, no memory traffic) from a wasm loop of
/// 1000, per call. `floor` is wasmtime's `func_wrap` called from WAT.
fn bare_host_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("5_bare_host_call");
    let n = BUMP_LOOP_N;
    let mut typed = bump::ours(true);
    let mut raw = bump::ours(false);
    let mut r = bump::reference();
    typed.call_bytes("bump_loop", b"").unwrap();
    raw.call_bytes("bump_loop", b"").unwrap();
    r.call::<&[u8], &[u8]>("bump_loop", b"").unwrap();
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(typed.call_bytes("bump_loop", b"").unwrap());
            }
            start.elapsed() / n
        })
    });
    g.bench_function("ours_raw", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(raw.call_bytes("bump_loop", b"").unwrap());
            }
            start.elapsed() / n
        })
    });
    g.bench_function("reference", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(r.call::<&[u8], &[u8]>("bump_loop", b"").unwrap());
            }
            start.elapsed() / n
        })
    });
    let fl = floor::Floor::new();
    let mut run = floor::Running::new(&fl);
    assert_eq!(
        run.host_loop.call(&mut run.store, n as i32).unwrap(),
        n as i64
    );
    g.bench_function("floor", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(run.host_loop.call(&mut run.store, n as i32).unwrap());
            }
            start.elapsed() / n
        })
    });
    g.finish();
}

/// 6. A new instance from a compiled plug-in plus its first (noop) call;
/// then dropping such an instance.
fn instance(c: &mut Criterion) {
    let mut g = c.benchmark_group("6_instance");
    let compiled = extism_host::PluginBuilder::from_wasm(plugin_bytes("reflect.rust.wasm"))
        .with_function(ours::echo_typed())
        .compile()
        .unwrap();
    let ours_new = || {
        let mut p = compiled.instantiate().unwrap();
        black_box(p.call_bytes("noop", b"").unwrap());
        p
    };
    let ref_compiled = reference::reflect_compiled();
    let ref_new = || {
        let mut p = extism::Plugin::new_from_compiled(&ref_compiled).unwrap();
        black_box(p.call::<&[u8], &[u8]>("noop", b"").unwrap());
        p
    };
    let fl = floor::Floor::new();
    let floor_new = || {
        let mut run = floor::Running::new(&fl);
        black_box(run.noop.call(&mut run.store, ()).unwrap());
        run
    };
    g.bench_function(BenchmarkId::new("ours", "create+call"), |b| {
        b.iter_with_large_drop(ours_new)
    });
    g.bench_function(BenchmarkId::new("reference", "create+call"), |b| {
        b.iter_with_large_drop(ref_new)
    });
    g.bench_function(BenchmarkId::new("floor", "create+call"), |b| {
        b.iter_with_large_drop(floor_new)
    });
    g.bench_function(BenchmarkId::new("ours", "drop"), |b| {
        b.iter_batched(ours_new, drop, BatchSize::SmallInput)
    });
    g.bench_function(BenchmarkId::new("reference", "drop"), |b| {
        b.iter_batched(ref_new, drop, BatchSize::SmallInput)
    });
    g.bench_function(BenchmarkId::new("floor", "drop"), |b| {
        b.iter_batched(floor_new, drop, BatchSize::SmallInput)
    });
    g.finish();
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .without_plots()
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = short();
    targets = cold_create, noop_call, reflect, host_roundtrip, bare_host_call, instance
}
criterion_main!(benches);
