//! Checked configuration built from the raw flags: rules loaded and compiled,
//! formats, destination and thread count resolved. Nothing is read or written
//! before this succeeds.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use dechrome::batch::{AttributesOut, Destination, Links, Options};
use dechrome::format::jsonl::Keys;
use dechrome::format::Format;
use dechrome::{Cleaner, RuleSet, RulesError};

use crate::cli::{CleanArgs, Color, FormatArg, RulesArgs};
use dechrome::classify::Model;

/// What the run shows on standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// The cleaned text (unless written under -o).
    Text,
    /// Explanations for people.
    Explain,
    /// Explanations as JSON lines.
    ExplainJson,
    /// A unified diff.
    Diff,
    /// The documents that would change (`--check`).
    Check,
}

/// What a cleaning run needs, validated.
pub struct Config {
    pub cleaner: Cleaner,
    pub paths: Vec<PathBuf>,
    /// Walk links to directories inside input directories (`--follow`).
    pub links: Links,
    pub options: Options,
    pub report: Report,
    pub stats: Option<PathBuf>,
    pub styled: bool,
}

/// A rules problem: reported as `FILE:LINE` lines, exit code 2.
#[derive(Debug)]
pub struct BadRules(pub RulesError);

impl std::fmt::Display for BadRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BadRules {}

/// Loads the embedded defaults (unless `no_defaults`) and every rules file,
/// collecting every bad line of every file before failing.
pub fn load_rules(files: &[PathBuf], no_defaults: bool) -> Result<RuleSet, BadRules> {
    let mut set = if no_defaults {
        RuleSet::new()
    } else {
        RuleSet::defaults()
    };
    let mut errors = RulesError::default();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read(file) {
            Ok(bytes) => {
                if let Err(e) = set.add_bytes(&name, &bytes) {
                    errors.extend(e);
                }
            }
            Err(e) => errors.errors.push(dechrome::RuleError {
                file: name,
                line: 0,
                message: format!("cannot read: {e}"),
                detail: None,
            }),
        }
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(BadRules(errors))
    }
}

/// The rules files, the `--bias` knob, `--no-classifier` and the `--model` file, compiled.
pub fn build_cleaner(args: &RulesArgs) -> anyhow::Result<Cleaner> {
    let mut rules = load_rules(&args.rules, args.no_default_rules)?;
    if let Some(bias) = args.bias {
        rules
            .add_source("--bias", &format!("[settings]\nclassifier.bias = {bias}\n"))
            .map_err(BadRules)?;
    }
    if args.no_classifier {
        rules
            .add_source("--no-classifier", "[settings]\nclassifier = off\n")
            .map_err(BadRules)?;
    }
    let mut cleaner = Cleaner::new(rules).context("cannot compile the rules")?;
    if let Some(path) = &args.model {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the model {}", dechrome::explain::shown(path)))?;
        let model = Model::parse(&path.display().to_string(), &text)?;
        cleaner = cleaner.with_model(model);
    }
    Ok(cleaner)
}

impl Config {
    pub fn new(args: CleanArgs) -> anyhow::Result<Config> {
        let mut cleaner = build_cleaner(&args.rules)?;
        let mut paths = args.paths;
        if paths.is_empty() {
            paths.push(PathBuf::from("-"));
        }
        let report = match (args.check, args.explain, args.diff, args.format) {
            (true, ..) => Report::Check,
            (_, true, _, Some(FormatArg::Json)) => Report::ExplainJson,
            (_, true, ..) => Report::Explain,
            (_, _, true, _) => Report::Diff,
            _ => Report::Text,
        };
        // Naming the feature that made the classifier remove a line costs
        // about as much as deciding. Explanations and statistics show it;
        // `--check` and `--attributes` report spans, whose boundaries follow
        // the causes (neighbouring lines removed for different features are
        // separate spans), so they name it too and stay as they were. Plain
        // output and `--diff` show only text, which naming does not change.
        let named = matches!(
            report,
            Report::Explain | Report::ExplainJson | Report::Check
        ) || args.stats.is_some()
            || args.attributes.is_some();
        cleaner = cleaner.naming_features(named);
        let format = match (args.format, report) {
            (Some(FormatArg::Json), Report::ExplainJson) => None,
            (Some(FormatArg::Text), _) => Some(Format::Text),
            (Some(FormatArg::Jsonl | FormatArg::Json), _) => Some(Format::Jsonl),
            (Some(FormatArg::Warc), _) => Some(Format::Warc),
            (None, _) => None,
        };
        let destination = match (&args.output, report) {
            (_, Report::Check) => Destination::Nowhere,
            (None, Report::Text) => Destination::Stream,
            (None, _) => Destination::Nowhere,
            (Some(dir), _) => {
                if paths.iter().any(|p| p.as_os_str() == "-") {
                    bail!("-o/--output needs file or directory inputs, not standard input");
                }
                if let Some(p) = paths.iter().find(|p| same_dir(p, dir)) {
                    bail!(
                        "{}: the output directory is an input directory; choose another -o",
                        dechrome::explain::shown(p)
                    );
                }
                Destination::Directory(dir.clone())
            }
        };
        if let Some(dir) = &args.attributes {
            if paths.iter().any(|p| same_dir(p, dir)) {
                bail!(
                    "{}: the attributes directory is an input directory",
                    dechrome::explain::shown(dir)
                );
            }
        }
        let styled = match args.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        };
        let options = Options {
            format,
            keys: Keys {
                text: args.text_key,
                id: args.id_key,
                url: args.url_key,
            },
            strict: args.strict,
            destination,
            attributes: args.attributes.map(|dir| AttributesOut {
                dir,
                name: args.attributes_name,
            }),
            keep_text: matches!(report, Report::Explain | Report::ExplainJson | Report::Diff),
            line_buffered: args.line_buffered,
        };
        Ok(Config {
            cleaner,
            paths,
            links: crate::cli::links(args.follow),
            options,
            report,
            stats: args.stats.as_deref().map(dechrome::batch::through_links),
            styled,
        })
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b && a.is_dir(),
        _ => false,
    }
}
