//! Memory and capacity measurements that criterion cannot make (issue 8),
//! and the first compile of a fresh process (issue 3), one process per run:
//!
//! ```text
//! memory rss ours|ours_pooling|reference [N=1000]
//!     N idle instances of count_vowels.rust.wasm from one compiled plug-in;
//!     VmRSS before, after creating them, after one call on each; KiB per instance.
//! memory capacity [N=50000] [MAX_MEMORY_BYTES=4194304]
//!     `PoolingAllocator { max_plugins: N, max_memory_bytes }`: creates (and calls once)
//!     instances until N or the first error; count, RSS, time.
//! memory cold ours|reference|reference_cache
//!     wall time of the first plug-in creation in this process (engine set-up
//!     excluded for ours; the reference's engine is created per plug-in).
//! ```

use std::time::Instant;

use extism_bench::plugin_bytes;
use extism_host::{Engine, PluginBuilder, PoolingAllocator};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Lines of /proc/self/maps (the kernel refuses new mappings beyond
/// `vm.max_map_count`, 65530 by default).
fn maps() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |m| m.lines().count())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bytes = plugin_bytes("count_vowels.rust.wasm");
    match args.first().map(String::as_str) {
        Some("rss") => {
            let which = args.get(1).expect("ours|ours_pooling|reference").as_str();
            let n: usize = args.get(2).map_or(1000, |s| s.parse().unwrap());
            rss(which, n, &bytes);
        }
        Some("capacity") => {
            let n: u32 = args.get(1).map_or(50_000, |s| s.parse().unwrap());
            let max: usize = args.get(2).map_or(4 << 20, |s| s.parse().unwrap());
            capacity(n, max, &bytes);
        }
        Some("cold") => {
            let which = args
                .get(1)
                .expect("ours|reference|reference_cache")
                .as_str();
            cold(which, &bytes);
        }
        _ => panic!("usage: memory rss|capacity|cold ..."),
    }
}

fn report(which: &str, n: usize, before: u64, created: u64, called: u64) {
    println!(
        "{which}: N={n} RSS before {before} KiB, after create {created} KiB ({:.1} KiB/instance), after one call each {called} KiB ({:.1} KiB/instance)",
        (created.saturating_sub(before)) as f64 / n as f64,
        (called.saturating_sub(before)) as f64 / n as f64,
    );
}

fn rss(which: &str, n: usize, bytes: &[u8]) {
    match which {
        "ours" | "ours_pooling" => {
            let mut b = PluginBuilder::from_wasm(bytes.to_vec());
            if which == "ours_pooling" {
                b = b.with_engine(
                    Engine::builder()
                        .with_pooling_allocator(PoolingAllocator {
                            max_plugins: n as u32 + 1,
                            max_memory_bytes: 4 << 20,
                        })
                        .build()
                        .unwrap(),
                );
            }
            let compiled = b.compile().unwrap();
            drop(
                compiled
                    .instantiate()
                    .unwrap()
                    .call_bytes("count_vowels", b"a")
                    .map(|o| o.len()),
            );
            let before = rss_kib();
            let mut all: Vec<_> = (0..n).map(|_| compiled.instantiate().unwrap()).collect();
            let created = rss_kib();
            for p in &mut all {
                p.call_bytes("count_vowels", b"aeiou").unwrap();
            }
            report(which, n, before, created, rss_kib());
        }
        "reference" => {
            let compiled = extism::CompiledPlugin::new(extism::PluginBuilder::new(bytes)).unwrap();
            let mut warm = extism::Plugin::new_from_compiled(&compiled).unwrap();
            warm.call::<&str, &str>("count_vowels", "a").unwrap();
            drop(warm);
            let before = rss_kib();
            let mut all: Vec<_> = (0..n)
                .map(|_| extism::Plugin::new_from_compiled(&compiled).unwrap())
                .collect();
            let created = rss_kib();
            for p in &mut all {
                p.call::<&str, &str>("count_vowels", "aeiou").unwrap();
            }
            report(which, n, before, created, rss_kib());
        }
        other => panic!("unknown runtime {other}"),
    }
}

fn capacity(n: u32, max_memory_bytes: usize, bytes: &[u8]) {
    let start = Instant::now();
    let engine = Engine::builder()
        .with_pooling_allocator(PoolingAllocator {
            max_plugins: n,
            max_memory_bytes,
        })
        .build()
        .unwrap();
    let compiled = PluginBuilder::from_wasm(bytes.to_vec())
        .with_engine(engine)
        .compile()
        .unwrap();
    println!(
        "engine + compile: {:?}, RSS {} KiB",
        start.elapsed(),
        rss_kib()
    );
    let before = rss_kib();
    let mut all = Vec::with_capacity(n as usize);
    let start = Instant::now();
    let mut error = None;
    while all.len() < n as usize {
        match compiled.instantiate() {
            Ok(mut p) => {
                if let Err(e) = p.call_bytes("count_vowels", b"aeiou") {
                    error = Some(format!("call: {e}"));
                    break;
                }
                all.push(p);
            }
            Err(e) => {
                error = Some(format!("instantiate: {e}"));
                break;
            }
        }
        if all.len() % 10_000 == 0 {
            println!(
                "  {} live, RSS {} KiB, {} mappings, {:?}",
                all.len(),
                rss_kib(),
                maps(),
                start.elapsed()
            );
        }
    }
    let rss = rss_kib();
    println!(
        "capacity: max_plugins={n} max_memory_bytes={max_memory_bytes}: {} live plug-ins (each called once) in {:?}; RSS {} KiB before, {} KiB after ({:.1} KiB/instance); stopped by: {}",
        all.len(),
        start.elapsed(),
        before,
        rss,
        (rss - before) as f64 / all.len().max(1) as f64,
        error.as_deref().unwrap_or("reached N"),
    );
    println!(
        "mappings: {} (vm.max_map_count {})",
        maps(),
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .unwrap_or_default()
            .trim()
    );
    let start = Instant::now();
    drop(all);
    println!("dropping them: {:?}", start.elapsed());
}

fn cold(which: &str, bytes: &[u8]) {
    match which {
        "ours" => {
            // Set up the shared default engine first (compiles the kernel), as a
            // long-running host would have; then the first compile of the plug-in.
            let e = Instant::now();
            let engine = Engine::default();
            let engine_time = e.elapsed();
            let start = Instant::now();
            let p = PluginBuilder::from_wasm(bytes.to_vec())
                .with_engine(engine)
                .build()
                .unwrap();
            let first = start.elapsed();
            drop(p);
            let start = Instant::now();
            let p = PluginBuilder::from_wasm(bytes.to_vec()).build().unwrap();
            let second = start.elapsed();
            drop(p);
            println!("ours: engine {engine_time:?}; first build {first:?}; second build (module cache hit) {second:?}");
        }
        "reference" | "reference_cache" => {
            let start = Instant::now();
            let p = if which == "reference" {
                extism::PluginBuilder::new(bytes)
                    .with_cache_disabled()
                    .build()
                    .unwrap()
            } else {
                extism::Plugin::new(bytes, [], false).unwrap()
            };
            let first = start.elapsed();
            drop(p);
            println!("{which}: first build {first:?}");
        }
        other => panic!("unknown runtime {other}"),
    }
}
