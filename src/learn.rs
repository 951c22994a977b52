//! Turning a corpus into candidate rules (`dechrome learn`).
//!
//! (Being written: see the module's tests for the contract.)

use std::io::{self, Write};

/// Thresholds of `dechrome learn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnOptions {
    /// A line must recur in at least this many documents to be proposed overall.
    pub min_docs: usize,
    /// ... and on at least this many hosts (when URLs are known).
    pub min_hosts: usize,
    /// A line must recur in at least this many documents of one host to be proposed for that host.
    pub host_min_docs: usize,
    /// Lines longer than this many words are never proposed.
    pub max_words: usize,
}

impl Default for LearnOptions {
    fn default() -> LearnOptions {
        LearnOptions {
            min_docs: 20,
            min_hosts: 3,
            host_min_docs: 5,
            max_words: 12,
        }
    }
}

/// Counts lines across documents and proposes the recurring ones as rules.
#[derive(Debug, Default)]
pub struct Learner {
    options: LearnOptions,
}

impl Learner {
    /// A learner with `options`.
    pub fn new(options: LearnOptions) -> Learner {
        Learner { options }
    }

    /// Counts one document; `url` is its page URL if known, `example` how to name it.
    pub fn add(&mut self, text: &[u8], url: Option<&str>, example: &str) {
        let _ = (text, url, example, &self.options);
        unimplemented!("dechrome learn is being written")
    }

    /// Writes the candidate rules file.
    pub fn write_rules(&self, out: &mut dyn Write) -> io::Result<()> {
        let _ = out;
        unimplemented!("dechrome learn is being written")
    }
}
