//! Command-line flags as the user typed them (clap); `config.rs` checks them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, documented in `--help` and README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    success
  2    bad usage or a bad rules file (nothing was read or written)
  3    some inputs could not be processed (the others were)
  130  interrupted";

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

    /// Add a rules file (repeatable); later files override earlier settings.
    #[arg(short = 'r', long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Do not load the embedded default rules.
    #[arg(long)]
    pub no_default_rules: bool,

    /// Print, for every removed span, the document, line, action and the rule's
    /// origin FILE:LINE, instead of the cleaned text (with -o, files are still written).
    #[arg(long)]
    pub explain: bool,

    /// Worker threads (default: one per core). Output is identical for any number.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// When to colour explanations.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
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
}

/// `dechrome rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rules files; every bad line is reported as FILE:LINE (exit 2).
    Check {
        /// Rules files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the embedded default rules.
    Show,
}
