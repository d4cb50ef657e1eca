//! A `tracing` subscriber that keeps the spans and events it sees, with
//! their nesting, for tests that assert what the crate reports.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event: its target, level and fields as `name=value` (the message
/// under `message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub target: String,
    pub level: tracing::Level,
    pub fields: String,
    /// The span it happened in (an index into the spans), if any.
    pub parent: Option<usize>,
}

/// One span: its name, target, fields (those recorded later included) and
/// parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedSpan {
    pub name: String,
    pub target: String,
    pub fields: String,
    pub parent: Option<usize>,
}

#[derive(Default)]
struct Seen {
    events: Vec<Captured>,
    spans: Vec<CapturedSpan>,
    /// Entered spans, innermost last (one thread per capture).
    entered: Vec<usize>,
}

/// Collects every span and event of the threads it is the default
/// subscriber of.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Seen>>);

impl Capture {
    /// Runs `f` with this capture as the thread's subscriber.
    pub fn during<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::subscriber::with_default(self.clone(), f)
    }

    /// The events of `target` so far.
    pub fn events(&self, target: &str) -> Vec<Captured> {
        let seen = self.0.lock().expect("capture poisoned");
        seen.events
            .iter()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
    }

    /// The spans named `name` so far.
    pub fn spans(&self, name: &str) -> Vec<CapturedSpan> {
        let seen = self.0.lock().expect("capture poisoned");
        seen.spans
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    /// Spans and events whose target starts with `prefix`, as a tree: one
    /// line each, `name fields` for spans and `event fields` for events,
    /// indented two spaces per level, in the order they were made. `keep`
    /// picks the fields shown (by name).
    pub fn tree(&self, prefix: &str, keep: &[&str]) -> Vec<String> {
        let seen = self.0.lock().expect("capture poisoned");
        enum Node<'a> {
            Span(usize, &'a CapturedSpan),
            Event(&'a Captured),
        }
        // Spans and events interleaved in the order they were seen is not
        // recorded; spans come first at each level, then events, which is
        // enough for trees whose events are leaves.
        let mut out = Vec::new();
        fn shown(fields: &str, keep: &[&str]) -> String {
            fields
                .split(' ')
                .filter(|f| keep.iter().any(|k| f.starts_with(&format!("{k}="))))
                .collect::<Vec<_>>()
                .join(" ")
        }
        fn walk<'a>(
            seen: &'a Seen,
            parent: Option<usize>,
            depth: usize,
            prefix: &str,
            keep: &[&str],
            out: &mut Vec<String>,
        ) {
            let mut nodes: Vec<Node<'a>> = Vec::new();
            for (i, s) in seen.spans.iter().enumerate() {
                if s.parent == parent {
                    nodes.push(Node::Span(i, s));
                }
            }
            for e in &seen.events {
                if e.parent == parent {
                    nodes.push(Node::Event(e));
                }
            }
            for node in nodes {
                match node {
                    Node::Span(i, s) => {
                        let here = s.target.starts_with(prefix);
                        if here {
                            let line = format!(
                                "{}{} {}",
                                "  ".repeat(depth),
                                s.name,
                                shown(&s.fields, keep)
                            );
                            out.push(line.trim_end().to_string());
                        }
                        walk(seen, Some(i), depth + usize::from(here), prefix, keep, out);
                    }
                    Node::Event(e) if e.target.starts_with(prefix) => {
                        let line =
                            format!("{}event {}", "  ".repeat(depth), shown(&e.fields, keep));
                        out.push(line.trim_end().to_string());
                    }
                    Node::Event(_) => {}
                }
            }
        }
        walk(&seen, None, 0, prefix, keep, &mut out);
        out
    }
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={} ", field.name(), value);
    }
}

fn index(id: &Id) -> usize {
    id.into_u64() as usize - 1
}

impl Seen {
    /// The span something new belongs to: the one it names, else (when it
    /// takes the context) the innermost entered one.
    fn parent(&self, explicit: Option<&Id>, contextual: bool) -> Option<usize> {
        match explicit {
            Some(parent) => Some(index(parent)),
            None if contextual => self.entered.last().copied(),
            None => None,
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = String::new();
        attrs.record(&mut Fields(&mut fields));
        let mut seen = self.0.lock().expect("capture poisoned");
        let parent = seen.parent(attrs.parent(), attrs.is_contextual());
        seen.spans.push(CapturedSpan {
            name: attrs.metadata().name().to_string(),
            target: attrs.metadata().target().to_string(),
            fields,
            parent,
        });
        Id::from_u64(seen.spans.len() as u64)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut fields = String::new();
        values.record(&mut Fields(&mut fields));
        let mut seen = self.0.lock().expect("capture poisoned");
        if let Some(span) = seen.spans.get_mut(index(id)) {
            span.fields.push_str(&fields);
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = String::new();
        event.record(&mut Fields(&mut fields));
        let mut seen = self.0.lock().expect("capture poisoned");
        let parent = seen.parent(event.parent(), event.is_contextual());
        seen.events.push(Captured {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            fields: fields.trim_end().to_string(),
            parent,
        });
    }

    fn enter(&self, id: &Id) {
        self.0
            .lock()
            .expect("capture poisoned")
            .entered
            .push(index(id));
    }

    fn exit(&self, id: &Id) {
        let mut seen = self.0.lock().expect("capture poisoned");
        if let Some(at) = seen.entered.iter().rposition(|&i| i == index(id)) {
            seen.entered.remove(at);
        }
    }
}
