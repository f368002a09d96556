//! The options table on the command line (native only; the wasm has no `clap`): one `--name VALUE`
//! argument per option of [`options::FIELDS`], built from the table, for the tools that take the
//! playground's options (`dp-sample`, `dp-likelihood`), next to each tool's own flags (a `clap`
//! derive struct).
//!
//! Each argument's help is what the table accepts ([`options::allowed`], the table's own refusal
//! text) and the tool's default. `clap` does not check the values: they arrive as text in
//! [`RawOptions`] and the table checks them once ([`Options::merged`]), so a refusal names the
//! field exactly as the page's does.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::app::options::{self, Options, RawOptions, RawValue, FIELDS};
use crate::core::dataset::Dataset;

/// Heading of the table's options in `--help`.
pub const HEADING: &str = "Playground options (checked as in the page)";

/// The options table as one tool takes it: the defaults it shows, and what it says about some
/// options (a note after what the table allows) or refuses.
#[derive(Clone, Debug)]
pub struct TableArgs {
    defaults: Options,
    notes: Vec<(&'static str, String)>,
    refused: Vec<(&'static str, String)>,
}

impl TableArgs {
    /// Every option, with `defaults` shown as the defaults (the tool's presets over
    /// [`Options::default`]).
    pub fn new(defaults: Options) -> Self {
        TableArgs { defaults, notes: Vec::new(), refused: Vec::new() }
    }

    /// Adds `note` to the help of `field` (what the tool adds to the table's values, say).
    pub fn note(mut self, field: &'static str, note: impl Into<String>) -> Self {
        self.notes.push((field, note.into()));
        self
    }

    /// `field` is refused by this tool, with `why` (its help and its error).
    pub fn refuse(mut self, field: &'static str, why: impl Into<String>) -> Self {
        self.refused.push((field, why.into()));
        self
    }

    /// One argument per option of the table, in table order, under [`HEADING`]. A value may
    /// start with a hyphen (`--observation -0.5`), and a later `--name` replaces an earlier one.
    pub fn args(&self) -> Vec<Arg> {
        FIELDS
            .iter()
            .map(|&field| {
                let arg = Arg::new(field)
                    .long(field)
                    .value_name(field.to_uppercase())
                    .action(ArgAction::Set)
                    .allow_hyphen_values(true)
                    .help_heading(HEADING);
                match self.refused.iter().find(|(f, _)| *f == field) {
                    Some((_, why)) => {
                        let why = why.clone();
                        arg.help(format!("not taken here: {why}"))
                            .value_parser(move |_: &str| Err::<String, String>(why.clone()))
                    }
                    None => arg.help(self.help(field)),
                }
            })
            .collect()
    }

    /// The help of `field`: what the table allows, the tool's note, the default.
    fn help(&self, field: &str) -> String {
        let mut help = if field == "class" { class_help() } else { options::allowed(field, &self.defaults) };
        for (_, note) in self.notes.iter().filter(|(f, _)| *f == field) {
            help.push_str("; ");
            help.push_str(note);
        }
        if let Some(default) = default_text(&self.defaults, field).filter(|d| !d.is_empty()) {
            help.push_str(&format!(" [default: {default}]"));
        }
        help
    }

    /// The options given on the command line, as text for the table to check.
    pub fn raw_options(&self, matches: &ArgMatches) -> RawOptions {
        FIELDS
            .iter()
            .filter_map(|&field| {
                let value = matches.get_one::<String>(field)?;
                Some((field.to_string(), Some(RawValue::Text(value.clone()))))
            })
            .collect()
    }
}

/// The classes of every dataset (the table's refusal names only those of one).
fn class_help() -> String {
    let lists: Vec<String> = Dataset::ALL
        .iter()
        .map(|&dataset| {
            let names: Vec<&str> = crate::core::classes::classes(dataset).iter().map(|c| c.name).collect();
            format!("{}: {}", dataset.name(), names.join(", "))
        })
        .collect();
    format!("a class of the dataset, or empty for none ({})", lists.join("; "))
}

/// `options`' value of `field` as a command line spells it (the options serialize with the
/// table's names).
pub fn default_text(options: &Options, field: &str) -> Option<String> {
    let value = serde_json::to_value(options).ok()?.get(field)?.clone();
    Some(match value {
        serde_json::Value::String(text) => text,
        // As the table writes its ranges: 1, not 1.0.
        serde_json::Value::Number(n) if n.is_f64() => n.as_f64().map_or(n.to_string(), |x| x.to_string()),
        other => other.to_string(),
    })
}

/// A tool's command line: its own flags `T` (a `clap` derive struct) and, when it takes them,
/// the table's options.
pub struct Parsed<T> {
    /// The tool's own flags.
    pub args: T,
    /// The table's options as given (unchecked).
    pub options: RawOptions,
    /// The command, to report later errors with its usage ([`fail`]).
    pub command: Command,
}

/// The command of a tool: its own flags `T`, then the table's options when `table` is given.
/// Later arguments replace earlier ones.
pub fn command<T: CommandFactory>(table: Option<&TableArgs>) -> Command {
    let command = T::command().args_override_self(true);
    match table {
        Some(table) => command.args(table.args()),
        None => command,
    }
}

/// Parses `words` (the program's name first) into the tool's flags and the table's options.
/// `--help` and errors come back as `clap` errors ([`clap::Error::exit`] prints them: help on
/// stdout with status 0, errors on stderr with status 2).
pub fn try_parse_from<T, I>(table: Option<&TableArgs>, words: I) -> Result<Parsed<T>, clap::Error>
where
    T: CommandFactory + FromArgMatches,
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString> + Clone,
{
    let mut command = command::<T>(table);
    let matches = command.try_get_matches_from_mut(words)?;
    let args = T::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    let options = table.map(|t| t.raw_options(&matches)).unwrap_or_default();
    Ok(Parsed { args, options, command })
}

/// [`try_parse_from`] of the process's arguments; prints help or an error and exits.
pub fn parse<T: CommandFactory + FromArgMatches>(table: Option<&TableArgs>) -> Parsed<T> {
    try_parse_from(table, std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// Reports `message` as a usage error of `command` (`error: ...`, the usage, the hint to
/// `--help`) and exits with status 2, as `clap` does for its own errors.
pub fn fail(command: &mut Command, message: impl std::fmt::Display) -> ! {
    command.error(ErrorKind::ValueValidation, message).exit()
}

/// A value parser for an integer from `min` to `max`, refusing others in the table's words.
pub fn integer_from<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |text: &str| {
        text.parse::<T>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("allowed: an integer from {min} to {max}"))
    }
}

/// A value parser for one of `all` by its `name` (`--help` lists the names, an error suggests
/// the nearest).
pub fn named<T: Copy + Send + Sync + 'static>(all: &'static [T], name: fn(T) -> &'static str) -> Named<T> {
    Named { all, name }
}

/// See [`named`].
#[derive(Clone)]
pub struct Named<T: 'static> {
    all: &'static [T],
    name: fn(T) -> &'static str,
}

impl<T: Copy + Send + Sync + 'static> TypedValueParser for Named<T> {
    type Value = T;

    fn parse_ref(&self, command: &Command, arg: Option<&Arg>, value: &OsStr) -> Result<T, clap::Error> {
        let names = PossibleValuesParser::new(self.all.iter().map(|&c| (self.name)(c)));
        let text = names.parse_ref(command, arg, value)?;
        // The names parser accepted it, so it is one of them.
        self.all
            .iter()
            .copied()
            .find(|&c| (self.name)(c) == text)
            .ok_or_else(|| clap::Error::new(ErrorKind::InvalidValue).with_cmd(command))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.all.iter().map(|&c| PossibleValue::new((self.name)(c)))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser, Debug)]
    #[command(name = "tool")]
    struct Own {
        #[arg(long, value_parser = integer_from(1usize, 4))]
        threads: Option<usize>,
        #[arg(long, value_parser = named(&Dataset::ALL, Dataset::name))]
        data: Option<Dataset>,
    }

    fn parse(words: &[&str]) -> Result<Parsed<Own>, clap::Error> {
        let table = TableArgs::new(Options::default()).refuse("particles", "the points are --points");
        try_parse_from(Some(&table), std::iter::once("tool").chain(words.iter().copied()))
    }

    #[test]
    fn every_default_reads_back_as_itself() {
        let defaults = Options::default();
        for field in FIELDS {
            let text = default_text(&defaults, field).unwrap();
            let raw: RawOptions = [(field.to_string(), Some(RawValue::Text(text.clone())))].into();
            assert_eq!(defaults.merged(&raw).as_ref(), Ok(&defaults), "{field} = {text:?}");
        }
    }

    #[test]
    fn options_arrive_as_text_for_the_table_and_the_last_one_wins() {
        let parsed =
            parse(&["--sampler", "nope", "--observation", "-0.5", "--steps", "3", "--steps", "4"]).unwrap();
        let text = |s: &str| Some(RawValue::Text(s.into()));
        assert_eq!(parsed.options.get("sampler"), Some(&text("nope")));
        assert_eq!(parsed.options.get("observation"), Some(&text("-0.5")));
        assert_eq!(parsed.options.get("steps"), Some(&text("4")));
        assert_eq!(parsed.options.len(), 3);
        assert_eq!(parsed.args.threads, None);
    }

    #[test]
    fn own_flags_unknown_flags_and_refused_options() {
        assert_eq!(parse(&["--threads", "2"]).unwrap().args.threads, Some(2));
        let error = parse(&["--threads", "5"]).err().unwrap();
        assert!(error.to_string().contains("an integer from 1 to 4"), "{error}");
        assert_eq!(parse(&["--data", "spiral"]).unwrap().args.data, Some(Dataset::Spiral));
        let error = parse(&["--data", "spirals"]).err().unwrap();
        assert!(error.to_string().contains("spiral"), "{error}");
        assert_eq!(parse(&["--nope", "1"]).err().unwrap().kind(), ErrorKind::UnknownArgument);
        let error = parse(&["--particles", "5"]).err().unwrap();
        assert!(error.to_string().contains("the points are --points"), "{error}");
        assert_eq!(parse(&["--help"]).err().unwrap().kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn the_help_of_an_option_is_what_the_table_allows_and_its_default() {
        let table = TableArgs::new(Options::default()).note("seed", "or random");
        let help = table.help("seed");
        assert_eq!(
            help,
            format!("{}; or random [default: 1]", options::allowed("seed", &Options::default()))
        );
        assert!(table.help("order").starts_with("an integer from 2 to 3"));
    }
}
