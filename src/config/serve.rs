//! Resolved `serve:` settings: the tokens `ax serve` accepts, each with the mounts it may see
//! and what it may do there. Only the SHA-256 of a secret is ever stored; a presented secret
//! is hashed and compared in constant time against every token (no early exit).

use sha2::{Digest, Sha256};

pub use super::model::Grant;
use super::model::{ServeSection, TokenSection};
use crate::vpath::VPath;

/// One accepted token.
#[derive(Debug, Clone)]
pub struct Token {
    /// Its name (logs, metrics).
    pub name: String,
    sha256: [u8; 32],
    /// The mounts it may see, with what it may do on each; every other mount does not exist
    /// for it.
    pub mounts: Vec<(VPath, Grant)>,
}

impl Token {
    /// What this token may do on the mount at `mount`, if it may see it at all.
    pub fn grant(&self, mount: &VPath) -> Option<Grant> {
        self.mounts
            .iter()
            .find(|(m, _)| m == mount)
            .map(|(_, g)| *g)
    }
}

/// The `serve:` section, resolved.
#[derive(Debug, Clone, Default)]
pub struct ServeSettings {
    /// The accepted tokens, in declaration order.
    pub tokens: Vec<Token>,
}

impl ServeSettings {
    /// Checks the section against the mount table: every scope names a declared mount, and
    /// `x` only a mount with `exec: true`. `mounts` gives each mount point and whether it
    /// allows commands. Errors say what to write (the caller adds the file and line).
    pub(super) fn resolve(
        raw: Option<ServeSection>,
        mounts: &[(VPath, bool)],
    ) -> std::result::Result<ServeSettings, (Vec<String>, String)> {
        let raw = raw.unwrap_or_default();
        let mut tokens: Vec<Token> = Vec::new();
        for (
            i,
            TokenSection {
                name,
                sha256,
                mounts: scopes,
            },
        ) in raw.tokens.into_iter().enumerate()
        {
            let key = format!("serve.tokens[{i}]");
            let needle = vec!["name:".to_string(), name.0.clone()];
            if tokens.iter().any(|t| t.name == name.0) {
                return Err((
                    needle,
                    format!("{key}.name: {:?} is used by another token", name.0),
                ));
            }
            if tokens.iter().any(|t| t.sha256 == sha256.0) {
                return Err((
                    vec!["sha256:".into()],
                    format!(
                        "{key}.sha256: another token has the same secret; make a new one with `ax token new {}`",
                        name.0
                    ),
                ));
            }
            let mut granted = Vec::new();
            for (mount, grant) in scopes {
                let declared = VPath::parse(&mount)
                    .ok()
                    .and_then(|p| mounts.iter().find(|(m, _)| *m == p).cloned());
                let Some((path, exec_ok)) = declared else {
                    let list: Vec<&str> = mounts.iter().map(|(m, _)| m.as_str()).collect();
                    return Err((
                        vec![mount.clone()],
                        format!(
                            "{key}.mounts: {mount} is not a declared mount point; declared: {}",
                            list.join(", ")
                        ),
                    ));
                };
                if grant.exec && !exec_ok {
                    return Err((
                        vec![mount.clone()],
                        format!(
                            "{key}.mounts.{mount}: `x` lets the token run commands, but the mount does not allow them; add `exec: true` to the mount or use {}",
                            if grant.write { "rw" } else { "r" }
                        ),
                    ));
                }
                granted.push((path, grant));
            }
            tokens.push(Token {
                name: name.0,
                sha256: sha256.0,
                mounts: granted,
            });
        }
        Ok(ServeSettings { tokens })
    }

    /// The token whose secret is `secret`, if any. Hashes the secret once and compares it
    /// with every token's hash in constant time, so timing tells nothing about near misses.
    pub fn authenticate(&self, secret: &str) -> Option<&Token> {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut found = None;
        for t in &self.tokens {
            let diff = t
                .sha256
                .iter()
                .zip(digest.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 && found.is_none() {
                found = Some(t);
            }
        }
        found
    }
}

/// A fresh random secret: `ax_` and 64 hex digits (256 bits from the kernel's generator).
/// The prefix lets secret scanners recognise a leaked one.
pub fn fresh_secret() -> crate::error::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| crate::error::Error::io(&e, "/dev/urandom"))?;
    Ok(format!(
        "ax_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// The SHA-256 of `secret` in hex: what `serve.tokens[].sha256` holds.
pub fn secret_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spec<'a> = (&'a str, &'a str, &'a [(&'a str, Grant)]);

    fn settings(yaml_tokens: &[Spec<'_>]) -> ServeSettings {
        let tokens = yaml_tokens
            .iter()
            .map(|(name, secret, scopes)| Token {
                name: name.to_string(),
                sha256: Sha256::digest(secret.as_bytes()).into(),
                mounts: scopes
                    .iter()
                    .map(|(m, g)| (VPath::parse(m).unwrap(), *g))
                    .collect(),
            })
            .collect();
        ServeSettings { tokens }
    }

    #[test]
    fn a_secret_finds_its_token_and_nothing_else_does() {
        let s = settings(&[
            ("ci", "s3cret-one", &[("/scratch", Grant::READ)]),
            ("dev", "s3cret-two", &[]),
        ]);
        assert_eq!(
            s.authenticate("s3cret-one").map(|t| t.name.as_str()),
            Some("ci")
        );
        assert_eq!(
            s.authenticate("s3cret-two").map(|t| t.name.as_str()),
            Some("dev")
        );
        assert!(s.authenticate("s3cret-on").is_none());
        assert!(s.authenticate("").is_none());
        assert_eq!(
            secret_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn grants_read_as_written() {
        for s in ["r", "rw", "rx", "rwx"] {
            assert_eq!(Grant::parse(s).map(Grant::letters), Some(s));
        }
        assert!(Grant::parse("w").is_none() && Grant::parse("RW").is_none());
    }
}
