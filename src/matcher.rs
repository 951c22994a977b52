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
//!   Each set runs only on the lines it may match: the regexes anchored
//!   at a line's start or end with few ways to begin or end there
//!   (`^\d+ comments?$`, `.+ said:?$`) make one set, which a line runs
//!   through only when its first or last bytes are one of those ways. Of
//!   the others, those that need a rare byte (`[^.]{0,60}\| ap photo`
//!   needs `|`) make another, run only on lines holding one.
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
use crate::rules::{parse_regex, Action, Pattern, Rule, RuleSet, Settings, WordLimit};

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

/// `a` and `b`, on two threads of the rayon pool the caller runs in (see
/// [`rayon::join`]), or one after the other outside any pool: building a
/// matcher or a cleaner does not start rayon's global pool.
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if rayon::current_thread_index().is_some() {
        rayon::join(a, b)
    } else {
        (a(), b())
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
    /// Per rule of `line_table` limited to hosts, the later rules for the
    /// same line: where the first does not apply to a document's host, a
    /// later one may.
    line_alternates: FxHashMap<RuleId, Vec<RuleId>>,
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
    /// Compiles a rule set. Called inside a rayon pool, the automata and
    /// the regex sets compile on two of its threads (about half the work
    /// each for the default rules: start-up 9.8 → 7.8 ms at two threads,
    /// `BENCHMARKS.md`); outside one, in turn.
    pub fn new(set: RuleSet) -> Result<Matcher, BuildError> {
        let rules = set.rules();
        let settings = set.settings();
        let mut line_table = FxHashMap::default();
        let mut line_alternates: FxHashMap<RuleId, Vec<RuleId>> = FxHashMap::default();
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
                    // The first rule for a phrase keeps it: its origin is the one
                    // reported. Later ones matter only when host scopes differ.
                    let first = *line_table.entry(p.to_ascii_lowercase()).or_insert(id);
                    if first != id && !rules[first].hosts.is_empty() {
                        line_alternates.entry(first).or_default().push(id);
                    }
                }
                (Pattern::Literal(p), Action::Phrase) => inline.push((p.as_slice(), id)),
                (Pattern::Literal(p), _) => guarded.push((p.as_slice(), id)),
            }
        }
        // The parts compile side by side when the caller runs in a pool:
        // the line regexes and the automata on one thread, the other regexes
        // on another (each about half the work for the default rules).
        let ((automata, line_regexes), (guarded_regexes, phrase_regexes)) = join(
            || {
                join(
                    || Ok::<_, BuildError>((Automaton::build(guarded)?, Automaton::build(inline)?)),
                    || regex_groups(rules, line_regexes),
                )
            },
            || {
                (
                    regex_groups(rules, guarded_regexes),
                    regex_groups(rules, phrase_regexes),
                )
            },
        );
        let (guarded, inline) = automata?;
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
            line_alternates,
            line_max_len,
            guarded,
            guarded_max_words,
            inline,
            line_regexes,
            guarded_regexes,
            phrase_regexes,
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
        self.line_hits_keyed(norm, &norm.to_ascii_lowercase(), word_count(norm), hits);
    }

    /// [`Matcher::line_hits`] for a caller that has the line's key at hand
    /// (`norm` ASCII-lower-cased, as whole-line phrases are stored) and its
    /// [`word_count`], `words`.
    pub(crate) fn line_hits_keyed(
        &self,
        norm: &[u8],
        key: &[u8],
        words: usize,
        hits: &mut Vec<Hit>,
    ) {
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
        debug_assert_eq!(words, word_count(norm));
        let first = hits.len();
        if norm.len() <= self.line_max_len {
            if let Some(&rule) = self.line_table.get(key) {
                hits.push(Hit {
                    rule,
                    start: 0,
                    end: norm.len(),
                });
                // In order after the first: the first that applies to the
                // document's host is the one that removes the line.
                if let Some(more) = self.line_alternates.get(&rule) {
                    hits.extend(more.iter().map(|&rule| Hit {
                        rule,
                        start: 0,
                        end: norm.len(),
                    }));
                }
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
                hits.extend(
                    re.regex()
                        .find_iter(norm)
                        .filter(|m| !m.is_empty())
                        .map(|m| Hit {
                            rule,
                            start: m.start(),
                            end: m.end(),
                        }),
                );
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
    /// Which lines the set runs on.
    gate: Gate,
}

/// Which lines a [`RegexGroup`] runs on, judged from the line's key.
#[derive(Debug, PartialEq, Eq)]
enum Gate {
    /// Every line.
    Open,
    /// Lines holding one of these bytes (ASCII, lower case; see [`gate`]):
    /// every member needs one.
    Bytes(Vec<u8>),
    /// Lines that start (or end) with one of these: every member's matches
    /// take the line from its start (to its end) with one of them (see
    /// [`affixes`]).
    Affixes(Affixes),
}

impl RegexGroup {
    fn admits(&self, key: &[u8]) -> bool {
        match &self.gate {
            Gate::Open => true,
            Gate::Bytes(bytes) => bytes.iter().any(|&g| memchr::memchr(g, key).is_some()),
            Gate::Affixes(affixes) => affixes.admits(key),
        }
    }
}

/// Short byte strings (at most 4 bytes: [`AFFIX_LEN`]) a line's key may
/// begin (or end) with, found by the byte at that end of the key: most
/// keys have none at all. Each is compared as one masked 4-byte word.
#[derive(Debug, PartialEq, Eq)]
struct Affixes {
    /// Sorted by the byte at the end they are found by.
    strings: Vec<Affix>,
    /// For each byte, the range of `strings` found by it.
    by_byte: Vec<(u16, u16)>,
    at_end: bool,
}

/// One of [`Affixes`]: its bytes in a 4-byte word (at the word's start, or
/// at its end for the end of a key), the mask of those bytes, its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Affix {
    word: u32,
    mask: u32,
    len: usize,
}

impl Affixes {
    /// `strings` (none empty, none over 4 bytes), to be found by their
    /// first byte, or their last when `at_end`.
    fn new(mut strings: Vec<Vec<u8>>, at_end: bool) -> Affixes {
        let edge = move |s: &Vec<u8>| if at_end { s[s.len() - 1] } else { s[0] };
        strings.sort_unstable_by_key(|s| (edge(s), s.clone()));
        strings.dedup();
        let mut by_byte = vec![(0u16, 0u16); 256];
        for (i, s) in strings.iter().enumerate() {
            let range = &mut by_byte[usize::from(edge(s))];
            if range.0 == range.1 {
                range.0 = i as u16;
            }
            range.1 = i as u16 + 1;
        }
        let strings = strings
            .iter()
            .map(|s| Affix {
                word: Affixes::word(s, at_end),
                mask: Affixes::word(&[0xFF; AFFIX_LEN][..s.len()], at_end),
                len: s.len(),
            })
            .collect();
        Affixes {
            strings,
            by_byte,
            at_end,
        }
    }

    /// The first 4 bytes of `bytes` as a little-endian word, or its last 4
    /// (`at_end`: placed at the word's end), zeros where it is shorter.
    fn word(bytes: &[u8], at_end: bool) -> u32 {
        let n = bytes.len();
        let word: [u8; 4] = match (n >= 4, at_end) {
            (true, false) => bytes[..4].try_into().expect("4 bytes"),
            (true, true) => bytes[n - 4..].try_into().expect("4 bytes"),
            // (Byte by byte, not a copy of a variable length: no call.)
            (false, false) => std::array::from_fn(|i| bytes.get(i).copied().unwrap_or(0)),
            (false, true) => {
                std::array::from_fn(|i| (i + n).checked_sub(4).map_or(0, |k| bytes[k]))
            }
        };
        u32::from_le_bytes(word)
    }

    /// Whether `key` begins (or, for the end's, ends) with one of the
    /// strings.
    fn admits(&self, key: &[u8]) -> bool {
        let edge = if self.at_end { key.last() } else { key.first() };
        let (from, to) = edge.map_or((0, 0), |&b| self.by_byte[usize::from(b)]);
        let word = Affixes::word(key, self.at_end);
        self.strings[usize::from(from)..usize::from(to)]
            .iter()
            .any(|a| (word & a.mask == a.word) & (key.len() >= a.len))
    }
}

/// The given regex rules in [`RegexGroup`]s: those whose matches take the
/// line from its start or to its end with one of a few [`affixes`]
/// together, then those with a [`gate`] byte, then the rest.
fn regex_groups(rules: &[Rule], ids: Vec<RuleId>) -> Vec<RegexGroup> {
    // Each pattern parsed once, for both kinds of gate.
    let parsed: FxHashMap<RuleId, Hir> = ids
        .iter()
        .filter_map(|&id| match &rules[id].pattern {
            Pattern::Regex(re) => Some((id, parse_regex(re.as_str()).ok()?)),
            Pattern::Literal(_) => None,
        })
        .collect();
    let affixes_of: FxHashMap<RuleId, (End, Vec<Vec<u8>>)> = parsed
        .iter()
        .filter_map(|(&id, hir)| {
            let found = |end| affixes(hir, end).map(|a| (end, a));
            Some((id, found(End::Start).or_else(|| found(End::End))?))
        })
        .collect();
    let (anchored, ids): (Vec<RuleId>, Vec<RuleId>) =
        ids.into_iter().partition(|id| affixes_of.contains_key(id));
    let gate_of: FxHashMap<RuleId, u8> = ids
        .iter()
        .filter_map(|&id| Some((id, gate(parsed.get(&id)?)?)))
        .collect();
    let (gated, plain): (Vec<RuleId>, Vec<RuleId>) =
        ids.into_iter().partition(|id| gate_of.contains_key(id));
    let mut groups = Vec::new();
    // The sets over `members`, each with the gate its own members make.
    let mut add = |members: Vec<RuleId>, gate: &dyn Fn(&[RuleId]) -> Gate| {
        for (set, ids) in regex_set(rules, members) {
            let gate = gate(&ids);
            groups.push(RegexGroup { set, ids, gate });
        }
    };
    // Those anchored at the start and those anchored at the end apart: a
    // line that begins as one of the first may begin anything else, and
    // the second (`.+ said:?$`) are read through the whole line.
    for end in [End::Start, End::End] {
        let members: Vec<RuleId> = anchored
            .iter()
            .copied()
            .filter(|id| affixes_of[id].0 == end)
            .collect();
        add(members, &|ids| {
            let strings = ids.iter().flat_map(|id| affixes_of[id].1.clone()).collect();
            Gate::Affixes(Affixes::new(strings, end == End::End))
        });
    }
    add(plain, &|_| Gate::Open);
    add(gated, &|ids| {
        let mut bytes: Vec<u8> = ids.iter().map(|id| gate_of[id]).collect();
        bytes.sort_unstable();
        bytes.dedup();
        Gate::Bytes(bytes)
    });
    groups
}

/// An end of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Start,
    End,
}

/// The most affixes [`affixes`] keeps for one pattern, and their length.
const AFFIXES_MAX: usize = 128;
const AFFIX_LEN: usize = 4;

/// What a line's key (the line ASCII-lower-cased) begins with (or ends
/// with, for [`End::End`]) when the pattern `hir` (as [`parse_regex`] reads
/// it) matches it: one of a few short byte strings, none empty. `None`
/// when matches need not reach that end of the line (no `^`, or no `$`) or
/// may begin (end) with almost anything.
///
/// The set's automaton leaves a line that a pattern anchored at its start
/// does not match within a few bytes, but the call itself costs as much as
/// reading a short line; and a pattern anchored only at its end is read
/// through to the end. Most lines begin and end with none of these.
fn affixes(hir: &Hir, end: End) -> Option<Vec<Vec<u8>>> {
    let props = hir.properties();
    let (looks, look) = match end {
        End::Start => (props.look_set_prefix(), regex_syntax::hir::Look::Start),
        End::End => (props.look_set_suffix(), regex_syntax::hir::Look::End),
    };
    if !looks.contains(look) {
        return None;
    }
    let alts = alternatives(hir, end);
    if alts.iter().any(|(bytes, _)| bytes.is_empty()) {
        return None;
    }
    // Built from the end backwards, the end's strings come reversed.
    Some(
        alts.into_iter()
            .map(|(mut bytes, _)| {
                if end == End::End {
                    bytes.reverse();
                }
                bytes
            })
            .collect(),
    )
}

/// The ways matches of `hir` begin (for [`End::End`]: end, bytes in
/// reverse), in key bytes: each with whether it is the whole match (so
/// that the next part of a concatenation extends it). At most
/// [`AFFIXES_MAX`] of at most [`AFFIX_LEN`] bytes.
fn alternatives(hir: &Hir, end: End) -> Vec<(Vec<u8>, bool)> {
    let alts = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![(Vec::new(), true)],
        HirKind::Literal(lit) => {
            let mut bytes = lit.0.to_ascii_lowercase();
            if end == End::End {
                bytes.reverse();
            }
            vec![(bytes, true)]
        }
        HirKind::Class(class) => class_alternatives(class, end),
        HirKind::Repetition(rep) => {
            // Once, whole; more often, only begun; none (when allowed), as
            // if absent.
            let once = rep.max == Some(1);
            let mut alts: Vec<(Vec<u8>, bool)> = alternatives(&rep.sub, end)
                .into_iter()
                .map(|(bytes, exact)| (bytes, exact && once))
                .collect();
            if rep.min == 0 {
                alts.push((Vec::new(), true));
            }
            alts
        }
        HirKind::Capture(cap) => alternatives(&cap.sub, end),
        HirKind::Concat(parts) => {
            let mut acc = vec![(Vec::new(), true)];
            let ordered: Box<dyn Iterator<Item = &Hir>> = match end {
                End::Start => Box::new(parts.iter()),
                End::End => Box::new(parts.iter().rev()),
            };
            for part in ordered {
                if !acc.iter().any(|(_, exact)| *exact) {
                    break;
                }
                let next = alternatives(part, end);
                acc = acc
                    .into_iter()
                    .flat_map(|(bytes, exact)| {
                        if exact {
                            next.iter()
                                .map(|(more, e)| ([bytes.as_slice(), more].concat(), *e))
                                .collect()
                        } else {
                            vec![(bytes, false)]
                        }
                    })
                    .collect();
                acc = bounded(acc);
            }
            acc
        }
        HirKind::Alternation(parts) => parts.iter().flat_map(|p| alternatives(p, end)).collect(),
    };
    bounded(alts)
}

/// [`alternatives`] of a class: each member whole when there are few
/// (ASCII lower-cased, others as UTF-8), otherwise only the byte at `end`.
fn class_alternatives(class: &Class, end: End) -> Vec<(Vec<u8>, bool)> {
    let ranges = class_ranges(class);
    let unicode = matches!(class, Class::Unicode(_));
    // A member's key bytes, in the order they are read from `end`.
    let key = |c: u32| -> Vec<u8> {
        let mut bytes = match char::from_u32(c) {
            Some(ch) if unicode => ch.to_string().into_bytes().to_ascii_lowercase(),
            _ => vec![(c as u8).to_ascii_lowercase()],
        };
        if end == End::End {
            bytes.reverse();
        }
        bytes
    };
    let members: u32 = ranges.iter().map(|(a, b)| b - a + 1).sum();
    if members <= 16 {
        return ranges
            .iter()
            .flat_map(|&(a, b)| (a..=b).map(|c| (key(c), true)))
            .collect();
    }
    let mut edges: Vec<u8> = Vec::new();
    for &(a, b) in &ranges {
        edges.extend((a..=b.min(0x7F)).map(|c| (c as u8).to_ascii_lowercase()));
        if b >= 0x80 {
            match (unicode, end) {
                // A UTF-8 lead byte grows with the character, so a range's
                // members begin with every lead byte between its ends'.
                (true, End::Start) => edges.extend(key(a.max(0x80))[0]..=key(b)[0]),
                // Every non-ASCII character ends with a continuation byte.
                (true, End::End) => edges.extend(0x80..=0xBF),
                (false, _) => edges.extend(a.max(0x80) as u8..=b as u8),
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    edges.into_iter().map(|b| (vec![b], false)).collect()
}

/// `alts` cut to at most [`AFFIX_LEN`] bytes each (a cut one is no longer
/// whole) and, by cutting shorter, to at most [`AFFIXES_MAX`] of them.
fn bounded(mut alts: Vec<(Vec<u8>, bool)>) -> Vec<(Vec<u8>, bool)> {
    for len in (0..=AFFIX_LEN).rev() {
        for (bytes, exact) in &mut alts {
            if bytes.len() > len {
                bytes.truncate(len);
                *exact = false;
            }
        }
        alts.sort_unstable();
        alts.dedup();
        if alts.len() <= AFFIXES_MAX {
            break;
        }
    }
    alts
}

/// Bytes that are rare in running text, rarest first: a regex that needs
/// one of them can be skipped on lines without it. Letters, digits and the
/// space are too common to be worth a look.
const RARE_BYTES: &[u8] = b"|{}[]\\^~`<>@#$%&*=+_;\"!?()/:'-,.";

/// The byte that lets lines skip the pattern `hir` (as [`parse_regex`]
/// reads it), if it has one: a byte of [`RARE_BYTES`] that every match
/// contains (in lower case), for a pattern whose matches may start with
/// more than a few literals. A pattern with a short list of literal
/// prefixes needs no gate: the set's automaton leaves such a line at its
/// first bytes.
fn gate(hir: &Hir) -> Option<u8> {
    let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    if prefixes.is_finite() && prefixes.min_literal_len().is_some_and(|n| n > 0) {
        return None;
    }
    let needed = required_bytes(hir);
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
        HirKind::Class(class) => match small_class(&class_ranges(class)).as_deref() {
            Some(&[one]) if one < 0x80 => bit(one as u8),
            Some(&[a, b]) if a < 0x80 && b < 0x80 && (a as u8).eq_ignore_ascii_case(&(b as u8)) => {
                bit(a as u8)
            }
            _ => 0,
        },
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

/// The ranges of a class, as code points (a Unicode class) or bytes.
fn class_ranges(class: &Class) -> Vec<(u32, u32)> {
    match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    }
}

/// The members of a class of at most two, from its ranges.
fn small_class(ranges: &[(u32, u32)]) -> Option<Vec<u32>> {
    let mut members = Vec::new();
    for &(start, end) in ranges {
        if members.len() + (end - start) as usize >= 2 {
            return None;
        }
        members.extend(start..=end);
    }
    Some(members)
}

/// `RegexSet`s over the given regex rules (each compiles alone: a user's
/// rule was compiled when read, and a test compiles every embedded one):
/// one set when they fit its size limit together, otherwise the rules split
/// in halves until every set fits (a single rule always does).
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

    fn parse(pattern: &str) -> Option<Hir> {
        parse_regex(pattern).ok()
    }

    /// [`super::affixes`] of a pattern as written.
    fn affixes(pattern: &str, end: End) -> Option<Vec<Vec<u8>>> {
        super::affixes(&parse(pattern)?, end)
    }

    /// [`super::gate`] of a pattern as written.
    fn gate(pattern: &str) -> Option<u8> {
        super::gate(&parse(pattern)?)
    }

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
            let hir = parse(p).unwrap();
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
    fn affixes_are_what_every_match_begins_or_ends_with() {
        let show = |p: &str, end: End| {
            affixes(p, end).map(|s| {
                let mut s: Vec<String> = s
                    .iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect();
                s.sort();
                s
            })
        };
        let cases: &[(&str, End, Option<&[&str]>)] = &[
            // Four bytes at most, in lower case, each way a match may begin.
            (r"^(?:Photo (to|over) the)$", End::Start, Some(&["phot"])),
            (
                r"^(?:(image|photo) \d+)$",
                End::Start,
                Some(&["imag", "phot"]),
            ),
            (r"^(?:ab?c)", End::Start, Some(&["abc", "ac"])),
            (r"^(?:a(?-u:\b)x+y)", End::Start, Some(&["ax"])),
            (r"^(?:x{2}y)", End::Start, Some(&["x"])),
            (r"^(?:x*y)", End::Start, Some(&["x", "y"])),
            // Letters with a third case (the Kelvin sign, the long s), and
            // other scripts, as UTF-8.
            (r"^(?:ok)", End::Start, Some(&["ok", "o\u{212a}"])),
            (r"^(?:sa)", End::Start, Some(&["sa", "\u{17f}a"])),
            // (Cut after four bytes, inside a character: shown replaced.)
            (
                r"^(?:©|\u{e9}t\u{e9})",
                End::Start,
                Some(&["©", "\u{c9}t\u{fffd}", "\u{e9}t\u{fffd}"]),
            ),
            // The same at the other end: the last four bytes.
            (r"(?:t\u{e9})$", End::End, Some(&["t\u{c9}", "t\u{e9}"])),
            (
                r".+ (said|wrote):?$",
                End::End,
                Some(&["aid:", "rote", "said", "ote:", "\u{fffd}aid"]),
            ),
            (r"^(?:photo .*)$", End::End, None),
            (r"(?:x (ab|cd)+ y)$", End::End, Some(&["ab y", "cd y"])),
            (r"x\W*$", End::End, None),
            // Not anchored, or open to almost any byte at that end.
            (r"skip to", End::Start, None),
            (r"^skip to", End::End, None),
            (r"^(?:.+ said)$", End::Start, None),
            (r"^(?:x*)", End::Start, None),
            (r"^(?:[^.]{0,60}\|)$", End::Start, None),
        ];
        for &(pattern, end, want) in cases {
            let want = want.map(|w| {
                let mut w: Vec<String> = w.iter().map(|s| s.to_string()).collect();
                w.sort();
                w
            });
            assert_eq!(show(pattern, end), want, "{pattern} {end:?}");
        }
        // Each string is compared whole, at its end of the key.
        type Keys<'a> = &'a [(&'a [u8], bool)];
        let cases: [(bool, Keys<'_>); 2] = [
            (
                false,
                &[
                    (b"abc", true),
                    (b"ab", true),
                    (b"a", false),
                    (b"xa", true),
                    (b"ba", false),
                    (b"", false),
                ],
            ),
            (
                true,
                &[
                    (b"cab", true),
                    (b"ab", true),
                    (b"b", false),
                    (b"abx", true),
                    (b"xabcd", true),
                    (b"abcde", false),
                ],
            ),
        ];
        for (at_end, keys) in cases {
            let affixes = Affixes::new(
                vec![b"ab".to_vec(), b"x".to_vec(), b"abcd".to_vec()],
                at_end,
            );
            for &(key, want) in keys {
                assert_eq!(affixes.admits(key), want, "{key:?} at the end: {at_end}");
            }
        }
        // A large class keeps its members' bytes at that end: the ASCII
        // digits, and the lead bytes of the others or any continuation byte.
        let digits = affixes(r"^\d+ comments?$", End::Start).unwrap();
        assert!((b'0'..=b'9').all(|d| digits.contains(&vec![d])));
        assert!(digits.contains(&"\u{664}".as_bytes()[..1].to_vec()));
        assert!(!digits.iter().any(|s| s[0].is_ascii_alphabetic()));
        let digits = affixes(r"x \d+$", End::End).unwrap();
        assert!(digits.contains(&vec![b'7']) && digits.contains(&vec![0xA4]));
        assert!(!digits.iter().any(|s| s[0].is_ascii_alphabetic()));
    }

    #[test]
    fn affix_gates_admit_every_line_a_member_matches() {
        // The default regexes and a few more, on lines built from pieces
        // that begin and end their matches in every case and script.
        let mut patterns: Vec<String> = crate::RuleSet::defaults()
            .rules()
            .iter()
            .filter_map(|r| match &r.pattern {
                Pattern::Regex(re) => Some(re.as_str().to_string()),
                Pattern::Literal(_) => None,
            })
            .collect();
        patterns.extend(
            [
                r"^(?:ok|(?-i:Yes)|s[^a])",
                r"^(?:\w\d)",
                r"^(?:(?-u:\xFF)x)",
                r"(?:ok|(?-i:Yes)|s[^a])$",
                r"(?:\d\w)$",
                r"x(?-u:\xFF)$",
                r"(?:o\u{e9})$",
                // Too many ways to begin: cut short, and not extended.
                r"^(?:(ab|cd|ef|gh|ij|lm|no|pq|rt|uv|wy|zz)(ab|cd|ef|gh|ij|lm|no|pq|rt|uv|wy|zz)x)",
            ]
            .map(String::from),
        );
        const PIECES: &[&str] = &[
            "",
            "Photo: ",
            "PHOTO",
            "12",
            "\u{664}",
            " comments",
            "Comments (3)",
            "Share ",
            "share 4",
            "Skip to content",
            "ok",
            "O\u{212a}",
            "\u{17f}x",
            "Yes",
            "yes",
            "string(5) \"[",
            "[{\"a_b\":",
            "xxxxxxxxxxxxxxxxxxxxxx",
            "\u{a9} 2024",
            "Copyright 2024",
            "Log in or register",
            "\u{ff}x",
            "You may also like",
            "\u{e9}",
            " ",
            ".",
            "|",
            "John 2019 said:",
            " wrote",
            "x\u{ff}",
            "O\u{c9}",
            "o\u{e9}",
            "abcdx",
            "zzzz",
        ];
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        let lines: Vec<String> = (0..20_000).map(|_| rng.line(PIECES, 5)).collect();
        let mut anchored = [0, 0];
        let mut matched = 0;
        for pattern in &patterns {
            for (k, end) in [End::Start, End::End].into_iter().enumerate() {
                let Some(strings) = affixes(pattern, end) else {
                    continue;
                };
                anchored[k] += 1;
                let re = regex::bytes::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .unwrap();
                let gate = Gate::Affixes(Affixes::new(strings, end == End::End));
                let group = RegexGroup {
                    set: RegexSet::new([pattern]).unwrap(),
                    ids: vec![0],
                    gate,
                };
                for line in &lines {
                    if re.is_match(line.as_bytes()) {
                        matched += 1;
                        let key = line.as_bytes().to_ascii_lowercase();
                        assert!(group.admits(&key), "{pattern} {end:?} {line:?}");
                    }
                }
            }
        }
        assert!(
            anchored[0] >= 15 && anchored[1] >= 10 && matched > 5_000,
            "{anchored:?} {matched}"
        );
    }

    #[test]
    fn a_matcher_built_in_a_pool_is_the_one_built_alone() {
        // In a pool the parts compile on two threads, alone in turn: they
        // come out the same. (Which part goes where, the matching tests
        // check.)
        let parts = |m: &Matcher| {
            [
                format!("{:?}", m.guarded),
                format!("{:?}", m.inline),
                format!("{:?}", m.line_regexes),
                format!("{:?}", m.guarded_regexes),
                format!("{:?}", m.phrase_regexes),
            ]
        };
        // The defaults, and a phrase and a phrase regex, so that no part is empty.
        let rules = || {
            let mut set = RuleSet::defaults();
            set.add_source(
                "t.rules",
                "[phrase]\nRead more\n[regex:phrase]\nstring\\(\\d+\\)\n",
            )
            .unwrap();
            set
        };
        let alone = parts(&Matcher::new(rules()).unwrap());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let in_pool = pool.install(|| Matcher::new(rules()).unwrap());
        assert_eq!(parts(&in_pool), alone);
        assert!(alone.iter().all(|part| part.len() > 10), "{alone:?}");
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
        // Both whole-line regexes are anchored, with few ways to begin
        // (the second) or to end (the first), each in a set of its own;
        // the phrase regex needs a `|`.
        let gates: Vec<&Gate> = m.line_regexes.iter().map(|g| &g.gate).collect();
        assert!(
            matches!(gates[..], [Gate::Affixes(starts), Gate::Affixes(ends)]
                if starts.admits(b"7 comments") && !starts.admits(b"comments")
                    && !starts.admits(b"a | getty images")
                    && ends.admits(b"a | getty images") && !ends.admits(b"images.")
                    && !ends.admits(b"7 comments")),
            "{gates:?}"
        );
        let gates: Vec<&Gate> = m.phrase_regexes.iter().map(|g| &g.gate).collect();
        assert_eq!(gates, [&Gate::Bytes(vec![b'|'])]);
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
