//! Turning a corpus into candidate rules (`dechrome learn`).
//!
//! Chrome repeats: the same footer, share prompt or cookie notice is printed
//! on page after page. A [`Learner`] counts, for every line of every document
//! it is given, in how many documents the line occurs (its document
//! frequency), overall and per URL host. [`Learner::write_rules`] then writes
//! the lines that recur in many documents as a rules file of *candidates*,
//! each under a comment giving its counts and an example document.
//!
//! It proposes; a person decides. A line that recurs is often chrome, but not
//! always: a dateline, a common heading or a sign-off recurs too. Review the
//! file and move the rules that really name chrome into a rules file.
//!
//! ```
//! use dechrome::learn::{LearnOptions, Learner};
//!
//! let options = LearnOptions { min_docs: 2, ..LearnOptions::default() };
//! let mut learner = Learner::new(options);
//! learner.add(b"Share this article\nRain in Spain.\nCopyright 2019 Example\n", None, "a.txt");
//! learner.add(b"Share this article\nSun in Rome.\nCopyright 2020 Example\n", None, "b.txt");
//!
//! let mut out = Vec::new();
//! learner.write_rules(&mut out).unwrap();
//! let rules = String::from_utf8(out).unwrap();
//! assert!(rules.contains("[line]\n# 2 documents, e.g. a.txt\nShare this article\n"));
//! assert!(rules.contains("[regex:line]\n# 2 documents, e.g. a.txt\n"));
//! assert!(rules.contains("\nCopyright \\d+ Example\n"));
//! assert!(!rules.contains("Rain in Spain"));
//!
//! // The candidates are a rules file.
//! dechrome::RuleSet::new().add_source("candidates.rules", &rules).unwrap();
//! ```
//!
//! # How lines are compared
//!
//! Lines are compared by a *key* folded the way CCNet folds lines for
//! deduplication: lower-cased (Unicode), every decimal digit turned into `0`,
//! punctuation and symbols removed (every character that is not a letter, a
//! mark, a number or white space), runs of white space folded to one space,
//! trimmed. So `Copyright © 2019 Example Media.` and `COPYRIGHT 2021 EXAMPLE
//! MEDIA` are one line, `copyright 0000 example media`, while `Page 1` and
//! `Page 12` are two (one `0` per digit), and `1998–2021` folds to `00000000`
//! (punctuation goes without leaving a space). A line counts at most once per
//! document. Blank lines, lines of punctuation only, lines of more than
//! [`LearnOptions::max_words`] words or more than 2048 bytes, and lines that
//! are not valid UTF-8 (no rule could name them) are not counted.
//!
//! # What is proposed
//!
//! A line is proposed for every document when it occurs in at least
//! [`LearnOptions::min_docs`] documents and, if any document had a URL, on at
//! least [`LearnOptions::min_hosts`] hosts. A line that is not, but occurs in
//! at least [`LearnOptions::host_min_docs`] documents of one host, is
//! proposed for that host (`[line host=HOST]`).
//!
//! The rule is the line in dechrome's matching form (see [`crate::normalize`])
//! under `[line]` when every occurrence had that form, up to ASCII case.
//! Otherwise it is a `[regex:line]` rule made from the most frequent form (a
//! majority vote over documents, in which forms that differ only in digits and
//! case count as one; when no form is in most documents, the winner is one of
//! the frequent ones): when the occurrences differ only in digits and letter
//! case, that form with each run of digits as `\d+` (`Copyright \d+ Example
//! Media\.`); when their punctuation differs too, its words joined by
//! `[\W\p{Pc}]+`, a run of anything but word characters, the underscore
//! and other connector punctuation counted in, as the key counts them
//! (`[\W\p{Pc}]*` where the form has punctuation inside a word), with
//! `[\W\p{Pc}]*` at both ends
//! (`[\W\p{Pc}]*Share[\W\p{Pc}]+this[\W\p{Pc}]+article[\W\p{Pc}]*`).
//! (The key's exact complement, `[^\pL\pM\pN]`, made rules twice as slow
//! to match; the two differ only on letters such as `Ⓐ`, symbols that
//! `\w` counts as alphabetic.) That loose form misses a variant whose
//! punctuation sits inside a word where the most frequent form has none
//! (`e-mail` for `email`).
//!
//! Candidates are sorted by document count, then by rule text; the output
//! depends only on the documents and the order they were added in. Lines
//! counted apart can end up with the same regex (`1` and `12`, both
//! `[\W\p{Pc}]*\d+[\W\p{Pc}]*`), or with regexes that differ only in letter case, which match
//! alike (`Page \d+` and `PAGE \d+`): the rule is written once, in the form of the most
//! frequent line, with the others' counts in its comment.
//!
//! # Resource usage
//!
//! Every distinct key is held in a hash map with its counts and its most
//! frequent form (chosen by a majority vote, so held once), and every (host,
//! key) pair seen in a map of its own: about 270 bytes per distinct line of a
//! few words. Measured on 190,000 JSONL documents with URLs, 3.8 million
//! distinct lines of 3 to 10 words: 1.05 GB peak resident memory for the whole
//! `dechrome learn` process, 16 s on two cores (the learner itself runs on one
//! thread, the reading on the others), before `learn` applied the rules to
//! what it reads: that costs about 10-15% more CPU and 20 MB more memory (a
//! 40 MB shard of the development set's pages, side by side). To bound memory, once more than 4
//! million distinct lines are held, the lines seen in the fewest documents so
//! far (one, then two, ... but never as many as a threshold) are forgotten,
//! until at most half remain; a forgotten line that recurs later starts
//! counting again. Counts are then lower bounds, and a line spread thinly over
//! a very large corpus can be missed; the output's header says how many lines
//! were forgotten.

use std::borrow::Cow;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::sync::OnceLock;

use regex::Regex;

use crate::format::url_host;
use crate::normalize::{normalize, word_count};

/// Longer lines (in matching form) are not counted: they bound the memory a
/// key takes and the size of the regex a candidate can become.
const MAX_LINE_BYTES: usize = 2048;

/// What the first line of a file of candidate rules begins with, after
/// `# `.
pub const TITLE: &str = "Candidate rules from `dechrome learn`";

/// Distinct lines held before the rarest are forgotten (see the module docs).
const MAX_KEYS: usize = 4_000_000;

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
    /// The rules files whose removals the documents were read without
    /// (named in the output's header); empty when none were applied.
    pub rules: Vec<String>,
}

impl Default for LearnOptions {
    fn default() -> LearnOptions {
        LearnOptions {
            min_docs: 20,
            min_hosts: 3,
            host_min_docs: 5,
            max_words: 12,
            rules: Vec::new(),
        }
    }
}

/// What is known about one distinct line (one key).
#[derive(Debug)]
struct Line {
    /// The most frequent matching form so far: a Boyer-Moore majority vote
    /// over documents, where forms of the same shape (see [`same_shape`])
    /// count as one.
    form: Box<str>,
    /// The vote's counter for `form`.
    votes: u32,
    /// Documents the line occurs in.
    docs: u32,
    /// Hosts the line occurs on.
    hosts: u32,
    /// Stamp of the last document counted, so that a line counts once per document.
    last_doc: u32,
    /// The first document it was seen in (index into `Learner::labels`).
    example: u32,
    /// Every occurrence had `form`, ignoring ASCII case.
    one_form: bool,
    /// Every occurrence had `form`'s shape (see [`same_shape`]).
    one_shape: bool,
}

/// A line on one host.
#[derive(Clone, Copy, Debug)]
struct HostLine {
    docs: u32,
    /// The first document of that host it was seen in.
    example: u32,
}

/// Counts lines across documents and proposes the recurring ones as rules.
///
/// Feed it documents with [`Learner::add`], then write the candidates with
/// [`Learner::write_rules`]. See the [module docs](self) for what is counted
/// and proposed, and for memory use.
pub struct Learner {
    options: LearnOptions,
    /// Key to index in `lines`.
    index: HashMap<Box<str>, u32>,
    lines: Vec<Line>,
    /// (host, line) to its count on that host.
    host_lines: HashMap<(u32, u32), HostLine>,
    hosts: Vec<Box<str>>,
    host_index: HashMap<Box<str>, u32>,
    /// Names of the documents some line or host line cites as its example.
    labels: Vec<Box<str>>,
    documents: u64,
    documents_with_host: u64,
    /// Distinct lines held before the rarest are forgotten.
    max_keys: usize,
    /// Held lines that trigger the next forgetting.
    forget_at: usize,
    forgotten: u64,
    // Scratch buffers, kept to avoid an allocation per line.
    form: Vec<u8>,
    key: String,
}

impl fmt::Debug for Learner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Learner")
            .field("options", &self.options)
            .field("documents", &self.documents)
            .field("documents_with_host", &self.documents_with_host)
            .field("lines", &self.lines.len())
            .field("hosts", &self.hosts.len())
            .field("forgotten", &self.forgotten)
            .finish_non_exhaustive()
    }
}

impl Default for Learner {
    fn default() -> Learner {
        Learner::new(LearnOptions::default())
    }
}

impl Learner {
    /// A learner with `options`.
    pub fn new(options: LearnOptions) -> Learner {
        Learner {
            options,
            index: HashMap::new(),
            lines: Vec::new(),
            host_lines: HashMap::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
            labels: Vec::new(),
            documents: 0,
            documents_with_host: 0,
            max_keys: MAX_KEYS,
            forget_at: MAX_KEYS,
            forgotten: 0,
            form: Vec::new(),
            key: String::new(),
        }
    }

    /// Counts one document; `url` is its page URL if known, `example` how to name it.
    ///
    /// The output depends on the order documents are added in (which document
    /// is the example, which form wins a tie), so add them in a fixed order.
    pub fn add(&mut self, text: &[u8], url: Option<&str>, example: &str) {
        self.documents += 1;
        // A stamp compared for equality only; wrapping after 4 billion documents is harmless.
        let doc = self.documents as u32;
        let host = url.and_then(url_host).map(|h| self.host_id(h));
        if host.is_some() {
            self.documents_with_host += 1;
        }
        let mut label = None;
        let mut form = std::mem::take(&mut self.form);
        let mut key = std::mem::take(&mut self.key);
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if std::str::from_utf8(line).is_err() {
                continue;
            }
            normalize(line, &mut form);
            if form.is_empty()
                || form.len() > MAX_LINE_BYTES
                || word_count(&form) > self.options.max_words
            {
                continue;
            }
            let text = std::str::from_utf8(&form).expect("normalising UTF-8 keeps it UTF-8");
            line_key(text, &mut key);
            if !key.is_empty() {
                self.count(doc, host, text, &key, example, &mut label);
            }
        }
        self.form = form;
        self.key = key;
        if self.index.len() > self.forget_at {
            self.forget();
        }
    }

    /// Counts one occurrence of the line `form` (key `key`) in document `doc`.
    fn count(
        &mut self,
        doc: u32,
        host: Option<u32>,
        form: &str,
        key: &str,
        example: &str,
        label: &mut Option<u32>,
    ) {
        let id = match self.index.get(key) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.lines.len()).expect("fewer than 2^32 distinct lines");
                let example = label_id(&mut self.labels, label, example);
                self.lines.push(Line {
                    form: form.into(),
                    votes: 0,
                    docs: 0,
                    hosts: 0,
                    last_doc: doc.wrapping_sub(1),
                    example,
                    one_form: true,
                    one_shape: true,
                });
                self.index.insert(key.into(), id);
                id
            }
        };
        let line = &mut self.lines[id as usize];
        let same_form = line.form.eq_ignore_ascii_case(form);
        let same = same_form || same_shape(&line.form, form);
        line.one_form &= same_form;
        line.one_shape &= same;
        if line.last_doc == doc {
            return;
        }
        line.last_doc = doc;
        line.docs = line.docs.saturating_add(1);
        if same {
            line.votes += 1;
        } else if line.votes == 0 {
            line.form = form.into();
            line.votes = 1;
        } else {
            line.votes -= 1;
        }
        if let Some(host) = host {
            match self.host_lines.entry((host, id)) {
                MapEntry::Occupied(mut seen) => {
                    let seen = seen.get_mut();
                    seen.docs = seen.docs.saturating_add(1);
                }
                MapEntry::Vacant(new) => {
                    line.hosts += 1;
                    new.insert(HostLine {
                        docs: 1,
                        example: label_id(&mut self.labels, label, example),
                    });
                }
            }
        }
    }

    fn host_id(&mut self, host: String) -> u32 {
        if let Some(&id) = self.host_index.get(host.as_str()) {
            return id;
        }
        let id = u32::try_from(self.hosts.len()).expect("fewer than 2^32 hosts");
        let host: Box<str> = host.into();
        self.hosts.push(host.clone());
        self.host_index.insert(host, id);
        id
    }

    /// Forgets the lines seen in the fewest documents so far, until at most
    /// half of `max_keys` remain, but never a line seen in as many documents
    /// as a threshold asks for.
    fn forget(&mut self) {
        let keep_from = self.options.min_docs.min(self.options.host_min_docs);
        // Forget lines seen in at most `floor` documents; `floor < keep_from`.
        let cap = keep_from.saturating_sub(1);
        let mut by_docs = vec![0usize; cap + 1];
        for line in &self.lines {
            if let Some(n) = by_docs.get_mut(line.docs as usize) {
                *n += 1;
            }
        }
        let mut floor = 0;
        let mut left = self.lines.len();
        while floor < cap && left > self.max_keys / 2 {
            floor += 1;
            left -= by_docs[floor];
        }
        if floor > 0 {
            let kept = |docs: u32| docs as usize > floor;
            let mut new_id = vec![u32::MAX; self.lines.len()];
            let mut next = 0;
            for (id, line) in self.lines.iter().enumerate() {
                if kept(line.docs) {
                    new_id[id] = next;
                    next += 1;
                }
            }
            self.forgotten += (self.lines.len() - next as usize) as u64;
            self.lines.retain(|line| kept(line.docs));
            self.index.retain(|_, id| {
                *id = new_id[*id as usize];
                *id != u32::MAX
            });
            self.host_lines = std::mem::take(&mut self.host_lines)
                .into_iter()
                .filter_map(|((host, id), seen)| {
                    let id = new_id[id as usize];
                    (id != u32::MAX).then_some(((host, id), seen))
                })
                .collect();
            self.forget_labels();
        }
        // Never again right away: forgetting is a pass over everything held.
        self.forget_at = self.max_keys.max(2 * self.lines.len());
    }

    /// Drops the labels no line or host line cites any more.
    fn forget_labels(&mut self) {
        let mut cited = vec![false; self.labels.len()];
        for line in &self.lines {
            cited[line.example as usize] = true;
        }
        for seen in self.host_lines.values() {
            cited[seen.example as usize] = true;
        }
        let mut new_id = Vec::with_capacity(cited.len());
        let mut next = 0;
        for &cited in &cited {
            new_id.push(next);
            next += u32::from(cited);
        }
        let mut old = cited.iter();
        self.labels
            .retain(|_| *old.next().expect("one flag per label"));
        for line in &mut self.lines {
            line.example = new_id[line.example as usize];
        }
        for seen in self.host_lines.values_mut() {
            seen.example = new_id[seen.example as usize];
        }
    }

    /// True when `line` is proposed for every document.
    fn proposed(&self, line: &Line) -> bool {
        line.docs as usize >= self.options.min_docs
            && (self.documents_with_host == 0 || line.hosts as usize >= self.options.min_hosts)
    }

    /// Writes the candidate rules file.
    ///
    /// The file starts with a header comment (the thresholds, the documents
    /// read, a reminder to review), then the candidates for every document,
    /// then those for single hosts, each rule under a comment with its
    /// document and host counts and an example document.
    pub fn write_rules(&self, out: &mut dyn Write) -> io::Result<()> {
        let o = &self.options;
        let with_hosts = self.documents_with_host > 0;
        writeln!(out, "# {TITLE}: lines that recur across documents.")?;
        writeln!(
            out,
            "# A recurring line is often chrome, but not always (a dateline, a heading, a sign-off)."
        )?;
        writeln!(
            out,
            "# Review every rule: move the ones that name chrome into a rules file, drop the rest."
        )?;
        writeln!(out, "#")?;
        if with_hosts {
            let hosts = self.hosts.len() as u32;
            writeln!(
                out,
                "# Documents read: {} ({} with a URL, on {} host{}).",
                self.documents,
                self.documents_with_host,
                hosts,
                plural(hosts)
            )?;
        } else {
            writeln!(
                out,
                "# Documents read: {} (none with a URL).",
                self.documents
            )?;
        }
        writeln!(
            out,
            "# Thresholds: --min-docs {} --min-hosts {} --host-min-docs {} --max-words {}{}.",
            o.min_docs,
            o.min_hosts,
            o.host_min_docs,
            o.max_words,
            if with_hosts {
                ""
            } else {
                " (no URLs: hosts not counted)"
            }
        )?;
        writeln!(
            out,
            "# Lines are compared with case, digits, punctuation and spaces folded; a count is of documents."
        )?;
        if o.rules.is_empty() {
            writeln!(out, "# No rules applied: every line was counted.")?;
        } else {
            writeln!(
                out,
                "# Not counted: what these rules remove: {}.",
                o.rules.join(", ")
            )?;
        }
        if self.forgotten > 0 {
            writeln!(
                out,
                "# To bound memory, {} lines seen in few documents were forgotten on the way: counts are lower bounds.",
                self.forgotten
            )?;
        }

        let mut everywhere = Vec::new();
        for line in &self.lines {
            if self.proposed(line) {
                everywhere.push(self.candidate(line, line.docs, line.example, None));
            }
        }
        let mut by_host: BTreeMap<&str, Vec<Candidate>> = BTreeMap::new();
        let mut unnamed_hosts = 0u32;
        for (&(host, id), seen) in &self.host_lines {
            let line = &self.lines[id as usize];
            if (seen.docs as usize) < o.host_min_docs || self.proposed(line) {
                continue;
            }
            let host = &*self.hosts[host as usize];
            if !host_fits_header(host) {
                unnamed_hosts += 1;
                continue;
            }
            let total = (line.docs != seen.docs || line.hosts > 1).then_some(line);
            by_host.entry(host).or_default().push(self.candidate(
                line,
                seen.docs,
                seen.example,
                total,
            ));
        }
        if unnamed_hosts > 0 {
            writeln!(
                out,
                "# {unnamed_hosts} host candidate{} left out: their host cannot be written in a section header.",
                plural(unnamed_hosts)
            )?;
        }

        writeln!(out)?;
        if everywhere.is_empty() {
            writeln!(out, "# No line reached the thresholds for every document.")?;
        }
        write_sections(out, "", everywhere, with_hosts)?;
        for (host, candidates) in by_host {
            write_sections(out, &format!(" host={host}"), candidates, false)?;
        }
        Ok(())
    }

    fn candidate<'a>(
        &'a self,
        line: &'a Line,
        docs: u32,
        example: u32,
        total: Option<&Line>,
    ) -> Candidate<'a> {
        let (regex, rule) = rule_for(line);
        let mut note = format!("# {} document{}", docs, plural(docs));
        if let Some(total) = total {
            note += &format!(
                " ({} in all, on {} host{})",
                total.docs,
                total.hosts,
                plural(total.hosts)
            );
        }
        Candidate {
            docs,
            regex,
            rule,
            note,
            hosts: line.hosts,
            example: &self.labels[example as usize],
            form: &line.form,
        }
    }
}

/// Index in `labels` of the current document's name, pushed on first use.
fn label_id(labels: &mut Vec<Box<str>>, label: &mut Option<u32>, example: &str) -> u32 {
    *label.get_or_insert_with(|| {
        labels.push(example.into());
        u32::try_from(labels.len() - 1).expect("fewer than 2^32 example documents")
    })
}

/// One proposed rule.
struct Candidate<'a> {
    docs: u32,
    hosts: u32,
    regex: bool,
    rule: String,
    /// The comment's start: `# N documents`, and totals for a host candidate.
    note: String,
    example: &'a str,
    form: &'a str,
}

/// Writes `candidates` under `[line OPTIONS]` and `[regex:line OPTIONS]`,
/// most frequent first.
///
/// Lines counted apart can get the same regex (`1` and `12` are two keys,
/// both `[\W\p{Pc}]*\d+[\W\p{Pc}]*`): the rule is written once, under the most frequent, and
/// its comment lists the document counts of the others.
fn write_sections(
    out: &mut dyn Write,
    options: &str,
    mut candidates: Vec<Candidate>,
    with_hosts: bool,
) -> io::Result<()> {
    candidates.sort_by(|a, b| {
        (b.docs.cmp(&a.docs))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.form.cmp(b.form))
    });
    // Rule (as it matches) to the document counts of the lines it also
    // stands for.
    let mut also: HashMap<(bool, Cow<'_, str>), Vec<u32>> = HashMap::new();
    let mut unique = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let key = matching(c);
        match also.entry(key.clone()) {
            MapEntry::Occupied(mut seen) => seen.get_mut().push(c.docs),
            MapEntry::Vacant(new) => {
                new.insert(Vec::new());
                unique.push((c, key));
            }
        }
    }
    for (regex, section) in [(false, "line"), (true, "regex:line")] {
        let mut header = false;
        for (c, key) in unique.iter().filter(|(c, _)| c.regex == regex) {
            if !header {
                writeln!(out, "[{section}{options}]")?;
                header = true;
            }
            write!(out, "{}", c.note)?;
            if with_hosts {
                write!(out, ", {} host{}", c.hosts, plural(c.hosts))?;
            }
            writeln!(out, ", e.g. {}", one_line(c.example))?;
            if regex {
                writeln!(out, "#   as in: {}", one_line(c.form))?;
            }
            let others = &also[key];
            if !others.is_empty() {
                const SHOWN: usize = 5;
                let mut counts: Vec<String> =
                    others.iter().take(SHOWN).map(u32::to_string).collect();
                if others.len() > SHOWN {
                    counts.push("...".into());
                }
                writeln!(
                    out,
                    "#   and for {} more line{} counted apart, in {} documents",
                    others.len(),
                    if others.len() == 1 { "" } else { "s" },
                    counts.join(", ")
                )?;
            }
            writeln!(out, "{}", c.rule)?;
        }
        if header {
            writeln!(out)?;
        }
    }
    Ok(())
}

/// What `c`'s rule matches, as a key: a regex matches without regard to
/// letter case, so two regexes that differ only in case (`Page \d+` and
/// `PAGE \d+`, from lines whose most frequent forms differ in case) are one
/// rule. Letters are folded one for one, as the regex crate folds them
/// (see [`fold`]); an escape such as `\W` folds alike in both.
fn matching<'c>(c: &'c Candidate) -> (bool, Cow<'c, str>) {
    let rule = if c.regex && c.rule.chars().any(|ch| fold(ch) != ch) {
        Cow::Owned(c.rule.chars().map(fold).collect())
    } else {
        Cow::Borrowed(c.rule.as_str())
    };
    (c.regex, rule)
}

/// `ch` case-folded as the regex crate folds it for case-insensitive
/// matching (Unicode's simple case folding, by regex-syntax's own tables):
/// the smallest character of its fold class, so that `µ` and `μ`, or `ς`
/// and `σ`, fold together while `ı` and `i`, which the regex crate keeps
/// apart, do not.
fn fold(ch: char) -> char {
    use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
    if ch.is_ascii() {
        // (The smallest of `k`, `K` and the Kelvin sign is `K`.)
        return ch.to_ascii_uppercase();
    }
    let mut class = ClassUnicode::new([ClassUnicodeRange::new(ch, ch)]);
    class.case_fold_simple();
    class.iter().map(|r| r.start()).min().unwrap_or(ch)
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `text` with control characters escaped, safe inside a comment line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// True when `host` can be written as `host=HOST` in a section header: a
/// host name the parser takes ([`crate::rules::check_host_name`]) of
/// letters, digits, dots, hyphens and underscores.
fn host_fits_header(host: &str) -> bool {
    crate::rules::check_host_name(host).is_ok()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// The rule for `line`: `(is a regex, rule text)`.
fn rule_for(line: &Line) -> (bool, String) {
    // The rules parser trims white space (in the Unicode sense, which is
    // wider than normalisation's) and a BOM from every line.
    let form = &*line.form;
    let survives_trim = form.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}') == form;
    if line.one_form && survives_trim {
        (false, literal_rule(form))
    } else if line.one_shape && survives_trim {
        (true, digits_regex(form))
    } else {
        (true, loose_regex(form))
    }
}

/// `form` as a phrase in a literal section: one starting with `#`, `[` or `\`
/// is escaped with a `\`.
fn literal_rule(form: &str) -> String {
    if form.starts_with(['#', '[', '\\']) {
        format!("\\{form}")
    } else {
        form.to_string()
    }
}

/// A regex matching `form` with any digits where it has digits.
fn digits_regex(form: &str) -> String {
    let mut re = String::new();
    for (run, text) in runs(form) {
        match run {
            Run::Digits => re.push_str(r"\d+"),
            _ => re.push_str(&regex::escape(text)),
        }
    }
    re
}

/// A regex matching `form`'s letters and digits, with any punctuation around
/// and between its words (see the module docs).
fn loose_regex(form: &str) -> String {
    // What [`runs`] does not count as a word: not a word character, or
    // connector punctuation (`_`), which `\w` would count.
    const GAP: &str = r"[\W\p{Pc}]";
    let mut re = String::from(GAP);
    re.push('*');
    // Since the last word: `None`, nothing; `Some(true)`, white space.
    let mut gap = None;
    let mut started = false;
    for (run, text) in runs(form) {
        match run {
            Run::Space if started => gap = Some(true),
            Run::Punct if started => {
                gap.get_or_insert(false);
            }
            Run::Space | Run::Punct => {}
            Run::Word | Run::Digits => {
                match gap.take() {
                    Some(true) => re.extend([GAP, "+"]),
                    Some(false) => re.extend([GAP, "*"]),
                    None => {}
                }
                started = true;
                if run == Run::Digits {
                    re.push_str(r"\d+");
                } else {
                    re.push_str(&regex::escape(text));
                }
            }
        }
    }
    re.extend([GAP, "*"]);
    re
}

/// What a run of characters of a line is, for the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// Letters, marks and numbers other than decimal digits.
    Word,
    /// Decimal digits (any script).
    Digits,
    /// White space.
    Space,
    /// Anything else: punctuation, symbols, control and format characters.
    Punct,
}

/// Splits `line` into maximal runs of one kind.
fn runs(line: &str) -> impl Iterator<Item = (Run, &str)> {
    static SEPARATORS: OnceLock<Regex> = OnceLock::new();
    let separators =
        SEPARATORS.get_or_init(|| Regex::new(r"\s+|\p{Nd}+|[^\s\pL\pM\pN]+").expect("valid regex"));
    let mut matches = separators.find_iter(line).peekable();
    let mut at = 0;
    std::iter::from_fn(move || {
        if at == line.len() {
            return None;
        }
        match matches.peek() {
            Some(m) if m.start() == at => {
                let m = matches.next().expect("peeked");
                at = m.end();
                let first = m.as_str().chars().next().expect("non-empty match");
                let run = if first.is_whitespace() {
                    Run::Space
                } else if first.is_numeric() {
                    Run::Digits
                } else {
                    Run::Punct
                };
                Some((run, m.as_str()))
            }
            next => {
                let end = next.map_or(line.len(), |m| m.start());
                let word = &line[at..end];
                at = end;
                Some((Run::Word, word))
            }
        }
    })
}

/// Writes the CCNet-style key of `line` into `key` (cleared first): lower
/// case, digits as `0`, no punctuation or symbols, white space folded.
fn line_key(line: &str, key: &mut String) {
    key.clear();
    if line.is_ascii() {
        // The common case, without the regex.
        let mut space = false;
        for b in line.bytes() {
            if b.is_ascii_alphanumeric() {
                if space {
                    key.push(' ');
                    space = false;
                }
                key.push(if b.is_ascii_digit() {
                    '0'
                } else {
                    b.to_ascii_lowercase() as char
                });
            } else if b.is_ascii_whitespace() || b == 0x0b {
                space = !key.is_empty();
            }
        }
        return;
    }
    let mut space = false;
    for (run, text) in runs(line) {
        match run {
            Run::Space => space = !key.is_empty(),
            Run::Punct => {}
            Run::Word | Run::Digits => {
                if space {
                    key.push(' ');
                    space = false;
                }
                if run == Run::Digits {
                    key.extend(text.chars().map(|_| '0'));
                } else {
                    key.extend(text.chars().flat_map(char::to_lowercase));
                }
            }
        }
    }
}

/// True when `a` and `b` have the same shape: they are equal once lower-cased
/// and with every run of digits taken as one digit, so they differ only in
/// digits and letter case (`Copyright 2019 Example.`, `COPYRIGHT 7 EXAMPLE.`).
fn same_shape(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (runs(a), runs(b));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some((Run::Digits, _)), Some((Run::Digits, _))) => {}
            (Some((kind_a, text_a)), Some((kind_b, text_b))) if kind_a == kind_b => {
                if !text_a
                    .chars()
                    .flat_map(char::to_lowercase)
                    .eq(text_b.chars().flat_map(char::to_lowercase))
                {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cleaner, RuleSet};

    fn key(line: &str) -> String {
        let mut out = String::new();
        line_key(line, &mut out);
        out
    }

    /// The slow path of `line_key`, for comparing with the ASCII one.
    fn key_by_runs(line: &str) -> String {
        // A non-ASCII character that is removed, to force the general path.
        key(&format!("{line}\u{2022}"))
    }

    /// `n` in letters (`12` gives `bc`): unique lines whose keys do not fold together.
    fn tag(n: usize) -> String {
        n.to_string()
            .bytes()
            .map(|d| (b'a' + d - b'0') as char)
            .collect()
    }

    fn options(min_docs: usize, min_hosts: usize, host_min_docs: usize) -> LearnOptions {
        LearnOptions {
            min_docs,
            min_hosts,
            host_min_docs,
            max_words: 12,
            rules: Vec::new(),
        }
    }

    fn rules_of(learner: &Learner) -> String {
        let mut out = Vec::new();
        learner.write_rules(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The rule lines (not comments, headers or blanks) of a rules file.
    fn rule_lines(rules: &str) -> Vec<&str> {
        rules
            .lines()
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with('#')
                    && !l.starts_with("[line")
                    && !l.starts_with("[regex:line")
            })
            .collect()
    }

    /// A cleaner with only `rules` (no default rules).
    fn cleaner(rules: &str) -> Cleaner {
        let mut set = RuleSet::new();
        set.add_source("candidates.rules", rules)
            .unwrap_or_else(|e| panic!("{e}\n{rules}"));
        Cleaner::new(set).unwrap()
    }

    /// What `rules` leave of `doc` (for a document on `host`).
    fn cleaned(rules: &str, doc: &str, host: Option<&str>) -> String {
        let cleaning = cleaner(rules).clean_for(doc.as_bytes(), host);
        String::from_utf8(cleaning.apply(doc.as_bytes())).unwrap()
    }

    #[test]
    fn keys_fold_case_digits_punctuation_and_space() {
        let cases = [
            ("Share this article", "share this article"),
            ("SHARE  this\tARTICLE ", "share this article"),
            (
                "Copyright © 2019 Example Media.",
                "copyright 0000 example media",
            ),
            (
                "© 1998–2021 Example, Inc. All rights reserved.",
                "00000000 example inc all rights reserved",
            ),
            ("Don’t miss: “The News”!", "dont miss the news"),
            ("Home | News | Sport", "home news sport"),
            ("a - b", "a b"),
            ("e-mail", "email"),
            ("Page ٣ of ١٠", "page 0 of 00"),
            ("ÉCOLE Straße ΣΟΦΙΑ", "école straße σοφια"),
            ("»\u{a0}Read\u{a0}more\u{200b} «", "read more"),
            ("read_more", "readmore"),
            ("½ price", "½ price"),
            ("--- *** ---", ""),
            ("   ", ""),
            ("", ""),
        ];
        for (line, want) in cases {
            assert_eq!(key(line), want, "{line:?}");
        }
    }

    #[test]
    fn the_ascii_key_is_the_general_key() {
        let lines = [
            "Share this article",
            "  Copyright (c) 2019 Example Media. All rights reserved.  ",
            "a\t-\x0b b\x0c\rc",
            "x_y ~z~ [1] {2} <3> \"q\" 'r' `s` @t #u $v %w ^x &y *z +a =b |c \\d /e ?f !g ,h .i ;j :k",
            "\x01ctrl\x7f",
            "---",
        ];
        for line in lines {
            assert_eq!(key(line), key_by_runs(line), "{line:?}");
        }
    }

    #[test]
    fn shapes() {
        let cases = [
            ("Copyright 2019 Example.", "COPYRIGHT 7 example.", true),
            ("Page 1 of 12", "Page 10 of 3", true),
            ("Café Olé", "CAFÉ OLÉ", true),
            ("1,234 views", "1234 views", false),
            ("Share this article:", "Share this article", false),
            ("Share this article", "» Share this article", false),
            ("a b", "a  b", false),
            ("", "", true),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_shape(a, b), want, "{a:?} {b:?}");
            assert_eq!(same_shape(b, a), want, "{b:?} {a:?}");
        }
    }

    #[test]
    fn a_line_counts_once_per_document() {
        let mut learner = Learner::new(options(2, 1, 5));
        learner.add(b"Share\nShare\nShare\nbody one\n", None, "a");
        learner.add(b"Share\nbody two\n", None, "b");
        let rules = rules_of(&learner);
        assert!(rules.contains("# 2 documents, e.g. a\nShare\n"), "{rules}");
        let mut learner = Learner::new(options(2, 1, 5));
        learner.add(b"Share\nShare\nShare\n", None, "a");
        assert!(!rules_of(&learner).contains("\nShare\n"));
    }

    #[test]
    fn thresholds() {
        // Each case: options, documents (text, url), rule lines expected.
        type Doc = (&'static str, Option<&'static str>);
        let footer: &[Doc] = &[
            (
                "Footer\nOne long line with many words in it to count here\n",
                None,
            ),
            (
                "Footer\nOne long line with many words in it to count here\n",
                None,
            ),
            ("Footer\n", None),
        ];
        let hosted: &[Doc] = &[
            ("Everywhere\nOnly on a\n", Some("https://a.example/1")),
            ("Everywhere\nOnly on a\n", Some("https://A.example/2")),
            ("Everywhere\nOnly on a\n", Some("http://a.example:8080/3")),
            ("Everywhere\n", Some("https://b.example/1")),
            ("Only on a\n", None),
        ];
        let cases: &[(LearnOptions, &[Doc], &[&str])] = &[
            (options(3, 1, 5), footer, &["Footer"]),
            (options(4, 1, 5), footer, &[]),
            (
                options(2, 1, 5),
                footer,
                &[
                    "Footer",
                    "One long line with many words in it to count here",
                ],
            ),
            (
                LearnOptions {
                    max_words: 10,
                    ..options(2, 1, 5)
                },
                footer,
                &["Footer"],
            ),
            // Hosts: "Everywhere" is on two hosts, "Only on a" on one.
            (options(4, 2, 5), hosted, &["Everywhere"]),
            (options(4, 1, 5), hosted, &["Everywhere", "Only on a"]),
            (options(4, 3, 5), hosted, &[]),
            // Per host: three documents on a.example.
            (options(5, 2, 3), hosted, &["Everywhere", "Only on a"]),
            (options(5, 2, 4), hosted, &[]),
        ];
        for (i, (options, docs, want)) in cases.iter().enumerate() {
            let mut learner = Learner::new(options.clone());
            for (n, (text, url)) in docs.iter().enumerate() {
                learner.add(text.as_bytes(), *url, &format!("doc{n}"));
            }
            let rules = rules_of(&learner);
            let mut got = rule_lines(&rules);
            got.sort();
            assert_eq!(&got, want, "case {i}:\n{rules}");
        }
    }

    #[test]
    fn an_international_host_is_one_host_in_any_form_and_written_in_punycode() {
        let mut learner = Learner::new(options(5, 2, 3));
        // Hindi: its decoded labels hold marks that a header would not take.
        for (n, url) in [
            "https://\u{939}\u{93f}\u{928}\u{94d}\u{926}\u{940}.in/1",
            "https://xn--j2bd4cyah0f.in/2",
            "https://XN--J2BD4CYAH0F.in/3",
            "https://b.example/",
        ]
        .iter()
        .enumerate()
        {
            let doc = format!("Follow us\nStory {}.\n", tag(n));
            learner.add(doc.as_bytes(), Some(url), &format!("s.jsonl#{}", n + 1));
        }
        // A host the URL parser takes but no section can (an empty label).
        for n in 4..7 {
            let doc = format!("Sign up\nStory {}.\n", tag(n));
            let url = format!("https://.lead.example/{n}");
            learner.add(doc.as_bytes(), Some(&url), &format!("s.jsonl#{}", n + 1));
        }
        let rules = rules_of(&learner);
        assert!(
            rules.contains("[line host=xn--j2bd4cyah0f.in]\n# 3 documents"),
            "{rules}"
        );
        assert!(rules.contains("# 1 host candidate left out"), "{rules}");
        RuleSet::new().add_source("learned.rules", &rules).unwrap();
    }

    #[test]
    fn host_candidates_are_scoped_and_counted() {
        let mut learner = Learner::new(options(5, 2, 3));
        for (n, url) in [
            "https://www.a.example/1",
            "https://www.a.example/2",
            "https://www.a.example/3",
            "https://b.example/",
        ]
        .iter()
        .enumerate()
        {
            let doc = format!("Subscribe to A Daily\nStory {}.\n", tag(n));
            learner.add(doc.as_bytes(), Some(url), &format!("s.jsonl#{}", n + 1));
        }
        let rules = rules_of(&learner);
        assert!(
            rules.contains("[line host=www.a.example]\n# 3 documents (4 in all, on 2 hosts), e.g. s.jsonl#1\nSubscribe to A Daily\n"),
            "{rules}"
        );
        assert!(!rules.contains("host=b.example"), "{rules}");
        assert!(
            rules.contains("Documents read: 4 (4 with a URL, on 2 hosts)."),
            "{rules}"
        );
        let doc = "Subscribe to A Daily\nBody.\n";
        assert_eq!(cleaned(&rules, doc, Some("www.a.example")), "Body.\n");
        assert_eq!(cleaned(&rules, doc, Some("b.example")), doc);
    }

    #[test]
    fn literal_or_regex() {
        // Each case: the forms of one line, one per document; the rule proposed
        // (a regex when it has the form it was made from).
        let cases: &[(&[&str], Option<&str>, &str)] = &[
            (&["Share this article"; 4], None, "Share this article"),
            (
                &[
                    "Share this article",
                    "SHARE THIS ARTICLE",
                    "share  this article",
                    "Share this article",
                ],
                None,
                "Share this article",
            ),
            (
                &[
                    "Copyright 2019 Example.",
                    "Copyright 2020 Example.",
                    "copyright 2019 example.",
                    "Copyright 2021 Example.",
                ],
                Some("Copyright 2019 Example."),
                r"Copyright \d+ Example\.",
            ),
            (
                &[
                    "Share this article:",
                    "Share this article",
                    "» Share this article",
                    "Share this article:",
                    "Share this article:",
                ],
                Some("Share this article:"),
                r"[\W\p{Pc}]*Share[\W\p{Pc}]+this[\W\p{Pc}]+article[\W\p{Pc}]*",
            ),
            (
                &[
                    "Don't miss 3,000 deals!",
                    "Dont miss 3000 deals",
                    "Don't miss 3,000 deals!",
                    "Don't miss 7,500 deals!",
                ],
                Some("Don't miss 3,000 deals!"),
                r"[\W\p{Pc}]*Don[\W\p{Pc}]*t[\W\p{Pc}]+miss[\W\p{Pc}]+\d+[\W\p{Pc}]*\d+[\W\p{Pc}]+deals[\W\p{Pc}]*",
            ),
            (
                // The underscore is no word character to the key: nor to the rule.
                &[
                    "Related_Posts:",
                    "Related__Posts",
                    "Related_Posts:",
                    "Related_Posts:",
                ],
                Some("Related_Posts:"),
                r"[\W\p{Pc}]*Related[\W\p{Pc}]*Posts[\W\p{Pc}]*",
            ),
            (
                &["Café Olé", "CAFÉ OLÉ", "Café Olé", "Café Olé"],
                Some("Café Olé"),
                "Café Olé",
            ),
        ];
        for (forms, as_in, rule) in cases {
            let n = forms.len();
            let mut learner = Learner::new(options(n, 1, 5));
            for (i, form) in forms.iter().enumerate() {
                let doc = format!("{form}\nbody {}\n", tag(i));
                learner.add(doc.as_bytes(), None, &format!("doc{i}"));
            }
            let rules = rules_of(&learner);
            let want = match as_in {
                None => format!("[line]\n# {n} documents, e.g. doc0\n{rule}\n"),
                Some(form) => {
                    format!("[regex:line]\n# {n} documents, e.g. doc0\n#   as in: {form}\n{rule}\n")
                }
            };
            assert!(rules.contains(&want), "want {want:?} in:\n{rules}");
            assert_eq!(rule_lines(&rules), [*rule], "{rules}");
            // The rule removes every form it was made from.
            for form in forms.iter() {
                let doc = format!("{form}\nThe story.\n");
                assert_eq!(
                    cleaned(&rules, &doc, None),
                    "The story.\n",
                    "{form:?} with\n{rules}"
                );
            }
        }
    }

    #[test]
    fn the_most_frequent_form_wins() {
        let mut learner = Learner::new(options(5, 1, 5));
        for (n, form) in [
            "Share this!",
            "Share this.",
            "Share this.",
            "Share this!",
            "Share this.",
        ]
        .iter()
        .enumerate()
        {
            learner.add(form.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        assert!(
            rules.contains(
                "#   as in: Share this.\n[\\W\\p{Pc}]*Share[\\W\\p{Pc}]+this[\\W\\p{Pc}]*\n"
            ),
            "{rules}"
        );
    }

    #[test]
    fn lines_with_one_regex_give_one_rule() {
        let mut learner = Learner::new(options(2, 1, 5));
        let pages = [
            "1\n12\n12\n345\nPage 1 of 12\nPage 10 of 3\n",
            "2\n13\n12\nPage 2 of 12\nPage 11 of 3\n",
            "3\n99\nPage 3 of 12\nPage 13 of 4\n",
        ];
        for (n, page) in pages.iter().enumerate() {
            learner.add(page.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        assert_eq!(rule_lines(&rules), [r"Page \d+ of \d+", r"\d+"], "{rules}");
        assert!(
            rules.contains("#   and for 1 more line counted apart, in 3 documents\n\\d+\n"),
            "{rules}"
        );
        assert!(
            rules.contains(
                "#   and for 1 more line counted apart, in 3 documents\nPage \\d+ of \\d+\n"
            ),
            "{rules}"
        );
    }

    #[test]
    fn regexes_that_differ_only_in_case_give_one_rule() {
        let mut learner = Learner::new(options(2, 1, 5));
        let pages = [
            "Page 1 of 12\nPAGE 10 OF 3\nPage 1 of 12\n",
            "Page 2 of 12\nPAGE 11 OF 3\n",
            "Page 3 of 12\n",
        ];
        for (n, page) in pages.iter().enumerate() {
            learner.add(page.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        assert_eq!(rule_lines(&rules), [r"Page \d+ of \d+"], "{rules}");
        assert!(
            rules.contains(
                "#   and for 1 more line counted apart, in 2 documents\nPage \\d+ of \\d+\n"
            ),
            "{rules}"
        );
        // Letters with two small forms match alike too (the micro sign and
        // mu); the dotless i and i do not.
        for (a, b, made) in [
            ("\u{b5}m", "\u{3bc}m", 1),
            ("say\u{131}s\u{131}", "sayisi", 2),
        ] {
            let mut learner = Learner::new(options(2, 1, 5));
            for (n, word) in [a, b, a, b].iter().enumerate() {
                let page = format!("Count {} {word}\nbody {}\n", n + 1, tag(n));
                learner.add(page.as_bytes(), None, &format!("doc{n}"));
            }
            let rules = rules_of(&learner);
            assert_eq!(rule_lines(&rules).len(), made, "{rules}");
        }
    }

    #[test]
    fn rules_that_look_like_comments_or_headers_are_escaped() {
        let forms = [
            "# Top stories",
            "[Advertisement]",
            "[line]",
            "\\#hashtag",
            "\\ back",
            "#1 in 2019",
            "#1 in 2020",
        ];
        let mut learner = Learner::new(options(2, 1, 5));
        for n in 0..2 {
            let doc = forms.join("\n") + &format!("\nbody {}\n", tag(n));
            learner.add(doc.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        for want in [
            "\\# Top stories\n",
            "\\[Advertisement]\n",
            "\\[line]\n",
            "\\\\#hashtag\n",
            "\\\\ back\n",
            "\n\\#\\d+ in \\d+\n",
        ] {
            assert!(rules.contains(want), "want {want:?} in:\n{rules}");
        }
        let set = {
            let mut set = RuleSet::new();
            set.add_source("c.rules", &rules).unwrap();
            set
        };
        assert_eq!(set.rules().len(), 6, "{rules}");
        let doc = forms.join("\n") + "\nThe story.\n";
        assert_eq!(cleaned(&rules, &doc, None), "The story.\n", "{rules}");
    }

    #[test]
    fn output_is_deterministic_and_sorted() {
        let docs: Vec<(String, Option<String>)> = (0..40)
            .map(|n| {
                let mut text = format!("Story {} is unique.\n", tag(n));
                for (every, line) in [
                    (1, "Menu"),
                    (2, "Share"),
                    (3, "Print"),
                    (4, "Email"),
                    (5, "Tweet"),
                    (2, "Like"),
                ] {
                    if n % every == 0 {
                        text += line;
                        text += "\n";
                    }
                }
                text += &format!("© {} Site {}\n", 2000 + n % 7, n % 3);
                let url = (n % 2 == 0).then(|| format!("https://h{}.example/{n}", n % 5));
                (text, url)
            })
            .collect();
        let run = || {
            let mut learner = Learner::new(options(5, 2, 2));
            for (n, (text, url)) in docs.iter().enumerate() {
                learner.add(text.as_bytes(), url.as_deref(), &format!("doc{n}"));
            }
            rules_of(&learner)
        };
        let first = run();
        for _ in 0..3 {
            assert_eq!(run(), first);
        }
        let overall: Vec<&str> = rule_lines(first.split("host=").next().unwrap());
        assert_eq!(
            overall[..5],
            ["Menu", "Like", "Share", "Print", "Email"],
            "{first}"
        );
        // Documents with the same count are sorted by text.
        assert!(first.contains("[line]\n# 40 documents, 5 hosts, e.g. doc0\nMenu\n# 20 documents, 5 hosts, e.g. doc0\nLike\n# 20 documents"), "{first}");
    }

    #[test]
    fn the_output_parses_and_removes_what_it_proposes() {
        let mut learner = Learner::new(options(3, 1, 5));
        let mut docs = Vec::new();
        for n in 0..6 {
            docs.push(format!(
                "Skip to content\nStory {t}: a plain sentence about event {t}.\nShare on Facebook{}\nCopyright {} Example Media. All rights reserved.\n",
                if n % 2 == 0 { "!" } else { "" },
                2010 + n,
                t = tag(n),
            ));
        }
        for (n, doc) in docs.iter().enumerate() {
            learner.add(doc.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        assert_eq!(rule_lines(&rules).len(), 3, "{rules}");
        for (n, doc) in docs.iter().enumerate() {
            assert_eq!(
                cleaned(&rules, doc, None),
                format!("Story {t}: a plain sentence about event {t}.\n", t = tag(n)),
                "{rules}"
            );
        }
    }

    #[test]
    fn blank_long_and_invalid_lines_are_not_counted() {
        let mut learner = Learner::new(options(2, 1, 5));
        let long = "word ".repeat(MAX_LINE_BYTES / 5 + 1);
        for n in 0..2 {
            let doc = format!(
                "   \n\u{a0}\n!!!\n{long}\n{}\nok\r\nbody {}\n",
                "x".repeat(MAX_LINE_BYTES + 1),
                tag(n)
            );
            let mut doc = doc.into_bytes();
            doc.extend_from_slice(b"caf\xe9\n");
            learner.add(&doc, None, "d");
        }
        let rules = rules_of(&learner);
        assert_eq!(rule_lines(&rules), ["ok"], "{rules}");
    }

    #[test]
    fn an_empty_corpus_gives_a_valid_file() {
        let rules = rules_of(&Learner::default());
        assert!(rules.contains("Documents read: 0"), "{rules}");
        assert!(rule_lines(&rules).is_empty());
        RuleSet::new().add_source("c.rules", &rules).unwrap();
    }

    #[test]
    fn example_names_stay_on_one_line() {
        let mut learner = Learner::new(options(1, 1, 5));
        learner.add(b"Hello\n", None, "bad\nname");
        let rules = rules_of(&learner);
        assert!(rules.contains("e.g. bad\\nname\nHello\n"), "{rules}");
    }

    #[test]
    fn forgetting_keeps_recurring_lines_and_their_examples() {
        let mut learner = Learner::new(options(3, 1, 2));
        learner.max_keys = 8;
        learner.forget_at = 8;
        for n in 0..30 {
            let t = tag(n);
            let doc = format!("Footer line\nunique {t} a\nunique {t} b\nunique {t} c\n");
            learner.add(
                doc.as_bytes(),
                Some("https://a.example/"),
                &format!("doc{n}"),
            );
        }
        assert!(learner.lines.len() <= 16, "{learner:?}");
        assert!(learner.forgotten > 0);
        let rules = rules_of(&learner);
        assert!(
            rules.contains("# 30 documents, 1 host, e.g. doc0\nFooter line\n"),
            "{rules}"
        );
        assert!(rules.contains("were forgotten on the way"), "{rules}");
        assert!(learner.labels.len() <= learner.lines.len() + learner.host_lines.len());
        RuleSet::new().add_source("c.rules", &rules).unwrap();
    }

    #[test]
    fn forgetting_never_drops_a_line_at_a_threshold() {
        let mut learner = Learner::new(options(2, 1, 2));
        learner.max_keys = 4;
        learner.forget_at = 4;
        for n in 0..20 {
            let doc = format!(
                "Same\n{}\n",
                ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"][n % 6]
            );
            learner.add(doc.as_bytes(), None, &format!("doc{n}"));
        }
        let rules = rules_of(&learner);
        assert!(
            rules.contains("# 20 documents, e.g. doc0\nSame\n"),
            "{rules}"
        );
    }
}
