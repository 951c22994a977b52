//! Typed errors of the library.

use std::fmt;
use std::path::PathBuf;

use crate::explain::{shown, visible};

/// One bad line of a rules file: `FILE:LINE: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The rules file as the user named it (embedded files as `rules/NAME`).
    pub file: String,
    /// 1-based line number; 0 when the error is about the whole file.
    pub line: usize,
    /// What is wrong, one line.
    pub message: String,
    /// Optional extra lines (a regex with a caret under the fault), shown indented.
    pub detail: Option<String>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, message) = (visible(&self.file), visible(&self.message));
        if self.line == 0 {
            write!(f, "{file}: {message}")?;
        } else {
            write!(f, "{file}:{}: {message}", self.line)?;
        }
        if let Some(detail) = &self.detail {
            for line in detail.lines() {
                write!(f, "\n    {}", visible(line))?;
            }
        }
        Ok(())
    }
}

/// Every bad line found in the rules files, reported together.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct RulesError {
    /// The bad lines, in file and line order.
    pub errors: Vec<RuleError>,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl RulesError {
    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Appends the errors of `other`.
    pub fn extend(&mut self, other: RulesError) {
        self.errors.extend(other.errors);
    }
}

/// Compiling a rule set into a matcher failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The phrase automaton could not be built (far beyond any real rule set).
    #[error("cannot build the phrase automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

/// A document or output could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading an input failed.
    #[error("{}: {source}", shown(path))]
    Read {
        /// The input path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing an output failed.
    #[error("{}: cannot write: {source}", shown(path))]
    Write {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output would overwrite an input.
    #[error("{}: refusing to overwrite an input file", shown(path))]
    WouldOverwriteInput {
        /// The output path.
        path: PathBuf,
    },
    /// Two inputs (or an input's output and attribute files) would be
    /// written to one path: the first input in order keeps it.
    #[error(
        "{}: refusing to write over the output of {} (two outputs have this path)",
        shown(path),
        visible(owner)
    )]
    OutputClash {
        /// The output path.
        path: PathBuf,
        /// The input that owns it.
        owner: String,
    },
    /// An input's attribute file would be written over its own cleaned
    /// output (`-o` and `--attributes` name one directory).
    #[error("{}: the attribute file of {} would be written over its cleaned output; give --attributes a directory other than -o", shown(path), visible(input))]
    OwnOutputClash {
        /// The output path.
        path: PathBuf,
        /// The input.
        input: String,
    },
    /// With `--strict`, a malformed record fails its input: to a stream, the
    /// records before it are written and no more; an output file is not kept.
    #[error(
        "{}: {reason} (--strict: the input stops at this record)",
        visible(path)
    )]
    Strict {
        /// The input.
        path: String,
        /// The record and what is wrong with it.
        reason: String,
    },
}

impl InputError {
    /// A short name of the kind of error, for statistics.
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::Read { .. } => "read error",
            InputError::Write { .. } => "write error",
            InputError::WouldOverwriteInput { .. } => "would overwrite input",
            InputError::OutputClash { .. } | InputError::OwnOutputClash { .. } => "output clash",
            InputError::Strict { .. } => "malformed record (strict)",
        }
    }
}
