"""ax_vfs from Python: the same library as the CLI, in-process (run by scripts/test.sh)."""

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import ax_vfs as ax

CONFIG = """\
mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
  - path: /archive
    tier: cold
    url: file://./data/archive
search:
  embedder: none
"""

AX = os.environ.get("AX_BIN", "target/debug/ax")


@pytest.fixture
def env(tmp_path):
    (tmp_path / "ax.yaml").write_text(CONFIG)
    (tmp_path / "data/docs").mkdir(parents=True)
    (tmp_path / "data/docs/guide.md").write_text("# Guide\nretry with backoff\n")
    return tmp_path, ax.load_config_file(str(tmp_path / "ax.yaml"))


def test_files_round_trip_with_etags_and_line_windows(env):
    root, vfs = env
    out = vfs.write_text("/scratch/plan.md", "one\ntwo\nthree\n")
    assert out["created"] is True and out["bytes"] == 14
    assert vfs.read_text("/scratch/plan.md") == "one\ntwo\nthree\n"
    assert vfs.read_text("/scratch/plan.md", offset=2, limit=1) == "two\n"
    assert (root / "data/scratch/plan.md").read_text() == "one\ntwo\nthree\n"
    st = vfs.stat("/scratch/plan.md")
    assert st.kind == "file" and st.size == 14 and st.etag == out["etag"] and st.tier == "hot"
    vfs.append_text("/scratch/plan.md", "four\n")
    assert vfs.read_text("/scratch/plan.md").endswith("four\n")
    blob = bytes(range(256)) * 10
    vfs.write_bytes("/archive/blob.bin", blob)
    assert vfs.read_bytes("/archive/blob.bin") == blob
    vfs.append_bytes("/archive/blob.bin", b"\x00\xff")
    assert vfs.read_bytes("/archive/blob.bin") == blob + b"\x00\xff"
    assert vfs.exists("/scratch/plan.md") and not vfs.exists("/scratch/nope.md")


def test_listing_deleting_copying_and_moving(env):
    root, vfs = env
    vfs.write_text("/scratch/a/x.md", "x\n")
    vfs.write_text("/scratch/b.md", "b\n")
    names = [(e.name, e.is_dir) for e in vfs.list("/scratch")]
    assert names == [("a", True), ("b.md", False)]
    assert [e.path for e in vfs.list("/")] == ["/archive", "/docs", "/scratch"]
    vfs.copy("/scratch/b.md", "/archive/b.md")
    vfs.move("/scratch/b.md", "/scratch/c.md")
    assert vfs.read_text("/archive/b.md") == "b\n" and vfs.exists("/scratch/c.md")
    with pytest.raises(ax.IsADirectoryAxError):
        vfs.delete("/scratch/a")
    vfs.delete("/scratch/a", recursive=True)
    assert not (root / "data/scratch/a").exists()
    out = vfs.edit("/scratch/c.md", "b", "B")
    assert out["replacements"] == 1 and vfs.read_text("/scratch/c.md") == "B\n"


def test_errors_are_the_named_classes_and_change_nothing(env):
    root, vfs = env
    with pytest.raises(ax.OutsideMountError) as e:
        vfs.read_text("/scratch/../../etc/passwd")
    assert isinstance(e.value, PermissionError) and isinstance(e.value, ax.AxError)
    with pytest.raises(ax.ReadOnlyError):
        vfs.write_text("/docs/new.md", "x")
    assert not (root / "data/docs/new.md").exists()
    with pytest.raises(ax.NotFoundError) as e:
        vfs.read_text("/scratch/missing.md")
    assert isinstance(e.value, FileNotFoundError)
    assert "/scratch/missing.md" in str(e.value)
    vfs.write_text("/scratch/doc.md", "v1\n")
    stale = vfs.stat("/scratch/doc.md").etag
    vfs.write_text("/scratch/doc.md", "v2\n", if_match=stale)
    with pytest.raises(ax.ConflictError):
        vfs.write_text("/scratch/doc.md", "v3\n", if_match=stale)
    with pytest.raises(ax.ConflictError):
        vfs.write_text("/scratch/doc.md", "v4\n", create_only=True)
    assert (root / "data/scratch/doc.md").read_text() == "v2\n"
    with pytest.raises(ax.ConfigError):
        ax.load_config_file(str(root / "no-such.yaml"))


def test_eight_threads_appending_to_one_file_lose_nothing(env):
    _, vfs = env

    def worker(n):
        for i in range(100):
            vfs.append_text("/scratch/log.jsonl", json.dumps({"t": n, "i": i}) + "\n")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = vfs.read_text("/scratch/log.jsonl").splitlines()
    assert len(lines) == 800 and len(set(lines)) == 800
    assert all(json.loads(l)["i"] < 100 for l in lines)


def test_search_grep_find_mounts_and_tool_calls(env):
    _, vfs = env
    vfs.write_text("/scratch/notes.md", "retry with backoff here too\n")
    hits = vfs.search("retry backoff", mode="keyword")
    assert {r["path"] for r in hits["results"]} >= {"/docs/guide.md"}
    assert vfs.grep("backoff", path="/docs")["matches"][0]["path"] == "/docs/guide.md"
    assert "/scratch/notes.md" in [h["path"] for h in vfs.find("*.md")["results"]]
    assert [m["path"] for m in vfs.mounts()["mounts"]] == ["/archive", "/docs", "/scratch"]
    r = vfs.call("ax_read", {"path": "/docs/guide.md", "offset": 2})
    assert r["content"] == "retry with backoff\n"
    assert vfs.call("read", '{"path": "/docs/guide.md"}')["total_lines"] == 2


def test_tools_are_byte_identical_to_the_cli(env):
    root, vfs = env
    for fmt in ["openai", "mcp", "anthropic"]:
        cli = subprocess.run([AX, "--config", str(root / "ax.yaml"), "tools", "--format", fmt],
                             capture_output=True, check=True).stdout.decode()
        assert vfs.tools(format=fmt) == cli


def test_the_design_snippet_runs(env, monkeypatch):
    root, _ = env
    monkeypatch.chdir(root)
    vfs = ax.load_config_file("ax.yaml")
    vfs.write_text("/scratch/current_task.md", "Implement JWT authentication")
    assert vfs.read_text("/scratch/current_task.md") == "Implement JWT authentication"
    vfs.append_text("/scratch/conversations/2026-12-02.jsonl", '{"turn": 1}\n')
    names = [e.name for e in vfs.list("/scratch") if not e.is_dir and e.name.endswith(".md")]
    assert names == ["current_task.md"]
    vfs.delete("/scratch/current_task.md")
    assert json.loads(vfs.tools(format="openai"))[0]["type"] == "function"
    default = ax.load_default()
    default.write_text("/scratch/hello.md", "hi")
    assert (root / ".ax-data/scratch/hello.md").read_text() == "hi"


def test_async_vfs_runs_calls_off_the_event_loop(env):
    import asyncio

    _, vfs = env

    async def main():
        a = ax.AsyncVfs(vfs)
        await a.write_text("/scratch/async.md", "hello\n")
        texts = await asyncio.gather(*(a.read_text("/scratch/async.md") for _ in range(8)))
        await asyncio.gather(*(a.append_text("/scratch/log.txt", f"{i}\n") for i in range(50)))
        return texts, await a.read_text("/scratch/log.txt")

    texts, log = asyncio.run(main())
    assert texts == ["hello\n"] * 8
    assert sorted(int(l) for l in log.splitlines()) == list(range(50))


def test_the_stubs_match_the_native_module():
    """Hand-written ax_vfs/_native.pyi against the built module (mypy.stubtest)."""
    import importlib.util
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    import sys
    out = subprocess.run([sys.executable, "-m", "mypy.stubtest", "ax_vfs._native"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_error_class_is_raised_for_its_kind(env):
    root, vfs = env
    vfs.write_text("/scratch/doc.md", "a a\n")
    with pytest.raises(ax.UsageError) as e:
        vfs.call("ax_nope", {})
    assert isinstance(e.value, ValueError)
    with pytest.raises(ax.UsageError):
        vfs.search("   ")
    with pytest.raises(ax.NotADirectoryAxError) as e:
        vfs.write_text("/scratch/doc.md/under.md", "x")
    assert isinstance(e.value, NotADirectoryError)
    with pytest.raises(ax.IsADirectoryAxError):
        vfs.read_text("/scratch")
    with pytest.raises(ax.AxError) as e:  # refused: a mount root is never deleted
        vfs.delete("/scratch", recursive=True)
    assert type(e.value) is ax.AxError and "mount point" in str(e.value)
    with pytest.raises(ax.AxError) as e:  # the text occurs twice
        vfs.edit("/scratch/doc.md", "a", "b")
    assert type(e.value) is ax.AxError
    assert (root / "data/scratch/doc.md").read_text() == "a a\n"
