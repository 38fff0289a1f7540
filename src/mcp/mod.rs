//! `ax mcp`: an MCP server over stdio, built on the official Rust SDK (rmcp).
//!
//! It serves the same catalogue `ax tools --format mcp` prints — the tool objects are that
//! very rendering, deserialised into rmcp's types — and executes calls through
//! [`crate::exec`], i.e. the same Vfs the CLI uses. A failed operation (not found,
//! read-only, outside the jail, bad arguments) is an `isError` result carrying the CLI's
//! one-line message; only a call to a tool that does not exist is a JSON-RPC error. The
//! protocol version is negotiated by rmcp, so clients on older revisions that send
//! `initialize` are answered too. Nothing but protocol goes to stdout; the server ends
//! cleanly when stdin closes.
//!
//! The async runtime exists only here (a current-thread tokio runtime): file commands on
//! the CLI never start one.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use crate::error::{Error, ErrorKind, Result};
use crate::tools::{Format, Selection, render};
use crate::vfs::Vfs;

/// The caller an HTTP front end authenticated, by token name (`""`: no tokens configured),
/// put into the request's extensions before the request reaches the MCP transport.
#[derive(Debug, Clone)]
pub struct HttpCaller(pub String);

/// One caller's namespace and the tools rendered for it.
struct Caller {
    vfs: Arc<Vfs>,
    tools: Arc<Vec<Tool>>,
}

impl Caller {
    fn new(vfs: Arc<Vfs>, sel: &Selection) -> Result<Caller> {
        let rendered = render(vfs.config(), Format::Mcp, sel)?;
        let tools: Vec<Tool> = serde_json::from_value(rendered).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("internal: tool list does not fit MCP: {e}"),
            )
        })?;
        Ok(Caller {
            vfs,
            tools: Arc::new(tools),
        })
    }
}

/// The server state: one caller (stdio), or one per `ax serve` token, picked per request by
/// the name the HTTP layer authenticated ([`HttpCaller`]).
#[derive(Clone)]
pub struct AxServer {
    callers: Arc<std::collections::HashMap<String, Caller>>,
    /// True over HTTP: the caller comes from the request, never a default.
    by_request: bool,
    instructions: String,
}

impl AxServer {
    /// A server over `vfs` offering the tools `sel` keeps.
    pub fn new(vfs: Vfs, sel: &Selection) -> Result<AxServer> {
        let caller = Caller::new(Arc::new(vfs), sel)?;
        let vfs = Arc::clone(&caller.vfs);
        let mounts: Vec<String> = vfs
            .config()
            .mounts
            .iter()
            .map(|m| {
                format!(
                    "{} ({}{})",
                    m.path,
                    m.tier,
                    if m.read_only { ", read-only" } else { "" }
                )
            })
            .collect();
        let instructions = format!(
            "ax is a virtual filesystem. Paths are absolute and start with a mount point: {}. \
             Hot mounts are fast scratch space, warm mounts are long-lived knowledge, cold mounts are durable archives. \
             Read before you write; pass if_match with the ETag you read to avoid overwriting others' changes.",
            mounts.join(", ")
        );
        let mut callers = std::collections::HashMap::new();
        callers.insert(String::new(), caller);
        Ok(AxServer {
            callers: Arc::new(callers),
            by_request: false,
            instructions,
        })
    }

    /// A server for `ax serve`: each request runs as the caller the HTTP layer put in its
    /// extensions (by token name; `""` when no tokens are configured). The instructions
    /// name no mounts, since they are the same for every caller; `ax_mounts` lists a
    /// caller's own.
    pub fn for_callers(views: std::collections::HashMap<String, Arc<Vfs>>) -> Result<AxServer> {
        let mut callers = std::collections::HashMap::new();
        for (name, vfs) in views {
            callers.insert(name, Caller::new(vfs, &Selection::default())?);
        }
        Ok(AxServer {
            callers: Arc::new(callers),
            by_request: true,
            instructions: "ax is a virtual filesystem. Paths are absolute and start with a mount point; \
                call ax_mounts to see yours. Read before you write; pass if_match with the ETag you read \
                to avoid overwriting others' changes."
                .to_string(),
        })
    }

    /// The tool objects served by `tools/list` (over stdio).
    pub fn tools(&self) -> &[Tool] {
        self.callers
            .get("")
            .map(|c| c.tools.as_slice())
            .unwrap_or_default()
    }

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> std::result::Result<&Caller, ErrorData> {
        let name = if self.by_request {
            request_caller(ctx)
        } else {
            Some("")
        };
        name.and_then(|n| self.callers.get(n))
            .ok_or_else(|| ErrorData::invalid_request("unauthenticated request", None))
    }
}

/// The caller's name the HTTP layer put into the request (rmcp hands the request's
/// `http::request::Parts` to the handler).
#[cfg(feature = "serve")]
fn request_caller(ctx: &RequestContext<RoleServer>) -> Option<&str> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<HttpCaller>())
        .map(|c| c.0.as_str())
}

#[cfg(not(feature = "serve"))]
fn request_caller(_: &RequestContext<RoleServer>) -> Option<&str> {
    None
}

impl ServerHandler for AxServer {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ax", env!("CARGO_PKG_VERSION")))
            .with_instructions(self.instructions.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        let caller = self.caller(&context)?;
        Ok(ListToolsResult::with_all_items(
            caller.tools.as_ref().clone(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        let caller = self.caller(&context)?;
        if !caller.tools.iter().any(|t| t.name == request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {:?}; see tools/list", request.name),
                None,
            ));
        }
        let args = request
            .arguments
            .map(serde_json::Value::Object)
            .unwrap_or(serde_json::Value::Null);
        let vfs = Arc::clone(&caller.vfs);
        let name = request.name.to_string();
        // File operations block; keep them off the protocol task.
        let outcome =
            tokio::task::spawn_blocking(move || crate::catalogue::call(&vfs, &name, args))
                .await
                .map_err(|e| ErrorData::internal_error(format!("tool task failed: {e}"), None))?;
        let result = match outcome {
            Ok(out) => {
                let mut r = CallToolResult::success(vec![ContentBlock::text(out.text)]);
                r.structured_content = Some(out.structured);
                r
            }
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.for_tools().to_line())]),
        };
        Ok(result.into())
    }
}

/// Serves MCP on stdin/stdout until the client disconnects.
pub fn serve(vfs: Vfs, sel: &Selection) -> Result<()> {
    let server = AxServer::new(vfs, sel)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the MCP server: {e}")))?;
    rt.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("MCP session failed to start: {e}")))?;
        running.waiting().await.map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("MCP session ended with an error: {e}"),
            )
        })?;
        Ok(())
    })
}
