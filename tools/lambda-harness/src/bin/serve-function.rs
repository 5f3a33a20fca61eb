//! Serves one function over HTTP the way API Gateway + Lambda run it: a pool
//! of `--instances` processes of the function's binary polling a local runtime
//! API, one request per instance at a time. The load benchmark drives it.
//!
//! ```text
//! serve-function --name entities --program target/release/entities --port 9100 \
//!   [--instances 2] [--env MODEL_DIR=models ...]
//! ```
//!
//! Runs until SIGINT or SIGTERM; the instances are stopped with it.

use std::{process::ExitCode, sync::Arc, time::Duration};

use lambda_harness::{FunctionProcess, Launch, RuntimeApi, front};

struct Options {
    name: String,
    launch: Launch,
    port: u16,
    instances: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut name = None;
    let mut launch = Launch::default();
    let mut port = None;
    let mut instances = 1;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => name = Some(value()?),
            "--program" => launch.program = value()?.into(),
            "--port" => port = Some(value()?.parse().map_err(|_| "--port takes a number")?),
            "--instances" => {
                instances = value()?.parse().map_err(|_| "--instances takes a number")?;
            }
            "--env" => {
                let pair = value()?;
                let (key, val) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--env takes KEY=VALUE, not {pair}"))?;
                launch.env.insert(key.to_owned(), val.to_owned());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if launch.program.as_os_str().is_empty() {
        return Err("--program is required".into());
    }
    Ok(Options {
        name: name.ok_or("--name is required")?,
        launch,
        port: port.ok_or("--port is required")?,
        instances: instances.max(1),
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut interrupt), Ok(mut terminate)) => {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("serve-function: {message}");
            return ExitCode::from(2);
        }
    };
    let api = match RuntimeApi::start().await {
        Ok(api) => Arc::new(api),
        Err(e) => {
            eprintln!("serve-function: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut instances: Vec<FunctionProcess> = Vec::with_capacity(options.instances);
    for _ in 0..options.instances {
        match FunctionProcess::spawn(&options.name, &options.launch, &api.address()) {
            Ok(process) => instances.push(process),
            Err(e) => {
                eprintln!("serve-function: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("serve-function: port {}: {e}", options.port);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "serve-function: {} on http://127.0.0.1:{} ({} instances)",
        options.name, options.port, options.instances
    );
    let app = front::router(api, Duration::from_secs(60));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    for instance in instances {
        let (_, stderr) = instance.stop().await;
        if !stderr.is_empty() {
            eprint!("{stderr}");
        }
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve-function: {e}");
            ExitCode::FAILURE
        }
    }
}
