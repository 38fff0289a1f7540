"""`ax serve` checked by the official Python MCP SDK's streamable-HTTP client, plain HTTP and
the Prometheus client's parser.

Run by scripts/test.sh (mcp, prometheus-client in its venv):
    python tests/mcp_http_client.py PATH_TO_AX
Starts `ax serve` on 127.0.0.1 (a free port) with two tokens, calls every tool through MCP,
checks that a read-only token is refused and changes nothing, that a request without a token
gets 401, and that /metrics parses and counts the calls made; stops the server by its PID.
"""

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from prometheus_client.parser import text_string_to_metric_families

W, R = "writer-secret-http", "reader-secret-http"


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


CONFIG = f"""\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /docs
    tier: warm
    root: ./data/docs
  - path: /secret
    tier: hot
    root: ./data/secret
search:
  embedder: none
serve:
  tokens:
    - name: writer
      sha256: {sha(W)}
      mounts: {{ /scratch: rw, /docs: r }}
    - name: reader
      sha256: {sha(R)}
      mounts: {{ /scratch: r }}
"""


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


async def session_run(url, secret, body):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {secret}"})
    async with client:
        async with streamable_http_client(url, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as s:
                await s.initialize()
                return await body(s)


async def as_writer(s):
    tools = {t.name: t for t in (await s.list_tools()).tools}
    check("ax_read" in tools and "ax_exec" not in tools, f"tools: {sorted(tools)}")
    described = json.dumps([t.model_dump(mode="json") for t in tools.values()])
    check("/secret" not in described, "a hidden mount is named in the tool list")

    async def call(name, args):
        r = await s.call_tool(name, args)
        check(not r.is_error, f"{name} {args}: {r.content}")
        return r.structured_content

    await call("ax_write", {"path": "/scratch/plan.md", "content": "one\n"})
    await call("ax_append", {"path": "/scratch/plan.md", "content": "two"})
    read = await call("ax_read", {"path": "/scratch/plan.md"})
    check(read["content"] == "one\ntwo\n", read)
    await call("ax_edit", {"path": "/scratch/plan.md", "old": "two", "new": "TWO", "if_match": read["etag"]})
    check((await call("ax_stat", {"path": "/scratch/plan.md"}))["kind"] == "file", "stat")
    names = [e["path"] for e in (await call("ax_list", {"path": "/"}))["entries"]]
    check(names == ["/docs", "/scratch"], names)
    check([m["path"] for m in (await call("ax_mounts", {}))["mounts"]] == ["/docs", "/scratch"], "mounts")
    await call("ax_copy", {"src": "/docs/guide.md", "dst": "/scratch/guide.md"})
    await call("ax_move", {"src": "/scratch/guide.md", "dst": "/scratch/moved.md"})
    check(len((await call("ax_find", {"name": "*.md"}))["results"]) >= 3, "find")
    grep = await call("ax_grep", {"pattern": "backoff"})
    check({m["path"] for m in grep["matches"]} == {"/docs/guide.md", "/scratch/moved.md"}, grep)
    hits = await call("ax_search", {"query": "retry backoff", "mode": "keyword"})
    check([h["path"] for h in hits["results"]] == ["/docs/guide.md"], hits)
    await call("ax_delete", {"path": "/scratch/moved.md"})
    hidden = await s.call_tool("ax_read", {"path": "/secret/key.txt"})
    check(hidden.is_error and "hunter2" not in str(hidden.content), hidden.content)
    ro = await s.call_tool("ax_write", {"path": "/docs/x.md", "content": "x"})
    check(ro.is_error, "a write to a read-only scope succeeded")
    return len(tools)


async def as_reader(s):
    # A token that may only read is offered no tool that changes files, and calling one
    # anyway is refused before anything runs.
    names = {t.name for t in (await s.list_tools()).tools}
    check("ax_read" in names and not names & {"ax_write", "ax_append", "ax_edit", "ax_delete"}, names)
    try:
        r = await s.call_tool("ax_write", {"path": "/scratch/nope.md", "content": "x"})
        check(r.is_error, "a read-only token wrote")
    except Exception as e:  # the SDK raises the JSON-RPC error for a tool it was not offered
        check("ax_write" in str(e), e)
    ok = await s.call_tool("ax_read", {"path": "/scratch/plan.md"})
    check(not ok.is_error, ok.content)


def main():
    ax = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for m in ["scratch", "docs", "secret"]:
            (root / "data" / m).mkdir(parents=True)
        (root / "data/docs/guide.md").write_text("# Guide\nretry with backoff\n")
        (root / "data/secret/key.txt").write_text("hunter2\n")
        (root / "ax.yaml").write_text(CONFIG)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": d, "AX_CONFIG": str(root / "ax.yaml")}
        srv = subprocess.Popen([ax, "serve", "--listen", "127.0.0.1:0"], cwd=d, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            first = srv.stderr.readline()
            check("http://" in first, f"ax serve said: {first!r}")
            base = "http://" + first.split("http://")[1].split()[0]
            n = asyncio.run(session_run(f"{base}/mcp", W, as_writer))
            asyncio.run(session_run(f"{base}/mcp", R, as_reader))
            check(not (root / "data/scratch/nope.md").exists(), "the refused write changed the disk")
            check((root / "data/scratch/plan.md").read_text() == "one\nTWO\n", "edits applied")

            with httpx2.Client(base_url=base, timeout=30) as http:
                check(http.get("/v1/tools").status_code == 401, "no token, no tools")
                r = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
                check(r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), r)
                ro = http.post("/v1/tools/ax_write", json={"path": "/scratch/nope.md", "content": "x"},
                               headers={"Authorization": f"Bearer {R}"})
                check(ro.status_code == 403 and ro.json()["error"]["kind"] == "forbidden", ro.text)
                auth = {"Authorization": f"Bearer {W}"}
                for _ in range(5):
                    check(http.post("/v1/tools/ax_stat", json={"path": "/scratch/plan.md"}, headers=auth)
                          .status_code == 200, "stat over the JSON API")
                check(http.post("/v1/tools/ax_stat", json={"path": "/secret/key.txt"}, headers=auth)
                      .status_code == 404, "a hidden mount is not found")
                text = http.get("/metrics", headers=auth).text
            samples = {}
            for fam in text_string_to_metric_families(text):
                for s in fam.samples:
                    samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
            key = ("ax_requests_total", (("status", "200"), ("token", "writer"), ("tool", "ax_stat")))
            check(samples.get(key) == 5, f"5 stat calls counted: {samples.get(key)}")
            key = ("ax_requests_total", (("status", "404"), ("token", "writer"), ("tool", "ax_stat")))
            check(samples.get(key) == 1, "the refused call counted")
            unauth = sum(v for (name, labels), v in samples.items()
                         if name == "ax_requests_total" and ("status", "401") in labels)
            check(unauth == 2, f"two 401s counted: {unauth}")
            print(f"mcp_http_client: ok ({n} tools over Streamable HTTP, scopes, 401, metrics)")
        finally:
            srv.terminate()
            srv.wait(timeout=20)


if __name__ == "__main__":
    main()
