//! `--at` values: an RFC 3339 instant or a time relative to now (`-2h`).

use chrono::{DateTime, Utc};

/// Resolves `2026-11-23T08:00:00Z`, `-2h`, `-90m` or `now` against `now`.
pub fn parse_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t == "now" {
        return Ok(now);
    }
    if let Some(ago) = t.strip_prefix('-') {
        let d = super::duration::parse(ago)?;
        let d = chrono::Duration::from_std(d).map_err(|e| format!("`{t}`: {e}"))?;
        return now.checked_sub_signed(d).ok_or_else(|| format!("`{t}` is too far in the past"));
    }
    match DateTime::parse_from_rfc3339(t) {
        Ok(at) => {
            let at = at.with_timezone(&Utc);
            if at > now { Err(format!("`{t}` is in the future: vigil looks back in time, not ahead")) } else { Ok(at) }
        }
        Err(e) => {
            Err(format!("`{t}` is neither an RFC 3339 time (2026-11-23T08:00:00Z) nor a relative one (-2h): {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn relative_and_absolute_times() {
        assert_eq!(parse_at("-2h", now()).unwrap().to_rfc3339(), "2026-11-23T08:00:00+00:00");
        assert_eq!(parse_at("2026-11-23T09:30:00+01:00", now()).unwrap().to_rfc3339(), "2026-11-23T08:30:00+00:00");
        assert_eq!(parse_at("now", now()).unwrap(), now());
    }

    #[test]
    fn future_and_garbage_are_refused() {
        assert!(parse_at("2030-01-01T00:00:00Z", now()).unwrap_err().contains("future"));
        assert!(parse_at("yesterday", now()).unwrap_err().contains("neither"));
    }
}
