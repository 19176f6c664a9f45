//! Fitting text into cells by display width (wide characters count as two).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cuts `text` to at most `width` columns, ending in `ellipsis` when cut.
pub fn truncate(text: &str, width: usize, ellipsis: &str) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let room = width.saturating_sub(ellipsis.width());
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if width >= ellipsis.width() {
        out.push_str(ellipsis);
    }
    out
}

pub fn width(text: &str) -> usize {
    text.width()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("fraud-detector", 8, "…"), "fraud-d…");
        assert_eq!(truncate("short", 8, "…"), "short");
        assert_eq!(truncate("日本語のモデル", 6, "…"), "日本…");
        assert_eq!(truncate("abc", 0, "…"), "");
    }
}
