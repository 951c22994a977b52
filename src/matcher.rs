//! Compiling a [`RuleSet`] into a [`Matcher`]: built once, shared by all threads.
//!
//! Rules are sorted by strategy and only the strategies in use are built:
//!
//! - `[line]` phrases go into a hash table keyed by the normalised,
//!   ASCII-lower-cased line: one lookup per line, and only for lines no longer
//!   than the longest such phrase;
//! - `[contains]`, `[tail]` and `[head]` phrases go into one Aho-Corasick
//!   automaton that only short lines (the word guard) are scanned with;
//! - `[phrase]` phrases go into a second automaton that every line is scanned with;
//! - regexes are grouped into `RegexSet`s: `[regex:line]` (run on every
//!   line), the guarded `[regex:contains|tail|head]` (only on short lines),
//!   and `[regex:phrase]` (only the members that match are then run on their
//!   own to find where). One pass per line says which rules match.
//!   A regex whose matches can start with almost any byte (`[^.]{0,60}\|`)
//!   keeps a set's automaton walking deep into every line; such a regex
//!   that needs a rare byte (here `|`) goes into a set of its own that
//!   only lines holding one of its members' bytes are run through.
//!
//! Both automata are ASCII-case-insensitive, so no line is ever lower-cased on
//! the way in.
//!
//! ```
//! use dechrome::{Matcher, RuleSet};
//!
//! let mut set = RuleSet::new();
//! set.add_source("x.rules", "[contains]\nyour browser is out of date\n").unwrap();
//! let matcher = Matcher::new(set).unwrap();
//! let mut hits = Vec::new();
//! matcher.line_hits(b"Your browser is out of date.", &mut hits);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(matcher.rule(hits[0].rule).origin.to_string(), "x.rules:2");
//! ```

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::BuildError;
use crate::normalize::{at_word_boundaries, word_count};
use crate::rules::{Action, Pattern, Rule, RuleSet, Settings, WordLimit};

/// Index of a rule in [`Matcher::rules`].
pub type RuleId = usize;

/// One rule matching one line, in byte offsets of the normalised line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The rule.
    pub rule: RuleId,
    /// Start of the match in the normalised line.
    pub start: usize,
    /// End (exclusive) of the match in the normalised line.
    pub end: usize,
}

/// Phrases compiled into one automaton, with the rule behind each pattern.
#[derive(Debug)]
struct Automaton {
    ac: AhoCorasick,
    rules: Vec<RuleId>,
}

impl Automaton {
    fn build(patterns: Vec<(&[u8], RuleId)>) -> Result<Option<Automaton>, BuildError> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let kind = if patterns.len() <= DFA_MAX_PATTERNS {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(patterns.iter().map(|(p, _)| p))?;
        Ok(Some(Automaton {
            ac,
            rules: patterns.into_iter().map(|(_, r)| r).collect(),
        }))
    }
}

/// Up to this many phrases per automaton a DFA is built (fast, memory grows
/// with the phrase count); above it a contiguous NFA (a third of the speed,
/// far less memory).
pub const DFA_MAX_PATTERNS: usize = 2_000;

/// The compiled rules: immutable, `Send + Sync`, shared across threads.
#[derive(Debug)]
pub struct Matcher {
    line_table: FxHashMap<Vec<u8>, RuleId>,
    line_max_len: usize,
    guarded: Option<Automaton>,
    guarded_max_words: usize,
    inline: Option<Automaton>,
    line_regexes: Vec<RegexGroup>,
    guarded_regexes: Vec<RegexGroup>,
    phrase_regexes: Vec<RegexGroup>,
    scoped: bool,
    labels: FxHashSet<Vec<u8>>,
    /// Length of the longest label: a longer key is no label, unhashed.
    label_max_len: usize,
    label_origins: HashMap<Vec<u8>, usize>,
    set: RuleSet,
}

impl Matcher {
    /// Compiles a rule set.
    pub fn new(set: RuleSet) -> Result<Matcher, BuildError> {
        let rules = set.rules();
        let settings = set.settings();
        let mut line_table = FxHashMap::default();
        let mut line_max_len = 0;
        let mut guarded = Vec::new();
        let mut guarded_max_words = 0;
        let mut inline = Vec::new();
        let mut line_regexes = Vec::new();
        let mut guarded_regexes = Vec::new();
        let mut phrase_regexes = Vec::new();
        for (id, rule) in rules.iter().enumerate() {
            if rule.action.is_guarded() {
                guarded_max_words = guarded_max_words.max(word_limit(rule, settings));
            }
            match (&rule.pattern, rule.action) {
                (Pattern::Regex(_), Action::Phrase) => phrase_regexes.push(id),
                (Pattern::Regex(_), Action::Line) => line_regexes.push(id),
                (Pattern::Regex(_), _) => guarded_regexes.push(id),
                (Pattern::Literal(p), Action::Line) => {
                    line_max_len = line_max_len.max(p.len());
                    // The first rule for a phrase keeps it: its origin is the one reported.
                    line_table.entry(p.to_ascii_lowercase()).or_insert(id);
                }
                (Pattern::Literal(p), Action::Phrase) => inline.push((p.as_slice(), id)),
                (Pattern::Literal(p), _) => guarded.push((p.as_slice(), id)),
            }
        }
        let guarded = Automaton::build(guarded)?;
        let inline = Automaton::build(inline)?;
        let mut labels = FxHashSet::default();
        let mut label_origins = HashMap::new();
        for (i, label) in set.labels().iter().enumerate() {
            labels.insert(label.key.clone());
            label_origins.entry(label.key.clone()).or_insert(i);
        }
        let scoped = set.rules().iter().any(|r| !r.hosts.is_empty());
        Ok(Matcher {
            scoped,
            line_table,
            line_max_len,
            guarded,
            guarded_max_words,
            inline,
            line_regexes: regex_groups(rules, line_regexes),
            guarded_regexes: regex_groups(rules, guarded_regexes),
            phrase_regexes: regex_groups(rules, phrase_regexes),
            label_max_len: labels.iter().map(Vec::len).max().unwrap_or(0),
            labels,
            label_origins,
            set,
        })
    }

    /// The rule with this id.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.set.rules()[id]
    }

    /// All rules, indexed by [`RuleId`].
    pub fn rules(&self) -> &[Rule] {
        self.set.rules()
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        self.set.settings()
    }

    /// The rule set this matcher was built from.
    pub fn rule_set(&self) -> &RuleSet {
        &self.set
    }

    /// True when some rule is limited to certain hosts.
    pub fn has_scoped_rules(&self) -> bool {
        self.scoped
    }

    /// True when `key` (normalised, ASCII-lower-cased) is a `[menu]` label.
    pub fn is_label(&self, key: &[u8]) -> bool {
        key.len() <= self.label_max_len && self.labels.contains(key)
    }

    /// True when there is at least one `[menu]` label.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    /// The `[menu]` label entry for `key`, for explanations.
    pub fn label(&self, key: &[u8]) -> Option<&crate::rules::Label> {
        self.label_origins.get(key).map(|&i| &self.set.labels()[i])
    }

    /// The word guard of a guarded rule.
    pub fn max_words(&self, id: RuleId) -> usize {
        word_limit(self.rule(id), self.settings())
    }

    /// Appends to `hits` every rule that matches the normalised line `norm`
    /// (guards applied), in the order the rules were loaded (a rule's own
    /// matches left to right).
    pub fn line_hits(&self, norm: &[u8], hits: &mut Vec<Hit>) {
        self.line_hits_keyed(norm, &norm.to_ascii_lowercase(), hits);
    }

    /// [`Matcher::line_hits`] for a caller that has the line's key at hand
    /// (`norm` ASCII-lower-cased, as whole-line phrases are stored).
    pub(crate) fn line_hits_keyed(&self, norm: &[u8], key: &[u8], hits: &mut Vec<Hit>) {
        debug_assert!(
            key.len() == norm.len()
                && key
                    .iter()
                    .zip(norm)
                    .all(|(k, n)| *k == n.to_ascii_lowercase())
        );
        if norm.is_empty() {
            return;
        }
        let first = hits.len();
        let words = word_count(norm);
        if norm.len() <= self.line_max_len {
            if let Some(&rule) = self.line_table.get(key) {
                hits.push(Hit {
                    rule,
                    start: 0,
                    end: norm.len(),
                });
            }
        }
        if let Some(auto) = &self.guarded {
            if words <= self.guarded_max_words {
                for m in auto.ac.find_overlapping_iter(norm) {
                    let rule = auto.rules[m.pattern().as_usize()];
                    if words <= self.max_words(rule) && at_word_boundaries(norm, m.start(), m.end())
                    {
                        hits.push(Hit {
                            rule,
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
        if let Some(auto) = &self.inline {
            for m in auto.ac.find_overlapping_iter(norm) {
                if at_word_boundaries(norm, m.start(), m.end()) {
                    hits.push(Hit {
                        rule: auto.rules[m.pattern().as_usize()],
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        // Whole-line regexes run on every line (anchored, they fail fast);
        // the guarded ones only on lines short enough for one of them. A set
        // is asked which patterns match only when one does: `is_match` needs
        // no allocation, and most lines match none.
        let whole = |groups: &[RegexGroup], hits: &mut Vec<Hit>| {
            for g in groups
                .iter()
                .filter(|g| g.admits(key) && g.set.is_match(norm))
            {
                for k in g.set.matches(norm).iter() {
                    let rule = g.ids[k];
                    if !self.rule(rule).action.is_guarded() || words <= self.max_words(rule) {
                        hits.push(Hit {
                            rule,
                            start: 0,
                            end: norm.len(),
                        });
                    }
                }
            }
        };
        whole(&self.line_regexes, hits);
        if words <= self.guarded_max_words {
            whole(&self.guarded_regexes, hits);
        }
        for g in self
            .phrase_regexes
            .iter()
            .filter(|g| g.admits(key) && g.set.is_match(norm))
        {
            for k in g.set.matches(norm).iter() {
                let rule = g.ids[k];
                let Pattern::Regex(re) = &self.rule(rule).pattern else {
                    continue;
                };
                hits.extend(re.find_iter(norm).filter(|m| !m.is_empty()).map(|m| Hit {
                    rule,
                    start: m.start(),
                    end: m.end(),
                }));
            }
        }
        // Each strategy found its hits in its own order: the first rule
        // loaded is the one a removed line reports.
        if hits.len() > first + 1 {
            hits[first..].sort_by_key(|h| h.rule);
        }
    }
}

/// Regex rules compiled together into one `RegexSet`.
#[derive(Debug)]
struct RegexGroup {
    set: RegexSet,
    ids: Vec<RuleId>,
    /// Empty when the set runs on every line. Otherwise every member needs
    /// one of these bytes (ASCII, lower case; see [`gate`]) in the line's
    /// key, and a line with none of them skips the set.
    gates: Vec<u8>,
}

impl RegexGroup {
    fn admits(&self, key: &[u8]) -> bool {
        self.gates.is_empty() || self.gates.iter().any(|&g| memchr::memchr(g, key).is_some())
    }
}

/// The given regex rules in [`RegexGroup`]s: those with a [`gate`] apart
/// from the rest.
fn regex_groups(rules: &[Rule], ids: Vec<RuleId>) -> Vec<RegexGroup> {
    let gate_of: FxHashMap<RuleId, u8> = ids
        .iter()
        .filter_map(|&id| match &rules[id].pattern {
            Pattern::Regex(re) => Some((id, gate(re.as_str())?)),
            Pattern::Literal(_) => None,
        })
        .collect();
    let (gated, plain): (Vec<RuleId>, Vec<RuleId>) =
        ids.into_iter().partition(|id| gate_of.contains_key(id));
    [plain, gated]
        .into_iter()
        .flat_map(|ids| regex_set(rules, ids))
        .map(|(set, ids)| {
            let mut gates: Vec<u8> = ids
                .iter()
                .filter_map(|id| gate_of.get(id).copied())
                .collect();
            gates.sort_unstable();
            gates.dedup();
            RegexGroup { set, ids, gates }
        })
        .collect()
}

/// Bytes that are rare in running text, rarest first: a regex that needs
/// one of them can be skipped on lines without it. Letters, digits and the
/// space are too common to be worth a look.
const RARE_BYTES: &[u8] = b"|{}[]\\^~`<>@#$%&*=+_;\"!?()/:'-,.";

/// The byte that lets lines skip `pattern` (as a `RegexSet` compiles it:
/// case-insensitive), if it has one: a byte of [`RARE_BYTES`] that every
/// match contains (in lower case), for a pattern whose matches may start
/// with more than a few literals. A pattern with a short list of literal
/// prefixes needs no gate: the set's automaton leaves such a line at its
/// first bytes.
fn gate(pattern: &str) -> Option<u8> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    if prefixes.is_finite() && prefixes.min_literal_len().is_some_and(|n| n > 0) {
        return None;
    }
    let needed = required_bytes(&hir);
    RARE_BYTES
        .iter()
        .copied()
        .find(|&b| needed & (1u128 << b) != 0)
}

/// The ASCII bytes (lower-cased; a bit each) that every match of `hir`
/// contains, in the line's key (the line ASCII-lower-cased). A class counts
/// only when it is one byte or one letter in both cases: `(?i)k` also
/// matches the Kelvin sign, which lower-cases to no `k`.
fn required_bytes(hir: &Hir) -> u128 {
    let bit = |b: u8| {
        if b.is_ascii() {
            1u128 << b.to_ascii_lowercase()
        } else {
            0
        }
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => lit.0.iter().fold(0, |set, &b| set | bit(b)),
        HirKind::Class(class) => {
            let members: Option<Vec<u32>> = match class {
                Class::Unicode(c) => small_class(
                    c.ranges()
                        .iter()
                        .map(|r| (r.start() as u32, r.end() as u32)),
                ),
                Class::Bytes(c) => small_class(
                    c.ranges()
                        .iter()
                        .map(|r| (u32::from(r.start()), u32::from(r.end()))),
                ),
            };
            match members.as_deref() {
                Some(&[one]) if one < 0x80 => bit(one as u8),
                Some(&[a, b])
                    if a < 0x80 && b < 0x80 && (a as u8).eq_ignore_ascii_case(&(b as u8)) =>
                {
                    bit(a as u8)
                }
                _ => 0,
            }
        }
        HirKind::Repetition(rep) if rep.min > 0 => required_bytes(&rep.sub),
        HirKind::Repetition(_) => 0,
        HirKind::Capture(cap) => required_bytes(&cap.sub),
        HirKind::Concat(parts) => parts.iter().fold(0, |set, h| set | required_bytes(h)),
        HirKind::Alternation(parts) => parts
            .iter()
            .map(required_bytes)
            .reduce(|a, b| a & b)
            .unwrap_or(0),
    }
}

/// The members of a class of at most two, from its ranges.
fn small_class(ranges: impl Iterator<Item = (u32, u32)>) -> Option<Vec<u32>> {
    let mut members = Vec::new();
    for (start, end) in ranges {
        if members.len() + (end - start) as usize >= 2 {
            return None;
        }
        members.extend(start..=end);
    }
    Some(members)
}

/// `RegexSet`s over the given regex rules (each already compiled alone when
/// parsed): one set when they fit its size limit together, otherwise the
/// rules split in halves until every set fits (a single rule always does).
fn regex_set(rules: &[Rule], ids: Vec<RuleId>) -> Vec<(RegexSet, Vec<RuleId>)> {
    if ids.is_empty() {
        return Vec::new();
    }
    let patterns = ids.iter().map(|&id| match &rules[id].pattern {
        Pattern::Regex(re) => re.as_str().to_string(),
        Pattern::Literal(_) => unreachable!("only regex rules are grouped"),
    });
    match RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(64 << 20)
        .dfa_size_limit(8 << 20)
        .build()
    {
        Ok(set) => vec![(set, ids)],
        Err(_) if ids.len() > 1 => {
            let mut ids = ids;
            let upper = ids.split_off(ids.len() / 2);
            let mut sets = regex_set(rules, ids);
            sets.extend(regex_set(rules, upper));
            sets
        }
        Err(e) => panic!("a regex that compiled alone does not compile in a set: {e}"),
    }
}

fn word_limit(rule: &Rule, settings: &Settings) -> usize {
    match rule.max_words {
        WordLimit::Default => settings.max_words,
        WordLimit::AtMost(n) => n,
        WordLimit::Any => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn matcher(text: &str) -> Matcher {
        let mut set = RuleSet::new();
        set.add_source("t.rules", text).unwrap();
        Matcher::new(set).unwrap()
    }

    /// (line of the matching rule, matched text) for each hit on `line`.
    fn hits(m: &Matcher, line: &str) -> Vec<(usize, String)> {
        let mut norm = Vec::new();
        normalize(line.as_bytes(), &mut norm);
        let mut hits = Vec::new();
        m.line_hits(&norm, &mut hits);
        hits.iter()
            .map(|h| {
                let text = String::from_utf8_lossy(&norm[h.start..h.end]).into_owned();
                (m.rule(h.rule).origin.line, text)
            })
            .collect()
    }

    #[test]
    fn matching_table() {
        let m = matcher(
            "[line]\nClose X\n[contains]\nDon't have an account\nshare\n[phrase]\nClick for photos.\n\
             [regex:line]\nstring\\(\\d+\\) \".*\n[regex:phrase]\n\\(AP\\) —\n",
        );
        let cases: &[(&str, &[(usize, &str)])] = &[
            ("Close X", &[(2, "Close X")]),
            ("  close   x ", &[(2, "close x")]),
            ("Close X now", &[]),
            (
                "Don\u{2019}t have an account? Register \u{bb}",
                &[(4, "Don't have an account")],
            ),
            ("DON'T HAVE AN ACCOUNT?", &[(4, "DON'T HAVE AN ACCOUNT")]),
            ("Shared by many", &[]),
            ("Share this", &[(5, "Share")]),
            ("Text. Click for photos. More", &[(7, "Click for photos.")]),
            (
                "string(1047) \"[{\"id\":1}]\"",
                &[(9, "string(1047) \"[{\"id\":1}]\"")],
            ),
            ("a string(1047) \"x\"", &[]),
            ("WASHINGTON (AP) \u{2014} text", &[(11, "(AP) \u{2014}")]),
        ];
        for (line, want) in cases {
            let want: Vec<(usize, String)> =
                want.iter().map(|(l, t)| (*l, t.to_string())).collect();
            assert_eq!(hits(&m, line), want, "line {line:?}");
        }
    }

    #[test]
    fn word_guard_spares_long_paragraphs() {
        let m = matcher(
            "[contains max-words=6]\nsubscribe\n[contains max-words=any]\nall rights reserved\n",
        );
        assert_eq!(hits(&m, "Subscribe now"), vec![(2, "Subscribe".into())]);
        assert!(hits(
            &m,
            "Readers who subscribe get the weekly paper and a lot more"
        )
        .is_empty());
        let long = "All rights reserved by a company that writes a very long line of legal text";
        assert_eq!(hits(&m, long).len(), 1);
    }

    #[test]
    fn overlapping_phrases_all_reported() {
        let m = matcher("[contains]\nsign up\nsign up for our newsletter\n");
        let got = hits(&m, "Sign up for our newsletter");
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn large_rule_sets_use_the_nfa() {
        let mut text = String::from("[contains]\n");
        for i in 0..(DFA_MAX_PATTERNS + 10) {
            text.push_str(&format!("phrase number {i}\n"));
        }
        let m = matcher(&text);
        assert_eq!(hits(&m, "Phrase Number 2005").len(), 1);
    }

    #[test]
    fn gates_are_rare_bytes_every_match_needs() {
        let cases: &[(&str, Option<u8>)] = &[
            // Any byte may start a match, and every match has a `|`.
            (r"^(?:[^.]{0,60}\|\s*getty images)$", Some(b'|')),
            (r".{0,9}(?:a\||b\|)", Some(b'|')),
            // The rarest of the needed bytes.
            (r".*: \{x\} \|", Some(b'|')),
            (r".*[.;] @", Some(b'@')),
            // No needed byte in common, or none rare.
            (r".{0,9}(?:a\||b;)", None),
            (r"\d+ comments?", None),
            (r".*\|?x", None),
            (r".*(?-u:\xFF)", None),
            // A few literal prefixes: the set leaves other lines at once.
            (r"^(?:photo: [^.]{1,60})$", None),
            (r"string\(\d+\)", None),
        ];
        for &(pattern, want) in cases {
            assert_eq!(gate(pattern), want, "{pattern}");
        }
        // Classes need their byte only when they are that byte in either case.
        let needs = |p: &str| {
            let hir = regex_syntax::ParserBuilder::new()
                .case_insensitive(true)
                .build()
                .parse(p)
                .unwrap();
            (0u8..128)
                .filter(|&b| required_bytes(&hir) & (1 << b) != 0)
                .map(char::from)
                .collect::<String>()
        };
        assert_eq!(needs("a(b|bc)+d?"), "ab");
        assert_eq!(needs("[xy]z"), "z");
        assert_eq!(needs("k s"), " ", "K and S have a third, non-ASCII case");
    }

    #[test]
    fn hits_come_in_the_order_rules_were_loaded() {
        // Each strategy (table, automata, gated and plain regex sets) finds
        // its own hits; a removed line reports the first rule loaded.
        let m = matcher(
            "[regex:line]\n.{0,20}\\| getty images\n[contains]\nimages\n[line]\nfoo | getty images\n\
             [regex:line]\nfoo.*\n[contains]\nfoo\n",
        );
        let lines: Vec<usize> = hits(&m, "Foo | Getty Images").iter().map(|h| h.0).collect();
        assert_eq!(lines, [2, 4, 6, 8, 10]);
        // A rule's own matches stay left to right.
        let m = matcher("[phrase]\nab\n[regex:phrase]\nx+\n");
        assert_eq!(
            hits(&m, "x ab xx ab"),
            [
                (2, "ab".to_string()),
                (2, "ab".to_string()),
                (4, "x".to_string()),
                (4, "xx".to_string())
            ]
        );
    }

    #[test]
    fn gated_regexes_match_as_before() {
        let m = matcher(
            "[regex:line]\n[^.]{0,60}\\|\\s*getty images\n\\d+ comments?\n\
             [regex:phrase]\n.{0,20}\\| ap photo\n",
        );
        assert_eq!(
            m.line_regexes
                .iter()
                .map(|g| g.gates.clone())
                .collect::<Vec<_>>(),
            [vec![], vec![b'|']]
        );
        let cases: &[(&str, &[(usize, &str)])] = &[
            (
                "Smoke rises | Getty Images",
                &[(2, "Smoke rises | Getty Images")],
            ),
            ("Smoke rises Getty Images", &[]),
            ("12 Comments", &[(3, "12 Comments")]),
            ("The crowd | AP Photo", &[(5, "The crowd | AP Photo")]),
        ];
        for (line, want) in cases {
            let want: Vec<(usize, String)> =
                want.iter().map(|(l, t)| (*l, t.to_string())).collect();
            assert_eq!(hits(&m, line), want, "line {line:?}");
        }
    }
}
