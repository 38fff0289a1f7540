"""`ax mcp` and `ax tools` checked by the official Python MCP SDK and a JSON Schema validator.

Run by scripts/test.sh (which installs `mcp` and `jsonschema` into a venv):
    python tests/mcp_client.py PATH_TO_AX
Exits non-zero with a message on the first failed check.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonschema import Draft202012Validator
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

CONFIG = """\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
    exec: true
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
  - path: /archive
    tier: cold
    url: file://./data/archive
"""

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def ax_tools(ax, cfg, fmt):
    out = subprocess.run([ax, "--config", cfg, "tools", "--format", fmt], check=True, capture_output=True)
    return json.loads(out.stdout)


def walk_objects(schema):
    if isinstance(schema, dict):
        yield schema
        for v in schema.values():
            yield from walk_objects(v)
    elif isinstance(schema, list):
        for v in schema:
            yield from walk_objects(v)


def check_tool_formats(ax, cfg):
    """Every format parses; every schema is valid JSON Schema; names legal everywhere."""
    shapes = {
        "mcp": lambda t: (t["name"], t["inputSchema"]),
        "openai": lambda t: (t["function"]["name"], t["function"]["parameters"]),
        "openai-responses": lambda t: (t["name"], t["parameters"]),
        "anthropic": lambda t: (t["name"], t["input_schema"]),
        "json": lambda t: (t["name"], t["input_schema"]),
    }
    for fmt, get in shapes.items():
        tools = ax_tools(ax, cfg, fmt)
        check(len(tools) >= 10, f"{fmt}: too few tools")
        for t in tools:
            name, schema = get(t)
            check(NAME.match(name) and name.startswith("ax_"), f"{fmt}: bad name {name!r}")
            Draft202012Validator.check_schema(schema)
            check(schema.get("type") == "object", f"{fmt}/{name}: schema is not an object")
            if fmt.startswith("openai"):
                check(t.get("strict") is True or t.get("function", {}).get("strict") is True, f"{fmt}/{name}: not strict")
                for obj in walk_objects(schema):
                    if "properties" in obj:
                        check(obj.get("additionalProperties") is False, f"{fmt}/{name}: open object")
                        check(sorted(obj.get("required", [])) == sorted(obj["properties"]), f"{fmt}/{name}: not all required")
            if fmt == "mcp":
                ann = t["annotations"]
                for k in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
                    check(isinstance(ann.get(k), bool), f"mcp/{name}: annotation {k} missing")
        # An example call validates against its schema.
        read = next(get(t)[1] for t in tools if get(t)[0] == "ax_read")
        example = {"path": "/scratch/a.md", "offset": 1, "limit": 10}
        if fmt.startswith("openai"):
            example = {"path": "/scratch/a.md", "offset": None, "limit": None}
        Draft202012Validator(read).validate(example)
    print("ok: tool formats valid")


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def check_server(ax, cfg, workdir):
    params = StdioServerParameters(
        command=ax,
        args=["--config", cfg, "mcp"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=workdir,
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name == "ax", f"server name {init.server_info.name}")
            listed = await session.list_tools()
            names = [t.name for t in listed.tools]
            expected = ax_tools(ax, cfg, "mcp")
            check(names == [t["name"] for t in expected], f"tools/list names differ: {names}")
            for got, want in zip(listed.tools, expected):
                dumped = got.model_dump(by_alias=True, exclude_none=True)
                check(dumped["inputSchema"] == want["inputSchema"], f"{got.name}: inputSchema differs")
                check(dumped["description"] == want["description"], f"{got.name}: description differs")

            out_schema = {t["name"]: t.get("outputSchema") for t in expected}
            validated = set()

            async def call(name, args):
                # Every successful result's structuredContent must match the declared outputSchema.
                r = await session.call_tool(name, args)
                if not r.is_error and out_schema.get(name):
                    check(r.structured_content is not None, f"{name}: no structuredContent")
                    errors = list(Draft202012Validator(out_schema[name]).iter_errors(r.structured_content))
                    check(not errors, f"{name}: structuredContent does not match outputSchema: {errors[:1]}")
                    validated.add(name)
                return r

            ok = lambda r: check(not r.is_error, f"unexpected error: {text_of(r)}")
            ok(await call("ax_write", {"path": "/scratch/notes.md", "content": "alpha\nbeta\n"}))
            ok(await call("ax_append", {"path": "/scratch/notes.md", "content": "gamma"}))
            r = await call("ax_read", {"path": "/scratch/notes.md", "offset": 3, "limit": 1})
            ok(r)
            check("gamma" in text_of(r) and "lines 3-3 of 3" in text_of(r), text_of(r))
            ok(await call("ax_edit", {"path": "/scratch/notes.md", "old": "beta", "new": "BETA"}))
            ok(await call("ax_stat", {"path": "/scratch/notes.md"}))
            ok(await call("ax_list", {"path": "/scratch"}))
            ok(await call("ax_find", {"name": "*.md"}))
            r = await call("ax_grep", {"pattern": "BETA", "path": "/scratch"})
            check("/scratch/notes.md:2:BETA" in text_of(r), text_of(r))
            r = await call("ax_search", {"query": "docs", "path": "/docs", "mode": "keyword"})
            check(not r.is_error and "/docs/readme.md" in text_of(r), f"search: {text_of(r)}")
            ok(await call("ax_copy", {"src": "/scratch/notes.md", "dst": "/archive/notes.md"}))
            ok(await call("ax_move", {"src": "/archive/notes.md", "dst": "/scratch/restored.md"}))
            ok(await call("ax_delete", {"path": "/scratch/restored.md"}))
            ok(await call("ax_mounts", {}))
            check((Path(workdir) / "data/scratch/notes.md").read_text() == "alpha\nBETA\ngamma\n", "content on disk")
            r = await call("ax_exec", {"command": "cat notes.md; exit 3", "cwd": "/scratch"})
            ok(r)
            sc = r.structured_content
            check(sc["exit_code"] == 3 and sc["stdout"] == "alpha\nBETA\ngamma\n" and not sc["timed_out"],
                  f"ax_exec result: {sc}")

            r = await call("ax_read", {"offset": "nope"})
            check(r.is_error and "invalid arguments" in text_of(r), f"bad args: {text_of(r)}")
            r = await call("ax_read", {"path": "/scratch/../../etc/passwd"})
            check(r.is_error and text_of(r).startswith("ax: "), f"traversal: {text_of(r)}")
            r = await call("ax_write", {"path": "/docs/x.md", "content": "x"})
            check(r.is_error and "read-only" in text_of(r), f"read-only: {text_of(r)}")
            check(not (Path(workdir) / "data/docs/x.md").exists(), "wrote into a read-only mount")
            again = await session.list_tools()
            check(len(again.tools) == len(listed.tools), "server stopped answering after errors")
            missing = sorted(n for n, sch in out_schema.items() if sch and n not in validated)
            check(not missing, f"tools whose structuredContent was never validated: {missing}")
    print("ok: python MCP SDK client (every tool's structuredContent matches its outputSchema)")


def check_clean_exit(ax, cfg):
    """With stdin closed after initialize, the server exits 0 on its own."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    p = subprocess.run([ax, "--config", cfg, "mcp"], input=json.dumps(init) + "\n", capture_output=True, text=True, timeout=20)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    first = json.loads(p.stdout.splitlines()[0])
    check(first["result"]["protocolVersion"] == "2024-11-05", f"older revision not answered: {first}")
    print("ok: clean exit, older protocol revision answered")


def check_call_with_openai_nulls(ax, cfg):
    """Strict-mode models send every property, optional ones as null: `ax call` takes that."""
    w = subprocess.run([ax, "--config", cfg, "call", "ax_write", json.dumps(
        {"path": "/scratch/o.md", "content": "one\ntwo\n", "if_match": None, "create_only": None})], capture_output=True, text=True)
    check(w.returncode == 0, f"ax call write: {w.stderr}")
    r = subprocess.run([ax, "--config", cfg, "--json", "call", "ax_read", json.dumps(
        {"path": "/scratch/o.md", "offset": None, "limit": None})], capture_output=True, text=True)
    check(r.returncode == 0 and json.loads(r.stdout)["content"] == "one\ntwo\n", f"ax call read: {r.stdout} {r.stderr}")
    print("ok: ax call with strict-mode null arguments")


def main():
    ax = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "ax.yaml")
        Path(cfg).write_text(CONFIG)
        (Path(d) / "data/docs").mkdir(parents=True)
        (Path(d) / "data/docs/readme.md").write_text("# docs\n")
        check_tool_formats(ax, cfg)
        asyncio.run(check_server(ax, cfg, d))
        check_clean_exit(ax, cfg)
        check_call_with_openai_nulls(ax, cfg)


if __name__ == "__main__":
    main()
