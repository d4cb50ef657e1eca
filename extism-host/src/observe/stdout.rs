//! The built-in adapter that prints each trace as a tree, one line per call
//! (`Call to <name> took <duration>`), indented by depth, as the Observe
//! SDK's stdout adapter does.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;

use super::trace::{Trace, TraceEvent};
use super::ObserveAdapter;

/// Prints every trace as a tree to standard output (or to a writer of
/// your choice).
///
/// ```text
/// Call to _start took 1.204ms
///   Call to main took 1.198ms
///     Call to hello::outer took 310.4µs
///       - Allocated 1 pages of memory in hello::outer
/// ```
pub struct StdoutAdapter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for StdoutAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdoutAdapter").finish_non_exhaustive()
    }
}

impl Default for StdoutAdapter {
    fn default() -> Self {
        StdoutAdapter::new()
    }
}

impl StdoutAdapter {
    /// Prints to standard output.
    pub fn new() -> Self {
        StdoutAdapter::to_writer(std::io::stdout())
    }

    /// Prints to `out` instead (standard error, a file, a buffer).
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        StdoutAdapter {
            out: Mutex::new(Box::new(out)),
        }
    }
}

impl ObserveAdapter for StdoutAdapter {
    fn handle_trace(&self, trace: &Trace) {
        let text = trace.tree();
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // A closed pipe must not fail the plug-in's call.
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }
}

impl Trace {
    /// The trace as the [`StdoutAdapter`] prints it.
    ///
    /// ```
    /// # use extism_host::observe::{StdoutAdapter, Trace};
    /// # fn show(trace: &Trace) {
    /// eprint!("{}", trace.tree());
    /// # }
    /// ```
    pub fn tree(&self) -> String {
        let mut out = String::new();
        lines(&mut out, &self.events, 0, None);
        if self.dropped > 0 {
            let _ = writeln!(
                out,
                "({} calls and events over the limits left out)",
                self.dropped
            );
        }
        for problem in &self.problems {
            let _ = writeln!(out, "(problem: {problem})");
        }
        out
    }
}

fn lines(out: &mut String, events: &[TraceEvent], depth: usize, within: Option<&str>) {
    let indent = "  ".repeat(depth);
    let bullet = if within.is_some() { "- " } else { "" };
    for event in events {
        match event {
            TraceEvent::Call(call) => {
                let unfinished = if call.finished { "" } else { " (unfinished)" };
                let _ = writeln!(
                    out,
                    "{indent}Call to {} took {:?}{unfinished}",
                    call.name, call.duration
                );
                // Depth is bounded by the collector's `max_depth`.
                lines(out, &call.within, depth + 1, Some(&call.name));
            }
            TraceEvent::MemoryGrow { pages, .. } => {
                let _ = match within {
                    Some(name) => writeln!(
                        out,
                        "{indent}{bullet}Allocated {pages} pages of memory in {name}"
                    ),
                    None => writeln!(out, "{indent}Allocated {pages} pages of memory"),
                };
            }
            TraceEvent::Tags { tags } => {
                let _ = writeln!(out, "{indent}{bullet}Span tags: {}", tags.join(", "));
            }
            TraceEvent::Metric { message, .. } => {
                let _ = writeln!(out, "{indent}{bullet}Metric: {message}");
            }
            TraceEvent::Log { level, message } => {
                let _ = writeln!(out, "{indent}{bullet}Log ({level}): {message}");
            }
        }
    }
}
