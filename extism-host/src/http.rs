//! HTTP for plug-ins (`http_request`, `http_status_code`, `http_headers`)
//! and the download of `url` modules.
//!
//! Every request, and every redirect it follows, is checked against the
//! manifest's `allowed_hosts`; the response body is capped at
//! `max_http_response_bytes`; and a request, redirects included, never
//! outlives the call's deadline or a cancel: the exchange runs on a thread of
//! its own, and the call waits for it through its `CallInterrupt`.

use std::collections::BTreeMap;
#[cfg(feature = "http")]
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use wasmtime::Caller;

use crate::env::{env_error, EnvErrorKind};
use crate::interrupt::{CallInterrupt, Interruption};
use crate::kernel;
use crate::manifest::WasmRequest;
use crate::source::LoadFailure;
use crate::store::StoreData;

/// How many redirects a plug-in's request may follow.
const MAX_REDIRECTS: usize = 10;

/// The HTTP policy of a plug-in, shared by its instances.
#[derive(Debug)]
pub(crate) struct HttpPolicy {
    allowed_hosts: Vec<HostPattern>,
    // Read by the client, which a build without `http` leaves out.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) max_response_bytes: u64,
    pub(crate) response_headers: bool,
    /// Cap on one request when the call itself has no deadline.
    pub(crate) default_timeout: Option<Duration>,
}

#[derive(Debug)]
enum HostPattern {
    Glob(glob::Pattern),
    /// A pattern glob cannot parse is compared literally, as in the reference.
    Literal(String),
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Glob(p) => p.matches(host),
            HostPattern::Literal(s) => s == host,
        }
    }
}

impl HttpPolicy {
    pub(crate) fn new(
        allowed_hosts: &[String],
        max_response_bytes: u64,
        response_headers: bool,
        default_timeout: Option<Duration>,
    ) -> Self {
        HttpPolicy {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| match glob::Pattern::new(h) {
                    Ok(p) => HostPattern::Glob(p),
                    Err(_) => HostPattern::Literal(h.clone()),
                })
                .collect(),
            max_response_bytes,
            response_headers,
            default_timeout,
        }
    }

    /// Whether the URL's host (no scheme, no port) matches an allowed pattern.
    pub(crate) fn allows(&self, url: &url::Url) -> bool {
        url.host_str()
            .is_some_and(|host| self.allowed_hosts.iter().any(|p| p.matches(host)))
    }
}

/// The per-instance HTTP state the plug-in reads after a request.
#[derive(Debug)]
pub(crate) struct HttpState {
    pub(crate) policy: Arc<HttpPolicy>,
    pub(crate) status: u16,
    headers: Option<BTreeMap<String, String>>,
}

impl HttpState {
    pub(crate) fn new(policy: Arc<HttpPolicy>) -> Self {
        HttpState {
            policy,
            status: 0,
            headers: None,
        }
    }

    /// Forgets the last response.
    pub(crate) fn clear(&mut self) {
        self.status = 0;
        self.headers = None;
    }

    /// The last response's headers as a JSON object, when the host enabled them.
    pub(crate) fn headers_json(&self) -> Option<String> {
        let headers = self.headers.as_ref()?;
        serde_json::to_string(headers).ok()
    }
}

/// The request JSON a plug-in sends, exactly as the reference parses it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginRequest {
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// The response a plug-in gets.
struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn http_error(message: impl Into<String>) -> wasmtime::Error {
    env_error("http_request", EnvErrorKind::Http(message.into()))
}

/// `http_request` for synchronous plug-ins: the exchange runs on a thread of
/// its own while the call's thread waits for it, its deadline or a cancel.
pub(crate) fn http_request(
    mut caller: Caller<'_, StoreData>,
    request: u64,
    body: u64,
) -> wasmtime::Result<u64> {
    let (interrupt, exchange) = start(&mut caller, request, body)?;
    let response = interrupt.block_on(exchange);
    finish(caller, request, body, response)
}

#[cfg(feature = "async")]
/// `http_request` for async plug-ins: the exchange runs on a thread of its
/// own while the call's task awaits it, never holding the executor.
pub(crate) async fn http_request_async(
    mut caller: Caller<'_, StoreData>,
    request: u64,
    body: u64,
) -> wasmtime::Result<u64> {
    let (interrupt, exchange) = start(&mut caller, request, body)?;
    let response = interrupt.race(exchange).await;
    finish(caller, request, body, response)
}

type Exchange = crate::blocking::Offloaded<wasmtime::Result<Response>>;

/// Reads and checks the plug-in's request and starts the exchange.
fn start(
    caller: &mut Caller<'_, StoreData>,
    request: u64,
    body: u64,
) -> wasmtime::Result<(CallInterrupt, Exchange)> {
    caller.data_mut().http.status = 0;
    caller.data_mut().http.headers = None;
    let request_bytes = kernel::block(&*caller, request, "HTTP request")
        .map_err(|e| env_error("http_request", EnvErrorKind::Kernel(e)))?;
    let parsed: PluginRequest = serde_json::from_slice(request_bytes)
        .map_err(|e| http_error(format!("invalid HTTP request JSON: {e}")))?;
    let policy = caller.data().http.policy.clone();
    // Refuse a host that is not allowed before copying the body.
    let url = url::Url::parse(&parsed.url)
        .map_err(|e| http_error(format!("invalid URL `{}`: {e}", parsed.url)))?;
    if !policy.allows(&url) {
        return Err(http_error(format!("HTTP request to {url} is not allowed")));
    }
    let body_bytes = kernel::block(&*caller, body, "HTTP request body")
        .map_err(|e| env_error("http_request", EnvErrorKind::Kernel(e)))?
        .to_vec();
    let interrupt = caller.data().interrupt.signal();
    if let Some(why) = interrupt.interrupted() {
        return Err(crate::interrupt::stop(caller.data_mut(), why));
    }
    // One budget for the whole exchange, every redirect included: the
    // call's deadline, or the host's cap on a request when it has none.
    let deadline = interrupt.deadline().or_else(|| {
        policy
            .default_timeout
            .and_then(crate::timer::deadline_after)
    });
    caller.data_mut().counters.http_requests += 1;
    let hops = interrupt.clone();
    let exchange = crate::blocking::offload("extism-host-http", move || {
        send(&policy, &parsed, body_bytes, deadline, &hops)
    })
    .map_err(|e| http_error(format!("cannot start the HTTP request: {e}")))?;
    Ok((interrupt, exchange))
}

/// Hands the response to the plug-in, or stops the call if it was
/// interrupted while waiting.
fn finish(
    mut caller: Caller<'_, StoreData>,
    request: u64,
    body: u64,
    response: Result<wasmtime::Result<Response>, Interruption>,
) -> wasmtime::Result<u64> {
    let response = match response {
        Ok(response) => response?,
        Err(why) => return Err(crate::interrupt::stop(caller.data_mut(), why)),
    };
    let policy = caller.data().http.policy.clone();
    let result = kernel::write_new(&mut caller, &response.body)?;
    let state = &mut caller.data_mut().http;
    state.status = response.status;
    if policy.response_headers {
        state.headers = Some(response.headers);
    }
    kernel::free(&mut caller, request)?;
    kernel::free(&mut caller, body)?;
    Ok(result)
}

/// The exchange, redirects included, within `deadline`; stops between hops
/// when the call is interrupted (the waiting call has stopped already then,
/// this only ends the work early).
fn send(
    policy: &HttpPolicy,
    request: &PluginRequest,
    mut body: Vec<u8>,
    deadline: Option<Instant>,
    interrupt: &CallInterrupt,
) -> wasmtime::Result<Response> {
    let mut url = url::Url::parse(&request.url)
        .map_err(|e| http_error(format!("invalid URL `{}`: {e}", request.url)))?;
    let mut method = request
        .method
        .as_deref()
        .unwrap_or("GET")
        .to_ascii_uppercase();
    for _ in 0..=MAX_REDIRECTS {
        if let Some(why) = interrupt.interrupted() {
            return Err(http_error(format!("HTTP request to {url} stopped: {why}")));
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout.is_some_and(|t| t.is_zero()) {
            return Err(http_error(format!(
                "HTTP request to {url}: the request's time is up"
            )));
        }
        if !policy.allows(&url) {
            return Err(http_error(format!("HTTP request to {url} is not allowed")));
        }
        let hop = exchange(&method, &url, &request.headers, &body, timeout, policy)?;
        if let Some(location) = hop.location.as_deref() {
            url = url.join(location).map_err(|e| {
                http_error(format!("invalid redirect from {url} to `{location}`: {e}"))
            })?;
            if matches!(hop.status, 301..=303) && method != "HEAD" {
                method = "GET".to_string();
                body.clear();
            }
            continue;
        }
        return Ok(Response {
            status: hop.status,
            headers: hop.headers,
            body: hop.body,
        });
    }
    Err(http_error(format!(
        "HTTP request to {} followed more than {MAX_REDIRECTS} redirects",
        request.url
    )))
}

/// One hop of an exchange: a redirect to follow, or the answer.
struct Hop {
    status: u16,
    /// Where a redirect points.
    location: Option<String>,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Sends one request, without following redirects, reading at most the
/// policy's response bytes.
#[cfg(feature = "http")]
fn exchange(
    method: &str,
    url: &url::Url,
    headers: &BTreeMap<String, String>,
    body: &[u8],
    timeout: Option<Duration>,
    policy: &HttpPolicy,
) -> wasmtime::Result<Hop> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(timeout)
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(url.as_str());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let req = builder
        .body(body.to_vec())
        .map_err(|e| http_error(format!("invalid HTTP request to {url}: {e}")))?;
    let response = agent
        .run(req)
        .map_err(|e| http_error(format!("HTTP request to {url} failed: {e}")))?;
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        if let Some(location) = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
        {
            return Ok(Hop {
                status,
                location: Some(location.to_string()),
                headers: BTreeMap::new(),
                body: Vec::new(),
            });
        }
    }
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let limit = policy.max_response_bytes;
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| http_error(format!("reading the response from {url} failed: {e}")))?;
    if body.len() as u64 > limit {
        return Err(http_error(format!(
            "HTTP response exceeds the configured maximum number of bytes: {limit}"
        )));
    }
    Ok(Hop {
        status,
        location: None,
        headers,
        body,
    })
}

/// Why a build without the `http` feature sends nothing.
#[cfg(not(feature = "http"))]
const UNAVAILABLE: &str = "HTTP needs extism-host's `http` feature, which this build leaves out";

/// A request the host allows, in a build that cannot send it.
#[cfg(not(feature = "http"))]
fn exchange(
    _method: &str,
    url: &url::Url,
    _headers: &BTreeMap<String, String>,
    _body: &[u8],
    _timeout: Option<Duration>,
    _policy: &HttpPolicy,
) -> wasmtime::Result<Hop> {
    Err(http_error(format!("HTTP request to {url}: {UNAVAILABLE}")))
}

/// A module to fetch, in a build that cannot.
#[cfg(not(feature = "http"))]
pub(crate) fn fetch_module(_request: &WasmRequest) -> Result<Vec<u8>, LoadFailure> {
    Err(LoadFailure::new(UNAVAILABLE))
}

/// Downloads a module for a `url` entry of a manifest. The URL comes from the
/// host's own manifest, so `allowed_hosts` (a plug-in policy) does not apply.
#[cfg(feature = "http")]
pub(crate) fn fetch_module(request: &WasmRequest) -> Result<Vec<u8>, LoadFailure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_deref().unwrap_or("GET"))
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let req = builder
        .body(())
        .map_err(|e| LoadFailure::because("the request is not valid", e))?;
    let response = agent
        .run(req)
        .map_err(|e| LoadFailure::because("the request failed", e))?;
    if !response.status().is_success() {
        return Err(LoadFailure::new(format!(
            "the server answered {}",
            response.status()
        )));
    }
    crate::source::read_capped(response.into_body().into_reader(), 0)
}

/// A build without the `http` feature: hosts are still checked, and what
/// would be sent fails with an error naming the feature.
#[cfg(all(test, not(feature = "http")))]
mod without_http {
    use crate::{Error, Manifest, Plugin, PluginBuilder, Wasm};

    /// Sends the input as the request (the input is a kernel block too).
    const SENDS_INPUT: &str = r#"(module
        (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
        (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
        (func (export "run") (result i32)
            (drop (call $http_request (call $input_offset) (i64.const 0)))
            (i32.const 0)))"#;

    #[test]
    fn a_request_names_the_feature_and_a_denied_host_is_still_denied() {
        let manifest = Manifest::new([Wasm::data(SENDS_INPUT)]).with_allowed_host("127.0.0.1");
        let mut plugin = PluginBuilder::new(manifest).build().unwrap();
        let error = plugin
            .call_bytes("run", br#"{"url": "http://127.0.0.1:1/"}"#)
            .unwrap_err();
        match &error {
            Error::HostFunction { message, .. } => {
                assert!(message.contains("`http` feature"), "{message}")
            }
            other => panic!("expected Error::HostFunction, got {other:?}"),
        }
        let error = plugin
            .call_bytes("run", br#"{"url": "http://example.com/"}"#)
            .unwrap_err();
        match &error {
            Error::HostFunction { message, .. } => {
                assert!(message.contains("not allowed"), "{message}")
            }
            other => panic!("expected Error::HostFunction, got {other:?}"),
        }
    }

    #[test]
    fn a_module_url_names_the_feature() {
        let error = Plugin::new(
            Manifest::new([Wasm::url("http://127.0.0.1:1/x.wasm")]),
            [],
            false,
        )
        .unwrap_err();
        match &error {
            Error::WasmSource { cause, source, .. } => {
                assert!(cause.contains("`http` feature"), "{cause}");
                assert!(source.is_none());
            }
            other => panic!("expected Error::WasmSource, got {other:?}"),
        }
    }
}
