//! `url` wasm entries: the module is downloaded from a local server when the
//! plug-in is created, with the manifest's method and headers, and checked
//! against its hash.

use crate::support;

use std::collections::BTreeMap;

use extism_host::{Error, Manifest, Plugin, PluginBuilder, Wasm, WasmMeta, WasmRequest};
use serde_json::Value;
use sha2::Digest;
use support::{plugin_path, Reply, Server};

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn count_vowels_bytes() -> Vec<u8> {
    std::fs::read(plugin_path("count_vowels.rust.wasm")).unwrap()
}

/// Serves `count_vowels.rust.wasm` at `/count_vowels.wasm`, 404 elsewhere.
fn module_server() -> Server {
    let wasm = count_vowels_bytes();
    Server::start(move |req| match req.path.as_str() {
        "/count_vowels.wasm" => {
            Reply::ok(wasm.clone()).with_header("content-type", "application/wasm")
        }
        _ => Reply::new(404, "not found"),
    })
}

/// Three calls give totals 3, 6, 9 (the var `total` accumulates).
fn assert_counts(plugin: &mut Plugin) {
    for total in [3, 6, 9] {
        let out = plugin.call_bytes("count_vowels", b"Hello, World!").unwrap();
        let json: Value = serde_json::from_slice(out).unwrap();
        assert_eq!(json["count"], 3, "{json}");
        assert_eq!(json["total"], total, "{json}");
    }
}

#[test]
fn module_from_url_with_the_right_hash() {
    let server = module_server();
    let hash = sha256_hex(&count_vowels_bytes());
    // No allowed_hosts: they restrict the plug-in, not the host's own manifest.
    let manifest = Manifest::new([Wasm::url(server.url("/count_vowels.wasm")).with_hash(hash)]);
    let mut plugin = Plugin::new(manifest, [], false).unwrap();
    assert_counts(&mut plugin);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "downloaded once");
    assert_eq!(requests[0].method, "GET");
}

#[test]
fn module_from_url_without_a_hash() {
    let server = module_server();
    let manifest = Manifest::new([Wasm::url(server.url("/count_vowels.wasm"))]);
    let mut plugin = Plugin::new(manifest, [], false).unwrap();
    assert_counts(&mut plugin);
}

#[test]
fn wrong_hash_is_refused() {
    let server = module_server();
    let wrong = sha256_hex(b"something else");
    let manifest =
        Manifest::new([Wasm::url(server.url("/count_vowels.wasm")).with_hash(wrong.clone())]);
    match Plugin::new(manifest, [], false).map(|_| ()) {
        Err(Error::HashMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected, wrong);
            assert_eq!(found, sha256_hex(&count_vowels_bytes()));
        }
        other => panic!("expected Error::HashMismatch, got {other:?}"),
    }
    // Upper-case hex of the right hash is not the right hash.
    let upper = sha256_hex(&count_vowels_bytes()).to_uppercase();
    let manifest = Manifest::new([Wasm::url(server.url("/count_vowels.wasm")).with_hash(upper)]);
    let err = Plugin::new(manifest, [], false).map(|_| ());
    assert!(matches!(err, Err(Error::HashMismatch { .. })), "{err:?}");
}

#[test]
fn not_found_is_a_source_error() {
    let server = module_server();
    let url = server.url("/missing.wasm");
    let manifest = Manifest::new([Wasm::url(url.clone())]);
    match Plugin::new(manifest, [], false).map(|_| ()) {
        Err(Error::WasmSource {
            source_name, cause, ..
        }) => {
            assert!(source_name.contains(&url), "{source_name}");
            assert!(cause.contains("404"), "{cause}");
        }
        other => panic!("expected Error::WasmSource, got {other:?}"),
    }
    assert_eq!(server.paths(), ["/missing.wasm"]);
}

#[test]
fn unreachable_server_is_a_source_error() {
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let manifest = Manifest::new([Wasm::url(format!("http://127.0.0.1:{port}/x.wasm"))]);
    let err = Plugin::new(manifest, [], false).map(|_| ());
    assert!(matches!(err, Err(Error::WasmSource { .. })), "{err:?}");
}

#[test]
fn method_and_headers_are_sent() {
    let server = module_server();
    let headers = BTreeMap::from([
        ("authorization".to_string(), "Bearer test-token".to_string()),
        ("x-custom".to_string(), "custom value".to_string()),
    ]);
    let wasm = Wasm::Url {
        request: WasmRequest {
            url: server.url("/count_vowels.wasm"),
            method: Some("POST".to_string()),
            headers,
        },
        meta: WasmMeta {
            name: None,
            hash: Some(sha256_hex(&count_vowels_bytes())),
        },
    };
    let mut plugin = PluginBuilder::new(Manifest::new([wasm])).build().unwrap();
    assert_counts(&mut plugin);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer test-token")
    );
    assert_eq!(requests[0].header("x-custom"), Some("custom value"));
}

#[test]
fn url_entry_from_json_manifest() {
    let server = module_server();
    let json = serde_json::json!({
        "wasm": [{
            "url": server.url("/count_vowels.wasm"),
            "method": "PUT",
            "headers": {"x-from-json": "1"},
            "hash": sha256_hex(&count_vowels_bytes()),
        }],
    })
    .to_string();
    let mut plugin = Plugin::new(Manifest::from_json(&json).unwrap(), [], false).unwrap();
    assert_counts(&mut plugin);
    let requests = server.requests();
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].header("x-from-json"), Some("1"));
}
