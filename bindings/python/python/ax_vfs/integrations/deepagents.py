"""A LangChain deepagents backend over ax: the agent's file tools (`ls`, `read_file`,
`write_file`, `edit_file`, `glob`, `grep`, delete, upload and download) act on an ax
namespace, with ax's rules (read-only mounts, the jail, atomic writes, ETag-guarded edits).

    import ax_vfs as ax
    from ax_vfs.integrations.deepagents import AxBackend
    from deepagents import create_deep_agent
    from deepagents.backends import CompositeBackend

    backend = AxBackend(ax.load_config_file("ax.yaml"))
    agent = create_deep_agent(
        model=...,
        # deepagents keeps its own artifacts (offloaded tool results, conversation
        # history) under `artifacts_root`: point it into a writable mount.
        backend=CompositeBackend(default=backend, routes={}, artifacts_root="/scratch/.agent"),
    )

The agent sees ax's virtual paths (`/docs/guide.md`). To put ax under a prefix next to
other backends, route to it: `CompositeBackend(default=StateBackend(), routes={"/ax/":
backend})`. Failures come back the deepagents way, as an error in the result carrying ax's
message (what failed, on which path, what to do), never as an exception; upload and
download report deepagents' standard codes (`file_not_found`, `permission_denied`, ...).

Every operation is a call into ax (the async variants run it on a worker thread, as
deepagents' defaults do; ax releases the GIL). The deepagents contract decides two
things ax does not: grep's pattern is a literal string (escaped for ax's regex grep),
and glob and grep's `glob` filter follow deepagents' own path-pattern rules (applied
with its matcher to what ax's find and grep return).

Needs `pip install 'ax-vfs[deepagents]'` (Python 3.11+).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any, Optional

from deepagents.backends.protocol import (
    BackendProtocol,
    DeleteResult,
    EditResult,
    FileData,
    FileDownloadResponse,
    FileInfo,
    FileOperationError,
    FileUploadResponse,
    GlobResult,
    GrepMatch,
    GrepResult,
    LsResult,
    ReadResult,
    WriteResult,
)
from deepagents.backends.utils import (
    InvalidGlobPatternError,
    _get_backend_read_file_type,
    compile_grep_include_glob,
)

from .. import AxError, Entry, UsageError, Vfs

__all__ = ["AxBackend"]

# The characters ax's regex syntax treats as special; a backslash before each makes a
# pattern match itself literally.
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")


class AxBackend(BackendProtocol):
    """deepagents' `BackendProtocol` over an ax `Vfs`: every path is an ax virtual path."""

    def __init__(self, vfs: Vfs) -> None:
        self.vfs = vfs

    def ls(self, path: str) -> LsResult:
        """The entries of a folder; folders end with `/`. Listing a file is an error
        saying `not_a_directory` (what deepagents' delete-permission check looks for)."""
        try:
            entries = self.vfs.list(path)
        except AxError as e:
            return LsResult(error=str(e))
        target = path.rstrip("/") or "/"
        if len(entries) == 1 and not entries[0].is_dir and entries[0].path == target:
            return LsResult(error=f"{target}: is a file (not_a_directory); list its folder instead")
        return LsResult(entries=[_file_info(e) for e in entries])

    def read(self, file_path: str, offset: int = 0, limit: int = 2000) -> ReadResult:
        """Lines `offset` (0-based) to `offset + limit` of a text file, with the window's
        position; images, audio, video and documents whole, base64-encoded."""
        if _get_backend_read_file_type(file_path) != "text":
            try:
                raw = self.vfs.read_bytes(file_path)
            except AxError as e:
                return ReadResult(error=str(e))
            return ReadResult(file_data=FileData(content=base64.standard_b64encode(raw).decode("ascii"), encoding="base64"))
        offset, limit = max(int(offset), 0), max(int(limit), 0)
        if limit == 0:
            return ReadResult(file_data=FileData(content="", encoding="utf-8"), no_lines_requested=True)
        try:
            # ax's read tool: the window plus where it sits in the file (ax counts from 1).
            out = self.vfs.call("ax_read", {"path": file_path, "offset": offset + 1, "limit": limit})
        except AxError as e:
            return ReadResult(error=str(e))
        data = FileData(content=out["content"], encoding="utf-8")
        start, end, total = out["start_line"], out["end_line"], out["total_lines"]
        if total == 0:
            return ReadResult(file_data=data)
        if end < start:
            return ReadResult(
                error=f"{out['path']}: line offset {offset} is past the end of the file "
                f"({total} lines); read from an offset below {total}"
            )
        return ReadResult(
            file_data=data,
            total_lines=total,
            start_line=start,
            end_line=end,
            next_offset=end if end < total else None,
        )

    def write(self, file_path: str, content: str) -> WriteResult:
        """Creates or replaces the file atomically (parent folders appear as needed)."""
        try:
            out = self.vfs.write_text(file_path, content)
        except AxError as e:
            return WriteResult(error=f"Error: {e}")
        return WriteResult(path=out["path"])

    def edit(self, file_path: str, old_string: str, new_string: str, replace_all: bool = False) -> EditResult:
        """Replaces exact text: `old_string` must occur once, or every occurrence is
        replaced with `replace_all`. A concurrent change is never silently undone."""
        try:
            out = self.vfs.edit(file_path, old_string, new_string, all=replace_all)
        except AxError as e:
            return EditResult(error=f"Error: {e}")
        return EditResult(path=out["path"], occurrences=int(out["replacements"]))

    def delete(self, file_path: str) -> DeleteResult:
        """Deletes a file, or a folder with everything in it."""
        try:
            self.vfs.delete(file_path, recursive=True)
        except AxError as e:
            return DeleteResult(error=f"Error: {e}")
        return DeleteResult(path=file_path)

    def grep(
        self,
        pattern: str,
        path: Optional[str] = None,
        glob: Optional[str] = None,
        *,
        max_count: Optional[int] = None,
    ) -> GrepResult:
        """Lines containing the literal `pattern`, below `path` (default: every mount),
        in files whose path relative to `path` matches `glob`; at most `max_count`."""
        root = path or "/"
        try:
            include = compile_grep_include_glob(glob) if glob else None
        except InvalidGlobPatternError as e:
            return GrepResult(error=str(e), matches=[])
        try:
            out = self.vfs.grep(_literal(pattern), path=root)
        except AxError as e:
            return GrepResult(error=f"Error: {e}")
        matches = [
            GrepMatch(path=m["path"], line=int(m["line_number"]), text=m["text"])
            for m in out["matches"]
            if include is None or include(_relative(m["path"], root))
        ]
        truncated = bool(out["truncated"])
        if max_count is not None and len(matches) > max_count:
            matches, truncated = matches[:max_count], True
        return GrepResult(matches=matches, truncated=truncated)

    def glob(self, pattern: str, path: Optional[str] = None) -> GlobResult:
        """Files below `path` (default: every mount) matching `pattern` by deepagents'
        rules: a bare pattern matches names at any depth, one with `/` the path relative
        to `path`, with `**`."""
        root = path or "/"
        try:
            match = compile_grep_include_glob(pattern)
        except InvalidGlobPatternError as e:
            return GlobResult(error=str(e))
        try:
            out = self._find(_name_glob(pattern), root)
        except AxError as e:
            return GlobResult(error=f"Error: {e}")
        files: list[FileInfo] = [
            FileInfo(path=h["path"], is_dir=False)
            for h in out["results"]
            if h["kind"] == "file" and match(_relative(h["path"], root))
        ]
        if out["truncated"]:
            return GlobResult(matches=files, truncated=True, truncation_reason="budget")
        return GlobResult(matches=files)

    def upload_files(self, files: list[tuple[str, bytes]]) -> list[FileUploadResponse]:
        """Writes each file atomically; one response per file, in order."""
        responses = []
        for path, content in files:
            try:
                self.vfs.write_bytes(path, content)
            except AxError as e:
                responses.append(FileUploadResponse(path=path, error=_operation_error(e)))
            else:
                responses.append(FileUploadResponse(path=path))
        return responses

    def download_files(self, paths: list[str]) -> list[FileDownloadResponse]:
        """Reads each file whole; one response per path, in order."""
        responses = []
        for path in paths:
            try:
                content = self.vfs.read_bytes(path)
            except AxError as e:
                responses.append(FileDownloadResponse(path=path, error=_operation_error(e)))
            else:
                responses.append(FileDownloadResponse(path=path, content=content))
        return responses

    def _find(self, name: str, root: str) -> dict[str, Any]:
        """ax's find by file name, retried with `*` if ax's glob syntax refuses `name`."""
        try:
            return self.vfs.find(name, path=root)
        except UsageError:
            if name == "*":
                raise
            return self.vfs.find("*", path=root)

    def __repr__(self) -> str:
        return f"AxBackend({self.vfs!r})"


def _file_info(e: Entry) -> FileInfo:
    info = FileInfo(path=e.path + "/" if e.is_dir else e.path, is_dir=e.is_dir, size=e.size)
    if e.modified is not None:
        info["modified_at"] = datetime.fromtimestamp(e.modified, tz=timezone.utc).isoformat()
    return info


def _literal(text: str) -> str:
    """`text` as a regular expression matching exactly itself."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def _relative(path: str, root: str) -> str:
    """`path` relative to the search root `root` (a folder, or the file itself)."""
    root = root.rstrip("/")
    if path == root:
        return path.rsplit("/", 1)[-1]
    return path[len(root) + 1 :] if path.startswith(root + "/") else path.lstrip("/")


def _name_glob(pattern: str) -> str:
    """The file-name glob that narrows ax's find for `pattern`: its last segment when that
    names files on its own, else `*` (deepagents' matcher decides on each result)."""
    last = pattern.rsplit("/", 1)[-1]
    if not last or "**" in last or last.count("{") != last.count("}"):
        return "*"
    return last


_ERROR_CODES: list[tuple[type[BaseException], FileOperationError]] = [
    (FileNotFoundError, "file_not_found"),
    (PermissionError, "permission_denied"),
    (IsADirectoryError, "is_directory"),
    (NotADirectoryError, "invalid_path"),
    (ValueError, "invalid_path"),
]


def _operation_error(e: AxError) -> str:
    """deepagents' standard code for an upload or download failure, else ax's message."""
    for cls, code in _ERROR_CODES:
        if isinstance(e, cls):
            return code
    return str(e)

