//! WASI file system: only the manifest's `allowed_paths` are visible, `ro:`
//! mounts are read-only, and nothing escapes a mount.

use crate::support;

use std::path::Path;

use extism_host::{Error, Manifest, Plugin, PluginBuilder};
use serde_json::json;
use support::plugin_wasm;

fn fs_manifest() -> Manifest {
    Manifest::new([plugin_wasm("fs.rust-wasi.wasm")])
}

fn fs_plugin(manifest: Manifest) -> Plugin {
    PluginBuilder::new(manifest)
        .with_wasi(true)
        .build()
        .expect("the fs plug-in builds")
}

fn host_dir(dir: &Path) -> String {
    dir.to_str().expect("UTF-8 temp path").to_string()
}

fn write(plugin: &mut Plugin, path: &str, content: &str) -> Result<String, Error> {
    let input = json!({"path": path, "content": content}).to_string();
    let out = plugin.call_bytes("write_file", input.as_bytes())?;
    Ok(String::from_utf8(out.to_vec()).unwrap())
}

fn read(plugin: &mut Plugin, path: &str) -> Result<Vec<u8>, Error> {
    plugin
        .call_bytes("read_file", path.as_bytes())
        .map(<[u8]>::to_vec)
}

fn list(plugin: &mut Plugin, path: &str) -> Result<Vec<String>, Error> {
    let out = plugin.call_bytes("list_dir", path.as_bytes())?;
    Ok(serde_json::from_slice(out).expect("list_dir outputs a JSON array"))
}

/// The message of the error the plug-in itself reported.
fn plugin_error<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Plugin { message, .. }) => message,
        other => panic!("expected Error::Plugin, got {other:?}"),
    }
}

#[test]
fn write_then_read_in_an_allowed_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut plugin = fs_plugin(fs_manifest().with_allowed_path(host_dir(dir.path()), "/data"));
    assert_eq!(
        write(&mut plugin, "/data/hello.txt", "hi there").unwrap(),
        "8"
    );
    assert_eq!(
        std::fs::read(dir.path().join("hello.txt")).unwrap(),
        b"hi there"
    );
    assert_eq!(read(&mut plugin, "/data/hello.txt").unwrap(), b"hi there");

    // Files the host puts there are visible too.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/from-host.txt"), "host").unwrap();
    assert_eq!(
        read(&mut plugin, "/data/sub/from-host.txt").unwrap(),
        b"host"
    );
    assert_eq!(list(&mut plugin, "/data").unwrap(), ["hello.txt", "sub"]);
    assert_eq!(list(&mut plugin, "/data/sub").unwrap(), ["from-host.txt"]);

    // A missing file is the plug-in's error, and the plug-in goes on.
    let message = plugin_error(read(&mut plugin, "/data/absent.txt"));
    assert!(message.contains("/data/absent.txt"), "{message}");
    assert_eq!(read(&mut plugin, "/data/hello.txt").unwrap(), b"hi there");
}

#[test]
fn read_only_mount_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("existing.txt"), "original").unwrap();
    let mut plugin =
        fs_plugin(fs_manifest().with_allowed_path(format!("ro:{}", host_dir(dir.path())), "/data"));
    let message = plugin_error(write(&mut plugin, "/data/new.txt", "x"));
    assert!(message.contains("write /data/new.txt"), "{message}");
    assert!(!dir.path().join("new.txt").exists());
    let message = plugin_error(write(&mut plugin, "/data/existing.txt", "changed"));
    assert!(message.contains("write /data/existing.txt"), "{message}");
    assert_eq!(
        std::fs::read(dir.path().join("existing.txt")).unwrap(),
        b"original"
    );
    assert_eq!(
        read(&mut plugin, "/data/existing.txt").unwrap(),
        b"original"
    );
    assert_eq!(list(&mut plugin, "/data").unwrap(), ["existing.txt"]);
}

#[test]
fn read_only_and_writable_mounts_side_by_side() {
    let ro = tempfile::tempdir().unwrap();
    let rw = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("in.txt"), "input").unwrap();
    let mut plugin = fs_plugin(
        fs_manifest()
            .with_allowed_path(format!("ro:{}", host_dir(ro.path())), "/in")
            .with_allowed_path(host_dir(rw.path()), "/out"),
    );
    let input = read(&mut plugin, "/in/in.txt").unwrap();
    assert_eq!(input, b"input");
    assert_eq!(write(&mut plugin, "/out/out.txt", "output").unwrap(), "6");
    assert_eq!(std::fs::read(rw.path().join("out.txt")).unwrap(), b"output");
    plugin_error(write(&mut plugin, "/in/out.txt", "output"));
}

#[test]
fn paths_cannot_escape_a_mount() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("mounted");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(outer.path().join("outside.txt"), "secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outer.path(), dir.join("up")).unwrap();
    let mut plugin = fs_plugin(fs_manifest().with_allowed_path(host_dir(&dir), "/data"));

    for path in [
        "/data/../etc/passwd",
        "/data/../outside.txt",
        "/data/../../outside.txt",
        "/etc/passwd",
        "/outside.txt",
        "outside.txt",
    ] {
        plugin_error(read(&mut plugin, path));
    }
    #[cfg(unix)]
    plugin_error(read(&mut plugin, "/data/up/outside.txt"));
    plugin_error(list(&mut plugin, "/data/.."));
    plugin_error(list(&mut plugin, "/tmp"));
    plugin_error(write(&mut plugin, "/data/../escaped.txt", "x"));
    assert!(!outer.path().join("escaped.txt").exists());
    // The mount itself still works.
    assert_eq!(write(&mut plugin, "/data/ok.txt", "ok").unwrap(), "2");
}

#[test]
fn without_allowed_paths_nothing_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.txt"), "data").unwrap();
    let mut plugin = fs_plugin(fs_manifest());
    let host_file = dir.path().join("file.txt");
    plugin_error(read(&mut plugin, host_file.to_str().unwrap()));
    plugin_error(read(&mut plugin, "/etc/passwd"));
    plugin_error(list(&mut plugin, "/"));
    plugin_error(list(&mut plugin, "."));
    plugin_error(write(&mut plugin, "/data/x.txt", "x"));
}

#[test]
fn allowed_path_must_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let err = PluginBuilder::new(fs_manifest().with_allowed_path(host_dir(&file), "/data"))
        .with_wasi(true)
        .build()
        .map(|_| ());
    assert!(matches!(err, Err(Error::Manifest(_))), "{err:?}");
    let err = PluginBuilder::new(
        fs_manifest().with_allowed_path(host_dir(&dir.path().join("missing")), "/data"),
    )
    .with_wasi(true)
    .build()
    .map(|_| ());
    assert!(matches!(err, Err(Error::Manifest(_))), "{err:?}");
}

const PRINTED: &str = "hello from the fs plug-in's stdout";
const CHILD_ENV: &str = "EXTISM_RS_TEST_PRINT_CHILD";

/// Runs `print_stdout` in a child process (this test binary, running only
/// `print_stdout_child`) and returns what the child wrote to its stdout.
fn child_stdout(inherit: bool) -> String {
    let mode = if inherit { "inherit" } else { "default" };
    let stdout = support::run_alone(
        "filesystem::print_stdout_child",
        &[(CHILD_ENV, Some(mode)), ("EXTISM_ENABLE_WASI_OUTPUT", None)],
    );
    assert!(stdout.contains("child printed"), "the child ran: {stdout}");
    stdout
}

/// Does its work only when started by [`child_stdout`].
#[test]
fn print_stdout_child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut plugin = PluginBuilder::new(fs_manifest())
        .with_wasi(true)
        .with_wasi_stdio(mode == "inherit")
        .build()
        .unwrap();
    assert_eq!(plugin.call_bytes("print_stdout", b"").unwrap(), b"printed");
    println!("child printed");
}

#[test]
fn print_stdout_is_discarded_by_default() {
    let stdout = child_stdout(false);
    assert!(!stdout.contains(PRINTED), "{stdout}");
}

#[test]
fn print_stdout_reaches_the_host_with_wasi_stdio() {
    let stdout = child_stdout(true);
    assert!(stdout.contains(PRINTED), "{stdout}");
}

#[test]
fn wasi_plugin_without_wasi_does_not_link() {
    let err = PluginBuilder::new(fs_manifest()).build().map(|_| ());
    assert!(matches!(err, Err(Error::Link { .. })), "{err:?}");
}
