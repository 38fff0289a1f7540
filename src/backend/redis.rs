//! The Redis / Valkey backend (`url: redis://HOST:PORT/DB`, `rediss://…`, `unix:///path`):
//! state shared by agents on several machines, on any tier.
//!
//! **Layout.** Every key of a mount starts with its prefix (`options: {prefix: NAME}`,
//! default `ax`), so many mounts and teams share one server:
//! `P:f:REL` holds a file's bytes, `P:m:REL` its metadata (`v` version, `t` modified, ms),
//! `P:d:DIR` the set of a folder's entries (`name` for files, `name/` for folders, `.` so an
//! empty folder exists), `P:seq` the mount's version counter. `ls` reads one folder's set:
//! never `KEYS` or a `SCAN` of the database. A file's ETag is its version, drawn from the
//! counter on every change, so it never repeats within a mount (not even after a delete).
//!
//! **Guarantees, as on a local folder.** Every mutation is one Lua script, so it is atomic on
//! the server: a write stages its bytes in a temporary key (small ones go inline) and the
//! script checks `--if-match` / `--if-none-match`, renames the staged key over the file and
//! updates the metadata and folders in one step — readers see the old bytes or the new.
//! An append stages its bytes the same way and the script `APPEND`s them whole, so
//! concurrent appenders never lose or tear a line. Renaming a file or a whole folder is one
//! script (a folder onto an existing path falls back to the caller's copy-then-delete).
//! Large files are read in 1 MiB ranges from a
//! snapshot (`COPY`) taken atomically when the read starts, so a concurrent write never
//! mixes into a read. Files are limited to `max_size` (default 64 MiB) with a clear error.
//!
//! **Expiry.** With `ttl:` (e.g. `7d`), every write or append sets the file to expire that
//! long after it; expired files vanish from listings (their entries are dropped lazily).
//!
//! **Faults.** Connecting is bounded by `connect_timeout` (5 s) and every reply by
//! `idle_timeout` (10 s), so a server that accepts and never answers fails in about 10 s
//! with a message naming it; after a failure the next call reconnects, so a restarted server
//! works again. Staged keys expire after an hour, so a crash mid-write leaves nothing behind
//! for long. Scripts address keys by prefix, so a Redis Cluster is not supported.

use std::io::{self, Read};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::{Connection, Script, Value};

use super::{
    Backend, Content, Entry, Kind, Meta, Precondition, RemoveOptions, StatOptions, Walk,
    WriteOptions, WriteOutcome, exists_conflict, if_match_conflict, normalize_etag,
};
use crate::config::ObjectOptions;
use crate::error::{Advice, Error, ErrorKind, Result};
use crate::vpath::VPath;

/// Bytes per range when reading, and per piece when staging a write.
const PIECE: usize = 1 << 20;
/// Files up to this size are read with one `GET`; larger ones from a snapshot, in ranges.
const SMALL: usize = 4 << 20;
/// Staged and snapshot keys expire after this long (ms), whatever happens to ax.
const STAGING_TTL_MS: u64 = 3_600_000;
/// The default `max_size`.
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

/// Shared helpers of every script: path arithmetic and folder upkeep. `P` is the prefix.
const PRELUDE: &str = r#"
local P = ARGV[1]
local function split(rel)
  local i = rel:match('^.*()/')
  if i then return rel:sub(1, i - 1), rel:sub(i + 1) end
  return '', rel
end
local function is_file(rel) return rel ~= '' and redis.call('EXISTS', P .. ':m:' .. rel) == 1 end
local function is_dir(rel) return rel == '' or redis.call('EXISTS', P .. ':d:' .. rel) == 1 end
-- Creates folder `rel` and its parents; returns the path of a file in the way, if any.
local function ensure_dir(rel)
  if rel == '' then redis.call('SADD', P .. ':d:', '.') return nil end
  if is_file(rel) then return rel end
  local d, n = split(rel)
  local bad = ensure_dir(d)
  if bad then return bad end
  redis.call('SADD', P .. ':d:' .. d, n .. '/')
  redis.call('SADD', P .. ':d:' .. rel, '.')
  return nil
end
local function link_file(rel)
  local d, n = split(rel)
  local bad = ensure_dir(d)
  if bad then return bad end
  redis.call('SADD', P .. ':d:' .. d, n)
  return nil
end
local function stamp(rel, ttl)
  local v = redis.call('INCR', P .. ':seq')
  local t = redis.call('TIME')
  local ms = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  redis.call('HSET', P .. ':m:' .. rel, 'v', v, 't', ms)
  if ttl > 0 then
    redis.call('PEXPIRE', P .. ':f:' .. rel, ttl)
    redis.call('PEXPIRE', P .. ':m:' .. rel, ttl)
  else
    redis.call('PERSIST', P .. ':f:' .. rel)
    redis.call('PERSIST', P .. ':m:' .. rel)
  end
  return tostring(v)
end
"#;

/// The start of a write or an append. ARGV: P, rel, staged key ('' = inline), inline bytes,
/// mode (none|match|create), expected version, ttl ms, max size. Refuses a folder and a
/// stale `--if-match` before anything changes.
const MUTATION: &str = r#"
local rel, tmp, inline, mode, want = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ttl, max = tonumber(ARGV[7]), tonumber(ARGV[8])
local function drop() if tmp ~= '' then redis.call('DEL', tmp) end end
if redis.call('EXISTS', P .. ':d:' .. rel) == 1 then drop() return {'isdir'} end
local cur = redis.call('HGET', P .. ':m:' .. rel, 'v')
if mode == 'match' and cur ~= want then drop() return {'conflict', cur or ''} end
"#;

/// Write: after `MUTATION`, create-only is checked, then the staged or inline bytes
/// replace the file.
const WRITE: &str = r#"
if mode == 'create' and cur then drop() return {'exists'} end
if tmp ~= '' and redis.call('STRLEN', tmp) > max then drop() return {'toolarge'} end
local bad = link_file(rel)
if bad then drop() return {'notdir', bad} end
if tmp ~= '' then
  if redis.call('EXISTS', tmp) == 0 then return {'lost'} end
  redis.call('RENAME', tmp, P .. ':f:' .. rel)
else
  redis.call('SET', P .. ':f:' .. rel, inline)
end
return {'ok', stamp(rel, ttl), cur and '0' or '1'}
"#;

/// Append: after `MUTATION`, the staged or inline bytes are appended whole.
const APPEND: &str = r#"
local data = inline
if tmp ~= '' then
  data = redis.call('GET', tmp)
  if not data then return {'lost'} end
end
if redis.call('STRLEN', P .. ':f:' .. rel) + #data > max then drop() return {'toolarge'} end
local bad = link_file(rel)
if bad then drop() return {'notdir', bad} end
redis.call('APPEND', P .. ':f:' .. rel, data)
drop()
return {'ok', stamp(rel, ttl), cur and '0' or '1'}
"#;

/// Open: ARGV P, rel, snapshot key, small limit. Returns {'small', bytes, version} or {'big',
/// size, version} (the snapshot key then holds a copy) or {'isdir'} / {'missing'}.
const OPEN: &str = r#"
local rel, snap, small = ARGV[2], ARGV[3], tonumber(ARGV[4])
if not is_file(rel) then
  if is_dir(rel) then return {'isdir'} end
  return {'missing'}
end
local n = redis.call('STRLEN', P .. ':f:' .. rel)
local v = redis.call('HGET', P .. ':m:' .. rel, 'v') or ''
if n <= small then return {'small', redis.call('GET', P .. ':f:' .. rel) or '', v} end
redis.call('COPY', P .. ':f:' .. rel, snap, 'REPLACE')
redis.call('PEXPIRE', snap, tonumber(ARGV[5]))
return {'big', tostring(n), v}
"#;

/// Stat: ARGV P, rel. {'file', size, version, modified} | {'dir'} | {'missing'}.
const STAT: &str = r#"
local rel = ARGV[2]
if is_file(rel) then
  local m = redis.call('HMGET', P .. ':m:' .. rel, 'v', 't')
  return {'file', tostring(redis.call('STRLEN', P .. ':f:' .. rel)), m[1] or '', m[2] or ''}
end
if is_dir(rel) then return {'dir'} end
return {'missing'}
"#;

/// List: ARGV P, rel. {'notdir'} | {'missing'} | {'ok', name, kind, size, modified, ...};
/// entries whose file expired are dropped from the folder.
const LIST: &str = r#"
local rel = ARGV[2]
if is_file(rel) then return {'notdir'} end
if not is_dir(rel) then return {'missing'} end
local base = rel == '' and '' or (rel .. '/')
local out = {'ok'}
for _, e in ipairs(redis.call('SMEMBERS', P .. ':d:' .. rel)) do
  if e ~= '.' then
    if e:sub(-1) == '/' then
      local child = base .. e:sub(1, -2)
      if redis.call('EXISTS', P .. ':d:' .. child) == 1 then
        table.insert(out, e:sub(1, -2)); table.insert(out, 'dir'); table.insert(out, '0'); table.insert(out, '')
      else
        redis.call('SREM', P .. ':d:' .. rel, e)
      end
    else
      local child = base .. e
      local t = redis.call('HGET', P .. ':m:' .. child, 't')
      if t then
        table.insert(out, e); table.insert(out, 'file')
        table.insert(out, tostring(redis.call('STRLEN', P .. ':f:' .. child))); table.insert(out, t)
      else
        redis.call('SREM', P .. ':d:' .. rel, e)
      end
    end
  end
end
return out
"#;

/// Remove a file, or an empty folder: ARGV P, rel. {'ok'} | {'notempty'} | {'missing'}.
const REMOVE: &str = r#"
local rel = ARGV[2]
local d, n = split(rel)
if is_file(rel) then
  redis.call('DEL', P .. ':f:' .. rel, P .. ':m:' .. rel)
  redis.call('SREM', P .. ':d:' .. d, n)
  return {'ok'}
end
if rel ~= '' and is_dir(rel) then
  if redis.call('SCARD', P .. ':d:' .. rel) > 1 then return {'notempty'} end
  redis.call('DEL', P .. ':d:' .. rel)
  redis.call('SREM', P .. ':d:' .. d, n .. '/')
  return {'ok'}
end
return {'missing'}
"#;

/// Rename: ARGV P, from, to. A file, or a whole folder (every key below it) in one script.
/// {'ok'} | {'fallback'} (a folder onto something that exists: the caller copies) |
/// {'missing'} | {'isdir'} (a file onto a folder) | {'notdir', path} | {'into'} (a folder
/// into itself).
const RENAME: &str = r#"
local from, to = ARGV[2], ARGV[3]
local function move_tree(src, dst)
  for _, e in ipairs(redis.call('SMEMBERS', P .. ':d:' .. src)) do
    if e:sub(-1) == '/' then
      local n = e:sub(1, -2)
      move_tree(src .. '/' .. n, dst .. '/' .. n)
    elseif e ~= '.' and redis.call('EXISTS', P .. ':m:' .. src .. '/' .. e) == 1 then
      redis.call('RENAME', P .. ':f:' .. src .. '/' .. e, P .. ':f:' .. dst .. '/' .. e)
      redis.call('RENAME', P .. ':m:' .. src .. '/' .. e, P .. ':m:' .. dst .. '/' .. e)
    end
  end
  redis.call('RENAME', P .. ':d:' .. src, P .. ':d:' .. dst)
end
local fd, fn = split(from)
if is_file(from) then
  if redis.call('EXISTS', P .. ':d:' .. to) == 1 then return {'isdir'} end
  local bad = link_file(to)
  if bad then return {'notdir', bad} end
  redis.call('RENAME', P .. ':f:' .. from, P .. ':f:' .. to)
  redis.call('RENAME', P .. ':m:' .. from, P .. ':m:' .. to)
  redis.call('SREM', P .. ':d:' .. fd, fn)
  return {'ok'}
end
if from == '' or not is_dir(from) then return {'missing'} end
if to:sub(1, #from + 1) == from .. '/' then return {'into'} end
if is_file(to) or is_dir(to) then return {'fallback'} end
local td, tn = split(to)
local bad = ensure_dir(td)
if bad then return {'notdir', bad} end
move_tree(from, to)
redis.call('SREM', P .. ':d:' .. fd, fn .. '/')
redis.call('SADD', P .. ':d:' .. td, tn .. '/')
return {'ok'}
"#;

/// Create a folder and its parents: ARGV P, rel. {'ok'} | {'notdir', path}.
const MKDIR: &str = r#"
local bad = ensure_dir(ARGV[2])
if bad then return {'notdir', bad} end
return {'ok'}
"#;

/// A Redis or Valkey mount.
pub struct RedisBackend {
    mount: VPath,
    client: redis::Client,
    /// The server as messages name it: the URL without any password.
    endpoint: String,
    prefix: String,
    ttl_ms: u64,
    max_size: u64,
    connect_timeout: Duration,
    idle_timeout: Duration,
    conn: Mutex<Option<Connection>>,
    scripts: Scripts,
}

struct Scripts {
    write: Script,
    append: Script,
    open: Script,
    stat: Script,
    list: Script,
    remove: Script,
    rename: Script,
    mkdir: Script,
}

impl Scripts {
    fn new() -> Scripts {
        let s = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Scripts {
            write: s(&format!("{MUTATION}{WRITE}")),
            append: s(&format!("{MUTATION}{APPEND}")),
            open: s(OPEN),
            stat: s(STAT),
            list: s(LIST),
            remove: s(REMOVE),
            rename: s(RENAME),
            mkdir: s(MKDIR),
        }
    }
}

/// A reply as strings (Lua returns arrays of bulk strings here).
fn strings(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => b,
                Value::SimpleString(s) => s.into_bytes(),
                Value::Int(n) => n.to_string().into_bytes(),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

impl RedisBackend {
    /// A backend for `url` with the mount's `options` (`prefix`, `ttl`, `max_size` and the
    /// timeouts); nothing is contacted until the first operation.
    pub fn new(mount: VPath, url: &str, options: &ObjectOptions) -> Result<RedisBackend> {
        let endpoint = crate::config::redact_url(url);
        let client = redis::Client::open(url).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("{endpoint} is not a usable Redis URL: {e}"),
            )
            .at(&mount)
            .hint("write redis://HOST:PORT/DB, rediss://… or unix:///path/to/redis.sock")
        })?;
        let get = |k: &str| options.store.get(k).map(String::as_str);
        let ttl_ms = match get("ttl") {
            Some(t) => crate::config::parse_age_or_duration(t)
                .map_err(|m| Error::new(ErrorKind::Config, format!("options.ttl: {m}")).at(&mount))?
                .as_millis() as u64,
            None => 0,
        };
        let max_size = match get("max_size") {
            Some(s) => crate::config::parse_size(s).map_err(|m| {
                Error::new(ErrorKind::Config, format!("options.max_size: {m}")).at(&mount)
            })?,
            None => DEFAULT_MAX_SIZE,
        };
        Ok(RedisBackend {
            mount,
            client,
            endpoint,
            prefix: get("prefix").unwrap_or("ax").to_string(),
            ttl_ms,
            max_size,
            connect_timeout: options.connect_timeout,
            idle_timeout: options.idle_timeout,
            conn: Mutex::new(None),
            scripts: Scripts::new(),
        })
    }

    fn vpath(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.mount.to_string()
        } else {
            format!("{}/{rel}", self.mount)
        }
    }

    fn err(&self, e: &redis::RedisError, rel: &str) -> Error {
        let what = if e.is_timeout() {
            format!("no reply within {} s", self.idle_timeout.as_secs_f64())
        } else if e.is_connection_refusal() {
            "refused the connection".to_string()
        } else if e.is_connection_dropped() {
            "closed the connection".to_string()
        } else {
            one_line(&e.to_string())
        };
        Error::new(
            ErrorKind::Io,
            format!("the Redis server at {} failed: {what}", self.endpoint),
        )
        .at(self.vpath(rel))
        .hint("check that the server is running and reachable, and the URL's database and password")
    }

    /// Runs `f` on the connection (connecting first if needed). After a failure the
    /// connection is dropped, so the next call reconnects.
    fn with<T>(
        &self,
        rel: &str,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let c = self
                .client
                .get_connection_with_timeout(self.connect_timeout)
                .map_err(|e| self.err(&e, rel))?;
            c.set_read_timeout(Some(self.idle_timeout))
                .and_then(|_| c.set_write_timeout(Some(self.idle_timeout)))
                .map_err(|e| self.err(&e, rel))?;
            *guard = Some(c);
        }
        let conn = guard.as_mut().expect("connected above");
        match f(conn) {
            Ok(v) => Ok(v),
            Err(e) => {
                if !matches!(e.kind(), redis::ErrorKind::Server(_)) {
                    *guard = None;
                }
                Err(self.err(&e, rel))
            }
        }
    }

    fn run(&self, script: &Script, rel: &str, args: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
        let v: Value = self.with(rel, |c| {
            let mut inv = script.prepare_invoke();
            inv.arg(self.prefix.as_bytes());
            for a in args {
                inv.arg(*a);
            }
            inv.invoke(c)
        })?;
        Ok(strings(v))
    }

    fn temp_key(&self, what: &str) -> String {
        let n = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{}:{what}:{}-{n}", self.prefix, std::process::id())
    }

    /// Reads `src` into the inline buffer, or — past one piece — into a staged key; the size
    /// limit is enforced as it goes.
    fn stage(&self, rel: &str, src: &mut dyn Read) -> Result<(String, Vec<u8>, u64)> {
        let mut first = Vec::with_capacity(8192);
        let n = src
            .take(PIECE as u64 + 1)
            .read_to_end(&mut first)
            .map_err(|e| Error::io(&e, self.vpath(rel)))?;
        if n <= PIECE {
            self.check_size(rel, n as u64)?;
            return Ok((String::new(), first, n as u64));
        }
        let key = self.temp_key("tmp");
        let mut total = 0u64;
        let mut piece = first;
        loop {
            total += piece.len() as u64;
            if let Err(e) = self.check_size(rel, total) {
                let _ = self.with(rel, |c| redis::cmd("DEL").arg(&key).query::<()>(c));
                return Err(e);
            }
            self.with(rel, |c| {
                redis::pipe()
                    .cmd("APPEND")
                    .arg(&key)
                    .arg(&piece)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(STAGING_TTL_MS)
                    .ignore()
                    .query::<()>(c)
            })?;
            piece.clear();
            let n = src
                .take(PIECE as u64)
                .read_to_end(&mut piece)
                .map_err(|e| Error::io(&e, self.vpath(rel)))?;
            if n == 0 {
                break;
            }
        }
        Ok((key, Vec::new(), total))
    }

    fn check_size(&self, rel: &str, n: u64) -> Result<()> {
        if n > self.max_size {
            return Err(self.too_large(rel));
        }
        Ok(())
    }

    fn too_large(&self, rel: &str) -> Error {
        Error::new(
            ErrorKind::Refused,
            format!(
                "would be larger than this Redis mount's limit of {} bytes; nothing changed",
                self.max_size
            ),
        )
        .at(self.vpath(rel))
        .hint("raise options.max_size for the mount, or keep big files on a cold (object-store) mount")
    }

    fn mutate(
        &self,
        script: &Script,
        rel: &str,
        src: &mut dyn Read,
        opts: &WriteOptions,
    ) -> Result<WriteOutcome> {
        let (tmp, inline, bytes) = self.stage(rel, src)?;
        let (mode, want) = match &opts.precondition {
            Precondition::None => ("none", String::new()),
            Precondition::IfMatch(t) => ("match", normalize_etag(t).to_string()),
            Precondition::IfNoneMatch => ("create", String::new()),
        };
        let r = self.run(
            script,
            rel,
            &[
                rel.as_bytes(),
                tmp.as_bytes(),
                &inline,
                mode.as_bytes(),
                want.as_bytes(),
                self.ttl_ms.to_string().as_bytes(),
                self.max_size.to_string().as_bytes(),
            ],
        )?;
        match r.first().map(|s| text(s)) {
            Some("ok") => Ok(WriteOutcome {
                bytes,
                created: r.get(2).is_some_and(|c| c == b"1"),
                etag: Some(text(&r[1]).to_string()),
            }),
            Some("isdir") => Err(Error::new(ErrorKind::IsADirectory, "is a directory").at(self.vpath(rel))),
            Some("conflict") => {
                let have = r.get(1).map(|h| text(h)).filter(|h| !h.is_empty());
                Err(if_match_conflict(self.vpath(rel), &want, have))
            }
            Some("exists") => Err(exists_conflict(self.vpath(rel))),
            Some("toolarge") => Err(self.too_large(rel)),
            Some("lost") => Err(Error::new(
                ErrorKind::Io,
                "the staged content expired on the Redis server before it was committed; nothing changed",
            )
            .at(self.vpath(rel))
            .hint("write it again")),
            Some("notdir") => Err(self.not_a_dir(r.get(1).map(|b| text(b)).unwrap_or(rel))),
            _ => Err(self.unexpected(rel)),
        }
    }

    fn not_a_dir(&self, rel: &str) -> Error {
        Error::new(ErrorKind::NotADirectory, "is a file, not a folder").at(self.vpath(rel))
    }

    fn not_found(&self, rel: &str) -> Error {
        Error::new(ErrorKind::NotFound, "no such file or directory").at(self.vpath(rel))
    }

    fn unexpected(&self, rel: &str) -> Error {
        Error::new(
            ErrorKind::Internal,
            format!(
                "unexpected reply from the Redis server at {}",
                self.endpoint
            ),
        )
        .at(self.vpath(rel))
    }

    fn modified(ms: &[u8]) -> Option<SystemTime> {
        text(ms)
            .parse::<u64>()
            .ok()
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }
}

impl Backend for RedisBackend {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn stat(&self, rel: &str, _opts: StatOptions) -> Result<Meta> {
        let r = self.run(&self.scripts.stat, rel, &[rel.as_bytes()])?;
        match r.first().map(|s| text(s)) {
            Some("file") => Ok(Meta {
                kind: Kind::File,
                size: text(&r[1]).parse().unwrap_or(0),
                modified: Self::modified(&r[3]),
                etag: Some(text(&r[2]).to_string()).filter(|e| !e.is_empty()),
                cached: None,
            }),
            Some("dir") => Ok(Meta {
                kind: Kind::Dir,
                size: 0,
                modified: None,
                etag: None,
                cached: None,
            }),
            Some("missing") => Err(self.not_found(rel)),
            _ => Err(self.unexpected(rel)),
        }
    }

    fn open(&self, rel: &str) -> Result<Content> {
        self.open_tagged(rel).map(|(content, _)| content)
    }

    /// The version is read in the same script as the bytes (or their snapshot), so it is the
    /// version of exactly what is served.
    fn open_tagged(&self, rel: &str) -> Result<(Content, Option<String>)> {
        let snap = self.temp_key("snap");
        let r = self.run(
            &self.scripts.open,
            rel,
            &[
                rel.as_bytes(),
                snap.as_bytes(),
                SMALL.to_string().as_bytes(),
                STAGING_TTL_MS.to_string().as_bytes(),
            ],
        )?;
        let version = r
            .get(2)
            .map(|v| text(v).to_string())
            .filter(|v| !v.is_empty());
        match r.first().map(|s| text(s)) {
            Some("small") => Ok((
                Content::Stream(Box::new(io::Cursor::new(
                    r.into_iter().nth(1).unwrap_or_default(),
                ))),
                version,
            )),
            Some("big") => {
                let size: usize = text(&r[1]).parse().unwrap_or(0);
                let conn = self
                    .client
                    .get_connection_with_timeout(self.connect_timeout)
                    .map_err(|e| self.err(&e, rel))?;
                conn.set_read_timeout(Some(self.idle_timeout))
                    .map_err(|e| self.err(&e, rel))?;
                let reader = RangeReader {
                    conn,
                    key: snap,
                    size,
                    pos: 0,
                    buf: Vec::new(),
                    at: 0,
                    endpoint: self.endpoint.clone(),
                };
                Ok((Content::Stream(Box::new(reader)), version))
            }
            Some("isdir") => {
                Err(Error::new(ErrorKind::IsADirectory, "is a directory").at(self.vpath(rel)))
            }
            Some("missing") => Err(self.not_found(rel)),
            _ => Err(self.unexpected(rel)),
        }
    }

    fn write(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        self.mutate(&self.scripts.write, rel, src, opts)
    }

    fn append(&self, rel: &str, src: &mut dyn Read, opts: &WriteOptions) -> Result<WriteOutcome> {
        self.mutate(&self.scripts.append, rel, src, opts)
    }

    fn remove(&self, rel: &str, opts: RemoveOptions) -> Result<()> {
        let meta = self.stat(rel, StatOptions::default())?;
        if meta.kind == Kind::Dir {
            if !opts.recursive {
                return Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                    .at(self.vpath(rel))
                    .advise(Advice::RemoveRecursively));
            }
            // Depth-first: files, then the emptied folders, bottom-up.
            let mut dirs = Vec::new();
            let mut failure = None;
            self.walk(rel, &mut |e| {
                if e.meta.kind == Kind::Dir {
                    dirs.push(e.rel.clone());
                } else if let Err(err) = self.run(&self.scripts.remove, &e.rel, &[e.rel.as_bytes()])
                {
                    failure = Some(err);
                    return Walk::Stop;
                }
                Walk::Continue
            })?;
            if let Some(e) = failure {
                return Err(e);
            }
            for d in dirs.iter().rev() {
                self.run(&self.scripts.remove, d, &[d.as_bytes()])?;
            }
        }
        let r = self.run(&self.scripts.remove, rel, &[rel.as_bytes()])?;
        match r.first().map(|s| text(s)) {
            Some("ok") => Ok(()),
            Some("notempty") => Err(Error::new(ErrorKind::IsADirectory, "is a directory")
                .at(self.vpath(rel))
                .advise(Advice::RemoveRecursively)),
            Some("missing") => Err(self.not_found(rel)),
            _ => Err(self.unexpected(rel)),
        }
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let r = self.run(&self.scripts.list, rel, &[rel.as_bytes()])?;
        match r.first().map(|s| text(s)) {
            Some("ok") => {}
            Some("notdir") => return Err(self.not_a_dir(rel)),
            Some("missing") => return Err(self.not_found(rel)),
            _ => return Err(self.unexpected(rel)),
        }
        let base = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut out: Vec<Entry> = r[1..]
            .chunks(4)
            .filter(|c| c.len() == 4)
            .map(|c| {
                let dir = c[1] == b"dir";
                Entry {
                    rel: format!("{base}{}", text(&c[0])),
                    meta: Meta {
                        kind: if dir { Kind::Dir } else { Kind::File },
                        size: text(&c[2]).parse().unwrap_or(0),
                        modified: Self::modified(&c[3]),
                        etag: None,
                        cached: None,
                    },
                }
            })
            .collect();
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    fn walk(&self, rel: &str, visit: &mut dyn FnMut(&Entry) -> Walk) -> Result<()> {
        fn go(b: &RedisBackend, rel: &str, visit: &mut dyn FnMut(&Entry) -> Walk) -> Result<bool> {
            for e in b.list(rel)? {
                match visit(&e) {
                    Walk::Stop => return Ok(false),
                    Walk::SkipDir => continue,
                    Walk::Continue if e.meta.kind == Kind::Dir => {
                        if !go(b, &e.rel, visit)? {
                            return Ok(false);
                        }
                    }
                    Walk::Continue => {}
                }
            }
            Ok(true)
        }
        go(self, rel, visit).map(|_| ())
    }

    fn rename(&self, from: &str, to: &str) -> Result<bool> {
        let r = self.run(
            &self.scripts.rename,
            from,
            &[from.as_bytes(), to.as_bytes()],
        )?;
        match r.first().map(|s| text(s)) {
            Some("ok") => Ok(true),
            Some("fallback") => Ok(false),
            Some("into") => {
                Err(Error::usage("cannot move a folder into itself").at(self.vpath(to)))
            }
            Some("missing") => Err(self.not_found(from)),
            Some("isdir") => {
                Err(Error::new(ErrorKind::IsADirectory, "is a directory").at(self.vpath(to)))
            }
            Some("notdir") => Err(self.not_a_dir(r.get(1).map(|b| text(b)).unwrap_or(to))),
            _ => Err(self.unexpected(from)),
        }
    }

    fn create_dir(&self, rel: &str) -> Result<()> {
        let r = self.run(&self.scripts.mkdir, rel, &[rel.as_bytes()])?;
        match r.first().map(|s| text(s)) {
            Some("ok") => Ok(()),
            Some("notdir") => Err(self.not_a_dir(r.get(1).map(|b| text(b)).unwrap_or(rel))),
            _ => Err(self.unexpected(rel)),
        }
    }

    fn remove_empty_dir(&self, rel: &str) -> Result<bool> {
        if rel.is_empty() {
            return Ok(false);
        }
        match self.stat(rel, StatOptions::default()) {
            Ok(m) if m.kind == Kind::Dir => {}
            _ => return Ok(false),
        }
        let r = self.run(&self.scripts.remove, rel, &[rel.as_bytes()])?;
        Ok(r.first().is_some_and(|s| s == b"ok"))
    }
}

/// Reads a snapshot key in ranges and deletes it when done (or dropped).
struct RangeReader {
    conn: Connection,
    key: String,
    size: usize,
    pos: usize,
    buf: Vec<u8>,
    at: usize,
    endpoint: String,
}

impl Read for RangeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            if self.pos >= self.size {
                return Ok(0);
            }
            let end = (self.pos + PIECE).min(self.size) - 1;
            self.buf = redis::cmd("GETRANGE")
                .arg(&self.key)
                .arg(self.pos)
                .arg(end)
                .query(&mut self.conn)
                .map_err(|e| {
                    io::Error::other(format!("the Redis server at {} failed: {e}", self.endpoint))
                })?;
            if self.buf.is_empty() {
                return Err(io::Error::other(format!(
                    "the read snapshot at the Redis server {} vanished mid-read",
                    self.endpoint
                )));
            }
            self.pos += self.buf.len();
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Drop for RangeReader {
    fn drop(&mut self) {
        let _ = redis::cmd("DEL").arg(&self.key).query::<()>(&mut self.conn);
    }
}
