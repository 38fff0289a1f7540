//! `cp` and `mv`.

use super::Ctx;
use super::args::{CpArgs, MvArgs};
use super::output::Printer;
use crate::error::{Exit, Result};
use crate::vfs::{TransferOptions, TransferOutcome};

fn report(out: &mut Printer, o: &TransferOutcome) -> Result<Exit> {
    if out.json {
        out.json_line(&crate::exec::transfer_output(o))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn cp(ctx: &Ctx, a: &CpArgs, out: &mut Printer) -> Result<Exit> {
    let o = ctx.vfs()?.copy(
        &a.src,
        &a.dst,
        &TransferOptions {
            recursive: a.recursive,
        },
    )?;
    report(out, &o)
}

pub(super) fn mv(ctx: &Ctx, a: &MvArgs, out: &mut Printer) -> Result<Exit> {
    let o = ctx
        .vfs()?
        .rename(&a.src, &a.dst, &TransferOptions { recursive: true })?;
    report(out, &o)
}
