//! A `tracing` subscriber that keeps the events it sees, for tests that
//! assert what the crate reports.

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
}

/// Collects every event of the threads it is the default subscriber of.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Capture {
    /// Runs `f` with this capture as the thread's subscriber.
    pub fn during<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::subscriber::with_default(self.clone(), f)
    }

    /// The events of `target` so far.
    pub fn events(&self, target: &str) -> Vec<Captured> {
        let events = self.0.lock().expect("capture poisoned");
        events
            .iter()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
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

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = String::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("capture poisoned").push(Captured {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            fields: fields.trim_end().to_string(),
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
