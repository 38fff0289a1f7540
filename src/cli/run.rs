//! `ax exec`: runs a command through [`crate::sandbox`], its output passed through live (or,
//! with `--json`, captured into the `ax_exec` result), and exits with the command's status.

use std::io::Write;

use super::Ctx;
use super::args::ExecArgs;
use super::output::{self, Printer};
use crate::error::{Error, Exit, Result};
use crate::sandbox::{self, Program, RunRequest, Stream};

pub(super) fn exec(ctx: &Ctx, a: &ExecArgs, out: &mut Printer) -> Result<Exit> {
    let timeout = a
        .timeout
        .as_deref()
        .map(|t| {
            crate::config::parse_duration(t).map_err(|m| Error::usage(format!("--timeout: {m}")))
        })
        .transpose()?;
    let plan = sandbox::plan(
        ctx.vfs()?,
        &RunRequest {
            program: Program::Argv(a.command.clone()),
            cwd: a.cwd.clone(),
            timeout,
            allow_write: a.allow_write.clone(),
        },
    )?;
    let outcome = if out.json {
        plan.run(None)?
    } else {
        let mut stdout = out.raw()?;
        plan.run(Some(&mut |stream, bytes| match stream {
            Stream::Stdout => stdout.write_all(bytes).and_then(|_| stdout.flush()),
            Stream::Stderr => output::child_stderr(bytes),
        }))?
    };
    let code = outcome.exit_code.clamp(0, 255) as u8;
    if out.json {
        out.json_line(&crate::exec::exec_output(&plan, outcome))?;
    } else if outcome.timed_out {
        output::notice(&format!(
            "timed out after {} s: the command and everything it started were killed (exit {})",
            plan.timeout.as_secs_f64(),
            sandbox::TIMEOUT_EXIT
        ));
    }
    Ok(Exit::Command(code))
}
