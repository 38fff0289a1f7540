//! `ax serve`: one long-lived process holding the Vfs, serving the catalogue to agents on
//! other machines and to hosted MCP clients.
//!
//! - `/mcp`: MCP over Streamable HTTP (rmcp's server transport, stateless, `Origin` and
//!   `Host` validated, request bodies capped).
//! - `/v1/tools` (the MCP-format list) and `POST /v1/tools/{name}` (the tool's JSON arguments
//!   in, its structured result out; errors as `{error: {kind, message}}` with an HTTP status).
//! - `/v1/files/{path}`: `GET` (with `Range`) and `PUT` (`If-Match`, `If-None-Match: *`), both
//!   streamed through bounded channels: memory stays at a few chunks whatever the size.
//! - `/healthz` (up) and `/readyz` (every mount answers).
//!
//! Who may do what: with `serve.tokens` in ax.yaml every request carries `Authorization:
//! Bearer SECRET` (401 without a valid one), and runs on [`Vfs::restricted`] for that token,
//! so scopes are enforced in the library's call path, the same for every route. Without
//! tokens the server trusts its caller and binds loopback only; a non-loopback address
//! without tokens is refused. Secrets never reach logs or errors: a log line names the token.

mod http_api;
mod metrics;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::Token;
use crate::error::{Error, ErrorKind, Result};
use crate::mcp::AxServer;
use crate::tools::Selection;
use crate::vfs::Vfs;

pub use metrics::Metrics;

/// How `ax serve` listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// TCP address (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Browser origins allowed to call (`https://app.example.com`); requests with another
    /// `Origin` get 403. Requests without `Origin` (non-browser clients) pass.
    pub allowed_origins: Vec<String>,
    /// Host names the `Host` header may carry besides the listen address and loopback names.
    pub allowed_hosts: Vec<String>,
    /// Largest JSON request body (tool calls, MCP messages), in bytes.
    pub max_body: usize,
    /// Time in-flight requests get to finish after SIGTERM/SIGINT.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body: 4 << 20,
            grace: Duration::from_secs(10),
        }
    }
}

/// What one caller sees: its Vfs and the MCP-format tool list rendered for it.
pub(crate) struct View {
    pub(crate) name: String,
    pub(crate) vfs: Arc<Vfs>,
    pub(crate) tools_json: String,
}

/// Everything the request handlers share.
pub(crate) struct State {
    /// Set when ax.yaml declares tokens: every request must present one.
    tokens: Option<Vec<Token>>,
    /// The caller's view by token name; `""` is the whole namespace (no tokens configured).
    views: HashMap<String, Arc<View>>,
    pub(crate) opts: ServeOptions,
    pub(crate) metrics: Metrics,
    pub(crate) mcp: rmcp::transport::StreamableHttpService<
        AxServer,
        rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
    >,
    in_flight: AtomicUsize,
}

impl State {
    /// Every caller's view (for the readiness probe).
    pub(crate) fn views_all(&self) -> Vec<Arc<View>> {
        self.views.values().cloned().collect()
    }

    /// The view for a request's `Authorization` header: `Err(())` means 401.
    pub(crate) fn authenticate(&self, header: Option<&str>) -> std::result::Result<Arc<View>, ()> {
        let Some(tokens) = &self.tokens else {
            return self.views.get("").cloned().ok_or(());
        };
        let secret = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(())?;
        let settings = crate::config::ServeSettings {
            tokens: tokens.clone(),
        };
        let t = settings.authenticate(secret).ok_or(())?;
        self.views.get(&t.name).cloned().ok_or(())
    }
}

fn view(name: &str, vfs: Vfs) -> Result<View> {
    let tools_json = crate::tools::render_text(
        vfs.config(),
        crate::tools::Format::Mcp,
        &Selection::default(),
        true,
    )?;
    Ok(View {
        name: name.to_string(),
        vfs: Arc::new(vfs),
        tools_json,
    })
}

/// Runs the server until SIGTERM or SIGINT. `ready` is called with the bound address (port 0
/// becomes the real one) before the first request is accepted.
pub fn run(vfs: Vfs, opts: ServeOptions, ready: &mut dyn FnMut(SocketAddr)) -> Result<()> {
    let tokens = vfs.config().serve.tokens.clone();
    if tokens.is_empty() && !opts.listen.ip().is_loopback() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "refusing to listen on {} without tokens: anyone who can reach it could read and change every mount",
                opts.listen
            ),
        )
        .hint("declare `serve.tokens` in ax.yaml (`ax token new NAME --mount /scratch:rw` prints one), or listen on 127.0.0.1"));
    }
    let mut views = HashMap::new();
    for t in &tokens {
        views.insert(t.name.clone(), Arc::new(view(&t.name, vfs.restricted(t))?));
    }
    if tokens.is_empty() {
        views.insert(String::new(), Arc::new(view("", vfs)?));
    }
    let by_token: HashMap<String, Arc<Vfs>> = views
        .iter()
        .map(|(k, v)| (k.clone(), Arc::clone(&v.vfs)))
        .collect();
    let server = AxServer::for_callers(by_token)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the server: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot listen on {}: {e}", opts.listen),
                )
                .hint("pick another port with --listen 127.0.0.1:PORT (0: any free port)")
            })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read the bound address: {e}"))
        })?;
        let mut hosts: Vec<String> = vec![
            "localhost".into(),
            "127.0.0.1".into(),
            "::1".into(),
            addr.ip().to_string(),
        ];
        hosts.extend(opts.allowed_hosts.iter().cloned());
        let mut mcp_config =
            rmcp::transport::StreamableHttpServerConfig::default().with_allowed_hosts(hosts);
        mcp_config.legacy_session_mode = false;
        mcp_config.json_response = true;
        mcp_config.max_request_body_bytes = opts.max_body;
        mcp_config.allowed_origins = opts.allowed_origins.clone();
        let mcp_config = mcp_config.enforce_origin_validation();
        let mcp = rmcp::transport::StreamableHttpService::new(
            move || Ok(server.clone()),
            Default::default(),
            mcp_config,
        );
        let state = Arc::new(State {
            tokens: (!tokens.is_empty()).then_some(tokens),
            views,
            opts,
            metrics: Metrics::default(),
            mcp,
            in_flight: AtomicUsize::new(0),
        });
        ready(addr);
        serve_until_signal(listener, state).await
    })
}

async fn serve_until_signal(listener: tokio::net::TcpListener, state: Arc<State>) -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot watch for SIGTERM: {e}")))?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot watch for SIGINT: {e}")))?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    http_api::connection(stream, peer, state).await;
                });
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    // Stop accepting (the listener is dropped here), then give in-flight requests the grace
    // period. Writes are atomic, so one cut short leaves the old content, never a torn file.
    drop(listener);
    let deadline = tokio::time::Instant::now() + state.opts.grace;
    while state.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Counts a request in flight for the duration of its handling (graceful shutdown waits).
pub(crate) struct InFlight(Arc<State>);

impl InFlight {
    pub(crate) fn new(state: &Arc<State>) -> InFlight {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
