"""ax_vfs: the ax virtual filesystem for AI agents, in-process.

    import ax_vfs as ax
    vfs = ax.load_config_file("ax.yaml")
    vfs.write_text("/context/plan.md", "# Plan")
    print(vfs.read_text("/context/plan.md"))

Every method calls the same Rust library as the `ax` command (jail, read-only mounts,
atomic writes, safe appends, ETags, search), with the GIL released. Errors are AxError
subclasses carrying ax's one-line message.
"""


class AxError(Exception):
    """An ax operation failed; the message says what, on which path, and what to do."""


class NotFoundError(AxError, FileNotFoundError):
    """The path (or a parent) does not exist."""


class ReadOnlyError(AxError, PermissionError):
    """The mount refuses changes."""


class OutsideMountError(AxError, PermissionError):
    """The path would leave its mount (`..`, a symlink out, a host path)."""


class ConflictError(AxError):
    """An `if_match` ETag is stale, or a `create_only` write found the file."""


class ConfigError(AxError):
    """The configuration is invalid."""


class UsageError(AxError, ValueError):
    """Bad arguments."""


class IsADirectoryAxError(AxError, IsADirectoryError):
    """A file operation was asked of a folder."""


class NotADirectoryAxError(AxError, NotADirectoryError):
    """A folder operation was asked of a file, or a parent is a file."""


import asyncio  # noqa: E402
from typing import Any, Awaitable, Callable  # noqa: E402

from ._native import Entry, Stat, Vfs, load_config_file, load_default  # noqa: E402


class AsyncVfs:
    """The operations of a `Vfs` as coroutines, each run on a worker thread
    (`asyncio.to_thread`), so an event loop never waits on a cold-tier read or a search.

        vfs = ax.AsyncVfs(ax.load_config_file("ax.yaml"))
        text = await vfs.read_text("/context/plan.md")
    """

    def __init__(self, vfs: Vfs) -> None:
        self.sync = vfs

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.sync, name)

        async def run(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        run.__name__ = name
        run.__doc__ = method.__doc__
        return run

__all__ = [
    "AxError", "NotFoundError", "ReadOnlyError", "OutsideMountError", "ConflictError",
    "ConfigError", "UsageError", "IsADirectoryAxError", "NotADirectoryAxError",
    "AsyncVfs", "Entry", "Stat", "Vfs", "load_config_file", "load_default",
]
