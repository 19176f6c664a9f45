//! Changes the console can make to the world, as data: what they do, what
//! the operator must type to confirm, and how they are described in the
//! confirmation prompt and the audit log. Carrying them out is the runner's
//! job; deciding whether they are allowed is `app::gate`'s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::core::duration;
use crate::sources::alertmanager::Matcher;

/// The shortest and longest silence the console will create.
pub const SILENCE_MIN: Duration = Duration::from_secs(60);
pub const SILENCE_MAX: Duration = Duration::from_secs(30 * 86_400);
/// What the duration prompt starts with.
pub const SILENCE_DEFAULT: &str = "2h";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateSilence {
        #[serde(serialize_with = "matcher_strings")]
        matchers: Vec<Matcher>,
        #[serde(with = "seconds")]
        duration: Duration,
        reason: String,
        /// What the operator typed to confirm (the model, else the alert).
        target: String,
    },
    ExpireSilence {
        id: String,
        reason: String,
        target: String,
    },
}

impl Change {
    /// The text the operator must type, exactly, to go ahead.
    pub fn target(&self) -> &str {
        match self {
            Change::CreateSilence { target, .. } | Change::ExpireSilence { target, .. } => target,
        }
    }

    /// One line: what will happen.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateSilence { matchers, duration, .. } => {
                let matchers: Vec<String> = matchers.iter().map(Matcher::to_string).collect();
                format!("silence {{{}}} for {}", matchers.join(", "), duration::format(*duration))
            }
            Change::ExpireSilence { id, .. } => format!("expire silence {id}"),
        }
    }
}

/// A change being put together through the prompts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Draft {
    /// Silencing an alert with these labels; the duration is asked first.
    Silence { labels: BTreeMap<String, String>, target: String, duration: Option<Duration> },
    /// Expiring a silence.
    Expire { id: String, target: String },
}

impl Draft {
    pub fn target(&self) -> &str {
        match self {
            Draft::Silence { target, .. } | Draft::Expire { target, .. } => target,
        }
    }

    /// The change, once the reason is known.
    pub fn with_reason(&self, reason: &str) -> Option<Change> {
        match self {
            Draft::Silence { labels, target, duration: Some(duration) } => Some(Change::CreateSilence {
                // Every label of the alert: the silence mutes exactly this alert.
                matchers: labels.iter().map(|(k, v)| Matcher::equal(k, v)).collect(),
                duration: *duration,
                reason: reason.to_string(),
                target: target.clone(),
            }),
            Draft::Silence { duration: None, .. } => None,
            Draft::Expire { id, target } => {
                Some(Change::ExpireSilence { id: id.clone(), reason: reason.to_string(), target: target.clone() })
            }
        }
    }
}

/// Parses the silence duration prompt: `30m`, `2h`, `1d`, within limits.
pub fn parse_silence_duration(text: &str) -> Result<Duration, String> {
    let d = duration::parse(text.trim())?;
    if d < SILENCE_MIN || d > SILENCE_MAX {
        return Err(format!(
            "a silence lasts between {} and {} (got {})",
            duration::format(SILENCE_MIN),
            duration::format(SILENCE_MAX),
            duration::format(d)
        ));
    }
    Ok(d)
}

fn matcher_strings<S: serde::Serializer>(matchers: &[Matcher], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(matchers.iter().map(Matcher::to_string))
}

mod seconds {
    pub fn serialize<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silence_draft_becomes_a_change_with_every_label() {
        let labels: BTreeMap<String, String> =
            [("alertname".to_string(), "ModelErrorRatioHigh".to_string()), ("model".into(), "fraud".into())].into();
        let mut draft = Draft::Silence { labels, target: "fraud".into(), duration: None };
        assert_eq!(draft.with_reason("known canary"), None, "no duration yet");
        if let Draft::Silence { duration, .. } = &mut draft {
            *duration = Some(parse_silence_duration("90m").unwrap());
        }
        let change = draft.with_reason("known canary").unwrap();
        assert_eq!(change.target(), "fraud");
        assert_eq!(change.describe(), "silence {alertname=\"ModelErrorRatioHigh\", model=\"fraud\"} for 1h30m");
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "create_silence");
        assert_eq!(json["duration"], 5400);
    }

    #[test]
    fn silence_durations_are_bounded() {
        assert!(parse_silence_duration("30s").unwrap_err().contains("between 1m and 30d"));
        assert!(parse_silence_duration("31d").is_err());
        assert_eq!(parse_silence_duration(" 2h ").unwrap(), Duration::from_secs(7200));
        assert!(parse_silence_duration("soon").is_err());
    }
}
