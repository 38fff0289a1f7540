//! `${VAR}` and `${VAR:-default}` expansion for config values.
//!
//! Only the braced forms are recognised, so a literal `$` (common in S3 keys and regexes)
//! needs no escaping. An unset variable without a default is an error naming it; an empty
//! variable counts as unset for `:-`, as in POSIX shells.

/// Expands `raw`, looking variables up with `lookup`.
pub fn expand_env(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            format!("unterminated `${{` in {raw:?}; write ${{VAR}} or ${{VAR:-default}}")
        })?;
        let body = &after[..end];
        let (name, default) = match body.find(":-") {
            Some(i) => (&body[..i], Some(&body[i + 2..])),
            None => (body, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "invalid variable name {name:?} in {raw:?}; names use letters, digits and _"
            ));
        }
        match (lookup(name).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(format!(
                    "environment variable {name} is not set; set it, or give a default as ${{{name}:-value}}"
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "HOME_DIR" => Some("/h".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands() {
        assert_eq!(expand_env("${HOME_DIR}/x", env).unwrap(), "/h/x");
        assert_eq!(expand_env("${NOPE:-./data}/x", env).unwrap(), "./data/x");
        assert_eq!(expand_env("${EMPTY:-d}", env).unwrap(), "d");
        assert_eq!(expand_env("a$b${HOME_DIR}", env).unwrap(), "a$b/h");
        assert_eq!(expand_env("plain", env).unwrap(), "plain");
    }

    #[test]
    fn errors_name_the_variable() {
        let e = expand_env("s3://${S3_BUCKET}/x", env).unwrap_err();
        assert!(e.contains("S3_BUCKET"), "{e}");
        assert!(
            expand_env("${OPEN", env)
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(expand_env("${}", env).is_err());
    }
}
