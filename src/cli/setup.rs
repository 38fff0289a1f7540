//! Set-up and inspection: `init`, `mounts`, `config check`, `completions`.

use std::io;

use clap::CommandFactory;
use serde_json::json;

use super::Ctx;
use super::args::{self, CallArgs, Cli, CompletionsArgs, InitArgs, McpArgs, ToolsArgs};
use super::output::Printer;
use crate::config::{Config, EXAMPLE_CONFIG, Source};
use crate::error::{Error, ErrorKind, Exit, Result};

pub(super) fn init(ctx: &Ctx, a: &InitArgs, out: &mut Printer) -> Result<Exit> {
    let path = ctx.discovery().start_dir.join("ax.yaml");
    if path.exists() && !a.force {
        return Err(Error::new(ErrorKind::AlreadyExists, "already exists")
            .at("ax.yaml")
            .hint("pass --force to overwrite it"));
    }
    std::fs::write(&path, EXAMPLE_CONFIG).map_err(|e| Error::io(&e, "ax.yaml"))?;
    if out.json {
        out.json_line(&json!({"created": path}))?;
    } else {
        out.line("wrote ax.yaml; check it with `ax config check`, see the table with `ax mounts`")?;
    }
    Ok(Exit::Ok)
}

fn source_name(cfg: &Config) -> String {
    match &cfg.source {
        Source::File(p) => p.display().to_string(),
        Source::Default { .. } => "built-in default".to_string(),
    }
}

pub(super) fn mounts(ctx: &Ctx, _: &(), out: &mut Printer) -> Result<Exit> {
    let vfs = ctx.vfs()?;
    // Files are counted for local mounts only; an object store or an unreadable mount
    // shows "-" (ax does not list a whole bucket to count it).
    let info = crate::exec::mounts_output(vfs);
    if out.json {
        out.json_line(&info)?;
        return Ok(Exit::Ok);
    }
    let rows: Vec<_> = vfs
        .mounts()
        .sorted()
        .into_iter()
        .zip(info.mounts.iter().map(|i| i.files))
        .collect();
    out.line(format_args!(
        "{:<14} {:<5} {:<6} {:<8} {:>7}  LOCATION",
        "MOUNT", "TIER", "ACCESS", "INDEXED", "FILES"
    ))?;
    for (m, files) in rows {
        let files = files.map_or_else(|| "-".to_string(), |f| f.to_string());
        out.line(format_args!(
            "{:<14} {:<5} {:<6} {:<8} {:>7}  {}",
            m.path().as_str(),
            m.config.tier.to_string(),
            if m.config.read_only { "ro" } else { "rw" },
            if m.config.index { "yes" } else { "no" },
            files,
            m.config.backend.describe()
        ))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn config_check(ctx: &Ctx, _: &(), out: &mut Printer) -> Result<Exit> {
    let cfg = Config::discover(ctx.discovery())?;
    let source = source_name(&cfg);
    if out.json {
        out.json_line(&json!({"ok": true, "source": source, "mounts": cfg.mounts.len(), "lifecycle_rules": cfg.lifecycle.len()}))?;
    } else {
        out.line(format_args!(
            "ok: {source}: {} mounts, {} lifecycle rules",
            cfg.mounts.len(),
            cfg.lifecycle.len()
        ))?;
    }
    Ok(Exit::Ok)
}

pub(super) fn completions(_: &Ctx, a: &CompletionsArgs, out: &mut Printer) -> Result<Exit> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "ax", &mut buf);
    io::Write::write_all(out.out(), &buf).map_err(|e| Error::from_io(&e))?;
    Ok(Exit::Ok)
}

/// `ax token new`: needs no config (the entry is checked when the config that holds it loads).
pub(super) fn token_new(_: &Ctx, a: &args::TokenNewArgs, out: &mut Printer) -> Result<Exit> {
    use crate::config::{Grant, check_token_name, fresh_secret, secret_digest};
    check_token_name(&a.name).map_err(Error::usage)?;
    let mut scopes = Vec::new();
    for m in &a.mounts {
        let parsed = m.rsplit_once(':').and_then(|(path, scope)| {
            let p = crate::vpath::VPath::parse(path)
                .ok()
                .filter(|p| !p.is_root())?;
            Some((p, Grant::parse(scope)?))
        });
        let (path, grant) = parsed.ok_or_else(|| {
            Error::usage(format!(
                "--mount {m}: write MOUNT:SCOPE, e.g. /scratch:rw; SCOPE is r, rw, rx or rwx"
            ))
        })?;
        scopes.push(format!("{path}: {}", grant.letters()));
    }
    let secret = fresh_secret()?;
    if out.json {
        out.json_line(&json!({
            "name": a.name,
            "secret": secret,
            "sha256": secret_digest(&secret),
            "mounts": a.mounts,
        }))?;
        return Ok(Exit::Ok);
    }
    out.line(format!("secret: {secret}"))?;
    out.line("# Shown once: give it to the agent (an environment variable, a secret store).")?;
    out.line("# Paste the entry below into ax.yaml; it holds only the secret's SHA-256.")?;
    out.line("serve:")?;
    out.line("  tokens:")?;
    out.line(format!("    - name: {}", a.name))?;
    out.line(format!("      sha256: {}", secret_digest(&secret)))?;
    out.line(format!("      mounts: {{ {} }}", scopes.join(", ")))?;
    Ok(Exit::Ok)
}

pub(super) fn tools(ctx: &Ctx, a: &ToolsArgs, out: &mut Printer) -> Result<Exit> {
    use crate::tools::{Selection, render_text};
    // Describing tools reads the config but touches no data (no default data folder either).
    let cfg = Config::discover(ctx.discovery())?;
    let sel = Selection {
        only: a.only.clone(),
        exclude: a.exclude.clone(),
    };
    let text = render_text(&cfg, a.format, &sel, a.compact)?;
    out.out()
        .write_all(text.as_bytes())
        .map_err(|e| Error::from_io(&e))?;
    Ok(Exit::Ok)
}

pub(super) fn mcp(ctx: &Ctx, a: &McpArgs, _out: &mut Printer) -> Result<Exit> {
    let cfg = Config::discover(ctx.discovery())?;
    let sel = crate::tools::Selection {
        only: a.only.clone(),
        exclude: a.exclude.clone(),
    };
    crate::mcp::serve(crate::vfs::Vfs::new(cfg), &sel)?;
    Ok(Exit::Ok)
}

pub(super) fn serve(ctx: &Ctx, a: &args::ServeArgs, _out: &mut Printer) -> Result<Exit> {
    let cfg = Config::discover(ctx.discovery())?;
    let tokens = cfg.serve.tokens.len();
    let opts = crate::serve::ServeOptions {
        listen: a.listen,
        allowed_origins: a.allow_origins.clone(),
        allowed_hosts: a.allow_hosts.clone(),
        ..Default::default()
    };
    crate::serve::run(crate::vfs::Vfs::new(cfg), opts, &mut |addr| {
        super::output::notice(&format!(
            "serve: listening on http://{addr} ({})",
            match tokens {
                0 => "no tokens: loopback only, every caller sees everything".to_string(),
                1 => "1 token".to_string(),
                n => format!("{n} tokens"),
            }
        ));
    })?;
    Ok(Exit::Ok)
}

pub(super) fn call(ctx: &Ctx, a: &CallArgs, out: &mut Printer) -> Result<Exit> {
    let raw = match a.arguments.as_deref() {
        Some(s) if s != "-" => s.to_string(),
        _ => {
            let mut s = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut s)
                .map_err(|e| Error::io(&e, "stdin"))?;
            s
        }
    };
    let args: serde_json::Value = if raw.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&raw)
            .map_err(|e| Error::usage(format!("the arguments are not valid JSON: {e}")))?
    };
    let name = if a.tool.starts_with("ax_") {
        a.tool.clone()
    } else {
        format!("ax_{}", a.tool)
    };
    // a tool call: the error's advice names tool arguments, as `ax mcp` would
    let result = crate::catalogue::call(ctx.vfs()?, &name, args).map_err(Error::for_tools)?;
    if out.json {
        out.json_line(&result.structured)?;
    } else {
        let text = result.text.trim_end_matches('\n');
        out.line(text)?;
    }
    Ok(Exit::Ok)
}
