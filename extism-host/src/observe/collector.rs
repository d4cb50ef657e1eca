//! The per-store recorder of what an instrumented plug-in reports: a stack
//! of open calls and spans, folded into a [`Trace`] when the call ends.
//!
//! Everything here is bounded by the plug-in's [`Observe`] limits: nesting
//! depth, recorded calls and events, text bytes. What is over a limit is
//! counted in [`Trace::dropped`], never kept; calls entered past a limit are
//! still balanced by their exits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::trace::{FunctionCall, Trace, TraceEvent};
use super::ObserveSetup;

/// Problems kept per trace (the rest are counted).
const MAX_PROBLEMS: usize = 8;

/// One open call or span.
struct Frame {
    name: Arc<str>,
    index: Option<u32>,
    start: Instant,
    within: Vec<TraceEvent>,
}

/// What a store's instrumented modules have reported since the last trace.
pub(crate) struct Collector {
    pub(crate) setup: Arc<ObserveSetup>,
    origin: Instant,
    stack: Vec<Frame>,
    top: Vec<TraceEvent>,
    /// Calls entered but not recorded (over a limit) that are still open:
    /// their exits are taken without effect.
    skipped: u64,
    /// Calls and events recorded in this trace.
    recorded: usize,
    /// Text bytes kept in this trace.
    text_bytes: usize,
    dropped: u64,
    problems: Vec<String>,
    more_problems: u64,
}

impl Collector {
    pub(crate) fn new(setup: Arc<ObserveSetup>) -> Self {
        Collector {
            setup,
            origin: Instant::now(),
            stack: Vec::new(),
            top: Vec::new(),
            skipped: 0,
            recorded: 0,
            text_bytes: 0,
            dropped: 0,
            problems: Vec::new(),
            more_problems: 0,
        }
    }

    /// A call starts. What the plug-in's initialisation reported, if
    /// anything, goes into this call's trace, timed from its own start.
    pub(crate) fn begin(&mut self) {
        if self.top.is_empty() && self.stack.is_empty() {
            self.origin = Instant::now();
        }
    }

    fn over_limits(&self) -> bool {
        self.recorded >= self.setup.options.max_events
    }

    /// Function `index` (None: a span) was entered; `name` names it, and is
    /// only asked when the call is kept.
    pub(crate) fn enter(
        &mut self,
        index: Option<u32>,
        name: impl FnOnce(&ObserveSetup) -> Arc<str>,
    ) {
        if self.skipped > 0
            || self.stack.len() >= self.setup.options.max_depth
            || self.over_limits()
        {
            // Nested inside a skipped call, too deep, or too many: counted
            // and balanced, not kept.
            self.skipped += 1;
            self.dropped += 1;
            return;
        }
        self.recorded += 1;
        let name = name(&self.setup);
        self.stack.push(Frame {
            name,
            index,
            start: Instant::now(),
            within: Vec::new(),
        });
    }

    /// Function `index` (None: the innermost span) returned.
    pub(crate) fn exit(&mut self, index: Option<u32>) {
        if self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        let Some(found) = self.stack.iter().rposition(|f| f.index == index) else {
            let what = describe(index);
            match self.stack.last() {
                None => self.problem(|| format!("{what} exited with nothing entered")),
                Some(top) => {
                    let (top_name, top_index) = (top.name.clone(), top.index);
                    self.problem(|| {
                        format!(
                            "{what} exited, but `{top_name}` ({}) is the call in progress",
                            describe(top_index)
                        )
                    })
                }
            }
            return;
        };
        if found + 1 < self.stack.len() {
            // Calls inside it that never exited (an exit the instrumentation
            // missed): closed with it, marked unfinished.
            let open = self.stack.len() - found - 1;
            let what = describe(index);
            self.problem(|| format!("{what} exited with {open} call(s) inside it still open"));
            while self.stack.len() > found + 1 {
                self.close(false);
            }
        }
        self.close(true);
    }

    /// Closes the innermost frame into its parent (or the top level). A
    /// frame shorter than the minimum duration is left out, and what it
    /// held but its tags moves to its parent; top-level calls are kept.
    fn close(&mut self, finished: bool) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let now = Instant::now();
        let duration = now.saturating_duration_since(frame.start);
        let nested = !self.stack.is_empty();
        if nested && finished && duration < self.setup.options.min_duration {
            self.recorded -= 1;
            let parent = self.destination();
            parent.extend(
                frame
                    .within
                    .into_iter()
                    .filter(|e| !matches!(e, TraceEvent::Tags { .. })),
            );
            return;
        }
        let call = FunctionCall {
            name: frame.name,
            index: frame.index,
            start: frame.start.saturating_duration_since(self.origin),
            duration,
            finished,
            within: frame.within,
        };
        self.destination().push(TraceEvent::Call(call));
    }

    fn destination(&mut self) -> &mut Vec<TraceEvent> {
        match self.stack.last_mut() {
            Some(frame) => &mut frame.within,
            None => &mut self.top,
        }
    }

    /// An event inside the current call (or at the top level), carrying
    /// `text_len` bytes of the plug-in's text.
    pub(crate) fn event(&mut self, text_len: usize, event: impl FnOnce() -> TraceEvent) {
        let options = &self.setup.options;
        if self.skipped > 0 {
            // Inside a call that is not kept.
            self.dropped += 1;
            return;
        }
        if self.over_limits() || self.text_bytes + text_len > options.max_trace_text_bytes {
            self.dropped += 1;
            return;
        }
        self.recorded += 1;
        self.text_bytes += text_len;
        let event = event();
        self.destination().push(event);
    }

    /// When the current call started, for events that carry a time.
    pub(crate) fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Notes something wrong in what the plug-in reported.
    pub(crate) fn problem(&mut self, text: impl FnOnce() -> String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(text());
        } else {
            self.more_problems += 1;
        }
    }

    /// The call ended: its trace, and an empty collector for the next one.
    /// None when the plug-in reported nothing.
    pub(crate) fn finish(
        &mut self,
        plugin: &Arc<str>,
        function: &Arc<str>,
        metadata: &BTreeMap<String, String>,
    ) -> Option<Trace> {
        while !self.stack.is_empty() {
            self.close(false);
        }
        let mut problems = std::mem::take(&mut self.problems);
        if self.more_problems > 0 {
            problems.push(format!("{} more problem(s)", self.more_problems));
        }
        let events = std::mem::take(&mut self.top);
        let dropped = std::mem::take(&mut self.dropped);
        self.skipped = 0;
        self.recorded = 0;
        self.text_bytes = 0;
        self.more_problems = 0;
        if events.is_empty() && problems.is_empty() && dropped == 0 {
            return None;
        }
        Some(Trace {
            plugin: plugin.clone(),
            function: function.clone(),
            metadata: metadata.clone(),
            instrumentation_version: self.setup.instrumentation.as_ref().and_then(|i| i.version),
            events,
            dropped,
            problems,
        })
    }
}

fn describe(index: Option<u32>) -> String {
    match index {
        Some(index) => format!("function {index}"),
        None => "a span".to_string(),
    }
}
