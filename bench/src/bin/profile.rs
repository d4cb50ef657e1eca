//! Runs one workload in a loop for `perf record`:
//!
//! ```sh
//! env -u RUST_BACKTRACE cargo build --release --ignore-rust-version --bin profile
//! perf record -g -o /tmp/perf.data target/release/profile noop 5
//! ```
//!
//! Workloads: `cold` (ours) / `cold-ref`, `noop` / `noop-ref`,
//! `reflect-1m` / `reflect-1m-ref`, `roundtrip` / `roundtrip-ref` (N=1000),
//! `instance` / `instance-ref`. Prints the time per iteration. A limit of
//! `Nx` runs N iterations (rounded up to 16) instead of a time, for
//! instruction counts: `valgrind --tool=callgrind target/release/profile noop 100000x`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use extism_bench::{input_of, ours, plugin_bytes, reference};

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "noop".into());
    // `5` runs for 5 seconds; `100000x` runs exactly 100,000 iterations
    // (for `valgrind --tool=callgrind`, whose counts are repeatable).
    let limit = args.next().unwrap_or_else(|| "5".into());
    let (budget, count) = match limit.strip_suffix('x') {
        Some(n) => (Duration::MAX, Some(n.parse::<u64>().expect("iterations"))),
        None => (
            Duration::from_secs_f64(limit.parse().expect("seconds")),
            None,
        ),
    };

    let mut step: Box<dyn FnMut()> = match workload.as_str() {
        "cold" => {
            let bytes = plugin_bytes("count_vowels.rust.wasm");
            Box::new(move || {
                drop(black_box(
                    extism_host::PluginBuilder::from_wasm(bytes.clone())
                        .build()
                        .unwrap(),
                ))
            })
        }
        "cold-ref" => {
            let bytes = plugin_bytes("count_vowels.rust.wasm");
            Box::new(move || {
                drop(black_box(
                    extism::Plugin::new(&bytes[..], [], false).unwrap(),
                ))
            })
        }
        "noop" => {
            let mut p = ours::reflect_plugin(true);
            Box::new(move || {
                black_box(p.call_bytes("noop", b"").unwrap());
            })
        }
        "noop-timeout" => {
            // noop with a manifest timeout (10 s): what a deadline costs per call.
            let manifest = extism_host::Manifest::new([extism_host::Wasm::data(plugin_bytes(
                "reflect.rust.wasm",
            ))])
            .with_timeout(Duration::from_secs(10));
            let mut p = extism_host::PluginBuilder::new(manifest)
                .with_function(ours::echo_typed())
                .build()
                .unwrap();
            Box::new(move || {
                black_box(p.call_bytes("noop", b"").unwrap());
            })
        }
        "noop-ref" => {
            let mut p = reference::reflect_plugin();
            Box::new(move || {
                black_box(p.call::<&[u8], &[u8]>("noop", b"").unwrap());
            })
        }
        "reflect-1m" => {
            let mut p = ours::reflect_plugin(true);
            let input = input_of(1 << 20);
            Box::new(move || {
                black_box(p.call_bytes("reflect", &input).unwrap());
            })
        }
        "reflect-1m-ref" => {
            let mut p = reference::reflect_plugin();
            let input = input_of(1 << 20);
            Box::new(move || {
                black_box(p.call::<&[u8], &[u8]>("reflect", &input).unwrap());
            })
        }
        "roundtrip" => {
            let mut p = ours::reflect_plugin(true);
            Box::new(move || {
                black_box(p.call_bytes("host_roundtrip", b"1000").unwrap());
            })
        }
        "roundtrip-ref" => {
            let mut p = reference::reflect_plugin();
            Box::new(move || {
                black_box(p.call::<&str, &str>("host_roundtrip", "1000").unwrap());
            })
        }
        "instance" => {
            let compiled = extism_host::PluginBuilder::from_wasm(plugin_bytes("reflect.rust.wasm"))
                .with_function(ours::echo_typed())
                .compile()
                .unwrap();
            Box::new(move || {
                let mut p = compiled.instantiate().unwrap();
                black_box(p.call_bytes("noop", b"").unwrap());
            })
        }
        "instance-ref" => {
            let compiled = reference::reflect_compiled();
            Box::new(move || {
                let mut p = extism::Plugin::new_from_compiled(&compiled).unwrap();
                black_box(p.call::<&[u8], &[u8]>("noop", b"").unwrap());
            })
        }
        other => panic!("unknown workload `{other}`"),
    };

    step(); // warm up
    let start = Instant::now();
    let mut iterations = 0u64;
    while start.elapsed() < budget && count.is_none_or(|n| iterations < n) {
        for _ in 0..16 {
            step();
        }
        iterations += 16;
    }
    let elapsed = start.elapsed();
    println!(
        "{workload}: {iterations} iterations, {:.3} µs each",
        elapsed.as_secs_f64() * 1e6 / iterations as f64
    );
}
