"""The `ax://` protocol for fsspec, and so for pandas, Dask, PyArrow and everything else
that opens files through fsspec:

    import pandas as pd
    df = pd.read_csv("ax:///docs/data.csv")
    df.to_csv("ax:///scratch/out.csv", index=False)

Which namespace: the `config` storage option, the path of an ax.yaml
(`pd.read_csv(url, storage_options={"config": "ax.yaml"})`); without it, the one the `ax`
command would use from the current directory: `$AX_CONFIG`, else the nearest `ax.yaml`
from the current directory upwards, else ax's embedded default layout (data under
`./.ax-data`). It is worked out each time a filesystem object is made (fsspec's instance
cache is off for this class; loading a configuration takes well under a millisecond), so
a change of directory or of `AX_CONFIG` takes effect at the next open.

Paths are ax's virtual paths: `ax:///docs/a.csv` and `ax://docs/a.csv` name the same file.
An open file for reading holds the file's bytes, read once, and serves every range from
them; a file open for writing collects what is written and lands it in one atomic ax write
when closed, so readers never see half a file (`xb` creates only, `ab` appends safely).
ax creates folders as files are written into them, so `mkdir` and `makedirs` only check.
ax's errors keep their classes: `NotFoundError` is a `FileNotFoundError`, `ReadOnlyError`
and `OutsideMountError` are `PermissionError`s.

The package's `fsspec.specs` entry point registers `ax` when ax-vfs is installed; importing
this module registers it too (for an editable install made before the entry point existed).
Needs `pip install 'ax-vfs[fsspec]'`.
"""

from __future__ import annotations

import errno
import os
from glob import has_magic
from pathlib import Path
from typing import Any, Optional, Union

import fsspec  # type: ignore[import-untyped]
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem  # type: ignore[import-untyped]
from fsspec.utils import stringify_path  # type: ignore[import-untyped]

from .. import ConflictError, Vfs, load_config_file, load_default

__all__ = ["AxFileSystem", "AxFile", "resolve_vfs"]


def resolve_vfs(config: Union[str, os.PathLike[str], None] = None) -> Vfs:
    """The `Vfs` of `config` (an ax.yaml), else of `$AX_CONFIG`, else of the nearest
    `ax.yaml` from the current directory upwards, else ax's embedded default."""
    if config is not None:
        return load_config_file(os.fspath(config))
    env = os.environ.get("AX_CONFIG")
    if env:
        return load_config_file(env)
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / "ax.yaml"
        if candidate.is_file():
            return load_config_file(str(candidate))
    return load_default()


class AxFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """An ax namespace as an fsspec filesystem (protocol `ax`)."""

    protocol = "ax"
    root_marker = "/"
    cachable = False

    def __init__(self, config: Union[str, os.PathLike[str], None] = None, **storage_options: Any) -> None:
        super().__init__(**storage_options)
        self.vfs = resolve_vfs(config)

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = stringify_path(path)
        for prefix in ("ax://", "ax::"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        return "/" + path.strip("/")

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """The entries of a folder (`/` lists the mounts); a file lists as itself."""
        infos: list[dict[str, Any]] = [
            {"name": e.path, "size": e.size, "type": "directory" if e.is_dir else "file", "mtime": e.modified}
            for e in self.vfs.list(self._strip_protocol(path))
        ]
        return infos if detail else [i["name"] for i in infos]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """ax's stat: name, size, type, mtime, plus the file's ETag and its mount's
        path, tier and read-only flag."""
        s = self.vfs.stat(self._strip_protocol(path))
        return {
            "name": s.path,
            "size": s.size,
            "type": "directory" if s.is_dir else "file",
            "mtime": s.modified,
            "etag": s.etag,
            "mount": s.mount,
            "tier": s.tier,
            "read_only": s.read_only,
        }

    def exists(self, path: str, **kwargs: Any) -> bool:
        return self.vfs.exists(self._strip_protocol(path))

    def ukey(self, path: str) -> str:
        """The file's ETag: it changes exactly when the content does."""
        etag = self.info(path)["etag"]
        return etag if etag is not None else str(super().ukey(path))

    def cat_file(self, path: str, start: Optional[int] = None, end: Optional[int] = None, **kwargs: Any) -> bytes:
        """The file's bytes, or the slice `start:end` of them (negative counts from the end)."""
        return self.vfs.read_bytes(self._strip_protocol(path))[start:end]

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Writes the file atomically; `mode="create"` refuses an existing file."""
        _write(self.vfs, self._strip_protocol(path), bytes(value), create_only=mode == "create")

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: Optional[int] = None,
        autocommit: bool = True,
        cache_options: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> AxFile:
        return AxFile(self, self._strip_protocol(path), mode, block_size, autocommit, cache_options=cache_options, **kwargs)

    def rm(self, path: Union[str, list[str]], recursive: bool = False, maxdepth: Optional[int] = None) -> None:
        """Deletes files, and with `recursive=True` folders with everything in them
        (globs are expanded; `maxdepth` is not supported by ax's delete and is ignored)."""
        done: list[str] = []
        for p in self.expand_path(path):
            if any(p == d or p.startswith(d.rstrip("/") + "/") for d in done):
                continue  # already gone with a folder deleted before it
            self.vfs.delete(p, recursive=recursive)
            done.append(p)

    def rm_file(self, path: str) -> None:
        self.vfs.delete(self._strip_protocol(path))

    def rmdir(self, path: str) -> None:
        """Deletes an empty folder."""
        path = self._strip_protocol(path)
        if self.vfs.list(path):
            raise OSError(errno.ENOTEMPTY, f"{path}: the folder is not empty; rm(path, recursive=True) deletes it with everything in it")
        self.vfs.delete(path, recursive=True)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing to do: ax creates folders as files are written into them."""

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Checks only (ax creates folders as files are written into them): with
        `exist_ok=False`, something already at `path` is an error."""
        path = self._strip_protocol(path)
        if not exist_ok and self.vfs.exists(path):
            raise FileExistsError(errno.EEXIST, f"{path}: already exists (exist_ok=True accepts that)")

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copies a file byte-exact, across mounts and tiers. A folder is skipped: its
        files are copied one by one and the folders appear with them."""
        src = self._strip_protocol(path1)
        if not self.vfs.stat(src).is_dir:
            self.vfs.copy(src, self._strip_protocol(path2))

    def mv(self, path1: Any, path2: Any, recursive: bool = False, maxdepth: Optional[int] = None, **kwargs: Any) -> None:
        """Moves or renames with ax's move (atomic within a mount, copy-verify-delete
        across mounts; a folder moves with everything in it). Lists and globs go through
        fsspec's copy-then-delete."""
        if isinstance(path1, str) and isinstance(path2, str) and not has_magic(path1):
            self.vfs.move(self._strip_protocol(path1), self._strip_protocol(path2))
        else:
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)


class AxFile(AbstractBufferedFile):  # type: ignore[misc]
    """An open ax file: a whole-file snapshot for reading, or a buffer that becomes one
    atomic write (or append) on close, or on commit inside an fsspec transaction."""

    def __init__(self, fs: AxFileSystem, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> None:
        self._data = b""
        self._pending: Optional[bytes] = None
        if mode == "rb":
            # One read gives a consistent snapshot; its length is the size, so no stat.
            self._data = fs.vfs.read_bytes(path)
            kwargs.setdefault("size", len(self._data))
            kwargs.setdefault("cache_type", "none")
        super().__init__(fs, path, mode, *args, **kwargs)

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self._data[start:end]

    def _upload_chunk(self, final: bool = False) -> bool:
        if not final:
            return False  # keep everything buffered: ax writes a file in one piece
        self._pending = self.buffer.getvalue()
        if self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        """Writes what was collected: one atomic write, or one append in mode `ab`."""
        if self._pending is None:
            return
        data, self._pending = self._pending, None
        if self.mode == "ab":
            self.fs.vfs.append_bytes(self.path, data)
        else:
            _write(self.fs.vfs, self.path, data, create_only=self.mode == "xb")

    def discard(self) -> None:
        self._pending = None


def _write(vfs: Vfs, path: str, data: bytes, create_only: bool) -> None:
    try:
        vfs.write_bytes(path, data, create_only=create_only)
    except ConflictError as e:
        if create_only:
            raise FileExistsError(errno.EEXIST, str(e)) from e
        raise


fsspec.register_implementation("ax", AxFileSystem, clobber=True)
