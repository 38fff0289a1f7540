"""Every method of ax_vfs once, on every tier: hot, warm, cold on file:// and, when the test
S3 server is up (AX_TEST_S3_BUCKET and the AWS_* variables of scripts/s3-server.sh), cold on
S3. Run by scripts/test.sh in a folder holding examples/ax.yaml, after `pip install
./bindings/python`."""
import asyncio
import os
import pathlib
import time

import ax_vfs as ax

config = pathlib.Path("ax.yaml").read_text()
bucket = os.environ.get("AX_TEST_S3_BUCKET")
if bucket:
    mount = f"  - path: /bucket\n    tier: cold\n    url: s3://{bucket}/tour-py-{os.getpid()}-{time.time_ns()}/\n"
    config = config.replace("search:", mount + "search:")
pathlib.Path("data/docs").mkdir(parents=True, exist_ok=True)
pathlib.Path("data/docs/guide.md").write_text("# Guide\nretry with backoff\n")
pathlib.Path("tour.yaml").write_text(config)

vfs = ax.load_config_file("tour.yaml")
run = f"tour-py-{os.getpid()}-{time.time_ns()}"  # a folder of its own in every mount
tiers = ["/context", "/memories", "/archive"] + (["/bucket"] if bucket else [])

for m in tiers:
    d = f"{m}/{run}"
    w = vfs.write_text(f"{d}/a.md", "one\ntwo\n")
    assert w["created"] and w["bytes"] == 8, m
    assert vfs.read_text(f"{d}/a.md", offset=2, limit=1) == "two\n", m
    st = vfs.stat(f"{d}/a.md")
    assert st.etag == w["etag"] and st.mount == m and not st.is_dir, m
    vfs.append_text(f"{d}/a.md", "three\n", if_match=st.etag)
    try:
        vfs.write_text(f"{d}/a.md", "x", if_match=st.etag)
        raise AssertionError(f"{m}: a stale if_match was accepted")
    except ax.ConflictError:
        pass
    vfs.write_bytes(f"{d}/b.bin", bytes([0, 1, 255]))
    vfs.append_bytes(f"{d}/b.bin", b"\x09")
    assert vfs.read_bytes(f"{d}/b.bin") == b"\x00\x01\xff\x09", m
    assert vfs.edit(f"{d}/a.md", "three", "THREE")["replacements"] == 1, m
    assert [e.name for e in vfs.list(d)] == ["a.md", "b.bin"], m
    assert vfs.exists(f"{d}/a.md") and not vfs.exists(f"{d}/z.md"), m
    vfs.copy(f"{d}/a.md", f"{d}/copy.md")
    vfs.move(f"{d}/copy.md", f"/context/{run}-from-{m[1:]}.md")
    vfs.delete(f"{d}/b.bin")
    vfs.delete(d, recursive=True)
    assert not vfs.exists(d), m

for bad, cls in [("/docs/x.md", ax.ReadOnlyError), ("/context/../../x.md", ax.OutsideMountError)]:
    try:
        vfs.write_text(bad, "x")
        raise AssertionError(f"{bad}: accepted")
    except cls:
        pass
assert not pathlib.Path("data/docs/x.md").exists()

assert vfs.search("retry backoff", mode="keyword")["results"][0]["path"] == "/docs/guide.md"
assert vfs.grep("backoff", path="/docs")["matches"][0]["line_number"] == 2
assert vfs.find("*.md", path="/docs")["results"] == [{"path": "/docs/guide.md", "kind": "file"}]
assert len(vfs.mounts()["mounts"]) == len(tiers) + 1
assert "input_schema" in vfs.tools(format="anthropic")
assert vfs.call("ax_read", {"path": "/docs/guide.md"})["total_lines"] == 2
assert vfs.call("stat", '{"path": "/docs/guide.md"}')["kind"] == "file"


async def in_async() -> str:
    a = ax.AsyncVfs(vfs)
    await a.write_text(f"/context/{run}.md", "async\n")
    return await a.read_text(f"/context/{run}.md")


assert asyncio.run(in_async()) == "async\n"
assert ax.load_default().mounts()["mounts"]
print(f"tour.py: ok ({', '.join(tiers)})")
