//! Plain-text tables for one-shot commands: aligned columns, no colour.

use crate::ui::widgets::text::{truncate, width};

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Lays out `rows` under `headers`, each column as wide as its widest cell
/// (capped at `max_width`), two spaces apart, trailing spaces trimmed.
pub fn format(headers: &[(&str, Align)], rows: &[Vec<String>], max_width: usize) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, (h, _))| rows.iter().map(|r| width(&r[i])).chain([width(h)]).max().unwrap_or(0).min(max_width))
        .collect();
    let line = |cells: Vec<&str>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(headers)
            .zip(&widths)
            .map(|((cell, (_, align)), &w)| {
                let cell = truncate(cell, w, "…");
                let pad = w.saturating_sub(width(&cell));
                match align {
                    Align::Left => format!("{cell}{}", " ".repeat(pad)),
                    Align::Right => format!("{}{cell}", " ".repeat(pad)),
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(headers.iter().map(|(h, _)| *h).collect());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_trims() {
        let rows = vec![vec!["fraud".to_string(), "1.5".to_string()], vec!["ads".to_string(), "12.25".to_string()]];
        let out = format(&[("MODEL", Align::Left), ("REQ/S", Align::Right)], &rows, 40);
        assert_eq!(out, "MODEL  REQ/S\nfraud    1.5\nads    12.25\n");
    }
}
