//! The number grammar of share links and options, the one definition: the options read their
//! numbers with it, and the page reads every number of a link through the wasm's `link_number`
//! (`www/js/link-rules.js`): ASCII whitespace trimmed, plain decimal numbers only, read in one
//! pass without backtracking, and at most [`MAX_NUMBER_LENGTH`] characters, so a hostile link
//! cannot make reading a number slow.

/// Longest text accepted as a number (after trimming): longer texts are rejected before they are
/// read. Every number of the table fits in far fewer characters ("4294967295", "0.123456789e-3").
pub const MAX_NUMBER_LENGTH: usize = 32;

/// `text` without leading and trailing ASCII whitespace (U+0020, U+0009, U+000A, U+000C, U+000D):
/// the one definition of whitespace that the options and the page (through the wasm's
/// `link_text`) trim. Unicode spaces such as U+0085 or U+FEFF are kept, so a value carrying them
/// is rejected.
pub fn trim_link_whitespace(text: &str) -> &str {
    text.trim_ascii()
}

/// True when `text` is a plain decimal number: `[+-]? (digits ('.' digits?)? | '.' digits)
/// ([eE] [+-]? digits)?`. Checked in one pass, without backtracking. Words such as "inf" or
/// "NaN", hexadecimal and empty text are not numbers.
pub fn is_decimal_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        i += 1;
    }
    let whole = digits(&mut i);
    let mut fraction = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return false;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// The number a share link's text stands for: trimmed ([`trim_link_whitespace`]), at most
/// [`MAX_NUMBER_LENGTH`] characters, and a plain decimal number ([`is_decimal_number`]); None
/// otherwise. -0 reads as 0.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = trim_link_whitespace(text);
    if text.len() > MAX_NUMBER_LENGTH || !is_decimal_number(text) {
        return None;
    }
    text.parse::<f64>().ok().map(|n| n + 0.0)
}
