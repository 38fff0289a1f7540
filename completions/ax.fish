# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ax_global_optspecs
    string join \n config= json h/help V/version
end

function __fish_ax_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ax_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ax_using_subcommand
    set -l cmd (__fish_ax_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ax -n "__fish_ax_needs_command" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_needs_command" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_needs_command" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_needs_command" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_needs_command" -f -a "write" -d 'Create or replace a file (atomically); content from the argument or stdin'
complete -c ax -n "__fish_ax_needs_command" -f -a "append" -d 'Append to a file; concurrent appenders never lose or tear lines'
complete -c ax -n "__fish_ax_needs_command" -f -a "cat" -d 'Print a file; --offset/--limit select lines'
complete -c ax -n "__fish_ax_needs_command" -f -a "edit" -d 'Replace exact text in a file'
complete -c ax -n "__fish_ax_needs_command" -f -a "rm" -d 'Delete a file, or a directory with -r'
complete -c ax -n "__fish_ax_needs_command" -f -a "ls" -d 'List a directory (`/` lists the mounts)'
complete -c ax -n "__fish_ax_needs_command" -f -a "tree" -d 'Show a directory tree'
complete -c ax -n "__fish_ax_needs_command" -f -a "stat" -d 'Show metadata of a path, including its ETag'
complete -c ax -n "__fish_ax_needs_command" -f -a "find" -d 'Find files and directories by name'
complete -c ax -n "__fish_ax_needs_command" -f -a "cp" -d 'Copy files or directories, across mounts and tiers'
complete -c ax -n "__fish_ax_needs_command" -f -a "mv" -d 'Move or rename, across mounts and tiers (copy, verify, then delete)'
complete -c ax -n "__fish_ax_needs_command" -f -a "grep" -d 'Search file contents with a regular expression'
complete -c ax -n "__fish_ax_needs_command" -f -a "lifecycle" -d 'Apply the lifecycle rules of ax.yaml: delete old files, move them to a colder tier'
complete -c ax -n "__fish_ax_needs_command" -f -a "search" -d 'Search indexed mounts: keyword, semantic or hybrid (the default)'
complete -c ax -n "__fish_ax_needs_command" -f -a "index" -d 'Bring the search index up to date (incremental; --rebuild starts over)'
complete -c ax -n "__fish_ax_needs_command" -f -a "watch" -d 'Keep the search index current while files change (runs until interrupted)'
complete -c ax -n "__fish_ax_needs_command" -f -a "init" -d 'Write a commented ax.yaml into the current directory'
complete -c ax -n "__fish_ax_needs_command" -f -a "mounts" -d 'Show the mount table'
complete -c ax -n "__fish_ax_needs_command" -f -a "config" -d 'Configuration commands'
complete -c ax -n "__fish_ax_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c ax -n "__fish_ax_needs_command" -f -a "tools" -d 'Print the tool definitions for LLM APIs (MCP, OpenAI, Anthropic, JSON)'
complete -c ax -n "__fish_ax_needs_command" -f -a "mcp" -d 'Serve the tools over MCP on stdin/stdout (for Claude Code, Cursor, the MCP SDKs)'
complete -c ax -n "__fish_ax_needs_command" -f -a "exec" -d 'Run a command in a mount\'s folder, sandboxed, with a time limit (exit 124 on timeout)'
complete -c ax -n "__fish_ax_needs_command" -f -a "serve" -d 'Serve the namespace over HTTP: MCP (Streamable HTTP) at /mcp, a JSON API at /v1, streamed files at /v1/files, /healthz, /readyz, /metrics. Runs until SIGTERM/SIGINT'
complete -c ax -n "__fish_ax_needs_command" -f -a "token" -d 'Tokens for `ax serve`'
complete -c ax -n "__fish_ax_needs_command" -f -a "call" -d 'Execute one tool call: `ax call ax_read \'{"path":"/context/plan.md"}\'` (arguments as JSON, or on stdin). Prints the tool\'s text result (`--json`: the structured one)'
complete -c ax -n "__fish_ax_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand write" -l if-match -d 'Only write if the file\'s current ETag is this (see `ax stat`)' -r
complete -c ax -n "__fish_ax_using_subcommand write" -l if-none-match -d 'Only create: `--if-none-match \'*\'` fails if the file exists' -r
complete -c ax -n "__fish_ax_using_subcommand write" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand write" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand write" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand write" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand append" -l if-match -d 'Only append if the file\'s current ETag is this' -r
complete -c ax -n "__fish_ax_using_subcommand append" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand append" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand append" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand append" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand cat" -l offset -d 'First line to print (1-based)' -r
complete -c ax -n "__fish_ax_using_subcommand cat" -l limit -d 'Print at most this many lines' -r
complete -c ax -n "__fish_ax_using_subcommand cat" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand cat" -s n -l numbered -d 'Number the lines'
complete -c ax -n "__fish_ax_using_subcommand cat" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand cat" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand cat" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand edit" -l old -d 'Exact text to replace (must occur once, unless --all)' -r
complete -c ax -n "__fish_ax_using_subcommand edit" -l new -d 'Replacement text' -r
complete -c ax -n "__fish_ax_using_subcommand edit" -l if-match -d 'Only edit if the file\'s current ETag is this' -r
complete -c ax -n "__fish_ax_using_subcommand edit" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand edit" -l all -d 'Replace every occurrence'
complete -c ax -n "__fish_ax_using_subcommand edit" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand edit" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand edit" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand rm" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand rm" -s r -l recursive -d 'Delete directories and everything in them'
complete -c ax -n "__fish_ax_using_subcommand rm" -s f -l force -d 'Do not fail when a path does not exist'
complete -c ax -n "__fish_ax_using_subcommand rm" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand rm" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand rm" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand ls" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand ls" -s l -l long -d 'Long format: kind, size, modification time'
complete -c ax -n "__fish_ax_using_subcommand ls" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand ls" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand ls" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand tree" -s L -l depth -d 'Descend at most this many levels' -r
complete -c ax -n "__fish_ax_using_subcommand tree" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand tree" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand tree" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand tree" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand stat" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand stat" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand stat" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand stat" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand find" -l name -d 'Glob on the entry\'s name, e.g. \'*.md\'' -r
complete -c ax -n "__fish_ax_using_subcommand find" -s t -l type -d 'Only files (f) or only directories (d)' -r -f -a "f\t'Files'
d\t'Folders'"
complete -c ax -n "__fish_ax_using_subcommand find" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand find" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand find" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ax -n "__fish_ax_using_subcommand find" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand cp" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand cp" -s r -l recursive -d 'Copy directories recursively'
complete -c ax -n "__fish_ax_using_subcommand cp" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand cp" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand cp" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand mv" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand mv" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand mv" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand mv" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand grep" -s m -l max-count -d 'Stop after this many matching lines per file' -r
complete -c ax -n "__fish_ax_using_subcommand grep" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand grep" -s i -l ignore-case -d 'Case-insensitive'
complete -c ax -n "__fish_ax_using_subcommand grep" -s F -l fixed-strings -d 'Treat the pattern as a literal string'
complete -c ax -n "__fish_ax_using_subcommand grep" -s w -l word-regexp -d 'Match whole words only'
complete -c ax -n "__fish_ax_using_subcommand grep" -s l -l files-with-matches -d 'Print only the paths of matching files'
complete -c ax -n "__fish_ax_using_subcommand grep" -s c -l count -d 'Print the number of matching lines per file'
complete -c ax -n "__fish_ax_using_subcommand grep" -l sort -d 'Sort results by path (searches sequentially)'
complete -c ax -n "__fish_ax_using_subcommand grep" -s n -l line-number -d 'Accepted for grep/ripgrep compatibility: line numbers are always shown'
complete -c ax -n "__fish_ax_using_subcommand grep" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand grep" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand grep" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand lifecycle" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand lifecycle" -s n -l dry-run -d 'List what would be done, change nothing'
complete -c ax -n "__fish_ax_using_subcommand lifecycle" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand lifecycle" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand lifecycle" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand search" -l path -d 'Only below this path (a mount, a folder or a file); default every indexed mount' -r
complete -c ax -n "__fish_ax_using_subcommand search" -s n -l limit -d 'Number of results' -r
complete -c ax -n "__fish_ax_using_subcommand search" -l mode -d 'Ranking' -r -f -a "hybrid\t'Keyword and meaning combined (the default)'
keyword\t'Exact words and identifiers (BM25)'
semantic\t'Meaning only (embedding similarity)'"
complete -c ax -n "__fish_ax_using_subcommand search" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand search" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand search" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ax -n "__fish_ax_using_subcommand search" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand index" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand index" -l rebuild -d 'Forget the index and build it again (cached embeddings are reused)'
complete -c ax -n "__fish_ax_using_subcommand index" -l status -d 'Show the model (folder, digests, runtime) and the index (files, chunks, embedded share, size) instead of indexing'
complete -c ax -n "__fish_ax_using_subcommand index" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand index" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand index" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand watch" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand watch" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand watch" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand watch" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand init" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand init" -l force -d 'Overwrite an existing ax.yaml'
complete -c ax -n "__fish_ax_using_subcommand init" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand init" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand init" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand mounts" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand mounts" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand mounts" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand mounts" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Validate the configuration without touching any data'
complete -c ax -n "__fish_ax_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate the configuration without touching any data'
complete -c ax -n "__fish_ax_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand completions" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand completions" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand completions" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand completions" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand tools" -l format -d 'Output format' -r -f -a "mcp\t'MCP `tools/list` objects (`inputSchema`, `annotations`)'
openai\t'OpenAI Chat Completions function tools, strict mode'
openai-responses\t'OpenAI Responses API function tools, strict mode'
anthropic\t'Anthropic Messages API tools (`input_schema`)'
json\t'A neutral list with every flag'"
complete -c ax -n "__fish_ax_using_subcommand tools" -l only -d 'Only these tools (comma-separated names, with or without the `ax_` prefix)' -r
complete -c ax -n "__fish_ax_using_subcommand tools" -l exclude -d 'Leave out these tools (comma-separated)' -r
complete -c ax -n "__fish_ax_using_subcommand tools" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand tools" -l compact -d 'One line instead of pretty-printed JSON'
complete -c ax -n "__fish_ax_using_subcommand tools" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand tools" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ax -n "__fish_ax_using_subcommand tools" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand mcp" -l only -d 'Only serve these tools (comma-separated)' -r
complete -c ax -n "__fish_ax_using_subcommand mcp" -l exclude -d 'Do not serve these tools (comma-separated)' -r
complete -c ax -n "__fish_ax_using_subcommand mcp" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand mcp" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand mcp" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand mcp" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand exec" -l in -d 'Folder to run in: a virtual path in a mount with `exec: true`. Default: that mount\'s root when only one mount allows commands' -r
complete -c ax -n "__fish_ax_using_subcommand exec" -l timeout -d 'Time limit (30s, 2m, 1h); at the limit the command and everything it started are killed and ax exits 124. Default: exec.timeout in ax.yaml (120s)' -r
complete -c ax -n "__fish_ax_using_subcommand exec" -l allow-write -d 'More folders the command may write (virtual paths in writable local mounts), comma-separated or repeated. The mount it runs in is always writable (unless read-only)' -r
complete -c ax -n "__fish_ax_using_subcommand exec" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand exec" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand exec" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand exec" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand serve" -l listen -d 'Address to listen on (port 0: any free port, printed on stderr). A non-loopback address needs `serve.tokens` in ax.yaml' -r
complete -c ax -n "__fish_ax_using_subcommand serve" -l allow-origin -d 'A browser origin allowed to call (`https://app.example.com`); repeat for more. Requests with any other `Origin` get 403' -r
complete -c ax -n "__fish_ax_using_subcommand serve" -l allow-host -d 'A host name clients may use in `Host` for /mcp besides loopback names and the listen address (behind a proxy or a DNS name); repeat for more' -r
complete -c ax -n "__fish_ax_using_subcommand serve" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand serve" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand serve" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand serve" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -f -a "new" -d 'Print a fresh random secret (once) and the `serve.tokens` entry to paste into ax.yaml, which keeps only its SHA-256'
complete -c ax -n "__fish_ax_using_subcommand token; and not __fish_seen_subcommand_from new help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from new" -l mount -d 'A mount the token may use and how: `/scratch:rw`, `/docs:r`, `/code:rwx` (x: may run commands). Repeat for more; mounts not named do not exist for the token' -r
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from new" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from new" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "new" -d 'Print a fresh random secret (once) and the `serve.tokens` entry to paste into ax.yaml, which keeps only its SHA-256'
complete -c ax -n "__fish_ax_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand call" -l config -d 'Use this config file instead of discovering one' -r -F
complete -c ax -n "__fish_ax_using_subcommand call" -l json -d 'Print machine-readable JSON (one document, or JSON Lines for streams)'
complete -c ax -n "__fish_ax_using_subcommand call" -s h -l help -d 'Print help'
complete -c ax -n "__fish_ax_using_subcommand call" -s V -l version -d 'Print version'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "write" -d 'Create or replace a file (atomically); content from the argument or stdin'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "append" -d 'Append to a file; concurrent appenders never lose or tear lines'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "cat" -d 'Print a file; --offset/--limit select lines'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "edit" -d 'Replace exact text in a file'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "rm" -d 'Delete a file, or a directory with -r'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "ls" -d 'List a directory (`/` lists the mounts)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "tree" -d 'Show a directory tree'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "stat" -d 'Show metadata of a path, including its ETag'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "find" -d 'Find files and directories by name'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "cp" -d 'Copy files or directories, across mounts and tiers'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "mv" -d 'Move or rename, across mounts and tiers (copy, verify, then delete)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "grep" -d 'Search file contents with a regular expression'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "lifecycle" -d 'Apply the lifecycle rules of ax.yaml: delete old files, move them to a colder tier'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "search" -d 'Search indexed mounts: keyword, semantic or hybrid (the default)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "index" -d 'Bring the search index up to date (incremental; --rebuild starts over)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "watch" -d 'Keep the search index current while files change (runs until interrupted)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "init" -d 'Write a commented ax.yaml into the current directory'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "mounts" -d 'Show the mount table'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "config" -d 'Configuration commands'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "completions" -d 'Print shell completions'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "tools" -d 'Print the tool definitions for LLM APIs (MCP, OpenAI, Anthropic, JSON)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "mcp" -d 'Serve the tools over MCP on stdin/stdout (for Claude Code, Cursor, the MCP SDKs)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "exec" -d 'Run a command in a mount\'s folder, sandboxed, with a time limit (exit 124 on timeout)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "serve" -d 'Serve the namespace over HTTP: MCP (Streamable HTTP) at /mcp, a JSON API at /v1, streamed files at /v1/files, /healthz, /readyz, /metrics. Runs until SIGTERM/SIGINT'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "token" -d 'Tokens for `ax serve`'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "call" -d 'Execute one tool call: `ax call ax_read \'{"path":"/context/plan.md"}\'` (arguments as JSON, or on stdin). Prints the tool\'s text result (`--json`: the structured one)'
complete -c ax -n "__fish_ax_using_subcommand help; and not __fish_seen_subcommand_from write append cat edit rm ls tree stat find cp mv grep lifecycle search index watch init mounts config completions tools mcp exec serve token call help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ax -n "__fish_ax_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate the configuration without touching any data'
complete -c ax -n "__fish_ax_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "new" -d 'Print a fresh random secret (once) and the `serve.tokens` entry to paste into ax.yaml, which keeps only its SHA-256'
