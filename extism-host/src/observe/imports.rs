//! The functions Observe-instrumented modules import, as the Observe SDK
//! defines them: `dylibso:observe/instrument` (written by the automatic
//! instrumenter), `dylibso:observe/api` (the manual API of the
//! `observe-api` guest libraries) and the deprecated `dylibso_observe`.

use wasmtime::{Caller, Extern, Linker};

use super::trace::{MetricFormat, TraceEvent};
use crate::log::LogLevel;
use crate::store::StoreData;

/// The automatic instrumentation's namespace.
pub(crate) const INSTRUMENT: &str = "dylibso:observe/instrument";
/// The manual API's namespace.
pub(crate) const API: &str = "dylibso:observe/api";
/// The namespace of Observe's first ABI, still emitted by older tools.
pub(crate) const LEGACY: &str = "dylibso_observe";

/// Whether `module` is one of the Observe namespaces.
pub(crate) fn is_observe_namespace(module: &str) -> bool {
    matches!(module, INSTRUMENT | API | LEGACY)
}

type Result = wasmtime::Result<()>;

/// Defines every Observe import in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    for (module, enter, exit, grow) in [
        (INSTRUMENT, "enter", "exit", "memory-grow"),
        (
            LEGACY,
            "instrument_enter",
            "instrument_exit",
            "instrument_memory_grow",
        ),
    ] {
        linker.func_wrap(module, enter, enter_function)?;
        linker.func_wrap(module, exit, exit_function)?;
        linker.func_wrap(module, grow, memory_grow)?;
    }
    // The guest libraries pass 32-bit pointers in the current namespace and
    // 64-bit ones in the deprecated one.
    linker.func_wrap(
        API,
        "span-enter",
        |c: Caller<'_, StoreData>, p: u32, l: u32| span_enter(c, u64::from(p), l),
    )?;
    linker.func_wrap(API, "span-exit", span_exit)?;
    linker.func_wrap(
        API,
        "span-tags",
        |c: Caller<'_, StoreData>, p: u32, l: u32| span_tags(c, u64::from(p), l),
    )?;
    linker.func_wrap(
        API,
        "metric",
        |c: Caller<'_, StoreData>, f: u32, p: u32, l: u32| metric(c, f, u64::from(p), l),
    )?;
    linker.func_wrap(
        API,
        "log",
        |c: Caller<'_, StoreData>, v: u32, p: u32, l: u32| log(c, v, u64::from(p), l),
    )?;
    linker.func_wrap(LEGACY, "span_enter", span_enter)?;
    linker.func_wrap(LEGACY, "span_exit", span_exit)?;
    linker.func_wrap(LEGACY, "span_tags", span_tags)?;
    linker.func_wrap(LEGACY, "metric", metric)?;
    linker.func_wrap(LEGACY, "log", log)?;
    Ok(())
}

fn enter_function(mut caller: Caller<'_, StoreData>, index: u32) -> Result {
    if let Some(c) = caller.data_mut().observe.as_deref_mut() {
        c.enter(Some(index), |setup| setup.function_name(index));
    }
    Ok(())
}

fn exit_function(mut caller: Caller<'_, StoreData>, index: u32) -> Result {
    if let Some(c) = caller.data_mut().observe.as_deref_mut() {
        c.exit(Some(index));
    }
    Ok(())
}

fn memory_grow(mut caller: Caller<'_, StoreData>, pages: u32) -> Result {
    if let Some(c) = caller.data_mut().observe.as_deref_mut() {
        let at = c.elapsed();
        c.event(0, || TraceEvent::MemoryGrow { pages, at });
    }
    Ok(())
}

fn span_enter(mut caller: Caller<'_, StoreData>, ptr: u64, len: u32) -> Result {
    match text(&mut caller, ptr, len) {
        Ok(name) => {
            if let Some(c) = caller.data_mut().observe.as_deref_mut() {
                c.enter(None, |_| name.into());
            }
        }
        // The span is still entered, so that its exit balances.
        Err(e) => with_collector(&mut caller, |c| {
            c.problem(|| format!("span-enter: {e}"));
            c.enter(None, |_| "(unreadable span name)".into());
        }),
    }
    Ok(())
}

fn span_exit(mut caller: Caller<'_, StoreData>) -> Result {
    with_collector(&mut caller, |c| c.exit(None));
    Ok(())
}

fn span_tags(mut caller: Caller<'_, StoreData>, ptr: u64, len: u32) -> Result {
    let tags = text(&mut caller, ptr, len);
    with_collector(&mut caller, |c| match tags {
        Ok(tags) => c.event(tags.len(), || TraceEvent::Tags {
            tags: tags.split(',').map(str::to_string).collect(),
        }),
        Err(e) => c.problem(|| format!("span-tags: {e}")),
    });
    Ok(())
}

fn metric(mut caller: Caller<'_, StoreData>, format: u32, ptr: u64, len: u32) -> Result {
    let message = text(&mut caller, ptr, len);
    with_collector(&mut caller, |c| match (format, message) {
        (1, Ok(message)) => c.event(message.len(), || TraceEvent::Metric {
            format: MetricFormat::Statsd,
            message,
        }),
        (1, Err(e)) => c.problem(|| format!("metric: {e}")),
        (other, _) => c.problem(|| format!("metric: unknown format {other} (1 is statsd)")),
    });
    Ok(())
}

fn log(mut caller: Caller<'_, StoreData>, level: u32, ptr: u64, len: u32) -> Result {
    let message = text(&mut caller, ptr, len);
    // 1 error … 4 debug, as the hosts read them; 5 is the guest libraries'
    // trace.
    let level = match level {
        1 => Some(LogLevel::Error),
        2 => Some(LogLevel::Warn),
        3 => Some(LogLevel::Info),
        4 => Some(LogLevel::Debug),
        5 => Some(LogLevel::Trace),
        _ => None,
    }
    .ok_or(level);
    with_collector(&mut caller, |c| match (level, message) {
        (Ok(level), Ok(message)) => c.event(message.len(), || TraceEvent::Log { level, message }),
        (Ok(_), Err(e)) => c.problem(|| format!("log: {e}")),
        (Err(other), _) => c.problem(|| format!("log: unknown level {other} (1 error … 4 debug)")),
    });
    Ok(())
}

fn with_collector(caller: &mut Caller<'_, StoreData>, f: impl FnOnce(&mut super::Collector)) {
    if let Some(c) = caller.data_mut().observe.as_deref_mut() {
        f(c);
    }
}

/// `len` bytes at `ptr` of the calling module's own memory (not the
/// kernel's), as text, cut at the plug-in's `max_text_bytes`.
fn text(
    caller: &mut Caller<'_, StoreData>,
    ptr: u64,
    len: u32,
) -> std::result::Result<String, String> {
    let max = caller
        .data()
        .observe
        .as_ref()
        .map_or(0, |c| c.setup.options.max_text_bytes);
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err("the module exports no memory named `memory` to read the text from".into());
    };
    let data = memory.data(&*caller);
    let in_bounds = ptr
        .checked_add(u64::from(len))
        .is_some_and(|end| end <= data.len() as u64);
    if !in_bounds {
        return Err(format!(
            "{len} bytes at {ptr} are outside the module's memory ({} bytes)",
            data.len()
        ));
    }
    let start = ptr as usize;
    let kept = (len as usize).min(max);
    let mut text = String::from_utf8_lossy(&data[start..start + kept]).into_owned();
    if kept < len as usize {
        text.push('…');
    }
    Ok(text)
}
