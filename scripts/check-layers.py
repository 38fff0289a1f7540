#!/usr/bin/env python3
"""Layer check: a module may import only modules of a lower layer (ARCHITECTURE.md).
Usage: scripts/check-layers.py [SRC_DIR]   (exit 1 and one line per violation)"""
import re, sys, pathlib

# Lower number = lower layer. Same number = siblings, which may not import each other.
LAYER = {
    "error": 0, "vpath": 1, "config": 2, "backend": 3, "vfs": 4,
    "grep": 5, "lifecycle": 5, "index": 5, "sandbox": 5,
    "ops": 6, "exec": 7, "catalogue": 8, "tools": 9,
    "mcp": 10, "serve": 11, "cli": 12,
}
src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
# Blanked before matching, newlines kept: raw strings, strings, char literals, comments.
NOISE = re.compile(r'(?<!\w)b?r(#*)"[\s\S]*?"\1|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'|//[^\n]*|/\*[\s\S]*?\*/')
PATH = re.compile(r"(?<![\w$])crate::(\w+)")  # crate::x::..., use crate::x; not $crate
GROUP = re.compile(r"(?<![\w$])crate::\{")    # use crate::{a::B, c}

def group_heads(text, start):
    """Top-level names inside `crate::{...}` that starts at text[start] == '{'."""
    depth, item, heads = 0, "", []
    for ch in text[start:]:
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 1 and ch in ",}" or depth == 0:
            heads.append(item.strip().split("::")[0].strip("{ "))
            item = ""
            if depth == 0:
                break
        elif not (depth == 1 and ch == "{"):
            item += ch
    return [h for h in heads if h]

bad, unknown = [], set()
for f in sorted(src.rglob("*.rs")):
    rel = f.relative_to(src)
    me = rel.parts[0].removesuffix(".rs")
    if me in ("lib", "main"):
        continue
    raw = f.read_text()
    code = NOISE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), raw)
    hits = [(m.start(), m.group(1)) for m in PATH.finditer(code)]
    hits += [(m.start(), h) for m in GROUP.finditer(code) for h in group_heads(code, m.end() - 1)]
    for m in re.finditer(r"\bsuper::super::", code):
        bad.append(f"{src / rel}:{code.count(chr(10), 0, m.start()) + 1}: "
                   "`super::super::` reaches the crate root; write `crate::...` so the check sees it")
    for pos, dep in hits:
        if dep == me or dep == "self":
            continue
        if me not in LAYER or dep not in LAYER:
            unknown.add(me if me not in LAYER else dep)
            continue
        if LAYER[dep] >= LAYER[me]:
            line = code.count("\n", 0, pos) + 1
            bad.append(f"{src / rel}:{line}: `{me}` (layer {LAYER[me]}) imports "
                       f"`crate::{dep}` (layer {LAYER[dep]}); layers point down")
for u in sorted(unknown):
    bad.append(f"{src}: module `{u}` has no layer; add it to LAYER in scripts/check-layers.py")
print("\n".join(bad) if bad else f"layers ok ({len(LAYER)} modules)")
sys.exit(1 if bad else 0)
