//! `options:` of an object-store mount, typed and checked while `ax.yaml` is parsed, so a bad
//! value is reported at load (by `ax config check` too) with its file, line and key.
//!
//! Every value may be written as a YAML number or a string (`timeout: 30`, `timeout: "30s"`)
//! and may use `${VAR}`. `idle_timeout`, `connect_timeout` and `timeout` are durations
//! (`500ms`, `10s`, `2m`; a bare number is seconds; `timeout` may also be `off`), `retries` a
//! count, `cache` `on`/`off` or a size (`256MiB`).
//!
//! **Fault bounds by default.** A request fails when no byte arrives for `idle_timeout`
//! (default 10 s) — an endpoint that accepts connections and never answers, or a transfer
//! that stalls — and is retried within 10 s, so a small read or write against a silent
//! endpoint fails in about 10 s with a message naming it. A transfer is never cut off while
//! bytes keep arriving: there is no total time limit per request unless `timeout` sets one.
//! Any other key is passed to the store's client (endpoint, region, credentials, …), which
//! checks it when the mount is first used.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de};

use super::expand::expand_env;
use super::model::Expanded;

/// The options an S3 mount knows, for the error that names an unknown one.
pub const S3_OPTIONS: &str = "endpoint, region, access_key_id, secret_access_key, session_token, allow_http, virtual_hosted_style_request, idle_timeout, connect_timeout, timeout, retries, cache";

/// The options an Azure Blob mount knows, for the error that names an unknown one.
pub const AZURE_OPTIONS: &str = "account_name, account_key, sas_token, endpoint, use_emulator, allow_http, idle_timeout, connect_timeout, timeout, retries, cache";

/// The options a GCS mount knows, for the error that names an unknown one.
pub const GCS_OPTIONS: &str = "service_account (a key file's path), service_account_key (its JSON), application_credentials, allow_http, idle_timeout, connect_timeout, timeout, retries, cache";

/// The read cache's size when `cache: on`.
pub(super) const DEFAULT_CACHE_BYTES: u64 = 256 << 20;

/// Parsed `options:` of an object-store mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectOptions {
    /// Longest wait for the next byte of a response (default 10 s); resets while data flows.
    pub idle_timeout: Duration,
    /// Total time limit per request; `None` (the default) means none, so long transfers that
    /// keep moving are never cut off.
    pub timeout: Option<Duration>,
    /// Connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Retries of transient errors (default 3).
    pub retries: usize,
    /// Read-cache size bound in bytes; `None` when the cache is off (the default).
    pub cache_bytes: Option<u64>,
    /// Every other key, for the store's client.
    pub store: BTreeMap<String, String>,
}

impl Default for ObjectOptions {
    fn default() -> Self {
        ObjectOptions {
            idle_timeout: Duration::from_secs(10),
            timeout: None,
            connect_timeout: Duration::from_secs(5),
            retries: 3,
            cache_bytes: None,
            store: BTreeMap::new(),
        }
    }
}

/// `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let (num, mult) = if let Some(n) = v.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = v.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (v, 1.0)
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .and_then(|n| Duration::try_from_secs_f64(n * mult).ok())
        .ok_or_else(|| format!("{v:?} is not a duration; write e.g. 10s, 500ms, 2m, 1h"))
}

/// A duration (`30s`, `2h`) or an age (`7d`, `2w`), for expiry times.
pub fn parse_age_or_duration(v: &str) -> Result<Duration, String> {
    let t = v.trim();
    let day = |n: &str, mult: u64| {
        n.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
    };
    let secs = if let Some(n) = t.strip_suffix('d') {
        day(n, 86_400)
    } else if let Some(n) = t.strip_suffix('w') {
        day(n, 7 * 86_400)
    } else {
        return parse_duration(t)
            .map_err(|_| format!("{v:?} is not a duration; write e.g. 30m, 12h, 7d"));
    };
    secs.map(Duration::from_secs)
        .ok_or_else(|| format!("{v:?} is not a duration; write e.g. 30m, 12h, 7d"))
}

/// The options a Redis mount knows besides the timeouts.
pub const REDIS_OPTIONS: &str = "prefix, ttl, max_size, idle_timeout, connect_timeout";

/// A duration, or `off`/`none` for no limit.
fn parse_optional_duration(v: &str) -> Result<Option<Duration>, String> {
    match v.trim() {
        "off" | "none" | "false" => Ok(None),
        d => parse_duration(d)
            .map(Some)
            .map_err(|_| format!("{v:?} is neither a duration nor off; write e.g. 10s, 5m or off")),
    }
}

/// `1024`, `64k`, `256MiB`, `1g`.
pub fn parse_size(v: &str) -> Result<u64, String> {
    let t = v.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => 0,
    };
    n.parse::<u64>()
        .ok()
        .filter(|_| mult > 0)
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{v:?} is not a size; write e.g. 256MiB, 1GiB"))
}

/// `on`/`off` (and `true`/`false`, `yes`/`no`, `0`) or a size.
fn parse_cache(v: &str) -> Result<Option<u64>, String> {
    match v.trim() {
        "false" | "off" | "no" | "0" => Ok(None),
        "true" | "on" | "yes" => Ok(Some(DEFAULT_CACHE_BYTES)),
        size => parse_size(size)
            .map(Some)
            .map_err(|_| format!("{v:?} is neither on/off nor a size; write e.g. on, 256MiB")),
    }
}

fn parse_count(v: &str) -> Result<usize, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("{v:?} is not a number; write e.g. 3"))
}

/// One option value, parsed inside the deserialiser's own call for that value, so an error
/// carries the value's line and key path (`mounts[1].options.timeout`).
#[derive(Debug)]
pub(super) struct Parsed<T>(pub T);

struct ParseVisitor<T>(fn(&str) -> Result<T, String>);

impl<T> Visitor<'_> for ParseVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value (a number or a string)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let v = expand_env(v, |k| std::env::var(k).ok()).map_err(E::custom)?;
        (self.0)(&v).map_err(E::custom)
    }
}

macro_rules! parsed_with {
    ($t:ty, $f:path) => {
        impl<'de> Deserialize<'de> for Parsed<$t> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(ParseVisitor($f)).map(Parsed)
            }
        }
    };
}
parsed_with!(Duration, parse_duration);
parsed_with!(Option<Duration>, parse_optional_duration);
parsed_with!(usize, parse_count);
parsed_with!(Option<u64>, parse_cache);
parsed_with!(u64, parse_size);

impl<'de> Deserialize<'de> for ObjectOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectOptions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of option names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectOptions, A::Error> {
                let mut o = ObjectOptions::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "timeout" => o.timeout = map.next_value::<Parsed<Option<Duration>>>()?.0,
                        "idle_timeout" => o.idle_timeout = map.next_value::<Parsed<Duration>>()?.0,
                        "connect_timeout" => {
                            o.connect_timeout = map.next_value::<Parsed<Duration>>()?.0
                        }
                        "retries" => o.retries = map.next_value::<Parsed<usize>>()?.0,
                        "cache" => o.cache_bytes = map.next_value::<Parsed<Option<u64>>>()?.0,
                        _ => {
                            let Expanded(v) = map.next_value()?;
                            o.store.insert(key, v);
                        }
                    }
                }
                Ok(o)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("256MiB").unwrap(), 256 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e300m").is_err());
        assert_eq!(parse_cache("on").unwrap(), Some(DEFAULT_CACHE_BYTES));
        assert_eq!(parse_cache("off").unwrap(), None);
        assert!(parse_cache("maybe").is_err());
    }

    #[test]
    fn numbers_and_strings_both_load_and_other_keys_pass_through() {
        let o: ObjectOptions =
            serde_norway::from_str("timeout: 30\nretries: \"5\"\ncache: 1MiB\nregion: eu-west-1\n")
                .unwrap();
        assert_eq!(o.timeout, Some(Duration::from_secs(30)));
        let off: ObjectOptions =
            serde_norway::from_str("timeout: off\nidle_timeout: 2s\n").unwrap();
        assert_eq!(
            (off.timeout, off.idle_timeout),
            (None, Duration::from_secs(2))
        );
        assert_eq!(
            ObjectOptions::default().timeout,
            None,
            "no total limit by default"
        );
        assert_eq!(o.retries, 5);
        assert_eq!(o.cache_bytes, Some(1 << 20));
        assert_eq!(o.store["region"], "eu-west-1");
        let e = serde_norway::from_str::<ObjectOptions>("retries: 3\ntimeout: soon\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("timeout") && e.contains("neither a duration nor off"),
            "{e}"
        );
    }
}
