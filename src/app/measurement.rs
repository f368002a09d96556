//! The measurement options as text (docs/features.md, "Inverse problems"): the operator A as
//! `observe` ("a11,a12" or "a11,a12;a21,a22") and the measured y as `observation` ("y1" or
//! "y1,y2"), as links, the page and `dp-sample` carry them. Parsed here into numbers with
//! messages naming the field, and written back in one canonical spelling (the shortest decimal
//! of each number, so a link round trip gives the same text).

use crate::app::options::{parse_number, OptionError};

/// Largest |entry| of A: far past any projection or scaling that keeps the data on the canvas.
pub const MAX_OPERATOR_ENTRY: f64 = 100.0;
/// Largest |y|: measurements far outside the data work (in log space) up to here.
pub const MAX_OBSERVED_VALUE: f64 = 1000.0;
/// Smaller magnitudes read as 0: a millionth of a world unit is far below anything the picture
/// or the noise resolves, and it keeps every canonical number short (positional, at most 24
/// characters), as links and `www/js/measurement.js` write them.
pub const MEASUREMENT_RESOLUTION: f64 = 1e-6;

fn refused(field: &str, text: &str, allowed: &str) -> OptionError {
    let shown: String = text.chars().take(40).collect();
    OptionError { field: field.into(), value: format!("{shown:?}"), allowed: allowed.into() }
}

fn numbers(field: &str, text: &str, max: f64, allowed: &str) -> Result<Vec<f64>, OptionError> {
    text.split(',')
        .map(|v| {
            let n =
                parse_number(v).filter(|n| n.abs() <= max).ok_or_else(|| refused(field, text, allowed))?;
            Ok(if n.abs() < MEASUREMENT_RESOLUTION { 0.0 } else { n })
        })
        .collect()
}

/// The rows of A in `text`: one or two rows separated by `;`, each two numbers separated by `,`,
/// every |entry| at most [`MAX_OPERATOR_ENTRY`].
pub fn parse_operator(text: &str) -> Result<Vec<[f64; 2]>, OptionError> {
    let allowed = format!(
        "one or two rows of A as \"a11,a12\" or \"a11,a12;a21,a22\", entries from -{MAX_OPERATOR_ENTRY} to {MAX_OPERATOR_ENTRY}"
    );
    let rows: Vec<&str> = text.split(';').collect();
    if rows.len() > 2 {
        return Err(refused("observe", text, &allowed));
    }
    rows.iter()
        .map(|row| match numbers("observe", row, MAX_OPERATOR_ENTRY, &allowed)?.as_slice() {
            [a, b] => Ok([*a, *b]),
            _ => Err(refused("observe", text, &allowed)),
        })
        .collect()
}

/// The measured values in `text`: `rows` numbers separated by `,`, every |y| at most
/// [`MAX_OBSERVED_VALUE`].
pub fn parse_values(text: &str, rows: usize) -> Result<Vec<f64>, OptionError> {
    let allowed = format!(
        "{rows} number{} separated by commas (one per row of observe), from -{MAX_OBSERVED_VALUE} to {MAX_OBSERVED_VALUE}",
        if rows == 1 { "" } else { "s" }
    );
    let values = numbers("observation", text, MAX_OBSERVED_VALUE, &allowed)?;
    if values.len() != rows {
        return Err(refused("observation", text, &allowed));
    }
    Ok(values)
}

/// The canonical text of the rows of A.
pub fn operator_text(rows: &[[f64; 2]]) -> String {
    rows.iter().map(|r| format!("{},{}", r[0], r[1])).collect::<Vec<_>>().join(";")
}

/// The canonical text of measured values.
pub fn values_text(values: &[f64]) -> String {
    values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

/// The one or two measured values of `text` (as many as it lists), or `None` when it is not
/// such a list.
pub fn parse_value_list(text: &str) -> Option<Vec<f64>> {
    let count = text.split(',').count();
    (count <= 2).then(|| parse_values(text, count).ok()).flatten()
}

/// `values` resized to `rows` (zeros appended, or the extra values dropped): what the
/// measurement becomes when the operator gains or loses a row and no new values are given.
pub fn resized(values: &[f64], rows: usize) -> Vec<f64> {
    (0..rows).map(|i| values.get(i).copied().unwrap_or(0.0)).collect()
}
