//! The one place that decides whether this session may change anything.
//! Every mutating path asks here; views only display the answer.

use crate::config::{Config, Context};

/// Why the session is read-only, or `None` when it may mutate.
pub fn read_only_reason(flag: bool, config: &Config, context: &Context) -> Option<String> {
    if flag {
        Some("--read-only".to_string())
    } else if config.read_only {
        Some("read_only in the config".to_string())
    } else if context.read_only {
        Some(format!("context {} is read-only", context.name))
    } else {
        None
    }
}
