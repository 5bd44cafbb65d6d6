//! The edge: accepts connections (HTTP/1.1 with keep-alive and h2c on one port), buffers each
//! request once within the body limit, hands it to the pipeline and writes the answer.
//!
//! Shutdown is graceful: when the shutdown future completes the listener closes, requests in
//! flight finish, and the function returns once every connection is done (or after a grace
//! period).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_LENGTH;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::ApiError;
use crate::error::Operation;
use crate::memory;
use crate::persist;
use crate::pipeline::{self, Answer};
use crate::request::Request;
use crate::response::{Fault, X_REQUEST_ID};
use crate::route;
use crate::state::App;
use crate::timer;

/// How often expired idempotency records are dropped.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// A sweep that drops at least this many records gives the freed memory back to the OS.
const RELEASE_AFTER: usize = 1024;
/// How long shutdown waits for requests in flight before it gives up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound, configured server that has not started serving yet.
pub struct Server {
    app: App,
    listener: TcpListener,
}

impl Server {
    /// Checks the configuration (fixtures included); a bad one is an error naming the problem.
    pub fn new(config: Config, listener: TcpListener) -> Result<Server, String> {
        Ok(Server {
            app: App::new(config)?,
            listener,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until `shutdown` completes, then drains the connections.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { app, listener } = self;
        let limits = &app.config.limits;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // hyper's header timeout does nothing without a timer: each connection is given its
        // own below, which keeps its `Sleep` from one request to the next (`timer`).
        builder
            .http1()
            .keep_alive(true)
            .header_read_timeout(limits.header_read_timeout)
            .max_headers(limits.max_headers)
            .max_buf_size(limits.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.h2_max_streams)
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
        // Past the limit the accept loop waits for a connection to end: further clients wait
        // in the kernel's listen queue, and those being served are not disturbed.
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        let sweeper = tokio::spawn(sweep_expired(app.clone()));

        loop {
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of descriptors or a connection reset while queued: keep serving.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let open = app.counters.connection();
            let app = app.clone();
            let mut builder = builder.clone();
            builder.http1().timer(timer::Recycling::new());
            let watcher = graceful.watcher();
            let first_byte_timeout = limits.header_read_timeout;
            tokio::spawn(async move {
                // hyper's header timeout starts once the HTTP/1-or-h2 detection has read the
                // first bytes: a client that connects and never sends one would otherwise
                // hold its connection slot for ever.
                let mut first = [0u8; 1];
                match tokio::time::timeout(first_byte_timeout, stream.peek(&mut first)).await {
                    Ok(Ok(read)) if read > 0 => {}
                    _ => return,
                }
                let service = service_fn(move |req| {
                    let app = app.clone();
                    async move { serve(&app, req).await }
                });
                let io = Coalesce::new(TokioIo::new(stream));
                let connection = builder.serve_connection(io, service);
                if let Err(err) = watcher.watch(connection.into_owned()).await {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                drop((open, slot));
            });
        }

        drop(listener);
        sweeper.abort();
        tracing::info!("shutting down: finishing requests in flight");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over; dropping remaining connections");
        }
        if let Some(path) = &app.config.state_file {
            match persist::save(&app, path) {
                Ok(saved) => tracing::info!(saved, path = %path.display(), "state file saved"),
                Err(problem) => tracing::error!(%problem, "state file not saved"),
            }
        }
    }
}

/// Drops expired idempotency records in the background, so that memory goes back to its idle
/// level without waiting for a request to touch them.
async fn sweep_expired(app: App) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let removed = app.idempotency.sweep(app.clock.now());
        if removed > 0 {
            tracing::debug!(removed, "expired idempotency records dropped");
        }
        if removed >= RELEASE_AFTER {
            memory::release();
        }
    }
}

/// One request: buffer the body within the limit, run the pipeline, log one line, and put
/// the answer on the wire (or, when a scenario scripted a fault, break it as asked).
async fn serve(
    app: &App,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Wire>, ScriptedFault> {
    let _in_flight = app.counters.request();
    let (parts, body) = req.into_parts();
    let mut request = Request::new(parts.method, parts.uri.path(), parts.headers, Bytes::new());
    request.query = parts.uri.query().map(str::to_owned);
    let limit = app.config.max_body;
    let limits = &app.config.limits;
    let target_length = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());

    let declared = request
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let refused = if target_length > limits.max_uri_bytes {
        Some(ApiError::UriTooLong {
            limit: limits.max_uri_bytes,
        })
    } else if declared.is_some_and(|n| n > limit as u64) {
        // Refused before a byte of the body is read.
        Some(ApiError::PayloadTooLarge { limit })
    } else {
        None
    };
    let answer = match refused {
        Some(problem) => logged(&request, pipeline::reject(app, &problem, &request)),
        None => {
            // A body that is already in the connection's buffer (nearly every one) is
            // read by the first poll, without arming a timer.
            let mut reading = std::pin::pin!(ReadBody::new(body, limit));
            let first = std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await;
            let read = match first {
                Poll::Ready(read) => Ok(read),
                Poll::Pending => tokio::time::timeout(limits.body_read_timeout, reading).await,
            };
            match read {
                Ok(Ok(body)) => {
                    request.body = body;
                    run_to_the_end(app, request).await
                }
                Ok(Err(BodyError::TooLarge)) => {
                    let problem = ApiError::PayloadTooLarge { limit };
                    logged(&request, pipeline::reject(app, &problem, &request))
                }
                Ok(Err(BodyError::Broken)) => {
                    let problem = ApiError::field("body", "body could not be read to its end");
                    logged(&request, pipeline::reject(app, &problem, &request))
                }
                Err(_) => {
                    let problem = ApiError::RequestTimeout {
                        after: limits.body_read_timeout,
                    };
                    logged(&request, pipeline::reject(app, &problem, &request))
                }
            }
        }
    };
    let response = answer.response;
    match answer.fault {
        None => Ok(response.map(|body| Wire::Whole(Some(body)))),
        // An error from the service makes hyper drop the connection without a response.
        Some(Fault::Close) => Err(ScriptedFault),
        Some(Fault::Truncate) => {
            let (mut parts, body) = response.into_parts();
            parts.headers.insert(CONTENT_LENGTH, body.len().into());
            let half = body.slice(..body.len() / 2);
            Ok(hyper::Response::from_parts(
                parts,
                Wire::Truncated(Some(half), None),
            ))
        }
    }
}

/// Why a body could not be read.
enum BodyError {
    /// It went past the limit.
    TooLarge,
    /// The client broke it off or sent it malformed.
    Broken,
}

/// A request body read to its end within `limit` bytes. Its first piece is kept as it is
/// (nearly every body arrives in one), later ones are joined into one buffer; trailers are
/// ignored.
struct ReadBody {
    body: Incoming,
    limit: usize,
    first: Option<Bytes>,
    joined: Option<BytesMut>,
}

impl ReadBody {
    fn new(body: Incoming, limit: usize) -> ReadBody {
        ReadBody {
            body,
            limit,
            first: None,
            joined: None,
        }
    }

    fn bytes_so_far(&self) -> usize {
        match (&self.first, &self.joined) {
            (_, Some(joined)) => joined.len(),
            (Some(first), None) => first.len(),
            (None, None) => 0,
        }
    }
}

impl Future for ReadBody {
    type Output = Result<Bytes, BodyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let frame = match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    let body = match (this.joined.take(), this.first.take()) {
                        (Some(joined), _) => joined.freeze(),
                        (None, first) => first.unwrap_or_default(),
                    };
                    return Poll::Ready(Ok(body));
                }
                Poll::Ready(Some(Err(_))) => return Poll::Ready(Err(BodyError::Broken)),
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if this.bytes_so_far() + data.len() > this.limit {
                return Poll::Ready(Err(BodyError::TooLarge));
            }
            match (&mut this.joined, this.first.take()) {
                (Some(joined), _) => joined.extend_from_slice(&data),
                (None, None) => this.first = Some(data),
                (None, Some(first)) => {
                    let mut joined = BytesMut::with_capacity(first.len() + data.len());
                    joined.extend_from_slice(&first);
                    joined.extend_from_slice(&data);
                    this.joined = Some(joined);
                }
            }
        }
    }
}

/// Runs the pipeline to its end even when the client goes away mid-request, so that the
/// outcome is stored for the retry and no key stays in flight; a panic in the pipeline (a bug)
/// answers 500 instead of dropping the connection.
///
/// Almost every request completes the first time it is polled, so it is polled here, on the
/// connection's own thread: no task, and the memory it keeps is allocated where the
/// connection's is (a task on another worker thread made glibc's per-thread arenas grow by a
/// third under a flood of creates). Only a request that must wait (a scenario's delay, a
/// running request with its Idempotency-Key) moves to a task of its own, which hyper cannot
/// cancel by dropping the connection.
///
/// The request is shared with the work rather than moved into it: the boxed work stays under
/// a kilobyte (glibc serves those from its per-thread cache; larger ones take its slow path),
/// and a panic can still name the request it failed on.
async fn run_to_the_end(app: &App, request: Request) -> Answer {
    let request = Arc::new(request);
    let (task_app, task_request) = (app.clone(), Arc::clone(&request));
    let mut work = Box::pin(async move {
        let answer = pipeline::handle(&task_app, &task_request).await;
        logged(&task_request, answer)
    });
    let first = std::future::poll_fn(|cx| {
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.as_mut().poll(cx)));
        Poll::Ready(polled)
    })
    .await;
    let outcome = match first {
        Ok(Poll::Ready(answer)) => Ok(answer),
        Ok(Poll::Pending) => tokio::spawn(work).await.map_err(|err| err.to_string()),
        Err(_) => Err("panic".to_owned()),
    };
    match outcome {
        Ok(answer) => answer,
        Err(err) => {
            let (method, path) = (&request.method, &request.path);
            tracing::error!(error = %err, %method, %path, "the pipeline panicked");
            let operation =
                route::resolve(method, path).map_or(Operation::Create, |r| r.operation());
            let mut bare = Request::new(method.clone(), path, http::HeaderMap::new(), Bytes::new());
            bare.received = request.received;
            logged(
                &bare,
                pipeline::reject(app, &ApiError::Internal(operation), &bare),
            )
        }
    }
}

/// Logs one line for an answered request: never a header or a body.
fn logged(request: &Request, answer: Answer) -> Answer {
    let response = &answer.response;
    tracing::info!(
        method = %request.method,
        path = %request.path,
        status = response.status().as_u16(),
        fault = answer.fault.map(|f| format!("{f:?}")),
        request_id = response
            .headers()
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        micros = request.received.elapsed().as_micros() as u64,
        "request"
    );
    answer
}

/// A scenario's "close the connection": the service's error, which hyper answers by closing.
#[derive(Debug)]
pub struct ScriptedFault;

impl std::fmt::Display for ScriptedFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a scenario closed the connection")
    }
}

impl std::error::Error for ScriptedFault {}

/// A response body: whole, or (for a scenario's truncated answer) its first half, a pause so
/// that hyper flushes it, then an error, which makes hyper abort the connection short of the
/// declared length.
pub enum Wire {
    Whole(Option<Bytes>),
    Truncated(Option<Bytes>, Option<Pin<Box<tokio::time::Sleep>>>),
}

/// How long a truncated answer's first half waits on the wire before the connection drops.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

impl http_body::Body for Wire {
    type Data = Bytes;
    type Error = ScriptedFault;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ScriptedFault>>> {
        match self.get_mut() {
            Wire::Whole(body) => Poll::Ready(body.take().map(|b| Ok(Frame::data(b)))),
            Wire::Truncated(half, pause) => {
                if let Some(half) = half.take() {
                    *pause = Some(Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)));
                    return Poll::Ready(Some(Ok(Frame::data(half))));
                }
                match pause.as_mut().map(|sleep| sleep.as_mut().poll(cx)) {
                    Some(Poll::Pending) => Poll::Pending,
                    _ => Poll::Ready(Some(Err(ScriptedFault))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Wire::Whole(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Wire::Whole(body) => SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64)),
            Wire::Truncated(..) => SizeHint::default(),
        }
    }
}

/// The connection's socket, which makes each answer wait one turn of the runtime before it is
/// written: the first write of an answer yields (the task wakes itself and goes to the back
/// of the run queue), the next goes through.
///
/// Under load many connections are ready at once; this way their requests are all worked out
/// first and their answers then written one after the other, instead of work and writes
/// alternating. On loopback each write also runs the receiving side, and a write that finds
/// the client asleep pays to wake it: written back to back, most answers find it awake.
/// Measured under wrk with 32 connections: the kernel's wake-ups took half the time they did,
/// for one extra poll of the connection per answer.
struct Coalesce<T> {
    io: T,
    yielded: bool,
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for Coalesce<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T> Coalesce<T> {
    fn new(io: T) -> Coalesce<T> {
        Coalesce { io, yielded: false }
    }

    /// Whether the write may go now; if not, the task is already woken to try again.
    fn gate(&mut self, cx: &mut Context<'_>) -> bool {
        if self.yielded {
            self.yielded = false;
            true
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            false
        }
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for Coalesce<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if !self.gate(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if !self.gate(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
