//! Running one test alone in a child process: for figures such as RSS that
//! other tests would add noise to, and for tests that change process-wide
//! state (a `tracing` subscriber) the others must not see.

/// Set in the child process an [`alone!`] test starts.
pub const CHILD: &str = "EXTISM_TEST_CHILD";

/// `$parent` runs the ignored test `$child` (whose body is `$body`) alone in
/// a child process of this test binary and prints what it printed; run any
/// other way, `$child` does nothing.
macro_rules! alone {
    ($parent:ident, $child:ident, $body:block) => {
        #[test]
        fn $parent() {
            // `module_path!()` starts with the test binary's crate name.
            let path = concat!(module_path!(), "::", stringify!($child));
            let path = path.split_once("::").map_or(path, |(_, rest)| rest);
            println!(
                "{}",
                $crate::support::run_alone(path, &[($crate::support::CHILD, Some("1"))])
            );
        }

        #[test]
        #[ignore = "run by its parent test in a child process"]
        fn $child() {
            if std::env::var_os($crate::support::CHILD).is_none() {
                return;
            }
            $body
        }
    };
}

/// Runs the test `path` (as `module::name`) alone in a child process of this
/// test binary, ignored or not, with `env` set (`None` removes a variable),
/// so that figures such as RSS are not other tests' noise. Fails unless the
/// test ran and passed; returns what it printed (stdout, then stderr).
pub fn run_alone(path: &str, env: &[(&str, Option<&str>)]) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    command.args([
        path,
        "--exact",
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = command.output().expect("the test binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{path} failed in its child process:\n{text}"
    );
    assert!(
        text.contains("1 passed"),
        "{path} did not run in its child process:\n{text}"
    );
    text
}
