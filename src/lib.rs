//! # dechrome
//!
//! Strips web boilerplate ("chrome") from text scraped from web pages: skip
//! links, browser and ad notices, paywall and newsletter prompts, social
//! blocks, "more in this section" trailers, titles printed twice, machine
//! dumps. What to remove is written in plain, commented **rules files**
//! (`rules/README.md` has the grammar); every removal names the rule
//! (`FILE:LINE`) that made it.
//!
//! ```
//! use dechrome::{Cleaner, RuleSet};
//!
//! // The embedded default rules, plus a rule of our own.
//! let mut rules = RuleSet::defaults();
//! rules.add_source("site.rules", "[contains]\nRead our print edition\n").unwrap();
//! let cleaner = Cleaner::new(rules).unwrap();
//!
//! let page = "Skip Navigation\nIran talks to begin.\nRead our print edition today!\n";
//! let cleaning = cleaner.clean(page.as_bytes());
//! assert_eq!(cleaning.apply(page.as_bytes()), b"Iran talks to begin.\n");
//! for span in &cleaning.spans {
//!     println!("{}", dechrome::explain::describe(cleaner.matcher(), span.cause));
//! }
//! ```
//!
//! The pieces, in the order a document meets them:
//! - [`rules`]: parsing rules files into a [`RuleSet`], every rule keeping its origin;
//! - [`matcher`]: compiling a rule set into a [`Matcher`] (hash table, Aho-Corasick, regexes);
//! - [`clean`]: the per-document [`Cleaner`], turning a document into removal spans;
//! - [`span`]: the spans themselves, merged and applied;
//! - [`explain`]: rendering spans for people;
//! - [`batch`]: the parallel driver over files and directories.

pub mod attributes;
pub mod batch;
pub mod classify;
pub mod clean;
mod defaults;
mod detect;
pub mod error;
pub mod eval;
pub mod explain;
pub mod format;
pub mod learn;
mod masks;
pub mod matcher;
pub mod normalize;
pub mod rules;
pub mod span;
pub mod stats;
pub mod train;

pub use clean::{Cleaner, Cleaning};
pub use defaults::FILES as DEFAULT_RULE_FILES;
pub use error::{BuildError, InputError, RuleError, RulesError};
pub use matcher::Matcher;
pub use rules::RuleSet;

/// A small deterministic generator (xorshift) for unit tests that build many
/// random inputs.
#[cfg(test)]
pub(crate) struct TestRng(pub(crate) u64);

#[cfg(test)]
impl TestRng {
    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A line of fewer than `most` pieces, each picked at random.
    pub(crate) fn line(&mut self, pieces: &[&str], most: usize) -> String {
        (0..self.below(most))
            .map(|_| pieces[self.below(pieces.len())])
            .collect()
    }
}
