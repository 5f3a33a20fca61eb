//! Runs Lambda functions locally the way Lambda runs them: a fresh process per
//! cold start, talking to a runtime API server, with the timings that matter
//! for a serverless function (init, first response, peak memory).
//!
//! Used by the cold-start benchmark (`src/bin/coldstart.rs`) and by tests that
//! check a function's real binary end to end (its EMF metrics on stdout).

pub mod events;
pub mod front;
pub mod process;
pub mod runtime_api;

use std::{path::PathBuf, time::Duration};

pub use process::{FunctionProcess, Launch};
pub use runtime_api::{Reply, RuntimeApi};

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("runtime API server: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not start {0}: {1}")]
    Spawn(PathBuf, #[source] std::io::Error),
    #[error("the child process has no stdout or stderr pipe")]
    NoPipe,
    #[error("event is not serialisable: {0}")]
    Event(#[from] serde_json::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the function reported an initialisation error: {0}")]
    InitFailed(String),
    #[error("proxy: {0}")]
    Proxy(String),
    #[error("the function exited ({status}) before answering; stderr: {stderr}")]
    Exited { status: String, stderr: String },
}

/// One cold start: a fresh process asked one question.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Process start to its first poll for work (Lambda's "Init Duration").
    pub init: Duration,
    /// Process start to the answer of the first request.
    pub first_response: Duration,
    /// The answer itself (`reply.http_status()` for API Gateway events).
    pub reply: Reply,
    /// Peak resident memory of the process after answering, KiB.
    pub peak_rss_kib: Option<u64>,
    /// What the process wrote to stdout and stderr.
    pub stdout: String,
    pub stderr: String,
}

/// The CloudWatch EMF documents among the lines a function wrote to stdout.
pub fn emf_documents(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|doc| doc.get("_aws").is_some())
        .collect()
}

/// Starts `launch` as function `name`, sends `event` once it polls, and
/// measures; the process is killed afterwards. `then` are events sent after
/// the first (e.g. a warm second request); their replies are returned too.
pub async fn cold_start(
    name: &str,
    launch: &Launch,
    event: &serde_json::Value,
    then: &[serde_json::Value],
    timeout: Duration,
) -> Result<(ColdStart, Vec<Reply>), HarnessError> {
    let api = RuntimeApi::start().await?;
    let mut process = FunctionProcess::spawn(name, launch, &api.address())?;
    let reply = tokio::select! {
        reply = api.invoke(event, timeout) => reply,
        status = process.exited() => Err(HarnessError::Exited {
            status: status.map_or_else(|| "unknown".to_owned(), |s| s.to_string()),
            stderr: process.stderr(),
        }),
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => {
            let _ = process.stop().await;
            return Err(error);
        }
    };
    let peak_rss_kib = process.peak_rss_kib();
    let mut later = Vec::with_capacity(then.len());
    for event in then {
        later.push(api.invoke(event, timeout).await?);
    }
    // Let it finish what it does after answering before it is stopped.
    api.wait_for_polls(2 + then.len() as u64, timeout).await?;
    let started = process.started;
    let init = api
        .first_poll()
        .map_or(Duration::ZERO, |t| t.duration_since(started));
    let (stdout, stderr) = process.stop().await;
    Ok((
        ColdStart {
            init,
            first_response: reply.at.duration_since(started),
            reply,
            peak_rss_kib,
            stdout,
            stderr,
        },
        later,
    ))
}
