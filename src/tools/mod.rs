//! Renders the operation catalogue ([`crate::ops`]) as tool definitions for LLM APIs.
//!
//! One catalogue, four shapes: MCP `tools/list` objects, OpenAI function tools (strict mode,
//! Chat Completions or Responses), Anthropic Messages tools, and a neutral JSON list. The
//! descriptions are completed from the mount table in use — path arguments list the mount
//! points, write tools name the mounts that refuse writes, `ax_list`/`ax_mounts` carry the
//! whole table — and write tools are left out when every mount is read-only. `ax mcp`
//! serves exactly the MCP rendering, so the CLI's output and the server can never differ.
//! This module renders; it never executes.

use serde_json::{Map, Value, json};

use crate::catalogue::{OpSpec, catalogue};
use crate::config::{Config, Mount};
use crate::error::{Error, Result};

/// Tool-definition formats (the one type: `ax tools --format` parses into it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// MCP `tools/list` objects (`inputSchema`, `annotations`).
    Mcp,
    /// OpenAI Chat Completions function tools, strict mode.
    #[cfg_attr(feature = "cli", value(name = "openai"))]
    OpenAi,
    /// OpenAI Responses API function tools, strict mode.
    #[cfg_attr(feature = "cli", value(name = "openai-responses"))]
    OpenAiResponses,
    /// Anthropic Messages API tools (`input_schema`).
    Anthropic,
    /// A neutral list with every flag.
    Json,
}

/// Which tools to include.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these names (with or without the `ax_` prefix); empty means all.
    pub only: Vec<String>,
    /// Leave these out.
    pub exclude: Vec<String>,
}

fn canonical_name(n: &str) -> String {
    let n = n.trim();
    if n.starts_with("ax_") {
        n.to_string()
    } else {
        format!("ax_{n}")
    }
}

impl Selection {
    /// Checks every name refers to a real tool (a typo should not silently drop tools).
    fn validate(&self, ops: &[OpSpec]) -> Result<()> {
        for n in self.only.iter().chain(&self.exclude) {
            let c = canonical_name(n);
            if !ops.iter().any(|o| o.name == c) {
                let names: Vec<&str> = ops.iter().map(|o| o.name).collect();
                return Err(Error::usage(format!(
                    "no tool named {n:?}; tools are {}",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn keeps(&self, name: &str) -> bool {
        let hit = |list: &[String]| list.iter().any(|n| canonical_name(n) == name);
        (self.only.is_empty() || hit(&self.only)) && !hit(&self.exclude)
    }
}

/// The operations offered for `config` and `sel`, with descriptions completed from the
/// mount table. Shared by every format and by `ax mcp`.
pub fn offered(config: &Config, sel: &Selection) -> Result<Vec<(OpSpec, Value)>> {
    let ops = catalogue();
    sel.validate(&ops)?;
    let all_read_only = config.mounts.iter().all(|m| m.read_only);
    let can_exec = config.mounts.iter().any(|m| m.exec);
    let mut out = Vec::new();
    for op in ops {
        // Running commands is offered only where a mount allows it (off by default). A
        // read-only mount may allow it: the command then only reads.
        let offered = if op.name == "ax_exec" {
            can_exec
        } else {
            !all_read_only || op.read_only
        };
        if !sel.keeps(op.name) || !offered {
            continue;
        }
        let schema = input_schema(&op, config);
        out.push((op, schema));
    }
    Ok(out)
}

/// Renders the tools for `config` in `format`.
pub fn render(config: &Config, format: Format, sel: &Selection) -> Result<Value> {
    let tools: Vec<Value> = offered(config, sel)?
        .into_iter()
        .map(|(op, schema)| {
            let description = describe(&op, config);
            match format {
                Format::Mcp => mcp_tool(&op, &description, schema, output_schema(&op)),
                Format::OpenAi => json!({
                    "type": "function",
                    "function": {
                        "name": op.name,
                        "description": description,
                        "parameters": strict(schema),
                        "strict": true,
                    }
                }),
                Format::OpenAiResponses => json!({
                    "type": "function",
                    "name": op.name,
                    "description": description,
                    "parameters": strict(schema),
                    "strict": true,
                }),
                Format::Anthropic => json!({
                    "name": op.name,
                    "description": description,
                    "input_schema": schema,
                }),
                Format::Json => json!({
                    "name": op.name,
                    "title": op.title,
                    "description": description,
                    "input_schema": schema,
                    "read_only": op.read_only,
                    "destructive": op.destructive,
                    "idempotent": op.idempotent,
                }),
            }
        })
        .collect();
    Ok(Value::Array(tools))
}

/// The tools for `config` in `format` as `ax tools` prints them: pretty JSON (compact with
/// `compact`) and a final newline. Every front end that hands out definitions as text uses
/// this, so they are byte-identical.
pub fn render_text(
    config: &Config,
    format: Format,
    sel: &Selection,
    compact: bool,
) -> Result<String> {
    let value = render(config, format, sel)?;
    let mut text = if compact {
        serde_json::to_string(&value)
    } else {
        serde_json::to_string_pretty(&value)
    }
    .map_err(|e| {
        Error::new(
            crate::error::ErrorKind::Internal,
            format!("rendering JSON failed: {e}"),
        )
    })?;
    text.push('\n');
    Ok(text)
}

/// One MCP `Tool` object (the current revision's fields).
pub fn mcp_tool(op: &OpSpec, description: &str, schema: Value, output: Value) -> Value {
    json!({
        "name": op.name,
        "title": op.title,
        "description": description,
        "inputSchema": schema,
        "outputSchema": output,
        "annotations": {
            "title": op.title,
            "readOnlyHint": op.read_only,
            "destructiveHint": op.destructive,
            "idempotentHint": op.idempotent,
            "openWorldHint": false,
        },
    })
}

fn mount_line(m: &Mount) -> String {
    let access = if m.read_only {
        "read-only"
    } else {
        "read-write"
    };
    let indexed = if m.index { ", searchable" } else { "" };
    let exec = if m.exec { ", commands allowed" } else { "" };
    match &m.description {
        Some(d) => format!("{} ({} tier, {access}{indexed}{exec}): {d}", m.path, m.tier),
        None => format!("{} ({} tier, {access}{indexed}{exec})", m.path, m.tier),
    }
}

/// The operation's description, completed with what the model needs to know of the mounts.
pub fn describe(op: &OpSpec, config: &Config) -> String {
    let mut d = op.description.to_string();
    if matches!(op.name, "ax_list" | "ax_mounts") {
        d.push_str(" Mounts: ");
        d.push_str(
            &config
                .mounts
                .iter()
                .map(mount_line)
                .collect::<Vec<_>>()
                .join("; "),
        );
        d.push('.');
    }
    if op.name == "ax_exec" {
        let places: Vec<String> = config
            .mounts
            .iter()
            .filter(|m| m.exec)
            .map(|m| {
                let access = if m.read_only { "read-only" } else { "writable" };
                format!("{} ({access})", m.path)
            })
            .collect();
        d.push_str(&format!(" Commands may run in: {}.", places.join(", ")));
        return d;
    }
    if !op.read_only {
        let ro: Vec<&str> = config
            .mounts
            .iter()
            .filter(|m| m.read_only)
            .map(|m| m.path.as_str())
            .collect();
        if !ro.is_empty() {
            d.push_str(&format!(" Refused on read-only mounts: {}.", ro.join(", ")));
        }
    }
    d
}

/// The argument schema: schemars' output, tidied (no `$schema`, `title`, non-standard
/// `format`s) and with path arguments listing the mount points.
fn input_schema(op: &OpSpec, config: &Config) -> Value {
    let mut schema =
        serde_json::to_value((op.schema)()).unwrap_or_else(|_| json!({"type": "object"}));
    if let Value::Object(obj) = &mut schema {
        obj.remove("$schema");
        obj.remove("title");
        obj.remove("description");
        if !obj.contains_key("properties") {
            obj.insert("properties".into(), Value::Object(Map::new()));
        }
        let mounts: Vec<&str> = config.mounts.iter().map(|m| m.path.as_str()).collect();
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            for (key, prop) in props.iter_mut() {
                tidy(prop);
                if matches!(key.as_str(), "path" | "src" | "dst")
                    && let Some(Value::String(desc)) = prop.get_mut("description")
                {
                    desc.push_str(&format!(" Mount points: {}.", mounts.join(", ")));
                }
            }
        }
    }
    schema
}

/// The result schema (MCP `outputSchema`), tidied like the input schema.
fn output_schema(op: &OpSpec) -> Value {
    let mut schema =
        serde_json::to_value((op.output)()).unwrap_or_else(|_| json!({"type": "object"}));
    if let Value::Object(obj) = &mut schema {
        obj.remove("$schema");
        obj.remove("title");
    }
    tidy(&mut schema);
    schema
}

/// Drops keywords some APIs reject (`format: uint64` and the like).
fn tidy(v: &mut Value) {
    if let Value::Object(o) = v {
        o.remove("format");
        o.remove("default");
        for child in o.values_mut() {
            tidy(child);
        }
    }
}

/// OpenAI strict mode: every object closes (`additionalProperties: false`), every property
/// is required, and optional ones become nullable.
pub fn strict(mut schema: Value) -> Value {
    make_strict(&mut schema);
    schema
}

fn make_strict(v: &mut Value) {
    let Value::Object(o) = v else { return };
    if o.get("type") == Some(&json!("object")) || o.contains_key("properties") {
        let required: Vec<String> = o
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut all = Vec::new();
        if let Some(Value::Object(props)) = o.get_mut("properties") {
            for (k, p) in props.iter_mut() {
                make_strict(p);
                if !required.contains(k) {
                    nullable(p);
                }
                all.push(Value::String(k.clone()));
            }
        }
        o.insert("required".into(), Value::Array(all));
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["items", "anyOf", "oneOf", "$defs"] {
        if let Some(child) = o.get_mut(key) {
            match child {
                Value::Array(a) => a.iter_mut().for_each(make_strict),
                Value::Object(m) if key == "$defs" => m.values_mut().for_each(make_strict),
                other => make_strict(other),
            }
        }
    }
    o.remove("minimum");
    o.remove("maximum");
}

fn nullable(p: &mut Value) {
    let Value::Object(o) = p else { return };
    match o.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            if t != "null" {
                o.insert("type".into(), json!([t, "null"]));
            }
        }
        Some(Value::Array(a)) if !a.contains(&json!("null")) => a.push(json!("null")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(extra: &str) -> Config {
        let text = format!(
            "mounts:\n  - path: /scratch\n    tier: hot\n    root: s\n  - path: /docs\n    tier: warm\n    root: d\n    read_only: true\n{extra}"
        );
        Config::from_yaml(&text, "t", Path::new("/x")).unwrap()
    }

    fn check_strict(v: &Value) {
        if let Value::Object(o) = v {
            if o.contains_key("properties") {
                assert_eq!(o["additionalProperties"], json!(false), "{v}");
                let props = o["properties"].as_object().unwrap();
                let req = o["required"].as_array().unwrap();
                assert_eq!(req.len(), props.len(), "{v}");
            }
            o.values().for_each(check_strict);
        }
    }

    #[test]
    fn openai_schemas_follow_strict_rules() {
        let tools = render(&cfg(""), Format::OpenAi, &Selection::default()).unwrap();
        for t in tools.as_array().unwrap() {
            assert_eq!(t["function"]["strict"], json!(true));
            check_strict(&t["function"]["parameters"]);
        }
        let read = &tools[0]["function"]["parameters"]["properties"]["offset"]["type"];
        assert_eq!(read, &json!(["integer", "null"]));
    }

    #[test]
    fn descriptions_name_mounts_and_read_only_ones() {
        let tools = render(&cfg(""), Format::Mcp, &Selection::default()).unwrap();
        let write = tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "ax_write")
            .unwrap();
        assert!(
            write["description"]
                .as_str()
                .unwrap()
                .contains("read-only mounts: /docs")
        );
        let path_desc = write["inputSchema"]["properties"]["path"]["description"]
            .as_str()
            .unwrap();
        assert!(path_desc.contains("/scratch, /docs"), "{path_desc}");
    }

    #[test]
    fn all_read_only_drops_write_tools() {
        let text = "mounts:\n  - path: /docs\n    tier: warm\n    root: d\n    read_only: true\n";
        let c = Config::from_yaml(text, "t", Path::new("/x")).unwrap();
        let tools = render(&c, Format::Anthropic, &Selection::default()).unwrap();
        let names: Vec<&str> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"ax_read")
                && !names.contains(&"ax_write")
                && !names.contains(&"ax_delete")
        );
    }

    #[test]
    fn selection_trims_and_rejects_typos() {
        let sel = Selection {
            only: vec!["read".into(), "ax_grep".into()],
            exclude: vec![],
        };
        let tools = render(&cfg(""), Format::Json, &sel).unwrap();
        assert_eq!(tools.as_array().unwrap().len(), 2);
        let bad = Selection {
            only: vec![],
            exclude: vec!["raed".into()],
        };
        assert!(render(&cfg(""), Format::Json, &bad).is_err());
    }
}
