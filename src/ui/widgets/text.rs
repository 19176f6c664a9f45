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

/// Breaks `text` into lines of at most `width` columns, at spaces where it
/// can and inside a word only when the word alone is too long. Nothing is
/// dropped: a request shown on screen is shown whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_hanging(text, width, width)
}

/// [`wrap`] with a first line of `first` columns and the others of `rest`
/// (text after a label, continued under itself).
pub fn wrap_hanging(text: &str, first: usize, rest: usize) -> Vec<String> {
    let rest = rest.max(1);
    let mut width = first.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = word.width();
        if used > 0 && used + 1 + w <= width {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            width = rest;
        }
        used = 0;
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > 0 {
                lines.push(std::mem::take(&mut line));
                width = rest;
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
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

    #[test]
    fn wraps_at_spaces_and_inside_words_only_when_needed() {
        assert_eq!(wrap("set alias champion of fraud-detector", 16), ["set alias", "champion of", "fraud-detector"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("a b", 10), ["a b"]);
        let text = "until error_ratio of fraud-detector over 1m < 0.01 (every 15s, up to 10m)";
        assert_eq!(wrap(text, 30).join(" "), text, "nothing is lost");
        assert!(wrap("日本語のモデル名", 5).iter().all(|l| width(l) <= 5));
        assert_eq!(wrap_hanging("aaa bbb ccc ddd", 3, 7), ["aaa", "bbb ccc", "ddd"]);
    }
}
