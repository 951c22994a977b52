//! The per-document cleaner: rules and detectors turn a document into removal spans.
//!
//! ```
//! use dechrome::{Cleaner, RuleSet};
//!
//! let mut rules = RuleSet::new();
//! rules.add_source("my.rules", "[line]\nSkip Navigation\n").unwrap();
//! let cleaner = Cleaner::new(rules).unwrap();
//! let doc = b"Skip Navigation\nThe article.\n";
//! let cleaning = cleaner.clean(doc);
//! assert_eq!(cleaning.apply(doc), b"The article.\n");
//! assert_eq!(cleaning.spans.len(), 1);
//! ```
//!
//! Order of work on one document:
//! 1. every line is normalised and matched against the rules (`[line]`,
//!    `[contains]`, `[phrase]` and their regex forms); `[head]` and `[tail]`
//!    markers are collected and the qualifying ones cut their block;
//! 2. the detectors look at the lines that survived: doubled lines, repeated
//!    lines, runs of menu labels;
//! 3. layout: blank lines that removals left next to each other, or at the
//!    start or end, go too, and a missing final newline stays missing.
//!
//! A line removed by a specific rule keeps that rule as its cause even when a
//! `[head]` or `[tail]` block covers it too, so explanations name the most
//! specific rule.

use std::borrow::Cow;

use crate::classify::{features_counted, is_headline, is_prose, Forest, Model, Row};
use crate::detect;
use crate::error::BuildError;
use crate::matcher::{Hit, Matcher};
use crate::normalize::{is_blank, normalized, word_count, OffsetMap};
use crate::rules::{Action, RuleSet, Settings};
use crate::span::{apply, merge, Cause, Span};

/// One line of a document, as byte offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// First byte.
    pub start: usize,
    /// End of the text, before `\n` or `\r\n`.
    pub content_end: usize,
    /// End including the line ending.
    pub end: usize,
}

/// Splits `doc` into lines; `\n` and `\r\n` end a line, a final line without
/// an ending counts. An empty document has no lines.
pub fn split_lines(doc: &[u8]) -> Vec<Line> {
    let mut lines = Vec::with_capacity(doc.len() / 64 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', doc) {
        let content_end = if nl > start && doc[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        lines.push(Line {
            start,
            content_end,
            end: nl + 1,
        });
        start = nl + 1;
    }
    if start < doc.len() {
        lines.push(Line {
            start,
            content_end: doc.len(),
            end: doc.len(),
        });
    }
    lines
}

/// A document being cleaned: its lines and what has been decided about them.
pub(crate) struct Page<'d> {
    pub doc: &'d [u8],
    pub lines: Vec<Line>,
    /// Normalised text of each line, at `key_ranges`.
    norms: Vec<u8>,
    /// The same, ASCII-lower-cased.
    keys: Vec<u8>,
    key_ranges: Vec<(usize, usize)>,
    /// Words of each line's normalised text ([`word_count`]), counted once
    /// for the rules, the detectors and the classifier.
    words: Vec<usize>,
    /// Whole-line removals, by line.
    pub removed: Vec<Option<Cause>>,
    /// Cuts inside lines that are otherwise kept.
    pub cuts: Vec<Span>,
}

impl<'d> Page<'d> {
    /// The normalised, lower-cased text of line `i` (empty for blank lines).
    pub fn key(&self, i: usize) -> &[u8] {
        let (s, e) = self.key_ranges[i];
        &self.keys[s..e]
    }

    /// The normalised text of line `i`, case kept (empty for blank lines).
    pub fn norm(&self, i: usize) -> &[u8] {
        let (s, e) = self.key_ranges[i];
        &self.norms[s..e]
    }

    /// The normalised text of lines `lines`, as text: borrowed when the
    /// page's normalised text is valid UTF-8 (checked once for the page, not
    /// once a line), invalid sequences replaced otherwise.
    pub fn norm_texts(&self, lines: &[usize]) -> Vec<Cow<'_, str>> {
        let all = std::str::from_utf8(&self.norms).ok();
        lines
            .iter()
            .map(|&i| {
                let (s, e) = self.key_ranges[i];
                // A line of invalid text can end inside a character that the
                // next line completes: such a slice is no `str` on its own.
                match all.and_then(|text| text.get(s..e)) {
                    Some(text) => Cow::Borrowed(text),
                    None => crate::normalize::lossy(&self.norms[s..e]),
                }
            })
            .collect()
    }

    /// The number of words of line `i` (0 for blank lines).
    pub fn words(&self, i: usize) -> usize {
        self.words[i]
    }

    /// The text of line `i` without its ending.
    pub fn content(&self, i: usize) -> &'d [u8] {
        let l = self.lines[i];
        &self.doc[l.start..l.content_end]
    }

    /// True when line `i` is blank.
    pub fn is_blank(&self, i: usize) -> bool {
        self.key_ranges[i].0 == self.key_ranges[i].1
    }

    /// True when line `i` is still in the output and not blank.
    pub fn is_live(&self, i: usize) -> bool {
        self.removed[i].is_none() && !self.is_blank(i)
    }

    /// Removes line `i` unless something already did.
    pub fn remove(&mut self, i: usize, cause: Cause) {
        self.removed[i].get_or_insert(cause);
    }
}

/// The result of cleaning one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleaning {
    /// Disjoint, sorted spans of the original document to remove.
    pub spans: Vec<Span>,
    /// The over-removal guard held the classifier back on this document (or
    /// flagged it, with `classifier.over-removal = flag`).
    pub guarded: bool,
}

impl Cleaning {
    /// The cleaned document: `doc` without the spans.
    pub fn apply(&self, doc: &[u8]) -> Vec<u8> {
        apply(doc, &self.spans)
    }

    /// True when nothing is removed.
    pub fn is_unchanged(&self) -> bool {
        self.spans.is_empty()
    }

    /// Number of bytes removed.
    pub fn removed_bytes(&self) -> usize {
        self.spans.iter().map(Span::len).sum()
    }
}

/// Cleans documents with one compiled [`Matcher`]. `Send + Sync`: share one
/// cleaner between threads.
#[derive(Debug)]
pub struct Cleaner {
    matcher: Matcher,
    model: Option<(Model, Forest)>,
    name_features: bool,
}

impl Cleaner {
    /// Compiles `rules` into a cleaner.
    ///
    /// Run inside a rayon pool, the rules and the model compile on its
    /// threads side by side ([`Matcher::new`]).
    pub fn new(rules: RuleSet) -> Result<Cleaner, BuildError> {
        let classifier = rules.settings().classifier;
        let (matcher, model) = crate::matcher::join(
            || Matcher::new(rules),
            || classifier.then(Cleaner::embedded_model),
        );
        Ok(Cleaner {
            matcher: matcher?,
            model,
            name_features: true,
        })
    }

    /// The embedded model, ready to walk.
    fn embedded_model() -> (Model, Forest) {
        let model = Model::embedded();
        let forest = Forest::new(&model);
        (model, forest)
    }

    /// A cleaner over an already compiled matcher. The line classifier, if
    /// the settings turn it on, uses the embedded model.
    pub fn with_matcher(matcher: Matcher) -> Cleaner {
        let model = matcher.settings().classifier.then(Cleaner::embedded_model);
        Cleaner {
            matcher,
            model,
            name_features: true,
        }
    }

    /// Whether a line the classifier removes names the feature that decided
    /// ([`Cause::Classifier`]`(Some(feature))`, the default) or only the
    /// classifier (`None`). Naming it walks every tree of the model for each
    /// removed line, about twice the work of deciding (which stops at the
    /// trees that settle it): a caller that only wants the cleaned text, and
    /// not `--explain` or statistics, can turn it off. The text is the same.
    ///
    /// ```
    /// use dechrome::{Cleaner, RuleSet};
    /// use dechrome::span::Cause;
    ///
    /// let page = b"Home\nNews\nSport\nThe council voted on Tuesday to close the old bridge, which has been unsafe since the floods of last spring.\n";
    /// let named = Cleaner::new(RuleSet::defaults()).unwrap();
    /// let quick = Cleaner::new(RuleSet::defaults()).unwrap().naming_features(false);
    /// let (a, b) = (named.clean(page), quick.clean(page));
    /// assert_eq!(a.apply(page), b.apply(page));
    /// assert!(a.spans.iter().any(|s| matches!(s.cause, Cause::Classifier(Some(_)))));
    /// assert!(b.spans.iter().all(|s| !matches!(s.cause, Cause::Classifier(Some(_)))));
    /// ```
    pub fn naming_features(mut self, name: bool) -> Cleaner {
        self.name_features = name;
        self
    }

    /// Replaces the classifier's model (used when the settings turn it on).
    pub fn with_model(mut self, model: Model) -> Cleaner {
        if self.matcher.settings().classifier {
            let forest = Forest::new(&model);
            self.model = Some((model, forest));
        }
        self
    }

    /// The classifier's model, if the classifier is on.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref().map(|(m, _)| m)
    }

    /// The compiled rules.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Computes what to remove from `doc`. Rules limited to certain hosts do
    /// not apply (see [`Cleaner::clean_for`]).
    pub fn clean(&self, doc: &[u8]) -> Cleaning {
        self.clean_for(doc, None)
    }

    /// Computes what to remove from `doc`, a page from `host` (in the form
    /// [`crate::rules::host_name`] gives, as [`crate::format::url_host`]
    /// does: `xn--bcher-kva.de`, not `Bücher.de`), so that host-scoped rules
    /// apply.
    pub fn clean_for(&self, doc: &[u8], host: Option<&str>) -> Cleaning {
        let mut page = self.match_rules(doc, host);
        detect::run(&mut page, &self.matcher);
        let guarded = match &self.model {
            Some((model, forest)) => classify_lines(
                &mut page,
                model,
                forest,
                self.matcher.settings(),
                self.name_features,
            ),
            None => false,
        };
        layout(&mut page);
        Cleaning {
            spans: page_spans(&page),
            guarded,
        }
    }

    /// What the classifier sees of `doc`: the normalised text of every line
    /// that survived the rules and detectors, in order. `dechrome train`
    /// computes its features from exactly this.
    pub fn classifier_input(&self, doc: &[u8], host: Option<&str>) -> Vec<Vec<u8>> {
        let mut page = self.match_rules(doc, host);
        detect::run(&mut page, &self.matcher);
        (0..page.lines.len())
            .filter(|&i| page.is_live(i))
            .map(|i| page.norm(i).to_vec())
            .collect()
    }

    /// Step 1: the rules, line by line, then the head and tail blocks.
    fn match_rules<'d>(&self, doc: &'d [u8], host: Option<&str>) -> Page<'d> {
        let lines = split_lines(doc);
        let n = lines.len();
        let mut page = Page {
            doc,
            norms: Vec::with_capacity(doc.len()),
            keys: Vec::with_capacity(doc.len()),
            key_ranges: Vec::with_capacity(n),
            words: Vec::with_capacity(n),
            removed: vec![None; n],
            cuts: Vec::new(),
            lines,
        };
        let settings = self.matcher.settings();
        let mut buf = Vec::new();
        let mut hits: Vec<Hit> = Vec::new();
        let mut phrases: Vec<Span> = Vec::new();
        let mut head: Option<(usize, Cause)> = None;
        let mut tail: Option<(usize, Cause)> = None;
        for i in 0..n {
            let line = page.lines[i];
            let content = &doc[line.start..line.content_end];
            let norm = normalized(content, &mut buf);
            let key_start = page.keys.len();
            page.norms.extend_from_slice(norm);
            page.keys.extend(norm.iter().map(u8::to_ascii_lowercase));
            page.key_ranges.push((key_start, page.keys.len()));
            let words = word_count(norm);
            page.words.push(words);
            hits.clear();
            self.matcher
                .line_hits_keyed(norm, &page.keys[key_start..], words, &mut hits);
            if self.matcher.has_scoped_rules() {
                hits.retain(|h| self.matcher.rule(h.rule).applies_to(host));
            }
            if hits.is_empty() {
                continue;
            }
            let mut map: Option<OffsetMap> = None;
            for hit in &hits {
                let rule = self.matcher.rule(hit.rule);
                let cause = Cause::Rule(hit.rule);
                match rule.action {
                    Action::Line | Action::Contains => page.remove(i, cause),
                    Action::Phrase => {
                        let map = map.get_or_insert_with(|| OffsetMap::new(content));
                        let (start, end) = map.original(hit.start, hit.end);
                        phrases.push(Span { start, end, cause });
                    }
                    Action::Head => {
                        let within = rule.within.unwrap_or(settings.head_within);
                        if (line.start as f64) <= within * doc.len() as f64 {
                            head = Some((i, cause));
                        }
                    }
                    Action::Tail => {
                        let within = rule.within.unwrap_or(settings.tail_within);
                        let at = (doc.len() - line.start) as f64;
                        if tail.is_none() && at <= within * doc.len() as f64 {
                            tail = Some((i, cause));
                        }
                    }
                }
            }
            // A line whose every character is cut goes whole.
            if !phrases.is_empty() {
                let cuts = widen(content, merge(std::mem::take(&mut phrases)));
                if is_blank(&apply(content, &cuts)) {
                    page.remove(i, cuts[0].cause);
                } else {
                    page.cuts.extend(cuts.into_iter().map(|c| Span {
                        start: line.start + c.start,
                        end: line.start + c.end,
                        cause: c.cause,
                    }));
                }
            }
        }
        if let Some((h, cause)) = head {
            for i in 0..=h {
                page.remove(i, cause);
            }
        }
        if let Some((t, cause)) = tail {
            for i in t..n {
                page.remove(i, cause);
            }
        }
        page
    }
}

/// Step 2b: the line classifier over the lines still standing. Returns true
/// when the over-removal guard stepped in.
fn classify_lines(
    page: &mut Page<'_>,
    model: &Model,
    forest: &Forest,
    settings: &Settings,
    name_features: bool,
) -> bool {
    let live: Vec<usize> = (0..page.lines.len()).filter(|&i| page.is_live(i)).collect();
    if live.is_empty() {
        return false;
    }
    let texts = page.norm_texts(&live);
    let words: Vec<usize> = live.iter().map(|&i| page.words(i)).collect();
    let x = features_counted(&texts, &words);
    let threshold = settings
        .classifier_threshold
        .unwrap_or(f64::from(model.threshold))
        .clamp(1e-6, 1.0 - 1e-6);
    let cut = (threshold / (1.0 - threshold)).ln() + settings.classifier_bias;
    let words_all: usize = words.iter().sum();
    let mut remove = forest.below(&x, cut);
    // The headline: the first title-like line just before prose is article
    // text, whatever the model says (the benchmarks it learned from leave
    // headlines out of their gold text; readers do not).
    if let Some(k) = x.iter().position(|x| is_headline(x)) {
        remove[k] = false;
    }
    let kept = |remove: &[bool]| -> usize {
        remove
            .iter()
            .zip(&words)
            .filter(|(r, _)| !**r)
            .map(|(_, w)| w)
            .sum()
    };
    // Recall fallback: a page whose body is not prose-shaped keeps its prose.
    if (kept(&remove) as f64) < settings.classifier_min_kept * words_all as f64 {
        for (r, x) in remove.iter_mut().zip(&x) {
            if is_prose(x) {
                *r = false;
            }
        }
    }
    let words_removed = words_all - kept(&remove);
    let over = words_removed as f64 > settings.classifier_max_removed * words_all as f64;
    if over && !settings.classifier_flag_only {
        return true;
    }
    // Positions (in `live`) of the lines to remove.
    let removed: Vec<usize> = (0..live.len()).filter(|&k| remove[k]).collect();
    let features = name_features.then(|| {
        let rows: Vec<&Row> = removed.iter().map(|&k| &x[k]).collect();
        forest.decisive_features(&rows)
    });
    for (j, &k) in removed.iter().enumerate() {
        let feature = features.as_ref().map(|f| f[j] as u16);
        page.remove(live[k], Cause::Classifier(feature));
    }
    over
}

/// Phrase cuts in a line (merged: sorted and disjoint) widened to take
/// white space with them. Cuts with only white space between them are one
/// run, the space between going with the cut before it; a run then takes
/// the white space on one side when that leaves one space between the words
/// around it, or none at the line's edge ([`absorb_space`]). "a CUT b",
/// "a CUT CUT b", "a CUTb" and "a CUT(CUT) b" become "a b", "CUT b" becomes
/// "b", "a CUT " becomes "a".
fn widen(line: &[u8], mut cuts: Vec<Span>) -> Vec<Span> {
    let mut first = 0;
    while first < cuts.len() {
        let mut last = first;
        // The first white space inside the run, and where its cut ended.
        let mut gap = None;
        while last + 1 < cuts.len() && only_space(&line[..cuts[last + 1].start], cuts[last].end) {
            if gap.is_none() && cuts[last].end < cuts[last + 1].start {
                gap = Some((last, cuts[last].end));
            }
            cuts[last].end = cuts[last + 1].start;
            last += 1;
        }
        match absorb_space(line, cuts[first].start, cuts[last].end) {
            Absorb::Widen(start, end) => {
                cuts[first].start = start;
                cuts[last].end = end;
            }
            // Words on both sides and no space by either: the run's own
            // space (if any) stays between them.
            Absorb::Separate => {
                if let Some((k, end)) = gap {
                    cuts[k].end = end;
                }
            }
            Absorb::Nothing => {}
        }
        first = last + 1;
    }
    cuts
}

/// Whether `line[from..]` is only spaces as [`absorb_space`] takes them.
fn only_space(line: &[u8], mut from: usize) -> bool {
    while from < line.len() {
        match crate::normalize::space_at(line, from) {
            Some(len) if !matches!(line[from], b'\r' | 0x0b | 0x0c) => from += len,
            _ => return false,
        }
    }
    true
}

/// What a cut takes of the white space around it ([`absorb_space`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Absorb {
    /// The cut widened to these bounds.
    Widen(usize, usize),
    /// Nothing: one space is left between the words around it.
    Nothing,
    /// Nothing, and words touch the cut on both sides.
    Separate,
}

/// What the cut from `start` to `end` in `line` takes of the white space
/// around it: all of it when no word follows ("a CUT " becomes "a"); else
/// the space after it when there is space before it too, or no word before
/// ("a CUT b" becomes "a b", "CUT b" becomes "b", an indentation staying);
/// else nothing, so that one space stays between the words ("a CUTb"
/// becomes "a b"). Spaces as matching sees them (no-break and other Unicode spaces
/// too), but not the carriage returns, vertical tabs and form feeds it also
/// folds: those break lines and pages, as a line's edges do.
fn absorb_space(line: &[u8], start: usize, end: usize) -> Absorb {
    use crate::normalize::{space_at, space_before};
    let breaks = |b: u8| matches!(b, b'\r' | 0x0b | 0x0c);
    let after = |end: usize| {
        (end < line.len() && !breaks(line[end]))
            .then(|| space_at(line, end))
            .flatten()
    };
    let before = |start: usize| space_before(line, start).filter(|_| !breaks(line[start - 1]));
    let (mut spaced_end, mut spaced_start) = (end, start);
    while let Some(len) = after(spaced_end) {
        spaced_end += len;
    }
    while let Some(len) = before(spaced_start) {
        spaced_start -= len;
    }
    let (space_after, space_before) = (spaced_end > end, spaced_start < start);
    let word_after = spaced_end < line.len() && !breaks(line[spaced_end]);
    let word_before = spaced_start > 0 && !breaks(line[spaced_start - 1]);
    if !word_after {
        Absorb::Widen(spaced_start, spaced_end)
    } else if space_after && (space_before || !word_before) {
        Absorb::Widen(start, spaced_end)
    } else if !space_before && !space_after && word_before {
        Absorb::Separate
    } else {
        Absorb::Nothing
    }
}

/// Step 3: blank lines left by removals, and the final line ending.
///
/// Between two kept lines, if anything was removed, only the longest run of
/// blank lines that stood there is kept (so removals never create a run of
/// blank lines the input did not have). Before the first kept line and after
/// the last one, if anything was removed there, all blank lines go.
fn layout(page: &mut Page<'_>) {
    let n = page.lines.len();
    let kept: Vec<usize> = (0..n).filter(|&i| page.is_live(i)).collect();
    let mut gaps: Vec<(usize, usize)> = Vec::with_capacity(kept.len() + 1);
    let mut prev = 0;
    for &k in &kept {
        gaps.push((prev, k));
        prev = k + 1;
    }
    gaps.push((prev, n));
    let last_gap = gaps.len() - 1;
    for (g, &(from, to)) in gaps.iter().enumerate() {
        let removed = (from..to).any(|i| page.removed[i].is_some());
        if !removed {
            continue;
        }
        let blank = |i: usize| page.removed[i].is_none();
        let drop: Vec<usize> = if g == 0 || g == last_gap {
            (from..to).filter(|&i| blank(i)).collect()
        } else {
            let keep = longest_blank_run(page, from, to);
            (from..to)
                .filter(|&i| blank(i) && !keep.contains(&i))
                .collect()
        };
        for i in drop {
            page.remove(i, Cause::Layout);
        }
    }
    // A document without a final newline keeps that shape.
    let ends_open = !page.doc.ends_with(b"\n");
    if ends_open {
        if let Some(last) = (0..n).rev().find(|&i| page.removed[i].is_none()) {
            let line = page.lines[last];
            if line.end != page.doc.len() {
                page.cuts.push(Span {
                    start: line.content_end,
                    end: line.end,
                    cause: Cause::Layout,
                });
            }
        }
    }
}

/// The longest run of kept blank lines in `from..to` (the first on a tie).
fn longest_blank_run(page: &Page<'_>, from: usize, to: usize) -> std::ops::Range<usize> {
    let mut best = from..from;
    let mut i = from;
    while i < to {
        if page.removed[i].is_none() {
            let start = i;
            while i < to && page.removed[i].is_none() {
                i += 1;
            }
            if i - start > best.len() {
                best = start..i;
            }
        } else {
            i += 1;
        }
    }
    best
}

/// All removals as merged spans: consecutive removed lines with the same
/// cause become one span, and a removed blank line joins the span before it.
fn page_spans(page: &Page<'_>) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::with_capacity(page.cuts.len() + 8);
    for (i, cause) in page.removed.iter().enumerate() {
        let Some(cause) = *cause else { continue };
        let line = page.lines[i];
        // A removed blank line joins the removal just before it, whatever
        // removed it, so that each span starts with text.
        let joins =
            |last: &Span| last.end == line.start && (last.cause == cause || page.is_blank(i));
        match spans.last_mut() {
            Some(last) if joins(last) => last.end = line.end,
            _ => spans.push(Span {
                start: line.start,
                end: line.end,
                cause,
            }),
        }
    }
    spans.extend(
        page.cuts
            .iter()
            .filter(|c| page.removed[line_of(page, c.start)].is_none()),
    );
    merge(spans)
}

/// The index of the line holding byte `pos`.
fn line_of(page: &Page<'_>, pos: usize) -> usize {
    page.lines
        .partition_point(|l| l.end <= pos)
        .min(page.lines.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(rules: &str, doc: &str) -> String {
        let mut set = RuleSet::new();
        set.add_source("t.rules", rules).unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        let c = cleaner.clean(doc.as_bytes());
        String::from_utf8(c.apply(doc.as_bytes())).unwrap()
    }

    #[test]
    fn norm_texts_are_each_lines_text_even_when_two_lines_make_one_character() {
        let cleaner = Cleaner::new(RuleSet::new()).unwrap();
        let docs: [&[u8]; 3] = [
            // Each line invalid, the two together a valid "é".
            b"caf\xC3\n\xA9 au lait\nplain line\n",
            "caf\u{e9} \u{1F600}\nnext line\n".as_bytes(),
            b"bad \xFF byte\nok\n",
        ];
        for doc in docs {
            let page = cleaner.match_rules(doc, None);
            let lines: Vec<usize> = (0..page.lines.len()).collect();
            let want: Vec<Cow<'_, str>> = lines
                .iter()
                .map(|&i| crate::normalize::lossy(page.norm(i)))
                .collect();
            assert_eq!(page.norm_texts(&lines), want);
        }
    }

    const NO_DETECTORS: &str =
        "[settings]\nrepeated-lines = off\ndoubled-lines = off\nmenu-runs = off\n";

    #[test]
    fn split_lines_handles_endings() {
        let lines = split_lines(b"a\r\nb\n\nc");
        let got: Vec<(usize, usize, usize)> = lines
            .iter()
            .map(|l| (l.start, l.content_end, l.end))
            .collect();
        assert_eq!(got, vec![(0, 1, 3), (3, 4, 5), (5, 5, 6), (6, 7, 7)]);
        assert!(split_lines(b"").is_empty());
        assert_eq!(split_lines(b"x\n").len(), 1);
    }

    #[test]
    fn cleaning_table() {
        let rules = format!(
            "{NO_DETECTORS}[line]\nNav\n[contains]\nsubscribe\n[phrase]\nClick for photos.\n\
             [tail]\nMore in this section\n[head]\nReveal Navigation\n"
        );
        let cases = [
            // Whole lines go with their ending.
            ("Nav\nText\n", "Text\n"),
            ("Text\nNav\n", "Text\n"),
            // No final newline stays none.
            ("Text\nNav", "Text"),
            ("Nav\nText", "Text"),
            // CRLF is kept.
            ("Nav\r\nText\r\nMore\r\n", "Text\r\nMore\r\n"),
            // Blank lines: no new runs, none at the start or end.
            ("A\n\nNav\n\nB\n", "A\n\nB\n"),
            ("A\n\n\nNav\n\nB\n", "A\n\n\nB\n"),
            ("A\nNav\nB\n", "A\nB\n"),
            ("\n\nNav\n\nA\n", "A\n"),
            ("\n\nA\n", "\n\nA\n"),
            ("A\n\nNav\n\n", "A\n"),
            ("A\n\n\nB\n", "A\n\n\nB\n"),
            // Inline cut takes one side's space.
            ("Text. Click for photos. More text\n", "Text. More text\n"),
            ("Text. Click for photos.\n", "Text.\n"),
            ("Click for photos.\nB\n", "B\n"),
            // Tail: marker in the last half.
            (
                "A long article paragraph here, long enough to be the bulk.\nMore in this section\nLink one\nLink two\n",
                "A long article paragraph here, long enough to be the bulk.\n",
            ),
            // ... but not in the first half.
            (
                "More in this section\nA long article paragraph that goes on and on and on.\n",
                "More in this section\nA long article paragraph that goes on and on and on.\n",
            ),
            // Head: marker in the first half.
            (
                "Menu\nLogin\nReveal Navigation\n\nThe article body, which is long enough here.\n",
                "The article body, which is long enough here.\n",
            ),
            // Everything removed: empty output.
            ("Nav\n\nNav\n", ""),
            ("", ""),
        ];
        for (doc, want) in cases {
            assert_eq!(clean(&rules, doc), want, "doc {doc:?}");
        }
    }

    #[test]
    fn a_cut_takes_one_side_of_any_white_space_with_it() {
        let mut set = RuleSet::new();
        set.add_source("t.rules", "[phrase]\n(AP)\n(Reuters)\n")
            .unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        for (doc, want) in [
            ("A (AP) B\n", "A B\n"),
            // Cuts side by side, or with only white space between them,
            // are one cut: one side's space goes, never both.
            ("A (Reuters)(AP) B\n", "A B\n"),
            ("A (Reuters) (AP) B\n", "A B\n"),
            ("A (AP)\u{a0} (Reuters)  B\n", "A B\n"),
            ("A (AP) (Reuters)\n", "A\n"),
            ("(AP)(Reuters) A\n", "A\n"),
            ("A (AP) x (Reuters) B\n", "A x B\n"),
            // Space on one side only, words on both: that space stays.
            ("WASHINGTON (Reuters)The vote.\n", "WASHINGTON The vote.\n"),
            ("A(AP) B\n", "A B\n"),
            ("a (AP)(AP)b\n", "a b\n"),
            // No space by the run: its own space stays between the words.
            ("A(AP) (Reuters)B\n", "A B\n"),
            ("A(AP)B\n", "AB\n"),
            // At a line's edge the space goes.
            ("A(AP)  \n", "A\n"),
            ("A (AP) \n", "A\n"),
            // An indentation stays.
            ("  (AP)A\n", "  A\n"),
            ("  (AP) A\n", "  A\n"),
            ("A\u{a0}(AP)\u{a0}B\n", "A\u{a0}B\n"),
            ("A\u{2009}\u{a0}(AP)\u{3000}B\n", "A\u{2009}\u{a0}B\n"),
            ("A\u{2009}(AP)\n", "A\n"),
            ("A\u{a0} (AP)\n", "A\n"),
            ("(AP)\u{a0}A\n", "A\n"),
            // A bare carriage return or a form feed breaks a line: kept.
            ("One (AP)\rTwo\n", "One\rTwo\n"),
            ("One\x0c(AP) Two\n", "One\x0cTwo\n"),
        ] {
            let out = cleaner.clean(doc.as_bytes()).apply(doc.as_bytes());
            assert_eq!(String::from_utf8(out).unwrap(), want, "{doc:?}");
        }
    }

    #[test]
    fn invalid_utf8_kept_byte_for_byte() {
        let mut set = RuleSet::new();
        set.add_source("t.rules", "[line]\nNav\n").unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        let doc = b"Nav\nbad \xff\xfe bytes\r\nNav";
        let out = cleaner.clean(doc).apply(doc);
        assert_eq!(out, b"bad \xff\xfe bytes");
    }

    #[test]
    fn a_line_rule_limited_to_hosts_leaves_the_same_line_to_later_rules() {
        let mut set = RuleSet::new();
        set.add_source(
            "a.rules",
            "[line host=a.example]\nSubscribe now\n[line host=b.example]\nSubscribe now\n",
        )
        .unwrap();
        set.add_source("c.rules", "[line]\nSubscribe now\n")
            .unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        let doc = b"Subscribe now\nThe story.\n";
        // The first rule in order that applies to the host removes the line.
        for (host, origin) in [
            (Some("www.a.example"), ("a.rules", 2)),
            (Some("b.example"), ("a.rules", 4)),
            (Some("c.example"), ("c.rules", 2)),
            (None, ("c.rules", 2)),
        ] {
            let spans = cleaner.clean_for(doc, host).spans;
            let Cause::Rule(rule) = spans[0].cause else {
                panic!("{host:?}: {spans:?}")
            };
            let rule = &cleaner.matcher().rule(rule).origin;
            assert_eq!((&*rule.file, rule.line), origin, "{host:?}");
        }
    }

    #[test]
    fn specific_rule_wins_inside_head_block() {
        let mut set = RuleSet::new();
        set.add_source(
            "t.rules",
            "[line]\nSkip Navigation\n[head]\nReveal Navigation\n",
        )
        .unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        let doc = b"Skip Navigation\nLogin\nReveal Navigation\nA long enough article body follows here.\n";
        let spans = cleaner.clean(doc).spans;
        let lines: Vec<usize> = spans
            .iter()
            .map(|s| match s.cause {
                Cause::Rule(r) => cleaner.matcher().rule(r).origin.line,
                _ => 0,
            })
            .collect();
        assert_eq!(lines, vec![2, 4]);
        assert_eq!(spans[0].end, 16);
    }
}
