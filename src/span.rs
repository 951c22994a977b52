//! Removal as data: spans of the original document and what caused them.
//!
//! Every matcher and detector reports byte spans `start..end` of the original
//! document with a [`Cause`]. They are sorted and merged into disjoint spans,
//! which are then applied in one pass. The same spans feed `--explain`.
//!
//! ```
//! use dechrome::span::{apply, merge, Cause, Span};
//!
//! let doc = b"keep\ndrop\nkeep too\n";
//! let spans = merge(vec![
//!     Span { start: 5, end: 10, cause: Cause::Layout },
//!     Span { start: 6, end: 8, cause: Cause::Layout }, // covered: dropped
//! ]);
//! assert_eq!(spans.len(), 1);
//! assert_eq!(apply(doc, &spans), b"keep\nkeep too\n");
//! ```

use crate::matcher::RuleId;

/// A built-in detector (configured in the `[settings]` section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    /// A later copy of an earlier line (`repeated-lines`).
    RepeatedLine,
    /// One text pasted twice in a row on one line (`doubled-lines`).
    DoubledLine,
    /// A run of menu or social-network labels (`menu-runs`).
    MenuRun,
}

impl Detector {
    /// The setting that switches it.
    pub fn name(self) -> &'static str {
        match self {
            Detector::RepeatedLine => "repeated-lines",
            Detector::DoubledLine => "doubled-lines",
            Detector::MenuRun => "menu-runs",
        }
    }
}

/// Why a span is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// A rule of the rules files.
    Rule(RuleId),
    /// A built-in detector.
    Detector(Detector),
    /// The line classifier; the index (in [`crate::classify::FEATURES`]) of
    /// the feature that weighed most against the line, unless the cleaner
    /// was told not to name it (see [`crate::Cleaner::naming_features`]).
    Classifier(Option<u16>),
    /// A blank line or line ending left over by other removals.
    Layout,
}

/// A removed byte range of the original document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First removed byte.
    pub start: usize,
    /// One past the last removed byte.
    pub end: usize,
    /// Why.
    pub cause: Cause,
}

impl Span {
    /// Number of bytes removed.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty span.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Sorts spans and makes them disjoint: a span covered by an earlier one is
/// dropped, a partly covered one is trimmed, empty spans vanish. Where two
/// spans start together the longer wins.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.cause.cmp(&b.cause))
    });
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    let mut covered = 0;
    for mut span in spans {
        if span.end <= covered {
            continue;
        }
        span.start = span.start.max(covered);
        if span.is_empty() {
            continue;
        }
        covered = span.end;
        out.push(span);
    }
    out
}

/// The document without the (merged, disjoint, sorted) spans.
pub fn apply(doc: &[u8], spans: &[Span]) -> Vec<u8> {
    let removed: usize = spans.iter().map(Span::len).sum();
    let mut out = Vec::with_capacity(doc.len() - removed.min(doc.len()));
    let mut at = 0;
    for span in spans {
        out.extend_from_slice(&doc[at..span.start]);
        at = span.end;
    }
    out.extend_from_slice(&doc[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: usize, end: usize, rule: usize) -> Span {
        Span {
            start,
            end,
            cause: Cause::Rule(rule),
        }
    }

    #[test]
    fn merge_table() {
        let cases: &[(&[Span], &[Span])] = &[
            (&[], &[]),
            (&[s(0, 3, 0)], &[s(0, 3, 0)]),
            // Unsorted input comes out sorted.
            (&[s(5, 7, 1), s(0, 3, 0)], &[s(0, 3, 0), s(5, 7, 1)]),
            // A covered span is dropped.
            (&[s(0, 10, 0), s(2, 4, 1)], &[s(0, 10, 0)]),
            // A partly covered span is trimmed and keeps its cause.
            (&[s(0, 5, 0), s(3, 8, 1)], &[s(0, 5, 0), s(5, 8, 1)]),
            // Same start: the longer wins.
            (&[s(2, 4, 0), s(2, 9, 1)], &[s(2, 9, 1)]),
            // Adjacent spans stay separate.
            (&[s(0, 2, 0), s(2, 4, 1)], &[s(0, 2, 0), s(2, 4, 1)]),
            // Empty spans vanish.
            (&[s(3, 3, 0)], &[]),
        ];
        for (input, want) in cases {
            assert_eq!(merge(input.to_vec()), want.to_vec(), "input {input:?}");
        }
    }

    #[test]
    fn apply_removes_exactly_the_spans() {
        let doc = b"0123456789";
        assert_eq!(apply(doc, &[]), doc);
        assert_eq!(apply(doc, &[s(0, 2, 0), s(5, 6, 0)]), b"2346789");
        assert_eq!(apply(doc, &[s(0, 10, 0)]), b"");
    }
}
