//! Command-line flags as the user typed them (clap); `config.rs` checks them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, documented in `--help` and README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    success (malformed records passed through unchanged are reported, not errors)
  1    --check: something would be removed
  2    bad usage or a bad rules file (nothing was read or written)
  3    some inputs could not be processed, an output could not be written, --strict met a malformed record, or a damaged WARC record was converted to JSONL, which cannot hold it (the other inputs and records were processed)
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP (every file written is complete)";

/// Strip web boilerplate (navigation, notices, social blocks, trailers) from
/// scraped page text, using editable rules files.
#[derive(Debug, Parser)]
#[command(
    name = "dechrome",
    version,
    about,
    long_about = None,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// A subcommand; without one, dechrome cleans the PATHs.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Cleaning options.
    #[command(flatten)]
    pub clean: CleanArgs,
}

/// Flags of the main job: cleaning documents.
#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Files or directories (recursed) to clean; `-` or nothing reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write cleaned files under DIR (mirroring input directories) instead of
    /// to standard output. Files are written atomically; inputs are never overwritten.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Follow links to directories inside input directories (links to files
    /// are always read); a link that loops back is reported.
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Which rules.
    #[command(flatten)]
    pub rules: RulesArgs,

    /// Print, for every removed span, the document, line, action and the rule's
    /// origin FILE:LINE, instead of the cleaned text (with -o, files are still written).
    #[arg(long)]
    pub explain: bool,

    /// Worker threads (default: one per core). Output is identical for any number. With
    /// more than one, a JSONL or WARC input is read and written while the workers clean;
    /// with -j1 everything runs in turn.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// When to colour explanations.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,

    /// Input format, instead of guessing from the file extension (standard input
    /// is text unless told). `jsonl` on a WARC input converts it to JSONL;
    /// `json` with --explain prints explanations as JSON lines (otherwise it means jsonl).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// JSONL: the field holding the text to clean.
    #[arg(long, default_value = "text", value_name = "KEY")]
    pub text_key: String,

    /// JSONL: the field naming each record in messages and attribute files.
    #[arg(long, default_value = "id", value_name = "KEY")]
    pub id_key: String,

    /// JSONL: the field holding the page URL, for host-scoped rules; dots reach
    /// into nested objects (metadata.url).
    #[arg(long, default_value = "url", value_name = "KEY")]
    pub url_key: String,

    /// A malformed record (bad JSON, no string text field, a damaged WARC record)
    /// fails its input (exit 3) instead of passing through unchanged.
    #[arg(long)]
    pub strict: bool,

    /// Write run statistics as JSON to FILE: documents, bytes and characters
    /// removed, and per rule (by FILE:LINE) hits, documents and characters.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Write Dolma attribute files under DIR, mirroring the inputs: per document,
    /// the removed spans in code points (`NAME__removed`).
    #[arg(long, value_name = "DIR")]
    pub attributes: Option<PathBuf>,

    /// The attribute name prefix for --attributes.
    #[arg(
        long,
        default_value = "dechrome",
        value_name = "NAME",
        requires = "attributes"
    )]
    pub attributes_name: String,

    /// Clean nothing: exit 1 if anything would be removed, 0 otherwise, and list
    /// the documents that would change.
    #[arg(long, conflicts_with_all = ["explain", "diff", "output"])]
    pub check: bool,

    /// Show removals as a unified diff instead of the cleaned text (with -o,
    /// files are still written).
    #[arg(long, conflicts_with = "explain")]
    pub diff: bool,

    /// Clean and write each JSONL or WARC record as soon as it is read, and
    /// flush standard output after it, instead of in batches: for a program
    /// that writes a record and waits for its result. Slower: records are
    /// not cleaned side by side. Ctrl-C while it waits for a record on
    /// standard input or a pipe stops it at once (without --stats).
    #[arg(long, alias = "unbuffered")]
    pub line_buffered: bool,
}

/// `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Plain text: the whole input is one document.
    Text,
    /// One JSON object per line.
    #[value(alias = "ndjson")]
    Jsonl,
    /// jsonl; with --explain, explanations as JSON lines.
    Json,
    /// WARC / WET records.
    #[value(alias = "wet")]
    Warc,
}

/// Rules files and the precision-versus-recall knob, shared by cleaning, eval and train.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add a rules file (repeatable); later files override earlier settings.
    #[arg(short = 'r', long = "rules", value_name = "FILE", global = true)]
    pub rules: Vec<PathBuf>,

    /// Do not load the embedded default rules (which also turn the line classifier on).
    #[arg(long, global = true)]
    pub no_default_rules: bool,

    /// Use this classifier model instead of the embedded one (see `dechrome train`).
    #[arg(long, value_name = "FILE", global = true)]
    pub model: Option<PathBuf>,

    /// The precision-versus-recall knob of the line classifier, in log-odds:
    /// positive removes more (precision), negative keeps more (recall); 0 is the
    /// tuned default. Same as `classifier.bias` in [settings].
    #[arg(long, value_name = "B", global = true, allow_hyphen_values = true, value_parser = finite)]
    pub bias: Option<f64>,

    /// Rules and detectors only, without the line classifier: two to three
    /// times as fast, and leaves much more chrome (see the README's Quality).
    /// Same as `classifier = off` in [settings], and overrides it.
    #[arg(long, global = true, conflicts_with_all = ["model", "bias"])]
    pub no_classifier: bool,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect rules files.
    Rules {
        /// What to do with them.
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Propose rules from lines that recur across many documents.
    Learn(LearnArgs),
    /// Fit the line classifier on gold pages (ID.page.txt + ID.gold.txt) and
    /// write the model file.
    Train(TrainArgs),
    /// Score cleaning against gold text (ID.page.txt + ID.gold.txt) or line
    /// labels (NNN.txt + NNN.labels) found under each DIR.
    Eval(EvalArgs),
}

/// `dechrome eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Directories of scored pages (searched recursively; one table per directory).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Which half of each directory: tune (even positions by id), check (odd), or all.
    #[arg(long, value_enum, default_value_t = SplitArg::All)]
    pub split: SplitArg,

    /// How many of the worst pages to list per directory.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub worst: usize,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// Worker threads.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
}

/// `dechrome train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Directories of gold pages (searched recursively).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Where to write the model.
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub output: PathBuf,

    /// Which half of each directory to train on (check on the other with `dechrome eval --split check`).
    #[arg(long, value_enum, default_value_t = SplitArg::Tune)]
    pub split: SplitArg,

    /// Boosted trees to fit.
    #[arg(long, default_value_t = dechrome::train::TrainOptions::default().trees, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub trees: usize,

    /// Depth of each tree (1 to 16).
    #[arg(long, default_value_t = dechrome::train::TrainOptions::default().depth, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=16))]
    pub depth: usize,

    /// Learning rate (shrinkage of each tree), above 0 and at most 1.
    #[arg(long, default_value_t = dechrome::train::TrainOptions::default().learning_rate, value_name = "R",
          value_parser = learning_rate)]
    pub learning_rate: f32,

    /// Write this threshold (an article probability, between 0 and 1) instead of the one with the
    /// best macro F1 on the training pages; lower keeps more lines.
    #[arg(long, value_name = "P", value_parser = probability)]
    pub threshold: Option<f32>,

    /// Worker threads.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
}

/// `--split` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Every page.
    All,
    /// Even positions: tune and train here.
    Tune,
    /// Odd positions: check here.
    Check,
}

/// `dechrome learn`.
#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Files or directories of documents (any format dechrome reads).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write the candidate rules here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Follow links to directories inside input directories (see the main command).
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Propose a line recurring in at least N documents ...
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub min_docs: usize,

    /// ... on at least N hosts (when documents have URLs).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_hosts: usize,

    /// Propose a host-scoped rule for a line recurring in at least N documents of one host.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub host_min_docs: usize,

    /// Never propose lines longer than N words.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub max_words: usize,

    /// Input format (see the main command).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// JSONL: the field holding the text.
    #[arg(long, default_value = "text", value_name = "KEY")]
    pub text_key: String,

    /// JSONL: the field holding the page URL (dots for nested fields).
    #[arg(long, default_value = "url", value_name = "KEY")]
    pub url_key: String,

    /// Worker threads for reading.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
}

/// `dechrome rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rules files (and each -r file); every bad line is reported as FILE:LINE (exit 2).
    Check {
        /// Rules files to check (and each -r file).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the rules a run with the same flags loads: the embedded defaults (unless
    /// --no-default-rules), then each -r file.
    Show,
}

/// A finite number (not NaN or infinite).
fn finite(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("expected a finite number, not {text:?}")),
    }
}

/// A probability strictly between 0 and 1.
fn probability(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err(format!("expected a number between 0 and 1, not {text:?}")),
    }
}

fn learning_rate(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(r) if r > 0.0 && r <= 1.0 => Ok(r),
        _ => Err(format!(
            "expected a number above 0 and at most 1, not {text:?}"
        )),
    }
}

/// What `--follow` asks of input discovery.
pub fn links(follow: bool) -> dechrome::batch::Links {
    if follow {
        dechrome::batch::Links::Follow
    } else {
        dechrome::batch::Links::Skip
    }
}
