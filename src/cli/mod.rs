//! The command-line edge: parse, resolve, act, and map the outcome to an exit code.
//!
//! Every handler has the same signature — `fn(&Ctx, &Args, &mut Printer) -> Result<Exit>` —
//! and sees the resolved configuration through [`Ctx`], which loads it lazily so commands
//! that need none (`completions`, `init`) never read a config file. Errors are formatted
//! here and only here.

mod args;
mod files;
mod grep;
mod lifecycle;
mod listing;
mod output;
mod run;
mod search;
mod setup;
mod transfer;

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::Parser;

pub use args::Cli;
use args::Command;
use output::Printer;

use crate::config::{Config, Discovery, Source};
use crate::error::{Error, ErrorKind, Exit, Result};
use crate::vfs::Vfs;

/// Resolved context shared by handlers.
pub struct Ctx {
    discovery: Discovery,
    vfs: OnceLock<Result<Vfs>>,
}

impl Ctx {
    /// The Vfs over the discovered configuration, loaded on first use.
    pub fn vfs(&self) -> Result<&Vfs> {
        self.vfs
            .get_or_init(|| {
                let cfg = Config::discover(&self.discovery)?;
                announce_default(&cfg);
                Ok(Vfs::new(cfg))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The discovery settings (for `init` and `config check`).
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }
}

/// The first time the embedded default is used in a directory, say so (once: the data
/// folder it creates marks that the notice was given).
fn announce_default(cfg: &Config) {
    if let Source::Default { data_dir } = &cfg.source
        && !data_dir.exists()
    {
        output::notice(&format!(
            "no ax.yaml found; using the built-in default layout with data under {} (`ax init` writes an ax.yaml to customise it)",
            crate::config::DEFAULT_DATA_DIR
        ));
        let _ = std::fs::create_dir_all(data_dir);
    }
}

/// Runs ax with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            // --help/--version to a closed pipe must not panic either.
            let _ = e.print();
            return code.into();
        }
    };
    run(cli).into()
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Exit {
    let discovery = match Discovery::from_env(cli.config.clone()) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let ctx = Ctx {
        discovery,
        vfs: OnceLock::new(),
    };
    let mut out = Printer::new(cli.json);
    let result = dispatch(&ctx, &cli.command, &mut out).and_then(|code| out.flush().map(|_| code));
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => fail(&e),
    }
}

fn fail(e: &Error) -> Exit {
    output::print_error(e);
    e.exit()
}

fn dispatch(ctx: &Ctx, cmd: &Command, out: &mut Printer) -> Result<Exit> {
    match cmd {
        Command::Write(a) => files::write(ctx, a, out),
        Command::Append(a) => files::append(ctx, a, out),
        Command::Cat(a) => files::cat(ctx, a, out),
        Command::Edit(a) => files::edit(ctx, a, out),
        Command::Rm(a) => files::rm(ctx, a, out),
        Command::Ls(a) => listing::ls(ctx, a, out),
        Command::Tree(a) => listing::tree(ctx, a, out),
        Command::Stat(a) => listing::stat(ctx, a, out),
        Command::Find(a) => listing::find(ctx, a, out),
        Command::Cp(a) => transfer::cp(ctx, a, out),
        Command::Mv(a) => transfer::mv(ctx, a, out),
        Command::Grep(a) => grep::grep(ctx, a, out),
        Command::Lifecycle(a) => lifecycle::lifecycle(ctx, a, out),
        Command::Search(a) => search::search(ctx, a, out),
        Command::Index(a) => search::index(ctx, a, out),
        Command::Watch(a) => search::watch(ctx, a, out),
        Command::Init(a) => setup::init(ctx, a, out),
        Command::Mounts => setup::mounts(ctx, &(), out),
        Command::Config(args::ConfigCommand::Check) => setup::config_check(ctx, &(), out),
        Command::Completions(a) => setup::completions(ctx, a, out),
        Command::Tools(a) => setup::tools(ctx, a, out),
        Command::Mcp(a) => setup::mcp(ctx, a, out),
        Command::Call(a) => setup::call(ctx, a, out),
        Command::Exec(a) => run::exec(ctx, a, out),
        Command::Token(args::TokenCommand::New(a)) => setup::token_new(ctx, a, out),
        Command::Serve(a) => setup::serve(ctx, a, out),
    }
}
