//! The HTTP side of `ax serve`: one hyper connection per client, routing, authentication,
//! the JSON API and streamed file transfers. File bytes move through bounded channels
//! between the async side and a blocking thread that calls the Vfs, so a transfer holds at
//! most a few chunks in memory and a slow store never blocks the runtime's workers.

use std::convert::Infallible;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::{InFlight, State, View};
use crate::error::{Error, ErrorKind};
use crate::mcp::HttpCaller;

type Body = BoxBody<Bytes, io::Error>;

/// Bytes per chunk of a file transfer, and chunks buffered between the two sides.
const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

pub(super) async fn connection(stream: tokio::net::TcpStream, peer: SocketAddr, state: Arc<State>) {
    let io = hyper_util::rt::TokioIo::new(stream);
    let service = hyper::service::service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(req, peer, state).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}

/// The HTTP status for an ax error.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::PRECONDITION_FAILED,
        ErrorKind::AlreadyExists | ErrorKind::Refused | ErrorKind::NoMatch => StatusCode::CONFLICT,
        ErrorKind::ReadOnly | ErrorKind::Forbidden | ErrorKind::OutsideMount => {
            StatusCode::FORBIDDEN
        }
        ErrorKind::IsADirectory | ErrorKind::NotADirectory | ErrorKind::Usage => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Config | ErrorKind::Io | ErrorKind::Internal | ErrorKind::BrokenPipe => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(full(format!("{v}\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `{error: {kind, message}}` with the status the kind maps to.
fn error_response(e: &Error) -> Response<Body> {
    let e = e.clone().for_tools();
    let line = e.to_line();
    let message = line.strip_prefix("ax: ").unwrap_or(&line);
    json_response(
        status_of(e.kind()),
        &json!({"error": {"kind": e.kind().as_str(), "message": message}}),
    )
}

fn plain_error(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"error": {"kind": kind, "message": message}}),
    )
}

fn unauthorized() -> Response<Body> {
    let mut r = plain_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or unknown token; send `Authorization: Bearer SECRET`",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"ax\""),
    );
    r
}

/// A browser `Origin` must be on the allow list; requests without one pass.
fn origin_allowed(state: &State, req: &Request<Incoming>) -> bool {
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        None => true,
        Some(o) => state.opts.allowed_origins.iter().any(|a| a == o),
    }
}

/// Decodes `%XX` in a URL path; `None` for bad escapes or non-UTF-8 results.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn handle(req: Request<Incoming>, _peer: SocketAddr, state: Arc<State>) -> Response<Body> {
    let _in_flight = InFlight::new(&state);
    let started = Instant::now();
    let path = req.uri().path().to_string();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz") => {
            return json_response(StatusCode::OK, &json!({"status": "ok"}));
        }
        (&Method::GET, "/readyz") => return readyz(&state).await,
        _ => {}
    }
    if !origin_allowed(&state, &req) {
        return plain_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this Origin is not allowed; start ax serve with --allow-origin ORIGIN",
        );
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let Ok(view) = state.authenticate(auth) else {
        state.metrics.request("-", "-", 401, started.elapsed());
        return unauthorized();
    };
    let (tool, resp) = route(req, &path, &view, &state).await;
    let took = started.elapsed();
    state
        .metrics
        .request(&view.name, &tool, resp.status().as_u16(), took);
    log_line(&view.name, &tool, &path, resp.status().as_u16(), took);
    resp
}

async fn route(
    mut req: Request<Incoming>,
    path: &str,
    view: &Arc<View>,
    state: &Arc<State>,
) -> (String, Response<Body>) {
    if path == "/mcp" || path.starts_with("/mcp/") {
        req.extensions_mut().insert(HttpCaller(view.name.clone()));
        let resp = state.mcp.handle(req).await;
        let (parts, body) = resp.into_parts();
        let body = body.map_err(|never| match never {}).boxed();
        return ("mcp".into(), Response::from_parts(parts, body));
    }
    if path == "/metrics" && req.method() == Method::GET {
        let mut r = Response::new(full(state.metrics.render()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        return ("metrics".into(), r);
    }
    if path == "/v1/tools" && req.method() == Method::GET {
        let mut r = Response::new(full(view.tools_json.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return ("tools".into(), r);
    }
    if let Some(name) = path.strip_prefix("/v1/tools/") {
        if req.method() != Method::POST {
            return ("-".into(), method_not_allowed("POST"));
        }
        let name = name.to_string();
        return (name.clone(), call_tool(req, name, view, state).await);
    }
    if let Some(raw) = path.strip_prefix("/v1/files") {
        let Some(vpath) = percent_decode(raw).filter(|p| p.starts_with('/')) else {
            return (
                "files".into(),
                plain_error(
                    StatusCode::BAD_REQUEST,
                    "usage",
                    "the file path is not a valid URL path",
                ),
            );
        };
        return match *req.method() {
            Method::GET | Method::HEAD => {
                ("files.get".into(), get_file(req, vpath, view, state).await)
            }
            Method::PUT => ("files.put".into(), put_file(req, vpath, view, state).await),
            _ => ("files".into(), method_not_allowed("GET, HEAD, PUT")),
        };
    }
    (
        "-".into(),
        plain_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route; see /v1/tools, /v1/files/PATH, /mcp",
        ),
    )
}

/// One structured line per request on stderr: who, what, where, how it ended, how long.
/// Never a secret and never file contents (the URL path is the virtual path at most).
fn log_line(token: &str, tool: &str, path: &str, status: u16, took: std::time::Duration) {
    use std::io::Write;
    let line = json!({
        "ts": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default(),
        "token": token,
        "tool": tool,
        "path": path,
        "status": status,
        "ms": (took.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
    });
    let _ = writeln!(io::stderr().lock(), "{line}");
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = plain_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "usage",
        "method not allowed here",
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

async fn readyz(state: &Arc<State>) -> Response<Body> {
    let views: Vec<Arc<View>> = state.views_all();
    let out = tokio::task::spawn_blocking(move || {
        let mut failing = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for v in &views {
            for m in v.vfs.mounts().sorted() {
                if !seen.insert(m.path().to_string()) {
                    continue;
                }
                let probe = m.backend().and_then(|b| {
                    b.stat("", crate::backend::StatOptions::default())
                        .map(|_| ())
                });
                if let Err(e) = probe {
                    failing.push(json!({"mount": m.path().as_str(), "error": e.to_line()}));
                }
            }
        }
        failing
    })
    .await
    .unwrap_or_default();
    if failing_is_empty(&out) {
        json_response(StatusCode::OK, &json!({"status": "ready"}))
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "not ready", "failing": out}),
        )
    }
}

fn failing_is_empty(v: &[Value]) -> bool {
    v.is_empty()
}

/// Reads a JSON body of at most `max` bytes; `Err` is the response to send.
async fn json_body(req: Request<Incoming>, max: usize) -> Result<Value, Response<Body>> {
    let mut body = req.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            plain_error(
                StatusCode::BAD_REQUEST,
                "usage",
                &format!("reading the request failed: {e}"),
            )
        })?;
        if let Some(d) = frame.data_ref() {
            if buf.len() + d.len() > max {
                return Err(plain_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    &format!(
                        "the request body is over {max} bytes; send files with PUT /v1/files/PATH"
                    ),
                ));
            }
            buf.extend_from_slice(d);
        }
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&buf).map_err(|e| {
        plain_error(
            StatusCode::BAD_REQUEST,
            "usage",
            &format!("the body is not JSON: {e}"),
        )
    })
}

async fn call_tool(
    req: Request<Incoming>,
    name: String,
    view: &Arc<View>,
    state: &Arc<State>,
) -> Response<Body> {
    let args = match json_body(req, state.opts.max_body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let vfs = Arc::clone(&view.vfs);
    let out = tokio::task::spawn_blocking(move || crate::catalogue::call(&vfs, &name, args)).await;
    match out {
        Ok(Ok(o)) => json_response(StatusCode::OK, &o.structured),
        Ok(Err(e)) => error_response(&e),
        Err(e) => plain_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("the call failed: {e}"),
        ),
    }
}

/// `Range: bytes=A-B` / `bytes=A-` / `bytes=-N` against `size`: `(start, end_inclusive)`.
fn parse_range(h: &str, size: u64) -> Option<(u64, u64)> {
    let spec = h.strip_prefix("bytes=")?.trim();
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (size.saturating_sub(n), size - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size - 1
        } else {
            b.parse::<u64>().ok()?.min(size - 1)
        };
        (start, end)
    };
    (start <= end && start < size).then_some((start, end))
}

async fn get_file(
    req: Request<Incoming>,
    vpath: String,
    view: &Arc<View>,
    state: &Arc<State>,
) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let vfs = Arc::clone(&view.vfs);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let (meta_tx, meta_rx) = tokio::sync::oneshot::channel();
    let metrics = state.metrics.clone();
    tokio::task::spawn_blocking(move || {
        let opened = vfs
            .stat(&vpath, crate::backend::StatOptions { etag: true })
            .and_then(|st| {
                if st.meta.kind == crate::backend::Kind::Dir {
                    return Err(Error::new(
                        ErrorKind::IsADirectory,
                        "is a directory; list it with ax_list",
                    )
                    .at(&vpath));
                }
                let (_, content, tag) = vfs.open_tagged(&vpath)?;
                Ok((st.meta.size, tag.or(st.meta.etag), content))
            });
        let (size, etag, mut content) = match opened {
            Ok(x) => x,
            Err(e) => {
                let _ = meta_tx.send(Err(e));
                return;
            }
        };
        let window = match range.as_deref() {
            None => None,
            Some(h) => match parse_range(h, size) {
                Some(w) => Some(w),
                None => {
                    let _ = meta_tx.send(Ok((size, etag, Err(()))));
                    return;
                }
            },
        };
        if meta_tx.send(Ok((size, etag, Ok(window)))).is_err() || head {
            return;
        }
        let (mut skip, mut left) = match window {
            Some((a, b)) => (a, b - a + 1),
            None => (0, size),
        };
        let mut buf = vec![0u8; CHUNK];
        while left > 0 {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            let mut chunk = &buf[..n];
            if skip > 0 {
                let s = skip.min(n as u64) as usize;
                skip -= s as u64;
                chunk = &chunk[s..];
            }
            let take = (chunk.len() as u64).min(left) as usize;
            if take == 0 {
                continue;
            }
            left -= take as u64;
            metrics.bytes_read(take as u64);
            if tx
                .blocking_send(Ok(Bytes::copy_from_slice(&chunk[..take])))
                .is_err()
            {
                return; // the client went away
            }
        }
    });
    let (size, etag, window) = match meta_rx.await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return error_response(&e),
        Err(_) => {
            return plain_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the read stopped",
            );
        }
    };
    let stream =
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data))));
    let body: Body = if head {
        full(Bytes::new())
    } else {
        BodyExt::boxed(StreamBody::new(stream))
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&format!("\"{t}\"")).ok()) {
        h.insert(header::ETAG, tag);
    }
    match window {
        Err(()) => {
            let mut r = plain_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "usage",
                "the range is outside the file",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        Ok(Some((a, b))) => {
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(b - a + 1));
        }
        Ok(None) => {
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    r
}

/// A `Read` over chunks arriving from the async side; an error or a dropped sender before
/// the end makes the write fail, so the atomic write leaves the old content.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    cur: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

async fn put_file(
    req: Request<Incoming>,
    vpath: String,
    view: &Arc<View>,
    state: &Arc<State>,
) -> Response<Body> {
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().trim_matches('"').to_string())
    };
    let if_match = header(header::IF_MATCH);
    let create_only = match header(header::IF_NONE_MATCH).as_deref() {
        None => false,
        Some("*") => true,
        Some(_) => {
            return plain_error(
                StatusCode::BAD_REQUEST,
                "usage",
                "If-None-Match takes only `*` (create only)",
            );
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let vfs = Arc::clone(&view.vfs);
    let writer = tokio::task::spawn_blocking(move || {
        let mut src = ChannelReader {
            rx,
            cur: Bytes::new(),
        };
        crate::exec::put(&vfs, &vpath, &mut src, if_match, create_only, false)
    });
    let mut body = req.into_body();
    let mut sent: u64 = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Ok(d) = f.into_data() {
                    sent += d.len() as u64;
                    if tx.send(Ok(d)).await.is_err() {
                        break; // the write already failed; its error is the answer
                    }
                }
            }
            Err(e) => {
                let _ = tx
                    .send(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the upload broke off: {e}"),
                    )))
                    .await;
                break;
            }
        }
    }
    drop(tx);
    match writer.await {
        Ok(Ok(out)) => {
            state.metrics.bytes_written(sent);
            let status = if out.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut r = json_response(status, &serde_json::to_value(&out).unwrap_or(Value::Null));
            if let Some(tag) = out
                .etag
                .as_ref()
                .and_then(|t| HeaderValue::from_str(&format!("\"{t}\"")).ok())
            {
                r.headers_mut().insert(header::ETAG, tag);
            }
            r
        }
        Ok(Err(e)) => error_response(&e),
        Err(e) => plain_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("the write failed: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn paths_decode_and_bad_escapes_are_refused() {
        assert_eq!(percent_decode("/a%20b/c.md").as_deref(), Some("/a b/c.md"));
        assert_eq!(percent_decode("/%2e%2e/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/%zz"), None);
        assert_eq!(percent_decode("/%ff"), None);
    }
}
