//! The real Valkey server (started by `scripts/test.sh`, see `scripts/redis-server.sh`) as the
//! tests see it. Without its environment a test needing it is skipped with a note, or fails
//! when `AX_REQUIRE_BACKENDS=1` (as in CI).

/// The server's URL (`unix:///…/redis.sock`), or the skip-gate.
pub(crate) fn url(test: &str) -> Option<String> {
    match std::env::var("AX_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some(u),
        None => super::skip_or_fail(&format!(
            "{test}: no Redis test server (AX_TEST_REDIS_URL unset; scripts/test.sh or scripts/redis-server.sh sets it)"
        )),
    }
}

/// The `valkey-server` binary, for tests that run a server of their own.
pub(crate) fn server_bin(test: &str) -> Option<String> {
    match std::env::var("AX_TEST_VALKEY_BIN")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(b) => Some(b),
        None => super::skip_or_fail(&format!(
            "{test}: no valkey-server (AX_TEST_VALKEY_BIN unset; scripts/redis-server.sh sets it)"
        )),
    }
}

/// A key prefix no other test (or earlier run) uses.
pub(crate) fn unique_prefix(name: &str) -> String {
    super::s3::unique_prefix(name)
}
