//! A function's process, started with the environment Lambda gives it.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use tokio::{
    io::{AsyncRead, AsyncReadExt},
    process::{Child, Command},
};

use crate::HarnessError;

/// How to start a function: a program, its arguments and its own variables on
/// top of the ones every Lambda process gets.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub current_dir: Option<PathBuf>,
}

/// A running function process whose stdout and stderr are collected.
pub struct FunctionProcess {
    child: Child,
    /// Taken just before the process was spawned.
    pub started: Instant,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// The variables Lambda sets for a `provided.al2023` function; the Rust runtime
/// client refuses to start without them.
fn lambda_environment(name: &str, runtime_api: &str) -> BTreeMap<String, String> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/harness"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "harness"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Output kept per stream: enough for a cold start's logs and metrics; a
/// long-running instance's output beyond it is read and dropped.
const KEEP_BYTES: usize = 4 * 1024 * 1024;

fn collect(mut stream: impl AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&sink);
    tokio::spawn(async move {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            let mut kept = writer.lock().unwrap_or_else(PoisonError::into_inner);
            let room = KEEP_BYTES.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&chunk[..room]);
        }
    });
    sink
}

impl FunctionProcess {
    /// Starts `launch` as function `name`, pointed at `runtime_api`.
    pub fn spawn(name: &str, launch: &Launch, runtime_api: &str) -> Result<Self, HarnessError> {
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .env_clear()
            .envs(lambda_environment(name, runtime_api))
            .envs(&launch.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &launch.current_dir {
            command.current_dir(dir);
        }
        // PATH is kept so interpreters (the Python reference) find their tools.
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|source| HarnessError::Spawn(launch.program.clone(), source))?;
        let stdout = collect(child.stdout.take().ok_or(HarnessError::NoPipe)?);
        let stderr = collect(child.stderr.take().ok_or(HarnessError::NoPipe)?);
        Ok(Self {
            child,
            started,
            stdout,
            stderr,
        })
    }

    /// Peak resident memory so far (`VmHWM`), in KiB; what Lambda reports as
    /// "Max Memory Used".
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Waits for the process to end by itself (it should not, before `stop`).
    pub async fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.wait().await.ok()
    }

    /// What the process wrote to stdout so far (logs and EMF metrics).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    /// Kills the process (Lambda freezes and later kills idle environments).
    pub async fn stop(mut self) -> (String, String) {
        let _ = self.child.kill().await;
        // Let the readers drain what the process wrote before it died.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        (self.stdout(), self.stderr())
    }
}
