//! `extism-rs call`: call a plug-in function and print its output.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use extism_host::{Error, Plugin};

use crate::error::{io, CliError};
use crate::options::{InputArgs, PluginArgs};

/// Call a function of a plug-in and write its output to stdout.
#[derive(Args, Debug)]
#[command(after_help = "\
The output is written to stdout exactly as the plug-in returned it; with --loop N > 1 a newline
follows each call's output. A failing call prints the plug-in's error on stderr and exits with the
plug-in's exit code when it is in 1..=255 (134 for a trap or a timeout), 1 otherwise; a load error
exits with 1 and a usage error with 2.

Examples:
  extism-rs call count_vowels.wasm count_vowels --input 'Hello, World!' --loop 3
  extism-rs call count_vowels.wasm count_vowels -i 'Yellow' --config vowels=aeiouyAEIOUY
  extism-rs call fs.wasm write_file --wasi --allow-path /tmp/data:/data \\
      --input '{\"path\": \"/data/x.txt\", \"content\": \"hi\"}'
  extism-rs call --manifest plugin.json count_vowels --stdin < input.txt")]
pub struct CallArgs {
    /// The plug-in: a wasm file, an http(s) URL, or with --manifest a JSON manifest
    #[arg(value_name = "WASM_OR_MANIFEST")]
    pub wasm: String,

    /// The exported function to call
    #[arg(value_name = "FUNCTION")]
    pub function: String,

    /// Call the function N times on the same plug-in instance (its memory and
    /// vars persist between calls), printing each output
    #[arg(long = "loop", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub repeat: u64,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub plugin: PluginArgs,
}

/// Runs `call`.
pub fn run(args: &CallArgs) -> Result<ExitCode, CliError> {
    let input = args.input.read()?;
    let mut plugin = args.plugin.builder(&args.wasm)?.build()?;
    let stdout = std::io::stdout();
    for i in 1..=args.repeat {
        let output = match plugin.call_bytes(&args.function, &input) {
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
            .write_all(output)
            .and_then(|()| {
                if args.repeat > 1 {
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
