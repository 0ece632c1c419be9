//! Numbers as people in Brazil read them — the one home of those formats: a comma before the decimals, a
//! dot between thousands (`1.234,56`), `—` where a number is undefined. The reports, the pages and the
//! messages of every crate print through these.

/// What is printed where a number is undefined.
pub const DASH: &str = "—";

/// Groups a string of ASCII digits by thousands with dots: `1234567` → `1.234.567`.
pub fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` decimals, Brazilian style: `decimal(1234.5, 2)` = `1.234,50`,
/// `decimal(-0.5, 1)` = `-0,5`; a value that rounds to zero has no sign; NaN and infinities give `—`.
pub fn decimal(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return DASH.to_string();
    }
    let decimals = decimals.min(17);
    let abs = format!("{:.*}", decimals, value.abs());
    let (int, frac) = abs.split_once('.').unwrap_or((abs.as_str(), ""));
    let mut out = String::new();
    if value < 0.0 && abs.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    out.push_str(&group_thousands(int));
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// A whole number with thousands dots: `200.000`.
pub fn integer(value: i128) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(&digits))
}

/// A measure as typed in a message: whole when it is, else with up to two decimals (`10.000.000`,
/// `12,5`).
pub fn measure(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e18 {
        integer(value as i128)
    } else {
        let s = decimal(value, 2);
        match s.strip_suffix(",00") {
            Some(whole) => whole.to_string(),
            None => s.strip_suffix('0').map(str::to_string).unwrap_or(s),
        }
    }
}

/// A percentage as Igesp's pages and atas print it, a space before the sign: `percent(12.5, 1)` =
/// `12,5 %`. (RECAP's documents print two decimals without the space: `reports::format::percent`.)
pub fn percent(value: f64, decimals: usize) -> String {
    format!("{} %", decimal(value, decimals))
}

/// A change in percent, a rise with its `+`: `+12,5 %`, `-3,0 %`, `0,0 %`.
pub fn change_percent(value: f64, decimals: usize) -> String {
    let sign = if value > 0.0 { "+" } else { "" };
    format!("{sign}{}", percent(value, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_portuguese() {
        assert_eq!(decimal(1234.5, 2), "1.234,50");
        assert_eq!(decimal(-0.001, 2), "0,00");
        assert_eq!(integer(-1_234_567), "-1.234.567");
        assert_eq!(measure(10_000_000.0), "10.000.000");
        assert_eq!(measure(12.5), "12,5");
        assert_eq!(measure(f64::NAN), DASH);
        assert_eq!(percent(7.26, 1), "7,3 %");
        assert_eq!(change_percent(12.5, 1), "+12,5 %");
        assert_eq!(change_percent(-1234.56, 1), "-1.234,6 %");
    }
}
