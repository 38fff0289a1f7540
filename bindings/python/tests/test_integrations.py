"""The framework adapters against the real frameworks and a real ax namespace: the deepagents
backend (ax_vfs.integrations.deepagents) and the ax:// fsspec protocol
(ax_vfs.integrations.fsspec). Each test skips when its framework is not installed."""

import asyncio
import base64
import inspect
import subprocess
import sys
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

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.fixture
def env(tmp_path):
    (tmp_path / "ax.yaml").write_text(CONFIG)
    docs = tmp_path / "data/docs"
    (docs / "sub/.hidden").mkdir(parents=True)
    (docs / "guide.md").write_text("# Guide\nretry with backoff\nmeta: a.b (x) [y] {z} $1 ^ | * + ? \\ # & ~ -\n")
    (docs / "sub/notes.md").write_text("retry later\n")
    (docs / "sub/data.csv").write_text("x,y\n1,2\n")
    (docs / "sub/.hidden/secret.md").write_text("retry in secret\n")
    (docs / ".env").write_text("KEY=1\n")
    (docs / "empty.md").write_text("")
    (docs / "pixel.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (docs / "data.csv").write_text("city,temp\nOslo,4\nLima,19\n")
    return tmp_path, ax.load_config_file(str(tmp_path / "ax.yaml"))


def test_importing_ax_vfs_imports_no_framework():
    code = "import sys, ax_vfs; print(sorted({'fsspec', 'deepagents', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- deepagents ---------------------------------------------------------------------------


@pytest.fixture
def backend(env):
    pytest.importorskip("deepagents")
    from ax_vfs.integrations.deepagents import AxBackend

    root, vfs = env
    return root, AxBackend(vfs)


def test_the_backend_implements_every_method_of_the_current_protocol(backend):
    from deepagents.backends.protocol import BackendProtocol, _supports_delete

    from ax_vfs.integrations.deepagents import AxBackend

    _, b = backend
    assert isinstance(b, BackendProtocol) and _supports_delete(b)
    sync = [n for n, f in vars(BackendProtocol).items()
            if inspect.isfunction(f) and not n.startswith("_") and not inspect.iscoroutinefunction(f)]
    assert {"ls", "read", "write", "edit", "delete", "grep", "glob", "upload_files", "download_files"} <= set(sync)
    for name in sync:
        ours, theirs = getattr(AxBackend, name), getattr(BackendProtocol, name)
        assert ours is not theirs, f"{name} is not implemented"
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters), name


def test_reads_return_line_windows_with_their_position(backend):
    root, b = backend
    b.write("/scratch/five.md", "".join(f"line {i}\n" for i in range(1, 6)))
    r = b.read("/scratch/five.md", offset=1, limit=2)
    assert r.error is None and r.file_data["content"] == "line 2\nline 3\n"
    assert (r.start_line, r.end_line, r.total_lines, r.next_offset) == (2, 3, 5, 3)
    r = b.read("/scratch/five.md", offset=3)
    assert r.file_data["content"] == "line 4\nline 5\n" and r.next_offset is None
    assert "past the end" in b.read("/scratch/five.md", offset=9).error
    r = b.read("/scratch/five.md", offset=-4, limit=0)
    assert r.no_lines_requested and r.file_data["content"] == ""
    r = b.read("/docs/empty.md")
    assert r.file_data["content"] == "" and r.start_line is None
    assert b.read("/docs/missing.md").error == "/docs/missing.md: no such file or directory"
    r = b.read("/docs/pixel.png")
    assert r.file_data["encoding"] == "base64"
    assert base64.b64decode(r.file_data["content"]) == (root / "data/docs/pixel.png").read_bytes()


def test_writes_edits_and_deletes_keep_ax_rules(backend):
    root, b = backend
    assert b.write("/scratch/plan.md", "one\n").path == "/scratch/plan.md"
    assert b.write("/scratch/plan.md", "two two\n").error is None  # write replaces
    assert (root / "data/scratch/plan.md").read_text() == "two two\n"
    err = b.write("/docs/new.md", "x").error
    assert err.startswith("Error: /docs/new.md") and "read-only" in err
    assert not (root / "data/docs/new.md").exists()
    assert "occurs 2 times" in b.edit("/scratch/plan.md", "two", "2").error
    assert "not found" in b.edit("/scratch/plan.md", "three", "3").error
    r = b.edit("/scratch/plan.md", "two", "2", replace_all=True)
    assert (r.path, r.occurrences, r.error) == ("/scratch/plan.md", 2, None)
    assert (root / "data/scratch/plan.md").read_text() == "2 2\n"
    assert "read-only" in b.edit("/docs/guide.md", "Guide", "G").error
    b.write("/scratch/dir/a/b.md", "b\n")
    assert b.delete("/scratch/dir").path == "/scratch/dir"
    assert not (root / "data/scratch/dir").exists()
    assert "no such file" in b.delete("/scratch/dir").error


def test_ls_lists_folders_with_a_trailing_slash(backend):
    _, b = backend
    assert [e["path"] for e in b.ls("/").entries] == ["/archive/", "/docs/", "/scratch/"]
    entries = {e["path"]: e for e in b.ls("/docs").entries}
    assert entries["/docs/sub/"]["is_dir"] and entries["/docs/guide.md"]["size"] > 0
    assert "modified_at" in entries["/docs/guide.md"]
    assert "not_a_directory" in b.ls("/docs/guide.md").error
    assert "no mount here" in b.ls("/nowhere").error


def test_grep_is_literal_and_honours_glob_and_max_count(backend):
    _, b = backend
    meta = "a.b (x) [y] {z} $1 ^ | * + ? \\ # & ~ -"
    r = b.grep(meta)
    assert r.error is None and [(m["path"], m["line"]) for m in r.matches] == [("/docs/guide.md", 3)]
    assert b.grep("a.c").matches == []  # `.` is not a wildcard
    paths = lambda r: [m["path"] for m in r.matches]  # noqa: E731
    assert paths(b.grep("retry", "/docs")) == [
        "/docs/guide.md", "/docs/sub/.hidden/secret.md", "/docs/sub/notes.md"]
    assert paths(b.grep("retry", "/docs", glob="sub/*.md")) == ["/docs/sub/notes.md"]
    assert paths(b.grep("retry", "/docs/sub/notes.md")) == ["/docs/sub/notes.md"]
    r = b.grep("retry", "/docs", max_count=1)
    assert len(r.matches) == 1 and r.truncated
    assert "no mount here" in b.grep("x", "/nowhere").error


def test_glob_follows_the_deepagents_pattern_rules(backend):
    _, b = backend
    found = lambda pattern, path="/docs": [m["path"] for m in b.glob(pattern, path).matches]  # noqa: E731
    # A bare pattern matches names at any depth, inside dot-folders too.
    assert found("*.md") == ["/docs/empty.md", "/docs/guide.md", "/docs/sub/.hidden/secret.md", "/docs/sub/notes.md"]
    assert found("*.md", "/") == found("*.md")  # the mounts hold no other markdown
    assert found("sub/*.csv") == ["/docs/sub/data.csv"]
    assert found("/*.csv") == ["/docs/data.csv"]  # a leading / anchors to the search root
    assert found("**/*.csv") == ["/docs/data.csv", "/docs/sub/data.csv"]
    assert found("*.{png,csv}") == ["/docs/data.csv", "/docs/pixel.png", "/docs/sub/data.csv"]
    assert found(".env") == ["/docs/.env"] and "/docs/.env" not in found("*")
    assert found("sub/**") == ["/docs/sub/data.csv", "/docs/sub/notes.md"]  # ** skips dot-folders
    assert b.glob("../*.md").matches is None and b.glob("../*.md").error


def test_upload_and_download_report_the_standard_codes(backend):
    root, b = backend
    ups = b.upload_files([("/scratch/u.bin", b"\x00\x01"), ("/docs/u.bin", b"x"), ("/scratch/../../x", b"")])
    assert [u.error for u in ups] == [None, "permission_denied", "permission_denied"]
    assert (root / "data/scratch/u.bin").read_bytes() == b"\x00\x01"
    downs = b.download_files(["/scratch/u.bin", "/docs", "/docs/missing"])
    assert [(d.content, d.error) for d in downs] == [
        (b"\x00\x01", None), (None, "is_directory"), (None, "file_not_found")]


def test_the_async_variants_run_the_same_operations(backend):
    _, b = backend

    async def main():
        await b.awrite("/scratch/a.md", "retry async\n")
        read, grep, glob = await asyncio.gather(
            b.aread("/scratch/a.md"), b.agrep("retry", "/scratch", max_count=5), b.aglob("*.md", "/scratch"))
        return read.file_data["content"], [m["path"] for m in grep.matches], [m["path"] for m in glob.matches]

    assert asyncio.run(main()) == ("retry async\n", ["/scratch/a.md"], ["/scratch/a.md"])


def test_a_deep_agent_works_on_ax_through_its_own_file_tools(backend):
    from deepagents import create_deep_agent
    from deepagents.backends import CompositeBackend
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, ToolMessage

    class ScriptedModel(GenericFakeChatModel):
        """Replays tool calls; the tools are real (deepagents' FilesystemMiddleware)."""

        def bind_tools(self, tools, **kwargs):
            return self

    calls = [
        ("ls", {"path": "/docs"}),
        ("read_file", {"file_path": "/docs/guide.md", "offset": 1, "limit": 1}),
        ("write_file", {"file_path": "/scratch/plan.md", "content": "step one\n"}),
        ("edit_file", {"file_path": "/scratch/plan.md", "old_string": "one", "new_string": "two"}),
        ("glob", {"pattern": "**/*.md", "path": "/scratch"}),
        ("grep", {"pattern": "(x)", "path": "/docs", "output_mode": "content"}),
        ("write_file", {"file_path": "/docs/new.md", "content": "x"}),
    ]
    script = [AIMessage(content="", tool_calls=[{"name": n, "args": a, "id": str(i)}])
              for i, (n, a) in enumerate(calls)] + [AIMessage(content="done")]
    root, b = backend
    agent = create_deep_agent(
        model=ScriptedModel(messages=iter(script)),
        backend=CompositeBackend(default=b, routes={}, artifacts_root="/scratch/.agent"),
    )
    out = agent.invoke({"messages": [{"role": "user", "content": "work"}]})
    replies = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    text = lambda i: str(replies[str(i)].content)  # noqa: E731
    assert "/docs/guide.md" in text(0) and "/docs/sub/" in text(0)
    assert "retry with backoff" in text(1)
    assert replies["2"].status == "success" and replies["3"].status == "success"
    assert (root / "data/scratch/plan.md").read_text() == "step two\n"
    assert "/scratch/plan.md" in text(4)
    assert "/docs/guide.md" in text(5) and "a.b (x)" in text(5)
    assert replies["6"].status == "error" and "read-only" in text(6)
    assert out["messages"][-1].content == "done"


# ---- fsspec (and pandas through it) ---------------------------------------------------


@pytest.fixture
def axfs(env):
    pytest.importorskip("fsspec")
    import ax_vfs.integrations.fsspec  # noqa: F401  (registers ax:// in an editable install)

    root, _ = env
    return root, {"config": str(root / "ax.yaml")}


def test_pandas_reads_and_writes_ax_urls(axfs):
    pd = pytest.importorskip("pandas")
    root, opts = axfs
    df = pd.read_csv("ax:///docs/data.csv", storage_options=opts)
    assert list(df["city"]) == ["Oslo", "Lima"]
    df["temp_f"] = df["temp"] * 9 / 5 + 32
    df.to_csv("ax:///scratch/out/weather.csv", index=False, storage_options=opts)
    assert (root / "data/scratch/out/weather.csv").read_text().splitlines()[0] == "city,temp,temp_f"
    back = pd.read_csv("ax://scratch/out/weather.csv", storage_options=opts)
    assert back.equals(df)
    with pytest.raises(PermissionError, match="read-only"):
        df.to_csv("ax:///docs/out.csv", storage_options=opts)
    assert not (root / "data/docs/out.csv").exists()


def test_fsspec_open_ls_info_cat_and_rm(axfs):
    import fsspec

    from ax_vfs.integrations.fsspec import AxFileSystem

    root, opts = axfs
    assert fsspec.get_filesystem_class("ax") is AxFileSystem
    with fsspec.open("ax:///scratch/notes/a.txt", "w", **opts) as f:
        f.write("hello\n")
    with fsspec.open("ax:///scratch/notes/a.txt", "a", **opts) as f:
        f.write("again\n")
    with fsspec.open("ax:///scratch/notes/a.txt", "r", **opts) as f:
        assert f.read() == "hello\nagain\n"
    fs = fsspec.filesystem("ax", **opts)
    assert fs.ls("/", detail=False) == ["/archive", "/docs", "/scratch"]
    listing = {e["name"]: e for e in fs.ls("ax:///docs")}
    assert listing["/docs/sub"]["type"] == "directory" and listing["/docs/data.csv"]["type"] == "file"
    info = fs.info("/docs/guide.md")
    assert info["type"] == "file" and info["read_only"] and info["tier"] == "warm" and info["etag"]
    assert fs.ukey("/docs/guide.md") == info["etag"]
    assert fs.cat_file("/docs/guide.md", 2, 7) == b"Guide" and fs.cat_file("/docs/data.csv", -3) == b"19\n"
    with fs.open("/docs/guide.md") as f:
        f.seek(8)
        assert f.read(5) == b"retry" and f.size == info["size"]
    assert fs.glob("/docs/**/*.csv") == ["/docs/data.csv", "/docs/sub/data.csv"]
    assert fs.find("/docs/sub") == ["/docs/sub/.hidden/secret.md", "/docs/sub/data.csv", "/docs/sub/notes.md"]
    fs.pipe_file("/scratch/notes/b.txt", b"b")
    with pytest.raises(FileExistsError):
        fs.pipe_file("/scratch/notes/b.txt", b"again", mode="create")
    with pytest.raises(FileExistsError):
        with fs.open("/scratch/notes/b.txt", "xb") as f:
            f.write(b"again")
    assert fs.cat_file("/scratch/notes/b.txt") == b"b"
    fs.rm("/scratch/notes/a.txt")
    assert not fs.exists("/scratch/notes/a.txt") and fs.exists("/scratch/notes/b.txt")
    with pytest.raises(IsADirectoryError):
        fs.rm("/scratch/notes")
    fs.rm("ax:///scratch/notes", recursive=True)
    assert not (root / "data/scratch/notes").exists()
    with pytest.raises(FileNotFoundError):
        fs.open("/docs/missing.csv")


def test_copy_move_and_folders(axfs):
    import fsspec

    root, opts = axfs
    fs = fsspec.filesystem("ax", **opts)
    fs.copy("/docs/sub", "/archive/sub", recursive=True)  # across mounts and tiers
    assert fs.find("/archive") == ["/archive/sub/.hidden/secret.md", "/archive/sub/data.csv", "/archive/sub/notes.md"]
    fs.cp_file("/docs/data.csv", "/scratch/data.csv")
    fs.mv("/scratch/data.csv", "/scratch/moved.csv")
    assert fs.cat_file("/scratch/moved.csv") == (root / "data/docs/data.csv").read_bytes()
    fs.mv("/archive/sub", "/scratch/sub")  # a folder moves with everything in it
    assert fs.exists("/scratch/sub/notes.md") and not fs.exists("/archive/sub")
    fs.makedirs("/scratch/sub", exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.makedirs("/scratch/sub")
    fs.mkdir("/scratch/later")  # folders appear with their first file
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir("/scratch/sub")
    with pytest.raises(PermissionError, match="read-only"):
        fs.rm("/docs/data.csv")
    with fs.transaction:
        with fs.open("/scratch/tx.txt", "wb") as f:
            f.write(b"committed at the end")
        assert not fs.exists("/scratch/tx.txt")
    assert fs.cat_file("/scratch/tx.txt") == b"committed at the end"


def test_read_only_and_jail_errors_propagate_as_permission_errors(axfs):
    import fsspec

    root, opts = axfs
    with pytest.raises(ax.ReadOnlyError) as e:
        with fsspec.open("ax:///docs/new.txt", "w", **opts) as f:
            f.write("x")
    assert isinstance(e.value, PermissionError) and "/docs/new.txt" in str(e.value)
    fs = fsspec.filesystem("ax", **opts)
    with pytest.raises(PermissionError):
        fs.pipe_file("/docs/new.txt", b"x")
    with pytest.raises(ax.OutsideMountError):
        fs.cat_file("/scratch/../../ax.yaml")
    assert not (root / "data/docs/new.txt").exists()


def test_without_a_config_option_the_cli_discovery_applies(axfs, tmp_path_factory, monkeypatch):
    import fsspec

    root, _ = axfs
    monkeypatch.delenv("AX_CONFIG", raising=False)
    (root / "data/docs/sub/deeper").mkdir()
    monkeypatch.chdir(root / "data/docs/sub/deeper")  # the nearest ax.yaml is found upwards
    assert fsspec.filesystem("ax").cat_file("/docs/data.csv").startswith(b"city,temp")
    other = tmp_path_factory.mktemp("other")
    (other / "ax.yaml").write_text("mounts:\n  - path: /elsewhere\n    tier: hot\n    root: ./d\n")
    monkeypatch.setenv("AX_CONFIG", str(other / "ax.yaml"))
    assert fsspec.filesystem("ax").ls("/", detail=False) == ["/elsewhere"]
    monkeypatch.delenv("AX_CONFIG")
    bare = tmp_path_factory.mktemp("bare")
    monkeypatch.chdir(bare)
    if any((p / "ax.yaml").is_file() for p in (bare, *bare.parents)):
        pytest.skip("an ax.yaml above the temporary folder hides the embedded default")
    fsspec.filesystem("ax").pipe_file("/scratch/hi.txt", b"hi")  # the embedded default layout
    assert (bare / ".ax-data/scratch/hi.txt").read_bytes() == b"hi"


def test_the_entry_point_names_the_filesystem_class():
    pytest.importorskip("fsspec")
    tomllib = pytest.importorskip("tomllib")
    import importlib

    from ax_vfs.integrations.fsspec import AxFileSystem

    spec = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"]["fsspec.specs"]["ax"]
    module, _, name = spec.partition(":")
    assert getattr(importlib.import_module(module), name) is AxFileSystem
