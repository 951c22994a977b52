//! Run statistics (`--stats FILE`): what was read, what was removed, and by
//! which rule. Deterministic: maps are sorted, and documents are counted in
//! input order whatever the thread count.
//!
//! ```
//! use dechrome::stats::{DocCounts, Stats};
//! use dechrome::{Cleaner, RuleSet};
//!
//! let mut rules = RuleSet::new();
//! rules.add_source("x.rules", "[line]\nSkip Navigation\n").unwrap();
//! let cleaner = Cleaner::new(rules).unwrap();
//! let doc = b"Skip Navigation\nStory.\n";
//! let cleaning = cleaner.clean(doc);
//! let cleaned = cleaning.apply(doc);
//! let mut stats = Stats::default();
//! stats.add_document(cleaner.matcher(), &cleaning, &DocCounts::new(doc, &cleaning, &cleaned));
//! assert_eq!(stats.rules["x.rules:2"].chars_removed, 16);
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clean::Cleaning;
use crate::matcher::Matcher;
use crate::span::Cause;

/// Number of Unicode code points in `bytes` (UTF-8; each byte of an invalid
/// sequence that is not a continuation byte counts one).
pub fn char_count(bytes: &[u8]) -> usize {
    crate::normalize::count_bytes(bytes, |b| (b & 0xC0) != 0x80)
}

/// Counts for one document, computed where the document is cleaned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocCounts {
    /// Bytes of the document.
    pub bytes_in: u64,
    /// Code points of the document.
    pub chars_in: u64,
    /// Code points removed by each span, in span order.
    pub span_chars: Vec<u64>,
    /// Lines of the document minus lines of the output.
    pub lines_removed: u64,
    /// The output is empty (or white space only) while the input was not.
    pub emptied: bool,
}

fn line_count(text: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', text).count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"))
}

impl DocCounts {
    /// Counts `doc`, its cleaning and the cleaned output.
    pub fn new(doc: &[u8], cleaning: &Cleaning, cleaned: &[u8]) -> DocCounts {
        let span_chars: Vec<u64> = cleaning
            .spans
            .iter()
            .map(|s| char_count(&doc[s.start..s.end]) as u64)
            .collect();
        DocCounts {
            bytes_in: doc.len() as u64,
            chars_in: char_count(doc) as u64,
            span_chars,
            lines_removed: line_count(doc).saturating_sub(line_count(cleaned)),
            emptied: !cleaning.is_unchanged()
                && crate::normalize::is_blank(cleaned)
                && !crate::normalize::is_blank(doc),
        }
    }
}

/// What one rule (or detector) removed over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleStats {
    /// Its section (`contains`, `regex:tail`, ...) or `detector`/`layout`.
    pub action: String,
    /// The rule as written, or the detector's name.
    pub rule: String,
    /// Removal spans it caused.
    pub hits: u64,
    /// Documents it removed something from.
    pub documents: u64,
    /// Code points it removed.
    pub chars_removed: u64,
}

/// Statistics of a whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Documents read (cleaned or malformed).
    pub documents: u64,
    /// Documents that lost at least one byte.
    pub changed: u64,
    /// Documents with text that lost all of it.
    pub emptied: u64,
    /// Records that could not be cleaned and were passed through unchanged
    /// (or, when the output format cannot hold them, left out: counted in
    /// `errors` as `record left out`).
    pub malformed: u64,
    /// Documents the classifier would have cut by more than `classifier.max-removed`
    /// (kept intact, or only flagged with `classifier.over-removal = flag`).
    pub over_removal_guarded: u64,
    /// Inputs (files) that could not be processed.
    pub failed_inputs: u64,
    /// The run was interrupted: the counts include the documents of an input
    /// cut short, whose output file was not kept.
    pub interrupted: bool,
    /// Bytes of document text read.
    pub bytes_in: u64,
    /// Bytes removed.
    pub bytes_removed: u64,
    /// Code points read.
    pub chars_in: u64,
    /// Code points removed.
    pub chars_removed: u64,
    /// Lines removed.
    pub lines_removed: u64,
    /// Per rule, keyed by origin `FILE:LINE` (`detector:NAME` for detectors).
    pub rules: BTreeMap<String, RuleStats>,
    /// Errors by kind.
    pub errors: BTreeMap<String, u64>,
}

/// The stable key and description of a cause.
pub fn cause_key(matcher: &Matcher, cause: Cause) -> (String, String, String) {
    match cause {
        Cause::Rule(id) => {
            let rule = matcher.rule(id);
            (
                rule.origin.to_string(),
                rule.section(),
                rule.origin.text.clone(),
            )
        }
        Cause::Detector(d) => (
            format!("detector:{}", d.name()),
            "detector".into(),
            d.name().into(),
        ),
        Cause::Classifier(Some(f)) => {
            let feature = crate::classify::FEATURES
                .get(usize::from(f))
                .unwrap_or(&"?");
            (
                format!("classifier:{feature}"),
                "classifier".into(),
                format!("lines the classifier removed, decided by {feature}"),
            )
        }
        Cause::Classifier(None) => (
            "classifier".into(),
            "classifier".into(),
            "lines the classifier removed".into(),
        ),
        Cause::Layout => ("layout".into(), "layout".into(), "blank lines".into()),
    }
}

impl Stats {
    /// Counts one cleaned document.
    pub fn add_document(&mut self, matcher: &Matcher, cleaning: &Cleaning, counts: &DocCounts) {
        self.documents += 1;
        self.changed += u64::from(!cleaning.is_unchanged());
        self.emptied += u64::from(counts.emptied);
        self.over_removal_guarded += u64::from(cleaning.guarded);
        self.bytes_in += counts.bytes_in;
        self.bytes_removed += cleaning.removed_bytes() as u64;
        self.chars_in += counts.chars_in;
        self.chars_removed += counts.span_chars.iter().sum::<u64>();
        self.lines_removed += counts.lines_removed;
        // Spans by cause first (a page has many spans and few causes), so
        // that each cause's key is made once per document, not once per span.
        let mut by_cause: Vec<(Cause, u64, u64)> = Vec::new();
        for (span, &chars) in cleaning.spans.iter().zip(&counts.span_chars) {
            match by_cause.iter_mut().find(|(cause, ..)| *cause == span.cause) {
                Some((_, hits, removed)) => {
                    *hits += 1;
                    *removed += chars;
                }
                None => by_cause.push((span.cause, 1, chars)),
            }
        }
        for (cause, hits, chars) in by_cause {
            let entry = self.rule_entry(matcher, cause);
            entry.hits += hits;
            entry.chars_removed += chars;
            entry.documents += 1;
        }
    }

    fn rule_entry(&mut self, matcher: &Matcher, cause: Cause) -> &mut RuleStats {
        let (key, action, rule) = cause_key(matcher, cause);
        self.rules.entry(key).or_insert_with(|| RuleStats {
            action,
            rule,
            ..RuleStats::default()
        })
    }

    /// Counts a malformed record.
    pub fn add_malformed(&mut self, kind: &str) {
        self.documents += 1;
        self.malformed += 1;
        self.add_error(kind);
    }

    /// Counts an error of `kind`.
    pub fn add_error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_string()).or_default() += 1;
    }

    /// How [`Stats::to_json`] begins.
    pub const JSON_START: &'static str = "{\n  \"documents\": ";

    /// The statistics as pretty JSON, keys sorted.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("stats always serialise")
    }
}

/// Converts sorted byte offsets of `text` into code-point offsets.
pub fn char_offsets(text: &[u8], byte_offsets: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut chars = 0;
    for offset in byte_offsets {
        debug_assert!(offset >= at, "offsets must be sorted");
        chars += char_count(&text[at..offset]);
        at = offset;
        out.push(chars);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_code_points() {
        assert_eq!(char_count("a😀é".as_bytes()), 3);
        assert_eq!(char_count(b""), 0);
        // Past the 255-byte lanes: 600 characters of 1 to 4 bytes, and
        // invalid bytes (a lone continuation byte counts nothing).
        let long = "a\u{e9}\u{20ac}\u{1f600}".repeat(150);
        assert_eq!(char_count(long.as_bytes()), 600);
        let mut bytes = long.into_bytes();
        bytes.extend([0x80; 300]);
        bytes.extend([0xFF; 300]);
        assert_eq!(char_count(&bytes), 900);
        assert_eq!(
            char_offsets("a😀é b".as_bytes(), [0, 1, 5, 7, 9]),
            vec![0, 1, 2, 3, 5]
        );
    }

    #[test]
    fn line_counts() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
