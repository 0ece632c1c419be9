//! Cells of CSVs written for people, safe to open in a spreadsheet.
//!
//! Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a formula
//! (and TAB or CR can hide one), so a text that came from an import — a unit head's spreadsheet echoed in
//! a rejects file, an occurrence's place, a municipality's name — could run on an analyst's machine
//! (CSV injection, OWASP). Such a text is written with a leading `'`, which spreadsheets show as text.
//! A number stays as it is, so `-12,5` and `-3.25` are still numbers. CSVs for programs (the CLI's
//! contracts) are not neutralised: they are data, and a program reads them as such.

use std::borrow::Cow;

/// `text` as a cell a spreadsheet will not run: prefixed with `'` when it starts with `=`, `+`, `-`,
/// `@`, TAB or CR and is not a number.
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    let risky = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && !is_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A plain decimal number, with `.` or `,` as the decimal separator (`-3`, `+2.5`, `-12,75`), or a
/// percentage of one (`-97,63%`, `-4,2 %`): a spreadsheet reads either as a value, never a formula.
fn is_number(text: &str) -> bool {
    let text = text
        .strip_suffix('%')
        .map_or(text, |t| t.strip_suffix(' ').unwrap_or(t));
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = digits.splitn(2, ['.', ',']);
    let int = parts.next().unwrap_or_default();
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Every cell of a record through [`safe_cell`].
pub fn safe_record<'a, I, S>(cells: I) -> Vec<Cow<'a, str>>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    cells.into_iter().map(|c| safe_cell(c.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payloads of OWASP's CSV injection page, and numbers that must stay numbers.
    #[test]
    fn formulas_become_text_and_numbers_stay() {
        for (given, written) in [
            ("=1+2", "'=1+2"),
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            (
                "@SUM(1+1)*cmd|' /C calc'!A0",
                "'@SUM(1+1)*cmd|' /C calc'!A0",
            ),
            ("\t=1+2", "'\t=1+2"),
            ("\r=1+2", "'\r=1+2"),
            ("-", "'-"),
            ("-5", "-5"),
            ("+7", "+7"),
            ("-12,75", "-12,75"),
            ("-3.25", "-3.25"),
            ("3,5", "3,5"),
            ("-97,63%", "-97,63%"),
            ("-4,2 %", "-4,2 %"),
            ("-%", "'-%"),
            ("-5%%", "'-5%%"),
            ("-1+1%", "'-1+1%"),
            ("Rua =1", "Rua =1"),
            ("Goiânia", "Goiânia"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(given), written, "{given:?}");
        }
        assert_eq!(
            safe_record(["a", "=b", "-1"].iter().copied()),
            ["a", "'=b", "-1"]
        );
    }
}
