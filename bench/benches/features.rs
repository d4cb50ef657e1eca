//! Newer extism-host features against the reference (extism 1.41), in one
//! run: instances with the pooling allocator (issue 8), `Pool` throughput
//! (issue 8), `#[host_fn]` vs `HostFunction::wrap` (issue 5), typed `call`
//! vs `call_bytes` (issue 6), limits on vs off (issue 4).
//!
//! Function ids: `ours` and `reference` as in `runtimes.rs`; variants are
//! `ours_<variant>` / `reference_<variant>`, which `report.py` pairs.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extism_bench::{input_of, ours, plugin_bytes, reference};
use extism_host::{Engine, Manifest, PluginBuilder, Pool, PoolingAllocator, Wasm};

/// `echo` written with `#[host_fn]`, one copy (the encoding of the result).
mod echo_borrowed {
    #[extism_host::host_fn]
    pub fn echo(data: &[u8]) -> &[u8] {
        data
    }
}

/// `echo` written with `#[host_fn]`, returning an owned copy (as a user
/// porting `to_vec()` code would write it: two copies).
mod echo_owned {
    #[extism_host::host_fn]
    pub fn echo(data: &[u8]) -> Vec<u8> {
        data.to_vec()
    }
}

fn pooling_engine(max_plugins: u32) -> Engine {
    Engine::builder()
        .with_pooling_allocator(PoolingAllocator {
            max_plugins,
            max_memory_bytes: 4 << 20,
        })
        .build()
        .expect("pooling engine")
}

fn reflect_compiled(engine: Option<Engine>) -> extism_host::CompiledPlugin {
    let mut b = PluginBuilder::from_wasm(plugin_bytes("reflect.rust.wasm"))
        .with_function(ours::echo_typed());
    if let Some(e) = engine {
        b = b.with_engine(e);
    }
    b.compile().expect("ours: compiled reflect")
}

/// Times `f` per iteration, dropping its result outside the timed part.
fn timed_create<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let v = black_box(f());
        total += start.elapsed();
        drop(v);
    }
    total
}

/// Times only the drop of what `f` creates.
fn timed_drop<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let v = f();
        let start = Instant::now();
        drop(black_box(v));
        total += start.elapsed();
    }
    total
}

/// 7. Instance from a compiled plug-in + first noop call, and drop:
/// default allocator, pooling allocator, reference.
fn instance_pooling(c: &mut Criterion) {
    let mut g = c.benchmark_group("7_instance_alloc");
    let default = reflect_compiled(None);
    let pooled = reflect_compiled(Some(pooling_engine(64)));
    let refc = reference::reflect_compiled();
    let new_default = || {
        let mut p = default.instantiate().unwrap();
        black_box(p.call_bytes("noop", b"").unwrap());
        p
    };
    let new_pooled = || {
        let mut p = pooled.instantiate().unwrap();
        black_box(p.call_bytes("noop", b"").unwrap());
        p
    };
    let new_ref = || {
        let mut p = extism::Plugin::new_from_compiled(&refc).unwrap();
        black_box(p.call::<&[u8], &[u8]>("noop", b"").unwrap());
        p
    };
    g.bench_function(BenchmarkId::new("ours", "create+call"), |b| {
        b.iter_custom(|n| timed_create(n, new_default))
    });
    g.bench_function(BenchmarkId::new("ours_pooling", "create+call"), |b| {
        b.iter_custom(|n| timed_create(n, new_pooled))
    });
    g.bench_function(BenchmarkId::new("reference", "create+call"), |b| {
        b.iter_custom(|n| timed_create(n, new_ref))
    });
    g.bench_function(BenchmarkId::new("ours", "drop"), |b| {
        b.iter_custom(|n| timed_drop(n, new_default))
    });
    g.bench_function(BenchmarkId::new("ours_pooling", "drop"), |b| {
        b.iter_custom(|n| timed_drop(n, new_pooled))
    });
    g.bench_function(BenchmarkId::new("reference", "drop"), |b| {
        b.iter_custom(|n| timed_drop(n, new_ref))
    });
    g.finish();
}

/// Runs `iters` calls split over `threads` threads; wall time per call.
fn threaded(iters: u64, threads: u64, call: &(dyn Fn() + Sync)) -> Duration {
    let barrier = Barrier::new(threads as usize + 1);
    let per = iters.div_ceil(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..per {
                    call();
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        // Report the time of `iters` calls.
        start.elapsed() * iters as u32 / (per * threads) as u32
    })
}

/// 8. reflect 1 KiB through a pool (checkout + call + return), 1 and 2
/// threads; time per call (wall), so calls/s = 1 / time.
fn pool_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("8_pool_reflect_1KiB");
    let input = input_of(1024);
    let pool = Pool::builder()
        .with_max_instances(2)
        .build(reflect_compiled(None));
    let rpool = extism::PoolBuilder::new()
        .with_max_instances(2)
        .build(|| Ok(reference::reflect_plugin()));
    let t = Duration::from_secs(5);
    let ours_call = || {
        let mut p = pool.get(t).unwrap();
        assert_eq!(p.call_bytes("reflect", &input).unwrap().len(), 1024);
    };
    let ref_call = || {
        #[allow(unused_mut)]
        let mut p = rpool.get(t).unwrap().expect("reference pool instance");
        let out: Vec<u8> = p.call("reflect", &input[..]).unwrap();
        assert_eq!(out.len(), 1024);
    };
    // Fill both pools.
    threaded(4, 2, &ours_call);
    threaded(4, 2, &ref_call);
    for threads in [1u64, 2] {
        let label = format!("{threads}thread");
        g.bench_function(BenchmarkId::new("ours", &label), |b| {
            b.iter_custom(|n| threaded(n, threads, &ours_call))
        });
        g.bench_function(BenchmarkId::new("reference", &label), |b| {
            b.iter_custom(|n| threaded(n, threads, &ref_call))
        });
    }
    g.finish();
}

/// 9. `#[host_fn]` vs `HostFunction::wrap`: host_roundtrip N=1000, per trip.
fn host_fn_macro(c: &mut Criterion) {
    let mut g = c.benchmark_group("9_host_fn_roundtrip");
    let bytes = plugin_bytes("reflect.rust.wasm");
    let mut wrap = ours::reflect_plugin(true);
    let mut borrowed = PluginBuilder::from_wasm(bytes.clone())
        .with_function(echo_borrowed::echo::host_function())
        .build()
        .unwrap();
    let mut owned = PluginBuilder::from_wasm(bytes.clone())
        .with_function(echo_owned::echo::host_function())
        .build()
        .unwrap();
    let mut r = reference::reflect_plugin();
    let n = 1000u32;
    let input = n.to_string();
    for p in [&mut wrap, &mut borrowed, &mut owned] {
        assert_eq!(
            p.call_bytes("host_roundtrip", input.as_bytes()).unwrap(),
            input.as_bytes()
        );
    }
    macro_rules! per_trip {
        ($id:expr, $p:expr, $call:expr) => {
            g.bench_function(BenchmarkId::new($id, "N=1000"), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box($call(&mut $p));
                    }
                    start.elapsed() / n
                })
            });
        };
    }
    per_trip!("ours", wrap, |p: &mut extism_host::Plugin| p
        .call_bytes("host_roundtrip", input.as_bytes())
        .unwrap()
        .len());
    per_trip!("ours_host_fn", borrowed, |p: &mut extism_host::Plugin| p
        .call_bytes("host_roundtrip", input.as_bytes())
        .unwrap()
        .len());
    per_trip!(
        "ours_host_fn_owned",
        owned,
        |p: &mut extism_host::Plugin| p
            .call_bytes("host_roundtrip", input.as_bytes())
            .unwrap()
            .len()
    );
    per_trip!("reference", r, |p: &mut extism::Plugin| p
        .call::<&str, &str>("host_roundtrip", &input)
        .unwrap()
        .len());
    g.finish();
}

/// 10. typed `call` vs `call_bytes`: reflect 1 KiB and noop.
fn typed_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("10_typed_call");
    let mut p = ours::reflect_plugin(true);
    let mut r = reference::reflect_plugin();
    let input = input_of(1024);
    let text: String = (0..1024).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    g.bench_function(BenchmarkId::new("ours", "reflect 1KiB"), |b| {
        b.iter(|| black_box(p.call_bytes("reflect", &input).unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("ours_typed", "reflect 1KiB"), |b| {
        b.iter(|| black_box(p.call::<&[u8], &[u8]>("reflect", &input).unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("reference", "reflect 1KiB"), |b| {
        b.iter(|| black_box(r.call::<&[u8], &[u8]>("reflect", &input).unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("ours_typed_string", "reflect 1KiB"), |b| {
        b.iter(|| black_box(p.call::<&str, String>("reflect", &text).unwrap().len()))
    });
    g.bench_function(
        BenchmarkId::new("reference_typed_string", "reflect 1KiB"),
        |b| b.iter(|| black_box(r.call::<&str, String>("reflect", &text).unwrap().len())),
    );
    g.bench_function(BenchmarkId::new("ours", "noop"), |b| {
        b.iter(|| black_box(p.call_bytes("noop", b"").unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("ours_typed", "noop"), |b| {
        b.iter(|| black_box(p.call::<&[u8], &[u8]>("noop", b"").unwrap().len()))
    });
    g.bench_function(BenchmarkId::new("reference", "noop"), |b| {
        b.iter(|| black_box(r.call::<&[u8], &[u8]>("noop", b"").unwrap().len()))
    });
    g.finish();
}

/// 11. noop with limits: none; `timeout_ms` + `max_pages`; fuel limit.
fn limits(c: &mut Criterion) {
    let mut g = c.benchmark_group("11_limits_noop");
    let bytes = plugin_bytes("reflect.rust.wasm");
    let timeout = Duration::from_secs(10);
    let pages = 64;
    // 0: none, 1: timeout + max_pages, 2: timeout only, 3: max_pages only.
    let ours_manifest = |limits: u8| {
        let m = Manifest::new([Wasm::data(bytes.clone())]);
        match limits {
            1 => m.with_timeout(timeout).with_max_pages(pages),
            2 => m.with_timeout(timeout),
            3 => m.with_max_pages(pages),
            _ => m,
        }
    };
    let mut none = PluginBuilder::new(ours_manifest(0))
        .with_function(ours::echo_typed())
        .build()
        .unwrap();
    let mut lim = PluginBuilder::new(ours_manifest(1))
        .with_function(ours::echo_typed())
        .build()
        .unwrap();
    let mut tmo = PluginBuilder::new(ours_manifest(2))
        .with_function(ours::echo_typed())
        .build()
        .unwrap();
    let mut mp = PluginBuilder::new(ours_manifest(3))
        .with_function(ours::echo_typed())
        .build()
        .unwrap();
    let fuel_engine = Engine::builder().with_fuel(true).build().unwrap();
    let mut fuel = PluginBuilder::new(ours_manifest(0))
        .with_engine(fuel_engine)
        .with_fuel_limit(1 << 40)
        .with_function(ours::echo_typed())
        .build()
        .unwrap();
    let ref_manifest = |limits: u8| {
        let m = extism::Manifest::new([extism::Wasm::data(bytes.clone())]);
        match limits {
            1 => m.with_timeout(timeout).with_memory_max(pages),
            2 => m.with_timeout(timeout),
            3 => m.with_memory_max(pages),
            _ => m,
        }
    };
    let ref_plugin = |limits: u8| {
        extism::PluginBuilder::new(ref_manifest(limits))
            .with_function(
                "echo",
                [extism::PTR],
                [extism::PTR],
                extism::UserData::new(()),
                reference::echo_fn,
            )
            .build()
            .unwrap()
    };
    let mut rnone = extism::PluginBuilder::new(ref_manifest(0))
        .with_function(
            "echo",
            [extism::PTR],
            [extism::PTR],
            extism::UserData::new(()),
            reference::echo_fn,
        )
        .build()
        .unwrap();
    let mut rlim = extism::PluginBuilder::new(ref_manifest(1))
        .with_function(
            "echo",
            [extism::PTR],
            [extism::PTR],
            extism::UserData::new(()),
            reference::echo_fn,
        )
        .build()
        .unwrap();
    let mut rfuel = extism::PluginBuilder::new(ref_manifest(0))
        .with_fuel_limit(1 << 40)
        .with_function(
            "echo",
            [extism::PTR],
            [extism::PTR],
            extism::UserData::new(()),
            reference::echo_fn,
        )
        .build()
        .unwrap();
    let mut rtmo = ref_plugin(2);
    let mut rmp = ref_plugin(3);
    let input = input_of(64 << 10);
    for (label, inp) in [("noop", &b""[..]), ("reflect 64KiB", &input[..])] {
        let export = if label == "noop" { "noop" } else { "reflect" };
        g.bench_function(BenchmarkId::new("ours", label), |b| {
            b.iter(|| black_box(none.call_bytes(export, inp).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("ours_limits", label), |b| {
            b.iter(|| black_box(lim.call_bytes(export, inp).unwrap().len()))
        });
        if label == "noop" {
            g.bench_function(BenchmarkId::new("ours_timeout", label), |b| {
                b.iter(|| black_box(tmo.call_bytes(export, inp).unwrap().len()))
            });
            g.bench_function(BenchmarkId::new("ours_max_pages", label), |b| {
                b.iter(|| black_box(mp.call_bytes(export, inp).unwrap().len()))
            });
            g.bench_function(BenchmarkId::new("reference_timeout", label), |b| {
                b.iter(|| black_box(rtmo.call::<&[u8], &[u8]>(export, inp).unwrap().len()))
            });
            g.bench_function(BenchmarkId::new("reference_max_pages", label), |b| {
                b.iter(|| black_box(rmp.call::<&[u8], &[u8]>(export, inp).unwrap().len()))
            });
        }
        g.bench_function(BenchmarkId::new("ours_fuel", label), |b| {
            b.iter(|| black_box(fuel.call_bytes(export, inp).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("reference", label), |b| {
            b.iter(|| black_box(rnone.call::<&[u8], &[u8]>(export, inp).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("reference_limits", label), |b| {
            b.iter(|| black_box(rlim.call::<&[u8], &[u8]>(export, inp).unwrap().len()))
        });
        g.bench_function(BenchmarkId::new("reference_fuel", label), |b| {
            b.iter(|| black_box(rfuel.call::<&[u8], &[u8]>(export, inp).unwrap().len()))
        });
    }
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
    targets = instance_pooling, pool_calls, host_fn_macro, typed_call, limits
}
criterion_main!(benches);
