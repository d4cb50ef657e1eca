//! `extism-rs call`: call a plug-in function and print its output.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use std::sync::{Arc, Mutex};

use clap::Args;
use extism_host::observe::{Observe, Trace};
use extism_host::{CallOutcome, Error, Plugin};

use crate::error::{io, CliError};
use crate::options::{InputArgs, PluginArgs};

/// Call a function of a plug-in and write its output to stdout.
#[derive(Args, Debug)]
#[command(after_help = "\
The output is written to stdout exactly as the plug-in returned it; with --loop N > 1 a newline
follows each call's output, and so it does for a single call when stdout is a terminal. A failing call prints the plug-in's error on stderr and exits with the
plug-in's exit code when it is in 1..=255 (134 for a trap or a timeout), 1 otherwise; a load error
exits with 1 and a usage error with 2.

Examples:
  extism-rs call count_vowels.wasm count_vowels --input 'Hello, World!' --loop 3
  extism-rs call count_vowels.wasm count_vowels -i 'Yellow' --config vowels=aeiouyAEIOUY
  extism-rs call fs.wasm write_file --wasi --allow-path /tmp/data:/data \\
      --input '{\"path\": \"/data/x.txt\", \"content\": \"hi\"}'
  extism-rs call --manifest plugin.json count_vowels --stdin < input.txt
  extism-rs call count_vowels.wasm count_vowels -i 'Hello' --trace stdout

--trace prints each call's figures (time, outcome, bytes, memory pages, host calls, HTTP requests,
fuel) to stderr, then the function tree of modules instrumented with the Observe SDK; --trace json
prints one JSON object per call instead: {\"call\": {...}, \"trace\": {...} or null}.")]
pub struct CallArgs {
    /// The plug-in: a wasm file, an http(s) URL, or an Extism manifest (JSON or TOML)
    #[arg(value_name = "WASM_OR_MANIFEST")]
    pub wasm: String,

    /// The exported function to call
    #[arg(value_name = "FUNCTION")]
    pub function: String,

    /// Call the function N times on the same plug-in instance (its memory and
    /// vars persist between calls), printing each output
    #[arg(long = "loop", value_name = "N", default_value_t = 1, value_parser = parse_loop)]
    pub repeat: u64,

    /// Print each call's figures and trace to stderr, as text or JSON
    #[arg(long, value_name = "FORMAT")]
    pub trace: Option<TraceFormat>,

    /// With --trace, leave out instrumented calls shorter than this many
    /// microseconds (what they held moves to their parent)
    #[arg(
        long,
        value_name = "MICROSECONDS",
        default_value_t = 0,
        requires = "trace"
    )]
    pub trace_min_us: u64,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub plugin: PluginArgs,
}

/// `--loop N`: one call or more.
fn parse_loop(arg: &str) -> Result<u64, String> {
    match arg.parse::<u64>() {
        Ok(0) => Err("the function is called N times, so N must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "expected a number of calls (1 or more), found `{arg}`"
        )),
    }
}

/// How `--trace` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Figures on one line, then the function tree
    Stdout,
    /// One JSON object per call
    Json,
}

/// Runs `call`.
pub fn run(args: &CallArgs) -> Result<ExitCode, CliError> {
    let input = args.input.read()?;
    let mut builder = args.plugin.builder(&args.wasm)?;
    let traces = Traces::default();
    if args.trace.is_some() {
        let min = std::time::Duration::from_micros(args.trace_min_us);
        builder = builder
            .with_observe(traces.observe().with_min_duration(min))
            .with_call_timing(true);
    }
    let mut plugin = builder.build()?;
    let stdout = std::io::stdout();
    // A person reading a terminal gets the prompt on a line of its own; a
    // pipe or a file gets the output's bytes exactly.
    let terminal = stdout.is_terminal();
    for i in 1..=args.repeat {
        // Copied out of the kernel, so that the figures can be read first.
        let result = plugin
            .call_bytes(&args.function, &input)
            .map(<[u8]>::to_vec);
        if let Some(format) = args.trace {
            report(&plugin, &traces, format);
        }
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                let context = (args.repeat > 1).then(|| format!("call {i} of {}", args.repeat));
                let hint = missing_function_hint(&plugin, &error);
                return Err(CliError::Host {
                    error: Box::new(error),
                    context,
                    hint,
                });
            }
        };
        let mut out = stdout.lock();
        let written = out
            .write_all(&output)
            .and_then(|()| {
                if args.repeat > 1 || (terminal && !output.ends_with(b"\n")) {
                    out.write_all(b"\n")
                } else {
                    Ok(())
                }
            })
            .and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            // The reader went away (`| head`): stop quietly, like other tools.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(io("cannot write the output")(e)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The traces an observed plug-in's calls made, until printed.
#[derive(Clone, Default)]
struct Traces(Arc<Mutex<Vec<Trace>>>);

impl Traces {
    fn observe(&self) -> Observe {
        let traces = self.0.clone();
        Observe::new()
            .with_tracing(false)
            .with_adapter(move |trace: &Trace| {
                traces
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(trace.clone())
            })
    }

    fn take(&self) -> Vec<Trace> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Prints the last call's figures and trace to stderr.
fn report(plugin: &Plugin, traces: &Traces, format: TraceFormat) {
    let Some(stats) = plugin.last_call() else {
        return;
    };
    let traces = traces.take();
    let mut err = std::io::stderr().lock();
    let _ = match format {
        TraceFormat::Json => {
            let line = serde_json::json!({ "call": stats, "trace": traces.first() });
            writeln!(err, "{line}")
        }
        TraceFormat::Stdout => {
            let outcome = match stats.outcome {
                CallOutcome::Ok => "ok".to_string(),
                CallOutcome::Failed { kind, exit_code } => {
                    format!("failed ({kind}, exit code {exit_code})")
                }
            };
            let fuel = stats
                .fuel_consumed
                .map_or_else(|| "not metered".to_string(), |f| f.to_string());
            let tree: String = traces.iter().map(Trace::tree).collect();
            writeln!(
                err,
                "call {}: {outcome} in {}; input {} B, output {} B; memory {} pages (peak {}); \
                 {} host calls ({:?}); {} HTTP requests; fuel {fuel}",
                stats.function,
                stats
                    .duration
                    .map_or_else(|| "(not timed)".to_string(), |d| format!("{d:?}")),
                stats.input_bytes,
                stats.output_bytes,
                stats.memory_pages,
                stats.peak_memory_pages,
                stats.host_calls,
                stats.host_time,
                stats.http_requests,
            )
            .and_then(|()| err.write_all(tree.as_bytes()))
        }
    };
}

/// For a missing function, the functions the plug-in does export.
pub fn missing_function_hint(plugin: &Plugin, error: &Error) -> Option<String> {
    if !matches!(error, Error::FunctionNotFound { .. }) {
        return None;
    }
    let mut names: Vec<&str> = plugin.functions().collect();
    names.sort_unstable();
    Some(if names.is_empty() {
        "the plug-in exports no callable function".to_string()
    } else {
        format!("the plug-in's functions: {}", names.join(", "))
    })
}
