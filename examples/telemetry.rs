//! What each plug-in call did, three ways: the figures of the last call
//! (`Plugin::last_call`), `tracing` spans rendered as a tree by a small
//! `tracing-subscriber` layer, and the same spans exported to
//! OpenTelemetry with `tracing-opentelemetry`. The instrumented plug-in
//! (built for the Observe SDK) adds its own function tree under each call.
//!
//! ```sh
//! cargo run --example telemetry
//! ```

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use extism_host::observe::{Observe, StdoutAdapter};
use extism_host::{CurrentPlugin, HostFunction, Manifest, PluginBuilder, Wasm};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let exported = Collected::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exported.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(TreeLayer)
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("extism-host-example")));
    tracing::subscriber::set_global_default(subscriber)?;

    // 1. A plug-in from the Rust PDK that calls a host function three times.
    let echo = HostFunction::wrap("echo", |plugin: &mut CurrentPlugin<'_>, data: u64| {
        let bytes = plugin.read_bytes(data)?.to_vec();
        plugin.write_bytes(&bytes)
    });
    let mut reflect = PluginBuilder::new(Manifest::new([Wasm::file(wasm("reflect.rust.wasm"))]))
        .with_function(echo)
        .build()?;
    reflect.call_bytes("host_roundtrip", b"3")?;
    let last = reflect.last_call().expect("a call was made");
    println!(
        "figures: {} took {:?}, {} host calls ({:?} in them), {} -> {} bytes, {} memory pages",
        last.function,
        last.duration.unwrap_or_default(),
        last.host_calls,
        last.host_time,
        last.input_bytes,
        last.output_bytes,
        last.memory_pages
    );
    assert_eq!(last.host_calls, 3);

    // 2. A module instrumented for the Observe SDK: its own function tree,
    //    as spans under the call and as the stdout adapter's text.
    let observe = Observe::new()
        .with_min_duration(Duration::ZERO)
        .with_adapter(StdoutAdapter::new());
    let mut nested =
        PluginBuilder::new(Manifest::new([Wasm::file(wasm("wat/observe_nested.wasm"))]))
            .with_observe(observe)
            .build()?;
    nested.set_trace_metadata([("http.url", "https://example.com/run")]);
    nested.call_bytes("run", b"")?;

    // 3. What OpenTelemetry received.
    provider.force_flush()?;
    let spans = exported.0.lock().unwrap();
    println!("exported to OpenTelemetry: {} spans", spans.len());
    for span in spans.iter() {
        let name = span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "name")
            .map(|kv| kv.value.to_string())
            .unwrap_or_default();
        println!("  {} {name}", span.name);
    }
    let functions = spans.iter().filter(|s| s.name == "function").count();
    assert_eq!(functions, 4, "run, outer, inner twice");
    let call = spans
        .iter()
        .find(|s| s.name == "call" && s.attributes.iter().any(|kv| kv.value.as_str() == "run"))
        .expect("the call's span");
    // Every function span is in the call's trace.
    assert!(spans
        .iter()
        .filter(|s| s.name == "function")
        .all(|s| s.span_context.trace_id() == call.span_context.trace_id()));
    Ok(())
}

fn wasm(name: &str) -> String {
    format!("{}/plugins/wasm/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Keeps what the OpenTelemetry pipeline exports.
#[derive(Debug, Clone, Default)]
struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collected {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch);
        std::future::ready(Ok(()))
    }
}

/// Prints each span of `extism_host` as it closes, indented by its depth,
/// with its fields: a tree, read bottom-up.
struct TreeLayer;

/// A span's fields as text, kept in its extensions.
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TreeLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if !span.metadata().target().starts_with("extism_host") {
            return;
        }
        let depth = span.scope().skip(1).count();
        let extensions = span.extensions();
        let fields = extensions.get::<Fields>().map_or("", |f| f.0.as_str());
        println!("{}{}{fields}", "  ".repeat(depth), span.name());
    }
}
