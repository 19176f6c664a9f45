//! Human durations (`5m`, `30d`, `250ms`, `1h30m`) as used in config and flags.

use std::time::Duration;

/// Parses `250ms`, `5m`, `1h30m`, `30d`. A bare number is refused: a unit is
/// always required so `5` never silently means five seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty duration".into());
    }
    if trimmed.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("`{trimmed}` has no unit (write e.g. `{trimmed}s`, `{trimmed}m` or `{trimmed}h`)"));
    }
    humantime::parse_duration(trimmed).map_err(|e| format!("`{trimmed}` is not a duration: {e}"))
}

/// The shortest exact spelling: `3600s` → `1h`, `90s` → `1m30s`.
pub fn format(d: Duration) -> String {
    let mut secs = d.as_secs();
    let millis = d.subsec_millis();
    if secs == 0 {
        return format!("{millis}ms");
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if millis > 0 {
        out.push_str(&format!("{millis}ms"));
    }
    out
}

/// Short age for headers: `4s`, `3m`, `2h`, `5d`.
pub fn format_age(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=99 => format!("{s}s"),
        100..=5_999 => format!("{}m", s / 60),
        6_000..=172_799 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86_400)));
    }

    #[test]
    fn refuses_numbers_without_units_and_nonsense() {
        assert!(parse("5").unwrap_err().contains("has no unit"));
        assert!(parse("soon").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for text in ["1h", "1m30s", "30d", "250ms", "2h5s"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
        assert_eq!(format_age(42.4), "42s");
        assert_eq!(format_age(600.0), "10m");
    }
}
