//! `lifecycle`: report the plan of [`crate::lifecycle`] (`--dry-run`) or carry it out.
//!
//! A dry run and a real run print the same line per step; a real run prints a step's line
//! once it is done, and a failed step as the usual error line on stderr instead (with
//! `--json`: a `failed` step with its `error` on stdout as well), then keeps going and exits
//! 1 at the end.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::Ctx;
use super::args::LifecycleArgs;
use super::output::{self, Printer};
use crate::config::LifecycleAction;
use crate::error::{Error, Exit, Result};
use crate::lifecycle::{self, Step, TempSweep};

fn action_name(a: LifecycleAction) -> &'static str {
    match a {
        LifecycleAction::Delete => "delete",
        LifecycleAction::Move => "move",
    }
}

fn step_json(s: &Step, status: &str, error: Option<&Error>) -> Value {
    let mut v = json!({
        "type": "step",
        "action": action_name(s.action),
        "path": s.path,
        "to": s.to,
        "size": s.size,
        "age_secs": s.age_secs,
        "status": status,
    });
    if let Some(e) = error {
        v["error"] = json!(e.to_string());
    }
    v
}

/// `delete /scratch/old.log  (12 days old, 3 KiB)`,
/// `move /context/a.md -> /archive/context/a.md  (40 days old, 1.2 KiB)`.
fn step_line(s: &Step) -> String {
    let what = match &s.to {
        Some(to) => format!("{} {} -> {to}", action_name(s.action), s.path),
        None => format!("{} {}", action_name(s.action), s.path),
    };
    format!("{what}  ({} old, {})", age(s.age_secs), size(s.size))
}

fn sweep_json(t: &TempSweep, status: &str) -> Value {
    json!({
        "type": "step",
        "action": "sweep",
        "path": t.path,
        "to": null,
        "size": t.size,
        "age_secs": t.age_secs,
        "status": status,
    })
}

/// `sweep /scratch/.ax-tmp-Ab12  (3 hours old, 10 MiB; left by an interrupted write)`.
fn sweep_line(t: &TempSweep) -> String {
    format!(
        "sweep {}  ({} old, {}; left by an interrupted write)",
        t.path,
        age(t.age_secs),
        size(t.size)
    )
}

/// A whole number of the largest unit that fits: `12 days`, `1 hour`, `40 seconds`.
fn age(secs: u64) -> String {
    let (n, unit) = match secs {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Binary units: `512 B`, `1.5 KiB`, `3 KiB`, `12 MiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = next;
    }
    if v < 10.0 && (v * 10.0).round() % 10.0 != 0.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

pub(super) fn lifecycle(ctx: &Ctx, a: &LifecycleArgs, out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    let steps = lifecycle::plan(vfs, SystemTime::now())?;
    let sweeps = lifecycle::plan_sweep(vfs)?;
    // Mounts whose store expires files by itself (Redis `ttl:`): said once, on stderr.
    for m in &vfs.config().mounts {
        if let crate::config::BackendSpec::Object { url, options } = &m.backend
            && crate::config::is_redis_url(url)
            && let Some(ttl) = options.store.get("ttl")
        {
            output::notice(&format!(
                "{}: files expire by themselves {ttl} after their last change (the mount's ttl)",
                m.path
            ));
        }
    }

    if a.dry_run {
        for s in &steps {
            if out.json {
                out.json_line(&step_json(s, "planned", None))?;
            } else {
                out.line(step_line(s))?;
            }
        }
        for t in &sweeps {
            if out.json {
                out.json_line(&sweep_json(t, "planned"))?;
            } else {
                out.line(sweep_line(t))?;
            }
        }
        if out.json {
            let planned = steps.len() + sweeps.len();
            out.json_line(&json!({"type": "summary", "planned": planned, "failed": 0}))?;
        } else {
            out.flush()?;
            output::remark("(dry run: nothing changed)");
        }
        return Ok(Exit::Ok);
    }

    // The work goes on even if stdout closes (`ax lifecycle | head`): the report is not the
    // job. The first output error is returned at the end (a closed pipe exits quietly).
    let mut out_err: Option<Error> = None;
    let applied = lifecycle::apply(vfs, &steps, |s, r| {
        let written = match (r, out.json) {
            (Ok(()), true) => out.json_line(&step_json(s, "done", None)),
            (Ok(()), false) => out.line(step_line(s)),
            (Err(e), json) => {
                let written = if json {
                    out.json_line(&step_json(s, "failed", Some(e)))
                } else {
                    Ok(())
                };
                // Flush first so stdout and stderr stay in order on a terminal.
                let flushed = written.and_then(|()| out.flush());
                output::print_error(e);
                flushed
            }
        };
        if let Err(e) = written {
            out_err.get_or_insert(e);
        }
    });
    // Leftover temporary files: one held by a write in progress is skipped (not a failure).
    let mut swept = 0;
    let mut sweep_failed = 0;
    for t in &sweeps {
        match lifecycle::apply_sweep(vfs, t) {
            Ok(true) => {
                swept += 1;
                let written = if out.json {
                    out.json_line(&sweep_json(t, "done"))
                } else {
                    out.line(sweep_line(t))
                };
                if let Err(e) = written {
                    out_err.get_or_insert(e);
                }
            }
            Ok(false) => {}
            Err(e) => {
                sweep_failed += 1;
                let _ = out.flush();
                output::print_error(&e);
            }
        }
    }
    if out.json && out_err.is_none() {
        let summary = json!({"type": "summary", "done": applied.done + swept, "failed": applied.failed + sweep_failed});
        if let Err(e) = out.json_line(&summary) {
            out_err = Some(e);
        }
    }
    if applied.failed + sweep_failed > 0 {
        return Ok(Exit::Failed);
    }
    match out_err {
        Some(e) => Err(e),
        None => Ok(Exit::Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sizes_read_naturally() {
        assert_eq!(age(12 * 86_400 + 5), "12 days");
        assert_eq!(age(86_400), "1 day");
        assert_eq!(age(7_200), "2 hours");
        assert_eq!(age(59), "59 seconds");
        assert_eq!(size(0), "0 B");
        assert_eq!(size(3 * 1024), "3 KiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(12 * 1024 * 1024 + 1), "12 MiB");
    }
}
