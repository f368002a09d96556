//! Points from a CSV file, as the command-line tools read them: one `x,y` per line (commas,
//! spaces or tabs between), blank lines and lines starting with `#` skipped, and a header line
//! such as `x,y` allowed before the first point.

use std::path::Path;

/// The points of the file at `path`; an error names the file and line of anything else.
pub fn read_points(path: &Path) -> Result<Vec<[f32; 2]>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_points(&text, &path.display().to_string())
}

/// The points of `text`, the contents of the file called `name` in messages.
pub fn parse_points(text: &str, name: &str) -> Result<Vec<[f32; 2]>, String> {
    let mut points = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let header = points.is_empty() && line.starts_with(|c: char| c.is_ascii_alphabetic());
        if header {
            continue;
        }
        let values: Result<Vec<f32>, _> =
            line.split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::parse::<f32>).collect();
        match values.as_deref() {
            Ok([x, y]) if x.is_finite() && y.is_finite() => points.push([*x, *y]),
            _ => return Err(format!("{name}:{}: expected two finite numbers x,y, got {line:?}", number + 1)),
        }
    }
    if points.is_empty() {
        return Err(format!("{name} holds no points"));
    }
    Ok(points)
}
