//! Runs the `extism-rs` binary against the committed test plug-ins.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn plugin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/wasm")
        .join(name)
}

fn plugin_arg(name: &str) -> String {
    plugin(name).to_str().expect("UTF-8 path").to_string()
}

/// Runs the binary with `args` and no stdin.
fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_extism-rs"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(bytes)
            .expect("write stdin");
    }
    child.wait_with_output().expect("the binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

#[test]
fn call_prints_the_output_unchanged() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = success(&run(&[
        "call",
        &cv,
        "count_vowels",
        "--input",
        "Hello, World!",
    ]));
    assert_eq!(out, r#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#);
}

#[test]
fn loop_reuses_the_instance_so_vars_accumulate() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = success(&run(&[
        "call",
        &cv,
        "count_vowels",
        "-i",
        "Hello, World!",
        "--loop",
        "3",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#,
            r#"{"count":3,"total":6,"vowels":"aeiouAEIOU"}"#,
            r#"{"count":3,"total":9,"vowels":"aeiouAEIOU"}"#,
        ]
    );
    assert!(
        out.ends_with('\n'),
        "a newline follows each output: {out:?}"
    );
}

#[test]
fn config_flag_sets_the_vowels() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = success(&run(&[
        "call",
        &cv,
        "count_vowels",
        "--input",
        "Yellow, World!",
        "--config",
        "vowels=aeiouyAEIOUY",
    ]));
    assert!(out.contains(r#""count":4"#), "{out}");
    assert!(out.contains(r#""vowels":"aeiouyAEIOUY""#), "{out}");

    // --set-config JSON, with --config winning over it.
    let out = success(&run(&[
        "call",
        &cv,
        "count_vowels",
        "--input",
        "Yellow, World!",
        "--set-config",
        r#"{"vowels": "o"}"#,
        "--config",
        "vowels=aeiouyAEIOUY",
    ]));
    assert!(out.contains(r#""count":4"#), "{out}");
}

#[test]
fn stdin_input() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = run_with_stdin(
        &["call", &cv, "count_vowels", "--stdin"],
        Some(b"aaaa eeee"),
    );
    assert!(success(&out).contains(r#""count":8"#));
}

#[test]
fn plugin_error_exits_non_zero_with_its_message() {
    let kitchen = plugin_arg("kitchen.rust.wasm");
    let out = run(&["call", &kitchen, "fail_err"]);
    assert_eq!(out.status.code(), Some(1), "rc -1 maps to 1");
    let err = stderr(&out);
    assert!(err.contains("something went wrong"), "{err}");
    assert!(err.contains("fail_err"), "names the function: {err}");
    assert!(
        err.contains("kitchen.rust.wasm"),
        "names the plug-in: {err}"
    );
    assert!(stdout(&out).is_empty());

    // The plug-in's own return code becomes the exit status.
    let out = run(&["call", &kitchen, "fail_code"]);
    assert_eq!(out.status.code(), Some(42));
    assert!(stderr(&out).contains("custom failure code"));

    // A trap: the reference's code 134.
    let out = run(&["call", &kitchen, "trap_unreachable"]);
    assert_eq!(out.status.code(), Some(134));
    assert!(stderr(&out).contains("trapped"), "{}", stderr(&out));
}

#[test]
fn missing_function_errors_clearly() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = run(&["call", &cv, "count_consonants", "-i", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("function `count_consonants` not found"),
        "{err}"
    );
    assert!(
        err.contains("the plug-in's functions: count_vowels"),
        "{err}"
    );
}

#[test]
fn missing_file_and_bad_arguments() {
    let out = run(&["call", "/nonexistent/plugin.wasm", "f"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/plugin.wasm"),
        "{}",
        stderr(&out)
    );

    let cv = plugin_arg("count_vowels.rust.wasm");
    for args in [
        &["call", &cv][..],                                            // no function
        &["call", &cv, "count_vowels", "--loop", "0"],                 // loop >= 1
        &["call", &cv, "count_vowels", "--loop", "many"],              // loop number
        &["call", &cv, "count_vowels", "--input", "a", "--stdin"],     // exclusive
        &["call", &cv, "count_vowels", "--set-config", "not json"],    // JSON
        &["call", &cv, "count_vowels", "--log-level", "chatty"],       // level
        &["call", &cv, "count_vowels", "--timeout", "soon"],           // number
        &["bench", &cv, "count_vowels", "-n", "5", "--duration", "1"], // exclusive
        &["frobnicate"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn manifest_file() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.json");
    let json = serde_json::json!({
        "wasm": [{ "path": plugin("count_vowels.rust.wasm") }],
        "config": { "vowels": "o" },
    });
    std::fs::write(&manifest, json.to_string()).unwrap();
    let manifest = manifest.to_str().unwrap();

    let out = success(&run(&[
        "call",
        "--manifest",
        manifest,
        "count_vowels",
        "-i",
        "Hello, World!",
    ]));
    assert!(out.contains(r#""count":2"#), "{out}");
    assert!(out.contains(r#""vowels":"o""#), "{out}");

    // Flags are applied on top of the manifest.
    let out = success(&run(&[
        "call",
        "-m",
        manifest,
        "count_vowels",
        "-i",
        "Hello, World!",
        "--config",
        "vowels=l",
    ]));
    assert!(out.contains(r#""count":3"#), "{out}");

    // Without --manifest a JSON manifest is recognised by its content.
    let unnamed = dir.path().join("plugin-description");
    std::fs::write(&unnamed, json.to_string()).unwrap();
    let out = success(&run(&[
        "call",
        unnamed.to_str().unwrap(),
        "count_vowels",
        "-i",
        "Hello, World!",
    ]));
    assert!(out.contains(r#""count":2"#), "{out}");
}

#[test]
fn toml_manifests_and_info_of_a_manifest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_extism-rs"))
        .current_dir(&root)
        .args([
            "call",
            "plugins/manifests/count_vowels.toml",
            "count_vowels",
            "-i",
            "yes",
        ])
        .output()
        .unwrap();
    // `y` counts: the manifest's config says so.
    assert!(
        success(&out).starts_with(r#"{"count":2,"#),
        "{}",
        stdout(&out)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_extism-rs"))
        .current_dir(&root)
        .args(["info", "plugins/manifests/count_vowels.json"])
        .output()
        .unwrap();
    let text = success(&out);
    assert!(
        text.starts_with("count_vowels.json: manifest of 1 module, "),
        "{text}"
    );
    assert!(text.contains("Functions: count_vowels"), "{text}");
}

#[test]
fn messages_speak_in_cli_terms() {
    let dir = tempfile::tempdir().unwrap();
    // Random bytes are not a module, whatever a WAT parser makes of them.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, [0xff, 0xfe, 0x00, 0x13, 0x80, 0x81]).unwrap();
    for command in ["call", "info"] {
        let out =
            run(&[command, junk.to_str().unwrap(), "f"][..if command == "call" { 3 } else { 2 }]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = stderr(&out);
        assert!(err.contains("not a wasm module"), "{command}: {err}");
        assert!(!err.contains("utf-8"), "{command}: {err}");
    }

    // A WASI module without --wasi: the advice is the flag.
    let out = run(&["call", &plugin_arg("fs.rust-wasi.wasm"), "write_file"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("call with --wasi"), "{err}");
    assert!(!err.contains("PluginBuilder"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    // A missing module file: the OS's reason follows ours.
    let out = run(&["call", "/nonexistent/plugin.wasm", "f"]);
    let err = stderr(&out);
    assert!(
        err.trim_end()
            .ends_with("cannot open it: No such file or directory (os error 2)"),
        "{err}"
    );

    // `--loop 0` says what N is.
    let out = run(&[
        "call",
        &plugin_arg("count_vowels.rust.wasm"),
        "count_vowels",
        "--loop",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("N must be 1 or more"), "{err}");
}

#[test]
fn var_max_zero_disables_vars() {
    let cv = plugin_arg("count_vowels.rust.wasm");
    let out = run(&["call", &cv, "count_vowels", "-i", "a", "--var-max", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("count_vowels"), "{}", stderr(&out));
}

#[test]
fn timeout_stops_an_infinite_loop() {
    let kitchen = plugin_arg("kitchen.rust.wasm");
    let out = run(&["call", &kitchen, "infinite_loop", "--timeout", "100"]);
    assert_eq!(out.status.code(), Some(134));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
}

#[test]
fn log_level_sends_plugin_logs_to_stderr() {
    let kitchen = plugin_arg("kitchen.rust.wasm");
    let out = run(&["call", &kitchen, "log_all", "--log-level", "info"]);
    success(&out);
    let err = stderr(&out);
    assert!(err.contains("[info]"), "{err}");
    assert!(err.contains("[error] kitchen error message"), "{err}");
    assert!(!err.contains("[debug]"), "{err}");

    // The default level is error.
    let out = run(&["call", &kitchen, "log_all"]);
    success(&out);
    let err = stderr(&out);
    assert!(err.contains("[error] kitchen error message"), "{err}");
    assert!(!err.contains("[info]"), "{err}");
}

#[test]
fn wasi_allowed_path_write_then_read() {
    let dir = tempfile::tempdir().unwrap();
    let fs = plugin_arg("fs.rust-wasi.wasm");
    let mount = format!("{}:/data", dir.path().display());
    let request = r#"{"path": "/data/x.txt", "content": "written by the plug-in"}"#;

    let out = success(&run(&[
        "call",
        &fs,
        "write_file",
        "--wasi",
        "--allow-path",
        &mount,
        "--input",
        request,
    ]));
    assert_eq!(out, "22");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("x.txt")).unwrap(),
        "written by the plug-in"
    );

    let out = success(&run(&[
        "call",
        &fs,
        "read_file",
        "--wasi",
        "--allow-path",
        &mount,
        "--input",
        "/data/x.txt",
    ]));
    assert_eq!(out, "written by the plug-in");

    // Read-only mount: reading works, writing fails.
    let ro = format!("ro:{}:/data", dir.path().display());
    let out = success(&run(&[
        "call",
        &fs,
        "read_file",
        "--wasi",
        "--allow-path",
        &ro,
        "-i",
        "/data/x.txt",
    ]));
    assert_eq!(out, "written by the plug-in");
    let out = run(&[
        "call",
        &fs,
        "write_file",
        "--wasi",
        "--allow-path",
        &ro,
        "-i",
        request,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("write /data/x.txt"),
        "{}",
        stderr(&out)
    );

    // Without --wasi the plug-in does not load.
    let out = run(&["call", &fs, "read_file", "-i", "/data/x.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("WASI"), "{}", stderr(&out));
}

#[test]
fn info_lists_exports_and_provided_imports() {
    let out = run(&["info", &plugin_arg("count_vowels.rust.wasm")]);
    let text = success(&out);
    let export = text
        .lines()
        .find(|l| l.trim_start().starts_with("count_vowels "))
        .unwrap_or_else(|| panic!("no count_vowels export line:\n{text}"));
    assert!(export.contains("(func () -> (i32))"), "{export}");
    assert!(export.contains("plug-in function"), "{export}");
    assert!(
        text.lines()
            .any(|l| l.contains("extism:host/env::") && l.contains("provided by kernel")),
        "{text}"
    );
    assert!(!text.contains("NOT provided"), "{text}");
    assert!(text.contains("Functions: count_vowels"), "{text}");
}

#[test]
fn info_flags_a_missing_host_function() {
    let out = run(&["info", &plugin_arg("count_vowels_kvstore.rust.wasm")]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for name in ["kv_read", "kv_write"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("extism:host/user::{name}")))
            .unwrap_or_else(|| panic!("no {name} line:\n{text}"));
        assert!(
            line.contains("NOT provided: register a host function"),
            "{line}"
        );
    }
    assert!(text.contains("2 of "), "{text}");
    assert!(
        text.contains("count_vowels"),
        "exports are still listed: {text}"
    );
}

#[test]
fn info_reports_wasi_imports() {
    let text = success(&run(&["info", &plugin_arg("fs.rust-wasi.wasm")]));
    assert!(
        text.lines()
            .any(|l| l.contains("wasi_snapshot_preview1::") && l.contains("provided by WASI")),
        "{text}"
    );
    assert!(text.contains("needs --wasi"), "{text}");
}

#[test]
fn bench_prints_percentiles() {
    let out = run(&[
        "bench",
        &plugin_arg("count_vowels.rust.wasm"),
        "count_vowels",
        "--input",
        "Hello, World!",
        "-n",
        "50",
    ]);
    let text = success(&out);
    assert!(text.contains("50 calls"), "{text}");
    for label in ["p50", "p90", "p99", "max", "mean", "calls/s"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(label)),
            "no {label}:\n{text}"
        );
    }

    // A failing call stops the benchmark with the plug-in's error.
    let out = run(&[
        "bench",
        &plugin_arg("kitchen.rust.wasm"),
        "fail_code",
        "-n",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(42));
    assert!(stderr(&out).contains("custom failure code"));
}

#[test]
fn call_trace_stdout_prints_figures_and_the_function_tree() {
    let wasm = plugin_arg("wat/observe_nested.wasm");
    let out = run(&["call", &wasm, "_start", "--wasi", "--trace", "stdout"]);
    success(&out);
    let text = stderr(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("call _start: ok in "), "{text}");
    assert!(lines[0].contains("0 host calls"), "{text}");
    // Durations vary; the tree's shape does not.
    let shape: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(" took ").next().unwrap_or(l).to_string())
        .collect();
    assert_eq!(
        shape,
        [
            "Call to _start",
            "  Call to outer",
            "    Call to work",
            "      Call to hello::inner",
            "        - Allocated 1 pages of memory in hello::inner",
            "      Call to hello::inner",
            "        - Allocated 1 pages of memory in hello::inner",
        ],
        "{text}"
    );
}

#[test]
fn call_trace_json_prints_one_object_per_call() {
    let out = run(&[
        "call",
        &plugin_arg("count_vowels.rust.wasm"),
        "count_vowels",
        "-i",
        "Hello",
        "--loop",
        "2",
        "--trace",
        "json",
    ]);
    success(&out);
    let text = stderr(&out);
    let objects: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), 2, "{text}");
    let call = &objects[1]["call"];
    assert_eq!(call["function"], "count_vowels");
    assert_eq!(call["input_bytes"], 5);
    assert_eq!(call["outcome"]["status"], "ok");
    // Not instrumented: no trace.
    assert!(objects[1]["trace"].is_null());

    let out = run(&[
        "call",
        &plugin_arg("wat/observe_nested.wasm"),
        "run",
        "--trace",
        "json",
    ]);
    let object: serde_json::Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    assert_eq!(object["trace"]["events"][0]["name"], "run");
    assert_eq!(
        object["trace"]["instrumentation_version"],
        serde_json::json!([0, 4])
    );
}

#[test]
fn bench_reports_per_call_figures() {
    let out = run(&[
        "bench",
        &plugin_arg("count_vowels.rust.wasm"),
        "count_vowels",
        "-i",
        "Hello",
        "-n",
        "20",
        "--fuel",
        "10000000",
    ]);
    let text = success(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("per call: "))
        .unwrap_or_else(|| panic!("no per-call line:\n{text}"));
    assert!(line.contains("0.0 host calls"), "{line}");
    assert!(line.contains("memory peak"), "{line}");
    assert!(line.contains(", fuel "), "{line}");
    assert!(line.contains("0 of 21 calls failed"), "{line}");
}

// ------------------------------------------------------- documented commands

/// One command a README shows, with the output it shows (if any).
struct Documented {
    file: &'static str,
    line: usize,
    args: Vec<String>,
    stdin: Option<String>,
    /// Output lines shown after a `$ extism-rs ...` prompt in a `sh` block:
    /// the output must be exactly these.
    expected: Option<Vec<String>>,
}

/// Splits a shell command line as `sh` would for what the READMEs use:
/// quotes, backslash escapes, a trailing `# comment`, `< file`.
fn shell_words(line: &str) -> (Vec<String>, Option<String>) {
    let (mut words, mut stdin) = (Vec::new(), None);
    let mut chars = line.chars().peekable();
    let mut redirect = false;
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        if first == '<' {
            chars.next();
            redirect = true;
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => word.extend(chars.by_ref().take_while(|&c| c != '\'')),
                '"' => {
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => word.extend(chars.next()),
                            c => word.push(c),
                        }
                    }
                }
                '\\' => word.extend(chars.next()),
                c => word.push(c),
            }
        }
        if std::mem::take(&mut redirect) {
            stdin = Some(word);
        } else {
            words.push(word);
        }
    }
    (words, stdin)
}

/// The `extism-rs` commands of README.md and extism-cli/README.md: `cargo run
/// ... -p extism-cli -- ARGS` lines and `$ extism-rs ARGS` prompts in code
/// blocks (continued over lines ending in `\`).
fn documented_commands() -> Vec<Documented> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut commands = Vec::new();
    for file in ["README.md", "extism-cli/README.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut block: Option<&str> = None;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if let Some(fence) = line.trim_start().strip_prefix("```") {
                block = if block.is_some() {
                    None
                } else {
                    Some(fence.trim())
                };
                i += 1;
                continue;
            }
            let start = i;
            let Some(kind) = block.filter(|kind| ["sh", "text"].contains(kind)) else {
                i += 1;
                continue;
            };
            let mut command = line.trim().to_string();
            while command.ends_with('\\') && i + 1 < lines.len() {
                command.pop();
                i += 1;
                command.push(' ');
                command.push_str(lines[i].trim());
            }
            i += 1;
            let (prompt, rest) = if let Some(rest) = command.strip_prefix("$ extism-rs ") {
                (true, rest.to_string())
            } else if let Some((_, rest)) = command
                .split_once("-p extism-cli -- ")
                .filter(|(cargo, _)| cargo.starts_with("cargo run"))
            {
                (false, rest.to_string())
            } else {
                continue;
            };
            let (args, stdin) = shell_words(&rest);
            let mut shown = Vec::new();
            while prompt
                && i < lines.len()
                && !lines[i].starts_with('$')
                && !lines[i].starts_with("```")
            {
                shown.push(lines[i].to_string());
                i += 1;
            }
            commands.push(Documented {
                file,
                line: start + 1,
                args,
                stdin,
                expected: (kind == "sh" && !shown.is_empty()).then_some(shown),
            });
        }
    }
    commands
}

#[test]
fn every_documented_command_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let commands = documented_commands();
    assert!(
        commands.len() >= 10,
        "found only {} commands",
        commands.len()
    );
    // The one directory a documented command mounts.
    std::fs::create_dir_all("/tmp/data").unwrap();
    for command in &commands {
        let at = format!(
            "{}:{} `extism-rs {}`",
            command.file,
            command.line,
            command.args.join(" ")
        );
        let stdin = match &command.stdin {
            Some(path) => Stdio::from(std::fs::File::open(root.join(path)).expect(&at)),
            None => Stdio::null(),
        };
        let out = Command::new(env!("CARGO_BIN_EXE_extism-rs"))
            .current_dir(&root)
            .args(&command.args)
            .stdin(stdin)
            .output()
            .expect(&at);
        // `info` of a plug-in that needs host functions reports it with 1.
        let reported = command.args[0] == "info" && out.status.code() == Some(1);
        assert!(
            out.status.success() || reported,
            "{at}: status {:?}\nstdout: {}\nstderr: {}",
            out.status,
            stdout(&out),
            stderr(&out)
        );
        assert!(!stderr(&out).contains("error:"), "{at}: {}", stderr(&out));
        if let Some(expected) = &command.expected {
            let printed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
            assert_eq!(&printed, expected, "{at}");
        }
    }
}
