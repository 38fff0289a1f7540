"""Adapters that plug ax into other frameworks, each an optional extra:

- `ax_vfs.integrations.deepagents`: a LangChain deepagents backend (`pip install 'ax-vfs[deepagents]'`).
- `ax_vfs.integrations.fsspec`: the `ax://` protocol for fsspec, so pandas and friends
  read and write ax paths (`pip install 'ax-vfs[fsspec]'`).

Nothing here is imported by `import ax_vfs`; a module imports its framework when it is
itself imported.
"""
