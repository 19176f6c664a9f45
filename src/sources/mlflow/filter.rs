//! Search filters for MLflow's `filter` parameter, safe for any model name.
//!
//! MLflow's filter grammar has no escapes: a quoted value is everything
//! between its first and last quote, taken as is (`'it''s'` means `it''s`),
//! and `LIKE` goes to the database without an `ESCAPE` clause, so `%` and
//! `_` cannot be made literal and `\` is an escape on PostgreSQL and MySQL
//! but not on SQLite. So these filters only narrow the search to a
//! superset of the wanted names; the caller keeps exactly the wanted ones.

/// Characters that cannot appear in a pattern safely on every backend:
/// the quotes, the escape of PostgreSQL and MySQL, SQL Server's `[` class.
/// Each becomes `_`, which matches any one character, itself included.
const UNSAFE_IN_PATTERN: [char; 4] = ['\'', '"', '\\', '['];

/// `name LIKE '%…%'`: every name containing `needle`, and perhaps others.
pub fn name_contains(needle: &str) -> String {
    let pattern: String = needle.chars().map(|c| if UNSAFE_IN_PATTERN.contains(&c) { '_' } else { c }).collect();
    format!("name LIKE '%{pattern}%'")
}

/// `name = '…'`: exactly `name` when it can be quoted (it lacks one of the
/// two quote characters), else a `LIKE` that includes it.
pub fn name_is(name: &str) -> String {
    if !name.contains('\'') {
        format!("name = '{name}'")
    } else if !name.contains('"') {
        format!("name = \"{name}\"")
    } else {
        let pattern: String = name.chars().map(|c| if UNSAFE_IN_PATTERN.contains(&c) { '_' } else { c }).collect();
        format!("name LIKE '{pattern}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_with_the_quote_they_lack() {
        assert_eq!(name_is("fraud"), "name = 'fraud'");
        assert_eq!(name_is("it's"), "name = \"it's\"");
        assert_eq!(name_is("say \"hi\""), r#"name = 'say "hi"'"#);
        assert_eq!(name_is("back\\slash"), "name = 'back\\slash'");
        assert_eq!(name_is("both ' and \""), "name LIKE 'both _ and _'");
        assert_eq!(name_is("100%_x"), "name = '100%_x'", "= takes % and _ literally");
    }

    #[test]
    fn patterns_never_hold_a_quote_or_an_escape() {
        assert_eq!(name_contains("fraud"), "name LIKE '%fraud%'");
        assert_eq!(name_contains("it's"), "name LIKE '%it_s%'");
        assert_eq!(name_contains(r#"a\b"[c]"#), "name LIKE '%a_b__c]%'");
        assert_eq!(name_contains("; $(rm -rf ~) --"), "name LIKE '%; $(rm -rf ~) --%'");
        // Wildcards stay wildcards: the search may return more, never less.
        assert_eq!(name_contains("a_b%"), "name LIKE '%a_b%%'");
    }
}
