//! What a command can fail with, and the exit code each failure gives.

use std::fmt;
use std::process::ExitCode;

/// A failed command: printed on stderr as `error: ...`.
#[derive(Debug)]
pub enum CliError {
    /// Loading or calling the plug-in failed.
    Host {
        error: Box<extism_host::Error>,
        /// What the command was doing, e.g. `call 2 of 3`.
        context: Option<String>,
        /// A hint printed on the next line.
        hint: Option<String>,
    },
    /// Reading a file or stdin, or writing stdout, failed.
    Io { what: String, error: std::io::Error },
    /// Anything else (a malformed module given to `info`...).
    Other(String),
}

impl CliError {
    /// The process exit code for this failure.
    ///
    /// For a plug-in failure it is the code [`extism_host::Error::exit_code`]
    /// reports (the guest's own return code, 134 for a trap or a timeout) when
    /// that code is a valid exit status (1..=255); everything else (load
    /// errors, a missing function, a guest code of -1 or out of range) gives 1.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Host { error, .. } => ExitCode::from(plugin_exit_status(error.exit_code())),
            CliError::Io { .. } | CliError::Other(_) => ExitCode::FAILURE,
        }
    }
}

/// Maps a plug-in's exit code to a process exit status: the code itself when
/// it is in 1..=255, 1 otherwise.
pub fn plugin_exit_status(code: i32) -> u8 {
    match u8::try_from(code) {
        Ok(status) if status != 0 => status,
        _ => 1,
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Host {
                error,
                context,
                hint,
            } => {
                if let Some(context) = context {
                    write!(f, "{context}: ")?;
                }
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&**error);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                f.write_str(&in_cli_terms(&message))?;
                if let Some(hint) = hint {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
            CliError::Io { what, error } => write!(f, "{what}: {error}"),
            CliError::Other(message) => f.write_str(message),
        }
    }
}

/// The library's advice names its API (`PluginBuilder::with_wasi(true)`);
/// here the same advice is a flag.
const CLI_TERMS: &[(&str, &str)] = &[
    ("PluginBuilder::with_wasi(true)", "call with --wasi"),
    ("EngineBuilder::with_fuel(true)", "--fuel"),
];

/// `message` with the library's names of options replaced by the flags.
pub fn in_cli_terms(message: &str) -> String {
    CLI_TERMS
        .iter()
        .fold(message.to_string(), |text, (api, flag)| {
            text.replace(api, flag)
        })
}

impl From<extism_host::Error> for CliError {
    fn from(error: extism_host::Error) -> Self {
        CliError::Host {
            error: Box::new(error),
            context: None,
            hint: None,
        }
    }
}

/// Wraps an I/O error with what was being done.
pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
    let what = what.into();
    move |error| CliError::Io { what, error }
}

#[cfg(test)]
mod tests {
    use super::plugin_exit_status;

    #[test]
    fn exit_status_of_plugin_codes() {
        assert_eq!(plugin_exit_status(42), 42);
        assert_eq!(plugin_exit_status(134), 134);
        assert_eq!(plugin_exit_status(255), 255);
        assert_eq!(plugin_exit_status(-1), 1);
        assert_eq!(plugin_exit_status(0), 1);
        assert_eq!(plugin_exit_status(256), 1);
        assert_eq!(plugin_exit_status(i32::MIN), 1);
    }
}
