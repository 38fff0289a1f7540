//! Command-line definitions: plain data for clap, no behaviour.
//!
//! Handlers receive these after parsing; everything that needs the config goes through
//! the resolved [`crate::config::Config`] and the [`crate::vfs::Vfs`], never raw flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  success (also when the reader of the output goes away, e.g. `ax cat big | head`)
  1  the operation failed (not found, read-only mount, outside the mount, I/O error, ...);
     `ax grep` also exits 1 when nothing matched, like grep
  2  usage or configuration error: nothing was attempted
  3  a precondition failed (--if-match / --if-none-match): someone else changed the file
`ax exec` exits with the status of the command it ran (124 when its time limit ended it).

Configuration: --config FILE, else $AX_CONFIG, else the nearest ax.yaml up from here,
else a built-in default with everything under ./.ax-data. `ax mounts` shows the table.";

/// ax: a virtual filesystem for AI agents — hot, warm and cold storage behind one namespace.
#[derive(Debug, Parser)]
#[command(name = "ax", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Use this config file instead of discovering one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print machine-readable JSON (one document, or JSON Lines for streams).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or replace a file (atomically); content from the argument or stdin.
    Write(WriteArgs),
    /// Append to a file; concurrent appenders never lose or tear lines.
    Append(AppendArgs),
    /// Print a file; --offset/--limit select lines.
    Cat(CatArgs),
    /// Replace exact text in a file.
    Edit(EditArgs),
    /// Delete a file, or a directory with -r.
    Rm(RmArgs),
    /// List a directory (`/` lists the mounts).
    Ls(LsArgs),
    /// Show a directory tree.
    Tree(TreeArgs),
    /// Show metadata of a path, including its ETag.
    Stat(PathArg),
    /// Find files and directories by name.
    Find(FindArgs),
    /// Copy files or directories, across mounts and tiers.
    Cp(CpArgs),
    /// Move or rename, across mounts and tiers (copy, verify, then delete).
    Mv(MvArgs),
    /// Search file contents with a regular expression.
    Grep(GrepArgs),
    /// Apply the lifecycle rules of ax.yaml: delete old files, move them to a colder tier.
    Lifecycle(LifecycleArgs),
    /// Search indexed mounts: keyword, semantic or hybrid (the default).
    Search(SearchArgs),
    /// Bring the search index up to date (incremental; --rebuild starts over).
    Index(IndexArgs),
    /// Keep the search index current while files change (runs until interrupted).
    Watch(WatchArgs),
    /// Write a commented ax.yaml into the current directory.
    Init(InitArgs),
    /// Show the mount table.
    Mounts,
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the tool definitions for LLM APIs (MCP, OpenAI, Anthropic, JSON).
    Tools(ToolsArgs),
    /// Serve the tools over MCP on stdin/stdout (for Claude Code, Cursor, the MCP SDKs).
    Mcp(McpArgs),
    /// Run a command in a mount's folder, sandboxed, with a time limit (exit 124 on timeout).
    Exec(ExecArgs),
    /// Serve the namespace over HTTP: MCP (Streamable HTTP) at /mcp, a JSON API at /v1,
    /// streamed files at /v1/files, /healthz, /readyz, /metrics. Runs until SIGTERM/SIGINT.
    Serve(ServeArgs),
    /// Tokens for `ax serve`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Execute one tool call: `ax call ax_read '{"path":"/context/plan.md"}'` (arguments
    /// as JSON, or on stdin). Prints the tool's text result (`--json`: the structured one).
    Call(CallArgs),
}

/// A single path.
#[derive(Debug, Args)]
pub struct PathArg {
    /// Virtual path, e.g. /scratch/notes.md.
    pub path: String,
}

/// `ax write`.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Virtual path of the file.
    pub path: String,
    /// The content; omit it or give `-` to read stdin.
    pub content: Option<String>,
    /// Only write if the file's current ETag is this (see `ax stat`).
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
    /// Only create: `--if-none-match '*'` fails if the file exists.
    #[arg(long, value_name = "*", conflicts_with = "if_match")]
    pub if_none_match: Option<String>,
}

/// `ax append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Virtual path of the file (created if missing).
    pub path: String,
    /// The content (a newline is added if missing); omit it or give `-` to read stdin as is.
    pub content: Option<String>,
    /// Only append if the file's current ETag is this.
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// `ax cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// Virtual path of the file.
    pub path: String,
    /// First line to print (1-based).
    #[arg(long, value_name = "LINE")]
    pub offset: Option<u64>,
    /// Print at most this many lines.
    #[arg(long, value_name = "LINES")]
    pub limit: Option<u64>,
    /// Number the lines.
    #[arg(long, short = 'n')]
    pub numbered: bool,
}

/// `ax edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// Virtual path of the file.
    pub path: String,
    /// Exact text to replace (must occur once, unless --all).
    #[arg(long)]
    pub old: String,
    /// Replacement text.
    #[arg(long)]
    pub new: String,
    /// Replace every occurrence.
    #[arg(long)]
    pub all: bool,
    /// Only edit if the file's current ETag is this.
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
}

/// `ax rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Virtual paths to delete.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Delete directories and everything in them.
    #[arg(short, long)]
    pub recursive: bool,
    /// Do not fail when a path does not exist.
    #[arg(short, long)]
    pub force: bool,
}

/// `ax ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Directory (or file) to list; default `/`.
    pub path: Option<String>,
    /// Long format: kind, size, modification time.
    #[arg(short, long)]
    pub long: bool,
}

/// `ax tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Directory to show; default `/`.
    pub path: Option<String>,
    /// Descend at most this many levels.
    #[arg(long, short = 'L', value_name = "N")]
    pub depth: Option<usize>,
}

/// `ax find`.
#[derive(Debug, Args)]
pub struct FindArgs {
    /// Directory to search below; default `/`.
    pub path: Option<String>,
    /// Glob on the entry's name, e.g. '*.md'.
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Only files (f) or only directories (d).
    #[arg(long = "type", short = 't', value_name = "f|d")]
    pub kind: Option<crate::ops::FindKind>,
}

/// `ax cp`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Source path.
    pub src: String,
    /// Destination path (an existing directory receives the source by name).
    pub dst: String,
    /// Copy directories recursively.
    #[arg(short, long)]
    pub recursive: bool,
}

/// `ax mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// Source path.
    pub src: String,
    /// Destination path (an existing directory receives the source by name).
    pub dst: String,
}

/// `ax grep`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// Regular expression (Rust regex syntax).
    pub pattern: String,
    /// Files or directories to search; default `/` (every mount).
    pub paths: Vec<String>,
    /// Case-insensitive.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,
    /// Treat the pattern as a literal string.
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,
    /// Match whole words only.
    #[arg(short = 'w', long)]
    pub word_regexp: bool,
    /// Print only the paths of matching files.
    #[arg(short = 'l', long)]
    pub files_with_matches: bool,
    /// Print the number of matching lines per file.
    #[arg(short = 'c', long, conflicts_with = "files_with_matches")]
    pub count: bool,
    /// Stop after this many matching lines per file.
    #[arg(short = 'm', long, value_name = "NUM")]
    pub max_count: Option<u64>,
    /// Sort results by path (searches sequentially).
    #[arg(long)]
    pub sort: bool,
    /// Accepted for grep/ripgrep compatibility: line numbers are always shown.
    #[arg(short = 'n', long = "line-number", hide = true)]
    pub line_number: bool,
}

/// `ax lifecycle`.
#[derive(Debug, Args)]
pub struct LifecycleArgs {
    /// List what would be done, change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
}

/// `ax init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing ax.yaml.
    #[arg(long)]
    pub force: bool,
}

/// `ax config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration without touching any data.
    Check,
}

/// `ax token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a fresh random secret (once) and the `serve.tokens` entry to paste into ax.yaml,
    /// which keeps only its SHA-256.
    New(TokenNewArgs),
}

/// `ax token new`.
#[derive(Debug, Args)]
pub struct TokenNewArgs {
    /// The token's name, shown in logs and metrics (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// A mount the token may use and how: `/scratch:rw`, `/docs:r`, `/code:rwx` (x: may run
    /// commands). Repeat for more; mounts not named do not exist for the token.
    #[arg(long = "mount", value_name = "MOUNT:SCOPE")]
    pub mounts: Vec<String>,
}

/// `ax completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `ax tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: crate::tools::Format,
    /// One line instead of pretty-printed JSON.
    #[arg(long)]
    pub compact: bool,
    /// Only these tools (comma-separated names, with or without the `ax_` prefix).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    /// Leave out these tools (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub exclude: Vec<String>,
}

/// `ax mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Only serve these tools (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    /// Do not serve these tools (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub exclude: Vec<String>,
}

/// `ax serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed on stderr). A non-loopback
    /// address needs `serve.tokens` in ax.yaml.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub listen: std::net::SocketAddr,
    /// A browser origin allowed to call (`https://app.example.com`); repeat for more.
    /// Requests with any other `Origin` get 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// A host name clients may use in `Host` for /mcp besides loopback names and the listen
    /// address (behind a proxy or a DNS name); repeat for more.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
}

/// `ax call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Tool name, e.g. ax_read (the `ax_` prefix may be left out).
    pub tool: String,
    /// Arguments as a JSON object; omit it or give `-` to read them from stdin.
    pub arguments: Option<String>,
}

/// `ax exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Folder to run in: a virtual path in a mount with `exec: true`. Default: that mount's
    /// root when only one mount allows commands.
    #[arg(long = "in", value_name = "PATH")]
    pub cwd: Option<String>,
    /// Time limit (30s, 2m, 1h); at the limit the command and everything it started are
    /// killed and ax exits 124. Default: exec.timeout in ax.yaml (120s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// More folders the command may write (virtual paths in writable local mounts),
    /// comma-separated or repeated. The mount it runs in is always writable (unless
    /// read-only).
    #[arg(long, value_name = "PATHS", value_delimiter = ',')]
    pub allow_write: Vec<String>,
    /// The command and its arguments, after `--`: run as given, not through a shell (write
    /// `-- sh -c '…'` for pipes).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<std::ffi::OsString>,
}

/// `ax search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for, in words: any text (nothing in it is query syntax; a leading `-`
    /// is part of the query).
    #[arg(allow_hyphen_values = true)]
    pub query: String,
    /// Only below this path (a mount, a folder or a file); default every indexed mount.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Number of results.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Ranking.
    #[arg(long, value_enum, default_value = "hybrid")]
    pub mode: crate::index::SearchMode,
}

/// `ax index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Only this mount or folder; default every indexed mount.
    pub path: Option<String>,
    /// Forget the index and build it again (cached embeddings are reused).
    #[arg(long, conflicts_with = "status")]
    pub rebuild: bool,
    /// Show the model (folder, digests, runtime) and the index (files, chunks, embedded
    /// share, size) instead of indexing.
    #[arg(long)]
    pub status: bool,
}

/// `ax watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only this mount or folder; default every indexed mount.
    pub path: Option<String>,
}
