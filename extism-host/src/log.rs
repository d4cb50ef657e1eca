//! Log levels and where a plug-in's log lines go.

use std::fmt;
use std::sync::Arc;

/// The level of a log line, and the threshold below which lines are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `log_trace`.
    Trace,
    /// `log_debug`.
    Debug,
    /// `log_info`.
    Info,
    /// `log_warn`.
    Warn,
    /// `log_error`.
    Error,
    /// As a threshold: no line passes.
    Off,
}

impl LogLevel {
    /// The value `get_log_level` returns to the plug-in for this threshold.
    pub(crate) fn abi_value(self) -> i32 {
        match self {
            LogLevel::Trace => 0,
            LogLevel::Debug => 1,
            LogLevel::Info => 2,
            LogLevel::Warn => 3,
            LogLevel::Error => 4,
            LogLevel::Off => i32::MAX,
        }
    }

    /// The threshold set by the global `tracing` subscriber, which is what
    /// the reference runtime reports when the host sets none.
    pub(crate) fn from_tracing() -> LogLevel {
        use tracing::level_filters::LevelFilter;
        match LevelFilter::current() {
            LevelFilter::TRACE => LogLevel::Trace,
            LevelFilter::DEBUG => LogLevel::Debug,
            LevelFilter::INFO => LogLevel::Info,
            LevelFilter::WARN => LogLevel::Warn,
            LevelFilter::ERROR => LogLevel::Error,
            _ => LogLevel::Off,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Off => "off",
        })
    }
}

impl std::str::FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "trace" => Ok(LogLevel::Trace),
            "debug" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "error" => Ok(LogLevel::Error),
            "off" | "none" => Ok(LogLevel::Off),
            other => Err(format!(
                "unknown log level `{other}` (expected trace, debug, info, warn, error or off)"
            )),
        }
    }
}

/// A callback that receives a plug-in's log lines.
pub type Logger = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// Where one plug-in's log lines go.
#[derive(Clone, Default)]
pub(crate) struct LogSink {
    /// The host's threshold; None follows the global `tracing` filter.
    pub(crate) level: Option<LogLevel>,
    pub(crate) logger: Option<Logger>,
}

impl LogSink {
    pub(crate) fn threshold(&self) -> LogLevel {
        self.level.unwrap_or_else(|| {
            if self.logger.is_some() {
                LogLevel::Info
            } else {
                LogLevel::from_tracing()
            }
        })
    }

    /// Emits one line: to the logger if there is one, and as a `tracing`
    /// event with the plug-in's name.
    pub(crate) fn emit(&self, plugin: &str, level: LogLevel, message: &str) {
        if level < self.threshold() || level == LogLevel::Off {
            return;
        }
        if let Some(logger) = &self.logger {
            logger(level, message);
        }
        match level {
            LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            LogLevel::Info => tracing::info!(plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            LogLevel::Error => tracing::error!(plugin, "{message}"),
            LogLevel::Off => {}
        }
    }
}
