//! `extism-rs bench`: call a function many times and report its latency.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use extism_host::PluginStats;

use crate::call::missing_function_hint;
use crate::error::CliError;
use crate::options::{InputArgs, PluginArgs};

/// Number of measured calls when neither -n nor --duration is given.
const DEFAULT_CALLS: u64 = 1000;

/// Call a function repeatedly on one plug-in instance and print latency percentiles.
#[derive(Args, Debug)]
#[command(after_help = "\
Each call's wall-clock time is measured around Plugin::call_bytes (input copied in, the call,
output located); compiling, instantiating and the warm-up calls are reported apart. The
progress bar is drawn on stderr when it is a terminal.

Example:
  extism-rs bench count_vowels.wasm count_vowels --input 'Hello, World!' -n 10000")]
pub struct BenchArgs {
    /// The plug-in: a wasm file, an http(s) URL, or with --manifest a JSON manifest
    #[arg(value_name = "WASM_OR_MANIFEST")]
    pub wasm: String,

    /// The exported function to call
    #[arg(value_name = "FUNCTION")]
    pub function: String,

    /// Number of measured calls [default: 1000]
    #[arg(short = 'n', long = "calls", value_name = "N", conflicts_with = "duration",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub calls: Option<u64>,

    /// Measure for this long instead of a number of calls: seconds, or a
    /// number with an `s` or `ms` suffix
    #[arg(short = 'd', long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Calls made before measuring, not counted
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u64,

    /// Do not draw the progress bar
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub plugin: PluginArgs,
}

/// When to stop measuring.
#[derive(Clone, Copy)]
enum Stop {
    Calls(u64),
    After(Duration),
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<ExitCode, CliError> {
    let input = args.input.read()?;
    let builder = args.plugin.builder(&args.wasm)?;
    let start = Instant::now();
    let compiled = builder.compile()?;
    let compile_time = start.elapsed();
    let start = Instant::now();
    let mut plugin = compiled.instantiate()?;
    let instantiate_time = start.elapsed();

    let call_error = |plugin: &extism_host::Plugin, error, what: String| {
        let hint = missing_function_hint(plugin, &error);
        CliError::Host {
            error: Box::new(error),
            context: Some(what),
            hint,
        }
    };
    for i in 1..=args.warmup {
        if let Err(error) = plugin.call_bytes(&args.function, &input) {
            return Err(call_error(&plugin, error, format!("warm-up call {i}")));
        }
    }

    let stop = match (args.calls, args.duration) {
        (_, Some(duration)) => Stop::After(duration),
        (calls, None) => Stop::Calls(calls.unwrap_or(DEFAULT_CALLS)),
    };
    let bar = progress_bar(stop, args.no_progress);
    let mut latencies: Vec<Duration> = match stop {
        Stop::Calls(n) => Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 24)),
        Stop::After(_) => Vec::new(),
    };
    let mut output_len;
    let started = Instant::now();
    let mut last_draw = started;
    loop {
        let t0 = Instant::now();
        let result = plugin.call_bytes(&args.function, &input);
        let latency = t0.elapsed();
        match result {
            Ok(output) => output_len = output.len(),
            Err(error) => {
                bar.finish_and_clear();
                let what = format!("call {}", latencies.len() + 1);
                return Err(call_error(&plugin, error, what));
            }
        }
        latencies.push(latency);
        let now = Instant::now();
        let done = match stop {
            Stop::Calls(n) => latencies.len() as u64 >= n,
            Stop::After(d) => now - started >= d,
        };
        if done || now - last_draw >= Duration::from_millis(50) {
            last_draw = now;
            match stop {
                Stop::Calls(_) => bar.set_position(latencies.len() as u64),
                Stop::After(d) => {
                    bar.set_position((now - started).min(d).as_millis() as u64);
                    bar.set_message(format!("{} calls", latencies.len()));
                }
            }
        }
        if done {
            break;
        }
    }
    let wall = started.elapsed();
    bar.finish_and_clear();

    let mut report = String::new();
    let _ = writeln!(
        report,
        "{} {}: {} calls in {} (input {} bytes, output {} bytes)",
        plugin.name(),
        args.function,
        latencies.len(),
        format_duration(wall),
        input.len(),
        output_len
    );
    let _ = writeln!(
        report,
        "compile {}, instantiate {}, {} warm-up call{}",
        format_duration(compile_time),
        format_duration(instantiate_time),
        args.warmup,
        if args.warmup == 1 { "" } else { "s" }
    );
    report.push_str(&Stats::new(&mut latencies).render());
    report.push_str(&per_call(&plugin.stats()));
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// What an average call did, from the plug-in's figures (warm-up calls
/// included).
fn per_call(stats: &PluginStats) -> String {
    let calls = stats.calls.max(1);
    let fuel = if stats.fuel_consumed > 0 {
        format!(", fuel {}", stats.fuel_consumed / calls)
    } else {
        String::new()
    };
    format!(
        "per call: {:.1} host calls ({} in host functions), {:.1} HTTP requests, \
         memory peak {} pages{fuel}; {} of {} calls failed\n",
        stats.host_calls as f64 / calls as f64,
        format_duration(stats.host_time / u32::try_from(calls).unwrap_or(u32::MAX)),
        stats.http_requests as f64 / calls as f64,
        stats.peak_memory_pages,
        stats.failed_calls,
        stats.calls,
    )
}

fn progress_bar(stop: Stop, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let (len, template) = match stop {
        Stop::Calls(n) => (
            n,
            "{bar:40} {pos}/{len} calls [{elapsed_precise}, eta {eta}]",
        ),
        Stop::After(d) => (
            d.as_millis() as u64,
            "{bar:40} {msg} [{elapsed_precise} of {len}ms]",
        ),
    };
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Latency statistics of the measured calls.
#[derive(Debug, PartialEq)]
pub struct Stats {
    pub min: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Stats {
    /// Sorts `latencies` (at least one) and computes the statistics;
    /// percentiles are nearest-rank.
    pub fn new(latencies: &mut [Duration]) -> Stats {
        latencies.sort_unstable();
        let n = latencies.len();
        let rank = |p: f64| {
            let index = ((p / 100.0) * n as f64).ceil() as usize;
            latencies[index.clamp(1, n) - 1]
        };
        let total: Duration = latencies.iter().sum();
        Stats {
            min: latencies[0],
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: latencies[n - 1],
            mean: Duration::from_nanos((total.as_nanos() / n as u128) as u64),
        }
    }

    fn render(&self) -> String {
        let mut text = String::new();
        for (label, value) in [
            ("min", self.min),
            ("p50", self.p50),
            ("p90", self.p90),
            ("p99", self.p99),
            ("max", self.max),
            ("mean", self.mean),
        ] {
            let _ = writeln!(text, "  {label:<8}{:>12}", format_duration(value));
        }
        let per_second = if self.mean.is_zero() {
            f64::INFINITY
        } else {
            1.0 / self.mean.as_secs_f64()
        };
        let _ = writeln!(text, "  {:<8}{per_second:>12.1}", "calls/s");
        text
    }
}

/// A duration with a unit that keeps 3-4 significant digits.
fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.2} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

/// `5`, `2.5`, `3s`, `500ms`.
fn parse_duration(arg: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = arg.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = arg.strip_suffix('s') {
        (s, 1.0)
    } else {
        (arg, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{arg}` is not a duration (e.g. 5, 2.5s, 500ms)"))?;
    let seconds = value * scale;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err("the duration must be positive".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut latencies: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let stats = Stats::new(&mut latencies);
        assert_eq!(stats.min, Duration::from_micros(1));
        assert_eq!(stats.p50, Duration::from_micros(50));
        assert_eq!(stats.p90, Duration::from_micros(90));
        assert_eq!(stats.p99, Duration::from_micros(99));
        assert_eq!(stats.max, Duration::from_micros(100));
        assert_eq!(stats.mean, Duration::from_nanos(50_500));

        let one = Stats::new(&mut [Duration::from_millis(3)]);
        assert_eq!((one.p50, one.p99, one.max), (one.min, one.min, one.min));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("2.5s").unwrap(), Duration::from_millis(2500));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(format_duration(Duration::from_nanos(999)), "999 ns");
        assert_eq!(format_duration(Duration::from_nanos(12_345)), "12.35 µs");
        assert_eq!(format_duration(Duration::from_micros(1_500)), "1.50 ms");
        assert_eq!(format_duration(Duration::from_millis(2_000)), "2.000 s");
    }
}
