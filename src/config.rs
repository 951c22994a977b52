//! Checked configuration built from the raw flags: rules loaded and compiled,
//! destination and thread count resolved. Nothing is read or written before
//! this succeeds.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use dechrome::batch::Destination;
use dechrome::{Cleaner, RuleSet, RulesError};

use crate::cli::{CleanArgs, Color};

/// What a cleaning run needs, validated.
pub struct Config {
    pub cleaner: Cleaner,
    pub paths: Vec<PathBuf>,
    pub destination: Destination,
    pub explain: bool,
    pub threads: usize,
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

impl Config {
    pub fn new(args: CleanArgs) -> anyhow::Result<Config> {
        let rules = load_rules(&args.rules, args.no_default_rules)?;
        let cleaner = Cleaner::new(rules).context("cannot compile the rules")?;
        let mut paths = args.paths;
        if paths.is_empty() {
            paths.push(PathBuf::from("-"));
        }
        let destination = match args.output {
            None => Destination::Caller,
            Some(dir) => {
                if paths.iter().any(|p| p.as_os_str() == "-") {
                    bail!("-o/--output needs file or directory inputs, not standard input");
                }
                if paths.iter().any(|p| same_dir(p, &dir)) {
                    bail!(
                        "{}: the output directory is an input directory; choose another -o",
                        dir.display()
                    );
                }
                Destination::Directory(dir)
            }
        };
        let threads = match args.threads {
            Some(0) => bail!("-j/--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let styled = match args.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        };
        Ok(Config {
            cleaner,
            paths,
            destination,
            explain: args.explain,
            threads,
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
