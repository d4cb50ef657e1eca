//! The plug-in HTTP client (`extism:host/env::http_request`) against a real
//! local server: allowed hosts, redirects re-checked on every hop, the
//! response size cap, non-2xx statuses, timeouts and response headers.

use crate::support;

use std::time::{Duration, Instant};

use extism_host::{Error, Manifest, Plugin, PluginBuilder, Wasm};
use serde_json::Value;
use support::{kitchen, Reply, Server};

const HTTP_REQUEST: &str = "extism:host/env::http_request";
/// A bound no correct run comes near; only a hang reaches it.
const SANITY: Duration = Duration::from_secs(5);

fn plugin(manifest: Manifest) -> Plugin {
    Plugin::new(manifest, [], false).expect("plug-in builds")
}

/// `http_get(url)` → `(status, body)`.
fn http_get(plugin: &mut Plugin, url: &str) -> Result<(u64, String), Error> {
    let out = plugin.call_bytes("http_get", url.as_bytes())?;
    let json: Value = serde_json::from_slice(out).expect("http_get outputs JSON");
    Ok((
        json["status"].as_u64().expect("status"),
        json["body"].as_str().expect("body").to_string(),
    ))
}

/// The message of an `http_request` failure.
fn http_error(result: Result<(u64, String), Error>) -> String {
    match result {
        Err(Error::HostFunction {
            host_function,
            message,
            function,
            ..
        }) => {
            assert_eq!(host_function, HTTP_REQUEST);
            assert_eq!(function, "http_get");
            message
        }
        other => panic!("expected Error::HostFunction from http_request, got {other:?}"),
    }
}

/// A server with a few routes used by most tests.
fn server() -> Server {
    Server::start(|req| match req.path.as_str() {
        "/hello" => Reply::ok("hello from the test server"),
        "/missing" => Reply::new(404, "nothing here"),
        "/big" => Reply::ok(vec![b'x'; 5000]),
        "/slow" => Reply::ok("late").with_delay(Duration::from_secs(3)),
        "/slowish" => Reply::ok("late").with_delay(Duration::from_millis(800)),
        "/hop" => Reply::redirect("/hello"),
        "/hop-absolute" => Reply::redirect(format!(
            "http://127.0.0.1:{}/hello",
            req.header("host")
                .and_then(|h| h.rsplit(':').next())
                .unwrap_or("0")
        )),
        "/hop-hop" => Reply::new(307, "").with_header("location", "/hop"),
        "/loop" => Reply::redirect("/loop"),
        _ => Reply::new(500, format!("unexpected path {}", req.path)),
    })
}

/// Checks that a plug-in that just failed still works.
fn assert_usable(plugin: &mut Plugin, server: &Server) {
    let (status, body) = http_get(plugin, &server.url("/hello")).expect("the next call works");
    assert_eq!((status, body.as_str()), (200, "hello from the test server"));
}

#[test]
fn allowed_host_gets_status_and_body() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    assert_usable(&mut plugin, &server);
    assert_eq!(plugin.last_call().unwrap().http_requests, 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/hello");
}

#[test]
fn no_allowed_hosts_refuses_every_request() {
    let server = server();
    let mut plugin = plugin(kitchen());
    let message = http_error(http_get(&mut plugin, &server.url("/hello")));
    assert!(message.contains("not allowed"), "{message}");
    // Refused before anything was sent.
    assert_eq!(plugin.last_call().unwrap().http_requests, 0);
    // An empty list is no host either.
    let mut manifest = kitchen();
    manifest.allowed_hosts = Some(Vec::new());
    let mut plugin = self::plugin(manifest);
    let message = http_error(http_get(&mut plugin, &server.url("/hello")));
    assert!(message.contains("not allowed"), "{message}");
    assert!(server.requests().is_empty(), "nothing reached the server");
}

#[test]
fn other_host_is_refused_and_the_plugin_stays_usable() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    let url = format!("http://localhost:{}/hello", server.port());
    let message = http_error(http_get(&mut plugin, &url));
    assert!(message.contains("not allowed"), "{message}");
    assert!(server.requests().is_empty());
    assert_usable(&mut plugin, &server);
}

#[test]
fn glob_star_allows_any_host() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("*"));
    assert_usable(&mut plugin, &server);
    // `127.0.0.*` too.
    let mut plugin = self::plugin(kitchen().with_allowed_host("127.0.0.*"));
    assert_usable(&mut plugin, &server);
    // A glob that does not match.
    let mut plugin = self::plugin(kitchen().with_allowed_host("*.example.com"));
    let message = http_error(http_get(&mut plugin, &server.url("/hello")));
    assert!(message.contains("not allowed"), "{message}");
}

#[test]
fn redirect_to_a_denied_host_is_refused() {
    let allowed = server();
    let denied = Server::start(|_| Reply::ok("secret"));
    let target = format!("http://localhost:{}/secret", denied.port());
    let redirector = Server::start(move |_| Reply::redirect(target.clone()));
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    let message = http_error(http_get(&mut plugin, &redirector.url("/start")));
    assert!(message.contains("not allowed"), "{message}");
    assert!(
        message.contains("localhost"),
        "names the denied URL: {message}"
    );
    assert_eq!(redirector.paths(), ["/start"]);
    assert!(
        denied.requests().is_empty(),
        "the denied host was requested"
    );
    assert_usable(&mut plugin, &allowed);
}

#[test]
fn redirect_within_the_allowed_host_is_followed() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    for start in ["/hop", "/hop-absolute", "/hop-hop"] {
        let (status, body) = http_get(&mut plugin, &server.url(start)).unwrap();
        assert_eq!(
            (status, body.as_str()),
            (200, "hello from the test server"),
            "{start}"
        );
    }
    assert_eq!(
        server.paths(),
        [
            "/hop",
            "/hello",
            "/hop-absolute",
            "/hello",
            "/hop-hop",
            "/hop",
            "/hello"
        ]
    );
}

#[test]
fn endless_redirects_fail() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    let message = http_error(http_get(&mut plugin, &server.url("/loop")));
    assert!(message.contains("redirect"), "{message}");
    let hops = server.paths().len();
    assert!((2..=20).contains(&hops), "{hops} requests");
    assert_usable(&mut plugin, &server);
}

#[test]
fn response_over_the_size_limit_fails() {
    let server = server();
    let mut plugin = plugin(
        kitchen()
            .with_allowed_host("127.0.0.1")
            .with_max_http_response_bytes(1000),
    );
    let message = http_error(http_get(&mut plugin, &server.url("/big")));
    assert!(message.contains("1000"), "names the limit: {message}");
    assert!(message.contains("maximum number of bytes"), "{message}");
    assert_usable(&mut plugin, &server);
    // Exactly at the limit is fine.
    let mut plugin = self::plugin(
        kitchen()
            .with_allowed_host("127.0.0.1")
            .with_max_http_response_bytes(5000),
    );
    let (status, body) = http_get(&mut plugin, &server.url("/big")).unwrap();
    assert_eq!((status, body.len()), (200, 5000));
}

#[test]
fn non_2xx_status_is_not_an_error() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    let (status, body) = http_get(&mut plugin, &server.url("/missing")).unwrap();
    assert_eq!((status, body.as_str()), (404, "nothing here"));
    let (status, body) = http_get(&mut plugin, &server.url("/nope")).unwrap();
    assert_eq!((status, body.as_str()), (500, "unexpected path /nope"));
}

#[test]
fn slow_server_fails_the_call_at_its_timeout() {
    let server = server();
    let timeout = Duration::from_millis(500);
    let mut plugin = plugin(
        kitchen()
            .with_allowed_host("127.0.0.1")
            .with_timeout(timeout),
    );
    let start = Instant::now();
    let result = http_get(&mut plugin, &server.url("/slow"));
    let elapsed = start.elapsed();
    match &result {
        Err(Error::Timeout { .. }) => {}
        Err(Error::HostFunction {
            host_function,
            message,
            ..
        }) if host_function == HTTP_REQUEST => {
            assert!(message.contains("/slow"), "{message}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "the call hung for {elapsed:?}"
    );
    assert_eq!(server.paths(), ["/slow"]);
    assert_usable(&mut plugin, &server);
}

#[test]
fn http_timeout_applies_without_a_call_timeout() {
    let server = server();
    let mut plugin = PluginBuilder::new(kitchen().with_allowed_host("127.0.0.1"))
        .with_http_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let start = Instant::now();
    let message = http_error(http_get(&mut plugin, &server.url("/slow")));
    let elapsed = start.elapsed();
    assert!(message.contains("/slow"), "{message}");
    assert!(elapsed < SANITY, "the call hung for {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert_usable(&mut plugin, &server);
}

#[test]
fn cancel_during_a_request_stops_the_call_when_it_returns() {
    let server = server();
    let mut plugin = plugin(kitchen().with_allowed_host("127.0.0.1"));
    let handle = plugin.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        handle.cancel()
    });
    let start = Instant::now();
    let result = http_get(&mut plugin, &server.url("/slowish"));
    let elapsed = start.elapsed();
    assert!(canceller.join().unwrap(), "the call was running");
    assert!(matches!(result, Err(Error::Cancelled { .. })), "{result:?}");
    assert!(elapsed < SANITY, "{elapsed:?}");
    assert_eq!(server.paths(), ["/slowish"]);
    assert_usable(&mut plugin, &server);
}

// ---------------------------------------------------------------- response headers

/// Input: the request JSON. Copies it into a new block with `alloc` and
/// `store_u8`, sends it with `http_request`, and outputs the `http_headers`
/// block (nothing when it is 0).
const HEADERS_WAT: &str = concat!(
    "(module",
    kernel_imports!(),
    r#"
  (memory (export "memory") 1)
  (func (export "headers") (result i32)
    (local $n i64) (local $req i64) (local $i i64) (local $h i64)
    (local.set $n (call $input_length))
    (local.set $req (call $alloc (local.get $n)))
    (block $done
      (loop $copy
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8
          (i64.add (local.get $req) (local.get $i))
          (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $copy)))
    (drop (call $http_request (local.get $req) (i64.const 0)))
    (if (i32.ne (call $http_status_code) (i32.const 200))
      (then (return (i32.const 2))))
    (local.set $h (call $http_headers))
    (if (i64.ne (local.get $h) (i64.const 0))
      (then (call $output_set (local.get $h) (call $length (local.get $h)))))
    (i32.const 0)))
"#
);

fn headers_plugin(enabled: bool) -> Plugin {
    // WAT text is accepted wherever wasm bytes are.
    let manifest = Manifest::new([Wasm::data(HEADERS_WAT)]).with_allowed_host("127.0.0.1");
    PluginBuilder::new(manifest)
        .with_http_response_headers(enabled)
        .build()
        .expect("the WAT plug-in builds")
}

#[test]
fn response_headers_only_when_enabled() {
    let server = Server::start(|req| {
        Reply::ok("body")
            .with_header("X-Test-Header", "test value")
            .with_header("x-echo-method", req.method.clone())
    });
    let request = serde_json::json!({
        "url": server.url("/headers"),
        "method": "post",
        "headers": {"x-from-plugin": "yes"},
    })
    .to_string();

    let mut on = headers_plugin(true);
    let out = on.call_bytes("headers", request.as_bytes()).unwrap();
    let headers: Value = serde_json::from_slice(out).expect("headers are a JSON object");
    assert_eq!(headers["x-test-header"], "test value", "{headers}");
    assert_eq!(headers["x-echo-method"], "POST", "{headers}");
    assert_eq!(headers["content-length"], "4", "{headers}");
    assert!(
        headers
            .as_object()
            .unwrap()
            .keys()
            .all(|k| *k == k.to_ascii_lowercase()),
        "names are lower-case: {headers}"
    );

    let mut off = headers_plugin(false);
    let out = off.call_bytes("headers", request.as_bytes()).unwrap();
    assert!(
        out.is_empty(),
        "headers disabled: {:?}",
        String::from_utf8_lossy(out)
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.method == "POST"));
    assert!(requests
        .iter()
        .all(|r| r.header("x-from-plugin") == Some("yes")));
}
