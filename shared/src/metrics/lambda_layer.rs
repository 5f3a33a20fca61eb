//! The runtime layer that writes the EMF documents to stdout after every
//! invocation, each batch as one locked write.
//!
//! Why not `metrics_cloudwatch_embedded`'s own `MetricsLayer`: it serialises
//! straight into an unlocked `std::io::stdout()`, i.e. many small writes. A log
//! line from another thread (the runtime's client, a warm-up task) that lands
//! between two of them is flushed by stdout's line buffer together with the
//! half-written document, and CloudWatch drops the corrupted line: a lost
//! `ColdStart` was seen in CI. It also panics when stdout fails. Here every
//! batch is rendered into memory first and written while holding stdout's lock,
//! which the tracing subscriber's lines (one `write_all` each) respect; a write
//! failure loses the metrics, never the request.

use std::{
    future::Future,
    io::Write,
    pin::Pin,
    sync::Once,
    task::{Context, Poll},
};

use lambda_http::lambda_runtime::LambdaInvocation;
use metrics::Unit;
use metrics_cloudwatch_embedded::Collector;

/// Name of the once-per-execution-environment metric.
pub const COLD_START: &str = "ColdStart";
/// The EMF property carrying the invocation's request id (not a dimension).
pub const REQUEST_ID_PROPERTY: &str = "RequestId";

/// Wraps the runtime's service: sets the request id property, writes
/// `ColdStart` on the first invocation and flushes the collector after each.
#[derive(Clone, Copy)]
pub struct EmfLayer {
    collector: &'static Collector,
}

impl EmfLayer {
    pub fn new(collector: &'static Collector) -> Self {
        Self { collector }
    }
}

impl<S> tower::Layer<S> for EmfLayer {
    type Service = EmfService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EmfService {
            collector: self.collector,
            inner,
        }
    }
}

pub struct EmfService<S> {
    collector: &'static Collector,
    inner: S,
}

impl<S> tower::Service<LambdaInvocation> for EmfService<S>
where
    S: tower::Service<LambdaInvocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = FlushAfter<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let collector = self.collector;
        collector.set_property(REQUEST_ID_PROPERTY, invocation.context.request_id.clone());
        static FIRST_INVOCATION: Once = Once::new();
        FIRST_INVOCATION.call_once(|| {
            write_to_stdout(|buffer| {
                collector.write_single(COLD_START, Some(Unit::Count), 1, buffer)
            });
        });
        FlushAfter {
            collector,
            inner: self.inner.call(invocation),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's future; flushes the collector when it completes.
    pub struct FlushAfter<F> {
        collector: &'static Collector,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for FlushAfter<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        let collector: &'static Collector = this.collector;
        write_to_stdout(|buffer| collector.flush(buffer));
        Poll::Ready(output)
    }
}

/// Renders into memory, then writes it all under stdout's lock so that no
/// other line can interleave. Errors lose the metrics and nothing else.
fn write_to_stdout(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) {
    let mut buffer = Vec::with_capacity(2048);
    if render(&mut buffer).is_ok() && !buffer.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&buffer).and_then(|()| stdout.flush());
    }
}
