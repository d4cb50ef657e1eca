//! `extism-rs`: run, inspect and benchmark Extism plug-ins with extism-host.
//!
//! * `extism-rs call WASM FUNCTION`: the official `extism call`, same flags.
//! * `extism-rs info WASM`: exports, imports, and which imports this host provides.
//! * `extism-rs bench WASM FUNCTION`: per-call latency percentiles.

mod bench;
mod call;
mod error;
mod info;
mod options;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Extism WebAssembly plug-ins on extism-host (wasmtime).
#[derive(Parser, Debug)]
#[command(name = "extism-rs", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Call a plug-in function and print its output (like `extism call`)
    Call(call::CallArgs),
    /// Show a plug-in's exports and imports, and whether this host provides each import
    Info(info::InfoArgs),
    /// Call a function repeatedly and print latency percentiles
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Call(args) => call::run(args),
        Command::Info(args) => info::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
