//! The README's `--json` table is checked against what the commands print: for every row with
//! a single JSON document, the keys it lists (nested objects and lists of objects included;
//! `"key"?` marks an optional key) are exactly the keys of the output.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::TestEnv;

/// A shape as the README writes it: `{"a","b":[{"c"}],"d":true}`.
#[derive(Debug)]
enum Shape {
    Obj(Vec<(String, bool, Option<Shape>)>),
    List(Box<Shape>),
    Any,
}

fn parse(s: &[u8], i: &mut usize) -> Shape {
    match s[*i] {
        b'{' => {
            *i += 1;
            let mut keys = Vec::new();
            loop {
                match s[*i] {
                    b'}' => {
                        *i += 1;
                        break;
                    }
                    b',' => *i += 1,
                    b'"' => {
                        let start = *i + 1;
                        *i = start;
                        while s[*i] != b'"' {
                            *i += 1;
                        }
                        let name = String::from_utf8(s[start..*i].to_vec()).unwrap();
                        *i += 1;
                        let optional = s[*i] == b'?';
                        if optional {
                            *i += 1;
                        }
                        let mut sub = None;
                        if s[*i] == b':' {
                            *i += 1;
                            sub = Some(parse(s, i));
                        }
                        keys.push((name, optional, sub));
                    }
                    c => panic!("unexpected {:?} at {} in the README shape", c as char, *i),
                }
            }
            Shape::Obj(keys)
        }
        b'[' if s[*i + 1] == b'{' => {
            *i += 1;
            let inner = parse(s, i);
            assert_eq!(s[*i], b']', "a list of objects ends with ]");
            *i += 1;
            Shape::List(Box::new(inner))
        }
        b'[' => {
            // an opaque list (e.g. `[[name,ok]]`): skip to its end
            let mut depth = 0;
            loop {
                match s[*i] {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    _ => {}
                }
                *i += 1;
                if depth == 0 {
                    return Shape::Any;
                }
            }
        }
        _ => {
            while !matches!(s[*i], b',' | b'}' | b']') {
                *i += 1;
            }
            Shape::Any
        }
    }
}

fn check(shape: &Shape, v: &Value, at: &str) {
    match shape {
        Shape::Obj(keys) => {
            let o = v
                .as_object()
                .unwrap_or_else(|| panic!("{at}: not an object: {v}"));
            let listed: BTreeSet<&str> = keys.iter().map(|k| k.0.as_str()).collect();
            let required: BTreeSet<&str> =
                keys.iter().filter(|k| !k.1).map(|k| k.0.as_str()).collect();
            let have: BTreeSet<&str> = o.keys().map(String::as_str).collect();
            assert!(
                have.is_subset(&listed) && required.is_subset(&have),
                "{at}: the README lists {listed:?}, the command printed {have:?}"
            );
            for (k, _, sub) in keys {
                if let (Some(sub), Some(x)) = (sub, o.get(k)) {
                    check(sub, x, &format!("{at}.{k}"));
                }
            }
        }
        Shape::List(inner) => {
            for (n, e) in v
                .as_array()
                .unwrap_or_else(|| panic!("{at}: not a list: {v}"))
                .iter()
                .enumerate()
            {
                check(inner, e, &format!("{at}[{n}]"));
            }
        }
        Shape::Any => {}
    }
}

/// `| `cmd`, `cmd2` | ... `{shape}` ... |` rows of the README's `--json` table.
fn readme_rows() -> Vec<(Vec<String>, String)> {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = &readme[readme
        .find("### `--json` shapes")
        .expect("the --json section")..];
    let mut rows = Vec::new();
    for line in table
        .lines()
        .skip_while(|l| !l.starts_with("| command"))
        .skip(2)
    {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        let names = cells[0]
            .trim_start_matches("| ")
            .split(", ")
            .map(|c| c.trim_matches('`').to_string())
            .collect();
        let out = cells[1];
        if out.starts_with("JSON Lines") {
            continue; // streams: one document per line, not one shape
        }
        let Some(a) = out.find("`{") else { continue };
        let b = a + 1 + out[a + 1..].find('`').unwrap();
        rows.push((names, out[a + 1..b].to_string()));
    }
    rows
}

#[test]
fn readme_json_table_matches_what_the_commands_print() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.root().join("data/docs")).unwrap();
    std::fs::write(
        env.root().join("data/docs/retry.md"),
        "# Retry\n\nretry with backoff\n",
    )
    .unwrap();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("write", vec!["write", "/scratch/a.md", "hello\nworld\n"]),
        ("append", vec!["append", "/scratch/a.md", "more"]),
        ("cat", vec!["cat", "/scratch/a.md"]),
        (
            "edit",
            vec!["edit", "/scratch/a.md", "--old", "hello", "--new", "hi"],
        ),
        ("ls", vec!["ls", "/scratch"]),
        ("tree", vec!["tree", "/scratch"]),
        ("stat", vec!["stat", "/scratch/a.md"]),
        ("cp", vec!["cp", "/scratch/a.md", "/scratch/b.md"]),
        ("mv", vec!["mv", "/scratch/b.md", "/scratch/c.md"]),
        ("rm", vec!["rm", "/scratch/c.md"]),
        (
            "search",
            vec!["search", "retry", "--path", "/docs", "--mode", "keyword"],
        ),
        ("index", vec!["index"]),
        ("index --status", vec!["index", "--status"]),
        ("mounts", vec!["mounts"]),
        ("config check", vec!["config", "check"]),
        (
            "token new",
            vec!["token", "new", "ci", "--mount", "/scratch:rw"],
        ),
    ];
    let rows = readme_rows();
    for (name, args) in &runs {
        let (_, shape) = rows
            .iter()
            .find(|(names, _)| names.iter().any(|n| n == name))
            .unwrap_or_else(|| panic!("the README's --json table has no row for `{name}`"));
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let outcome = env.run(&full);
        let out = outcome.success();
        let first = out
            .stdout_text()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let v: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("ax {full:?} printed no JSON ({e}): {first}"));
        let mut i = 0;
        check(&parse(shape.as_bytes(), &mut i), &v, name);
    }
}
