//! Helpers shared by the integration tests: paths of the committed plug-ins,
//! the host-function sets the goldens use (`kv`, `echo`), a log collector and
//! a tiny local HTTP server.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use extism_host::{CurrentPlugin, HostError, HostFunction, LogLevel, Wasm, PTR};

/// The root of the repository (the root package's directory).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// `plugins/wasm/<file>`.
pub fn plugin_path(file: &str) -> PathBuf {
    repo_path("plugins/wasm").join(file)
}

/// A manifest entry for `plugins/wasm/<file>`.
pub fn plugin_wasm(file: &str) -> Wasm {
    Wasm::file(plugin_path(file))
}

/// Lower-case hex SHA-256, as manifests and the goldens write it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ------------------------------------------------------------------ host functions

/// The state of the `kv` host-function set: what `kv_write` stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KvStore(pub BTreeMap<String, Vec<u8>>);

/// The `kv` set of `plugins/README.md`, in `extism:host/user`:
///
/// * `kv_read(key) -> value`: a new block with the stored bytes, 0 when absent.
///   Written with [`HostFunction::new`] (raw stack of `u64` slots).
/// * `kv_write(key, value)`: stores the value's bytes. Written with
///   [`HostFunction::wrap`] (typed arguments).
///
/// Both reach the [`KvStore`] lent with `PluginBuilder::with_state`.
pub fn kv_functions() -> Vec<HostFunction> {
    let kv_read = HostFunction::new(
        "kv_read",
        [PTR],
        [PTR],
        |plugin: &mut CurrentPlugin<'_>, stack: &mut [u64]| {
            let key = plugin.read_str(stack[0])?.to_string();
            let value = plugin
                .with_state(|_, store: &mut KvStore| store.0.get(&key).cloned())?
                .unwrap_or_default();
            // Empty or absent: offset 0, as the recorder's host does.
            stack[0] = plugin.write_bytes(&value)?;
            Ok(())
        },
    );
    let kv_write = HostFunction::wrap(
        "kv_write",
        |plugin: &mut CurrentPlugin<'_>, key: u64, value: u64| -> Result<(), HostError> {
            let key = plugin.read_str(key)?.to_string();
            let value = plugin.read_bytes(value)?.to_vec();
            plugin.with_state(|_, store: &mut KvStore| {
                store.0.insert(key, value);
            })
        },
    );
    vec![kv_read, kv_write]
}

/// The state of the `echo` host-function set: how often `echo` ran.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EchoCalls(pub u64);

/// The `echo` set: `echo(data) -> data`, a new block with a copy (0 for
/// empty), counting its calls in the [`EchoCalls`] state.
pub fn echo_functions() -> Vec<HostFunction> {
    let echo = HostFunction::wrap(
        "echo",
        |plugin: &mut CurrentPlugin<'_>, data: u64| -> Result<u64, HostError> {
            let bytes = plugin.read_bytes(data)?.to_vec();
            match plugin.state_mut::<EchoCalls>() {
                Some(calls) => calls.0 += 1,
                None => return Err(HostError::msg("echo: no EchoCalls state")),
            }
            plugin.write_bytes(&bytes)
        },
    );
    vec![echo]
}

// ------------------------------------------------------------------ logs

/// Collects the log lines a plug-in emits through `PluginBuilder::with_logger`.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<(LogLevel, String)>>>);

impl LogCapture {
    /// A logger callback that appends to this capture.
    pub fn logger(&self) -> impl Fn(LogLevel, &str) + Send + Sync + 'static {
        let lines = self.0.clone();
        move |level, message| {
            lines
                .lock()
                .expect("log capture poisoned")
                .push((level, message.to_string()));
        }
    }

    /// The lines collected since the last call, as `[LEVEL, MESSAGE]` pairs
    /// with the upper-case level names the goldens use.
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().expect("log capture poisoned"))
            .into_iter()
            .map(|(level, message)| (level.to_string().to_ascii_uppercase(), message))
            .collect()
    }
}

/// The [`LogLevel`] of a golden `log_level` name.
pub fn log_level(name: &str) -> LogLevel {
    name.parse()
        .unwrap_or_else(|e| panic!("bad log level `{name}`: {e}"))
}

// ------------------------------------------------------------------ HTTP

/// One route of [`HttpServer`].
#[derive(Debug, Clone)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (random port) for one test: fixed
/// routes, 404 "not found" elsewhere, one connection at a time, each closed
/// after its response. Records `[METHOD, PATH]` of every request.
pub struct HttpServer {
    base: String,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(routes: BTreeMap<String, Route>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port for the server");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    // A broken connection only fails the request it carried.
                    let _ = serve(stream, &routes, &requests);
                }
            })
        };
        HttpServer {
            base: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `[METHOD, PATH]` of every request received so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().expect("request log poisoned").clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    routes: &BTreeMap<String, Route>,
    requests: &Mutex<Vec<(String, String)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    requests
        .lock()
        .expect("request log poisoned")
        .push((method, path.clone()));
    let not_found = Route {
        status: 404,
        headers: Vec::new(),
        body: b"not found".to_vec(),
    };
    let route = routes.get(&path).unwrap_or(&not_found);
    let mut response = format!("HTTP/1.1 {} {}\r\n", route.status, reason(route.status));
    for (name, value) in &route.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        route.body.len()
    ));
    let mut stream = stream;
    stream.write_all(response.as_bytes())?;
    stream.write_all(&route.body)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}
