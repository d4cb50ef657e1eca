//! Running one test alone in a child process.

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
