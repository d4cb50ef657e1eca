//! Soak runs of extism-host: many calls, then a look at the process's RSS.
//!
//! ```sh
//! cd soak && cargo run --release -- single            # 1M reflect + 1M count_vowels
//! cd soak && cargo run --release -- single-timeout    # the same reflect run with timeout_ms set
//! cd soak && cargo run --release -- mixed             # 50 plug-ins, traps, timeouts, limits
//! cd soak && cargo run --release -- all
//! ```
//!
//! `SOAK_CALLS` (default 1000000) and `SOAK_ROUNDS` (default 4000) scale the
//! runs down. Results are recorded in `soak/README.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use extism_host::{
    CurrentPlugin, Error, HostError, HostFunction, Manifest, Plugin, PluginBuilder, Wasm,
};

fn plugin_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/wasm")
        .join(file)
}

/// The process's resident set size in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn echo() -> HostFunction {
    HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let bytes = plugin.read_bytes(data)?.to_vec();
            plugin.write_bytes(&bytes)
        },
    )
}

fn reflect(manifest: Manifest) -> Plugin {
    let mut manifest = manifest;
    manifest.wasm = vec![Wasm::file(plugin_path("reflect.rust.wasm"))];
    PluginBuilder::new(manifest)
        .with_function(echo())
        .build()
        .expect("reflect builds")
}

fn count_vowels(manifest: Manifest) -> Plugin {
    let mut manifest = manifest;
    manifest.wasm = vec![Wasm::file(plugin_path("count_vowels.rust.wasm"))];
    Plugin::new(manifest, [], false).expect("count_vowels builds")
}

fn kitchen(manifest: Manifest) -> Plugin {
    let mut manifest = manifest;
    manifest.wasm = vec![Wasm::file(plugin_path("kitchen.rust.wasm"))];
    Plugin::new(manifest, [], false).expect("kitchen builds")
}

/// `calls` calls of `function` on one plug-in; prints RSS every 10% of the run.
fn one_plugin(label: &str, plugin: &mut Plugin, function: &str, input: &[u8], calls: usize) {
    // Warm-up: the first calls allocate the kernel memory, the PDK heap...
    for _ in 0..1000 {
        plugin.call_bytes(function, input).expect("warm-up call");
    }
    let start_rss = rss_kib();
    let start = Instant::now();
    let step = (calls / 10).max(1);
    let mut samples = Vec::new();
    for i in 1..=calls {
        let out = plugin.call_bytes(function, input).expect("soak call");
        std::hint::black_box(out);
        if i % step == 0 {
            samples.push(rss_kib());
        }
    }
    let elapsed = start.elapsed();
    let end_rss = rss_kib();
    let max = samples.iter().copied().max().unwrap_or(end_rss);
    println!(
        "{label}: {calls} calls of `{function}` in {:.1} s ({:.1} µs/call); RSS start {} end {} (max {}, delta {:+} KiB)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / calls as f64,
        mib(start_rss),
        mib(end_rss),
        mib(max),
        end_rss as i64 - start_rss as i64,
    );
    println!(
        "  RSS samples (MiB): {}",
        samples
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn single() {
    let calls = env_usize("SOAK_CALLS", 1_000_000);
    println!("process RSS before any plug-in: {}", mib(rss_kib()));
    let mut r = reflect(Manifest::default());
    one_plugin("reflect", &mut r, "reflect", &[b'x'; 64], calls);
    drop(r);
    let mut c = count_vowels(Manifest::default());
    one_plugin(
        "count_vowels",
        &mut c,
        "count_vowels",
        b"Hello, World! A soak test of the count_vowels plug-in.",
        calls,
    );
}

/// The same run with a call timeout: every call registers a deadline with the
/// engine's timer thread.
fn single_timeout() {
    let calls = env_usize("SOAK_CALLS", 1_000_000);
    let mut r = reflect(Manifest::default().with_timeout(Duration::from_secs(3600)));
    one_plugin(
        "reflect, timeout_ms 3600000",
        &mut r,
        "reflect",
        &[b'x'; 64],
        calls,
    );
    let mut r = reflect(Manifest::default().with_timeout(Duration::from_millis(100)));
    one_plugin(
        "reflect, timeout_ms 100",
        &mut r,
        "reflect",
        &[b'x'; 64],
        calls,
    );
}

/// A tiny deterministic PRNG (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Trap { .. } => "Trap",
        Error::Plugin { .. } => "Plugin",
        Error::Timeout { .. } => "Timeout",
        Error::MemoryLimit { .. } => "MemoryLimit",
        Error::Vars { .. } => "Vars",
        Error::ExitCode { .. } => "ExitCode",
        Error::HostFunction { .. } => "HostFunction",
        Error::Cancelled { .. } => "Cancelled",
        Error::Runtime { .. } => "Runtime",
        _ => "other",
    }
}

/// 50 plug-ins (30 kitchen, 10 count_vowels, 10 reflect); each round calls
/// every plug-in once with a function picked at random: mostly normal calls,
/// with traps, panics, timeouts, memory and var limits in between.
fn mixed() {
    let rounds = env_usize("SOAK_ROUNDS", 4000);
    let limits = || {
        Manifest::default()
            .with_timeout(Duration::from_millis(20))
            .with_max_pages(256)
            .with_max_var_bytes(4096)
    };
    let mut plugins: Vec<(&str, Plugin)> = Vec::new();
    for _ in 0..30 {
        plugins.push(("kitchen", kitchen(limits())));
    }
    for _ in 0..10 {
        plugins.push(("count_vowels", count_vowels(limits())));
    }
    for _ in 0..10 {
        plugins.push(("reflect", reflect(limits())));
    }
    let start_rss = rss_kib();
    println!("mixed: 50 plug-ins loaded, RSS {}", mib(start_rss));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut calls: BTreeMap<&str, u64> = BTreeMap::new();
    let mut errors: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut unexpected = 0u64;
    // A normal call that exceeds 20 ms: only when the machine is overloaded
    // (the thread was not scheduled); counted apart, with the load average.
    let mut load_timeouts = 0u64;
    println!("  load average at start: {}", loadavg());
    let start = Instant::now();
    for round in 0..rounds {
        for (name, plugin) in plugins.iter_mut() {
            let roll = rng.next() % 1000;
            let (function, input, expect_ok): (&str, Vec<u8>, bool) = match *name {
                "kitchen" => match roll {
                    0..=499 => ("utf8", vec![], true),
                    500..=599 => ("json_sum", br#"{"a":1,"b":2}"#.to_vec(), true),
                    600..=679 => ("trap_unreachable", vec![], false),
                    680..=759 => ("panic", vec![], false),
                    760..=769 => ("infinite_loop", vec![], false),
                    770..=819 => ("memory_bomb", vec![], false),
                    820..=869 => ("big_var", b"10000".to_vec(), false),
                    870..=929 => ("var_write", b"k=v".to_vec(), true),
                    930..=969 => ("alloc_many", b"100".to_vec(), true),
                    _ => ("fail_code", vec![], false),
                },
                "count_vowels" => ("count_vowels", b"Hello, World!".to_vec(), true),
                _ => match roll {
                    0..=899 => ("reflect", vec![b'r'; 256], true),
                    _ => ("host_roundtrip", b"10".to_vec(), true),
                },
            };
            *calls.entry(function).or_default() += 1;
            match plugin.call_bytes(function, &input) {
                Ok(_) if expect_ok => {}
                Ok(_) => {
                    unexpected += 1;
                    eprintln!("round {round}: {name}::{function} succeeded unexpectedly");
                }
                Err(e) => {
                    *errors.entry((function, kind(&e))).or_default() += 1;
                    if expect_ok && matches!(e, Error::Timeout { .. }) {
                        load_timeouts += 1;
                    } else if expect_ok || matches!(e, Error::Runtime { .. }) {
                        unexpected += 1;
                        eprintln!("round {round}: {name}::{function} failed: {e}");
                    }
                }
            }
        }
        if (round + 1) % (rounds / 4).max(1) == 0 {
            println!(
                "  after round {}: {:.1} s, RSS {}",
                round + 1,
                start.elapsed().as_secs_f64(),
                mib(rss_kib())
            );
        }
    }
    let total: u64 = calls.values().sum();
    let end_rss = rss_kib();
    println!(
        "mixed: {total} calls over {rounds} rounds in {:.1} s; RSS start {} end {} (delta {:+} KiB); unexpected outcomes {unexpected}",
        start.elapsed().as_secs_f64(),
        mib(start_rss),
        mib(end_rss),
        end_rss as i64 - start_rss as i64
    );
    println!(
        "  normal calls over the 20 ms limit (machine load): {load_timeouts}; load average at end: {}",
        loadavg()
    );
    println!("  calls by function: {calls:?}");
    println!("  errors by (function, kind):");
    for ((function, kind), n) in &errors {
        println!("    {function:18} {kind:12} {n}");
    }
    drop(plugins);
    println!("  RSS after dropping the plug-ins: {}", mib(rss_kib()));
    assert_eq!(unexpected, 0, "some calls ended unexpectedly");
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    match mode.as_str() {
        "single" => single(),
        "single-timeout" => single_timeout(),
        "mixed" => mixed(),
        "all" => {
            single();
            single_timeout();
            mixed();
        }
        other => {
            eprintln!("unknown mode `{other}`: single | single-timeout | mixed | all");
            std::process::exit(2);
        }
    }
}
