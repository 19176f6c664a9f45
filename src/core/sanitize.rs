//! Strings from outside (label values, model names, descriptions, log lines)
//! are cleaned before they are drawn or exported: escape sequences (CSI, OSC —
//! including OSC 52 clipboard writes —, DCS, SOS, PM, APC), C1 controls and
//! other control characters are removed, so nothing hostile can move the
//! cursor, change colours, set the title or write the clipboard.

use std::borrow::Cow;

/// Removes escape sequences and control characters. Tabs become one space.
/// Returns the input unchanged (borrowed) when it is already clean.
pub fn sanitize(input: &str) -> Cow<'_, str> {
    if !input.chars().any(needs_cleaning) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                // Two-character sequences (ESC c, ESC 7, ESC ( B, ...): drop the
                // next character; intermediate bytes take one more.
                Some(next) => {
                    chars.next();
                    if ('\u{20}'..='\u{2f}').contains(&next) {
                        chars.next();
                    }
                }
                None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(' '),
            c if c.is_control() || is_bidi_override(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_bidi_override(c)
}

/// Bidirectional overrides can make a label read differently from what it is.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..`~`.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        // A control inside a CSI aborts it (as terminals do); drop it too.
        if c.is_control() && c != '\u{1b}' {
            break;
        }
    }
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (`ESC \`) or the C1 ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("fraud-detector v3 ✔"), Cow::Borrowed(_)));
    }

    #[test]
    fn removes_every_kind_of_escape_sequence() {
        let cases = [
            ("\u{1b}[2J\u{1b}[Hcleared", "cleared"),
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}]0;pwned title\u{7}x", "x"),
            ("\u{1b}]52;c;ZWNobyBoaQ==\u{1b}\\after", "after"),
            ("\u{1b}P1$r0m\u{1b}\\dcs", "dcs"),
            ("\u{9b}31mc1 csi", "c1 csi"),
            ("\u{9d}0;title\u{9c}c1 osc", "c1 osc"),
            ("a\u{1b}7b\u{1b}8c", "abc"),
            ("a\u{1b}(Bb", "ab"),
            ("line\r\nnext\u{8}\u{7f}", "linenext"),
            ("tab\there", "tab here"),
            ("\u{202e}evil", "evil"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize(input), expected, "input {input:?}");
        }
    }

    proptest! {
        #[test]
        fn output_never_contains_control_characters(s in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{9f}]*") {
            let clean = sanitize(&s);
            prop_assert!(!clean.chars().any(|c| c.is_control()));
        }

        #[test]
        fn sanitizing_is_idempotent(s in ".*") {
            let once = sanitize(&s).into_owned();
            prop_assert_eq!(sanitize(&once).into_owned(), once.clone());
        }
    }
}
