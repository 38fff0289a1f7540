//! Fault bounds that hold by default, for every object store: an HTTP client wrapper that
//! bounds how long a request may wait for its response, scaled by what it uploads.
//!
//! A plain read timeout (reqwest's) cannot serve here: it also runs while a large request
//! body is still being sent, when no byte comes back by design, so it would cut off a slow
//! upload that is making progress. So the bound is per request: the response must begin
//! within `idle + body / UPLOAD_FLOOR` — `idle` (default 10 s) for a small request, plus the
//! time to send the body at [`UPLOAD_FLOOR`]. A download is bounded separately by the reader,
//! which fails when no chunk arrives for `idle` (see `StreamReader`), and never by its total
//! time. A timed-out request is retried like any transient error.

use std::time::Duration;

use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};

/// The slowest upload that is not cut off: 64 KiB/s (an 8 MiB part may take 128 s more
/// than a small request).
pub(super) const UPLOAD_FLOOR: f64 = 64.0 * 1024.0;

/// Builds reqwest clients as object_store does, wrapped in [`Bounded`].
#[derive(Debug)]
pub(super) struct BoundedConnector {
    pub(super) idle: Duration,
}

impl HttpConnector for BoundedConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Bounded {
            inner,
            idle: self.idle,
        }))
    }
}

#[derive(Debug)]
struct Bounded {
    inner: HttpClient,
    idle: Duration,
}

/// The wait that ran out, as the error's source.
#[derive(Debug)]
struct NoResponse(Duration);

impl std::fmt::Display for NoResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no response within {:.1} s", self.0.as_secs_f64())
    }
}

impl std::error::Error for NoResponse {}

/// The longest a request sending `body` bytes may wait for its response to begin.
pub(super) fn response_bound(idle: Duration, body: usize) -> Duration {
    idle + Duration::from_secs_f64(body as f64 / UPLOAD_FLOOR)
}

#[async_trait::async_trait]
impl HttpService for Bounded {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let bound = response_bound(self.idle, req.body().content_length());
        match tokio::time::timeout(bound, self.inner.execute(req)).await {
            Ok(r) => r,
            Err(_) => Err(HttpError::new(HttpErrorKind::Timeout, NoResponse(bound))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_grows_with_the_upload() {
        let idle = Duration::from_secs(10);
        assert_eq!(response_bound(idle, 0), idle);
        assert_eq!(
            response_bound(idle, 4096),
            idle + Duration::from_millis(62) + Duration::from_micros(500)
        );
        assert_eq!(
            response_bound(idle, 8 << 20),
            idle + Duration::from_secs(128)
        );
    }
}
