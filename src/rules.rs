//! The rules file: parsing it into a [`RuleSet`] that keeps every rule's origin.
//!
//! The grammar is written down for users in `rules/README.md`. In short:
//!
//! ```text
//! # a comment
//! [line]                 # drop a line that is exactly the phrase
//! Skip Navigation
//! [contains max-words=8] # drop a short line that contains the phrase
//! Your browser is out of date
//! [regex:line]
//! string\(\d+\) ".*
//! [settings]
//! repeated-lines = on
//! ```
//!
//! ```
//! use dechrome::rules::{Action, RuleSet};
//!
//! let mut set = RuleSet::new();
//! set.add_source("my.rules", "[line]\nSkip Navigation\n").unwrap();
//! let rule = &set.rules()[0];
//! assert_eq!(rule.action, Action::Line);
//! assert_eq!(rule.origin.to_string(), "my.rules:2");
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::Hir;

use crate::error::{RuleError, RulesError};
use crate::normalize::normalize;

/// Where a rule came from: file, line and the raw text of that line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it; embedded defaults as `rules/NAME.rules`.
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: usize,
    /// The line as written (trimmed).
    pub text: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What a rule does to the line it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Drop a line whose whole normalised text is the phrase.
    Line,
    /// Drop a short line that contains the phrase.
    Contains,
    /// Cut the phrase out of its line, keep the rest.
    Phrase,
    /// Cut the marker line and everything after it, when it is near the end.
    Tail,
    /// Cut everything up to and including the marker line, when it is near the start.
    Head,
}

impl Action {
    /// The section name of the literal form (`line`, `contains`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::Line => "line",
            Action::Contains => "contains",
            Action::Phrase => "phrase",
            Action::Tail => "tail",
            Action::Head => "head",
        }
    }

    fn from_name(name: &str) -> Option<Action> {
        Some(match name {
            "line" => Action::Line,
            "contains" => Action::Contains,
            "phrase" => Action::Phrase,
            "tail" => Action::Tail,
            "head" => Action::Head,
            _ => return None,
        })
    }

    /// True for the actions that look only at short lines (the word guard).
    pub fn is_guarded(self) -> bool {
        matches!(self, Action::Contains | Action::Tail | Action::Head)
    }
}

/// What a rule matches.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// A phrase, stored in normalised form.
    Literal(Vec<u8>),
    /// A regular expression over the normalised line (case-insensitive).
    Regex(RuleRegex),
}

/// A rule's regular expression (a `[regex:line]` rule's anchored at both
/// ends). The matcher runs every rule's regex in sets, and only a phrase
/// rule also searches with its own compiled form; so the embedded rules
/// (checked by a test) are compiled when first used, while a user's file is
/// compiled as it is read, to report a regex that is invalid or too large
/// with its file and line.
#[derive(Clone, Debug)]
pub struct RuleRegex {
    text: String,
    compiled: OnceLock<Regex>,
}

impl RuleRegex {
    /// The pattern as compiled.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The compiled regex (case-insensitive, over bytes).
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            build_regex(&self.text).expect("a rule's regex was checked when it was read")
        })
    }
}

/// A limit on the number of words of a line a guarded rule may remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordLimit {
    /// Use the `max-words` setting.
    Default,
    /// At most this many words.
    AtMost(usize),
    /// No limit.
    Any,
}

/// One rule of a rules file.
#[derive(Clone, Debug)]
pub struct Rule {
    /// What it does.
    pub action: Action,
    /// What it matches.
    pub pattern: Pattern,
    /// Word guard for `contains`, `tail` and `head` rules (section option `max-words`).
    pub max_words: WordLimit,
    /// Position guard for `head` and `tail` rules (section option `within`), a
    /// fraction of the document's bytes; `None` uses the setting.
    pub within: Option<f64>,
    /// Hosts the rule is limited to (section option `host`); empty: every document.
    pub hosts: Vec<String>,
    /// Where it came from.
    pub origin: Origin,
}

/// A host name in the one form that rules and URLs are compared in: as a
/// browser reads it, by the URL standard's host parser (`url::Host`):
/// percent-escapes decoded, then UTS 46 (lower case, NFC, `。` as a dot) and
/// punycode, so that `host=bücher.de`, `host=XN--BCHER-KVA.de` and a URL's
/// `b%C3%BCcher.de` are one host, in ASCII; without a trailing dot. A host
/// the parser refuses (`xn--zz-`, not valid punycode) is only lower-cased,
/// as a whole: its other labels are not decoded either, so it is no
/// subdomain of a host written in Unicode.
///
/// ```
/// use dechrome::rules::host_name;
///
/// assert_eq!(host_name("www.Bücher.de."), "www.xn--bcher-kva.de");
/// assert_eq!(host_name("b%C3%BCcher\u{3002}de"), "xn--bcher-kva.de");
/// ```
pub fn host_name(host: &str) -> String {
    let host = match url::Host::parse(host) {
        Ok(url::Host::Domain(domain)) => domain,
        // An IPv4 address in any of its forms (`0x7f.1`) in dotted decimal.
        Ok(address) => address.to_string(),
        Err(_) => host.to_lowercase(),
    };
    host.trim_end_matches('.').to_string()
}

/// True when `host` (as [`host_name`] gives it) can be a section's
/// `host=`: not empty, no empty label (`.example.com`, `a..b`), none of
/// `/ : @ # ? \` or white space, and no wildcard (a host's subdomains are
/// included anyway). `Err` says what is wrong.
pub fn check_host_name(host: &str) -> Result<(), &'static str> {
    if host.is_empty() || host.starts_with('.') || host.contains("..") {
        Err("a host name has no empty labels")
    } else if host.contains('*') {
        Err("no wildcards: a host's subdomains are included")
    } else if host.contains(|c: char| c.is_whitespace() || "/:@#?\\".contains(c)) {
        Err("a host name has no `/`, `:`, `@`, `#`, `?`, `\\` or spaces")
    } else {
        Ok(())
    }
}

impl Rule {
    /// True when the rule applies to a document from `host`: an unscoped rule
    /// applies everywhere; a scoped one to its hosts and their subdomains, and
    /// never to a document without a known host.
    pub fn applies_to(&self, host: Option<&str>) -> bool {
        if self.hosts.is_empty() {
            return true;
        }
        host.is_some_and(|host| {
            self.hosts.iter().any(|h| {
                host == h
                    || (host.ends_with(h.as_str()) && host[..host.len() - h.len()].ends_with('.'))
            })
        })
    }

    /// True when the rule is a regular expression.
    pub fn is_regex(&self) -> bool {
        matches!(self.pattern, Pattern::Regex(_))
    }

    /// The section the rule sits in, as written (`contains`, `regex:tail`, ...).
    pub fn section(&self) -> String {
        if self.is_regex() {
            format!("regex:{}", self.action.name())
        } else {
            self.action.name().to_string()
        }
    }
}

/// A menu or social-network label (`[menu]` section).
#[derive(Clone, Debug)]
pub struct Label {
    /// Normalised, ASCII-lower-cased label.
    pub key: Vec<u8>,
    /// Where it came from.
    pub origin: Origin,
}

/// A built-in detector's switch and its parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorSetting {
    /// On or off.
    pub enabled: bool,
    /// The detector's numeric parameter (see [`Settings`]).
    pub min: usize,
    /// Where it was last set, if not left at its default.
    pub origin: Option<Origin>,
}

/// The `[settings]` section: thresholds and switches of the built-in detectors.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `max-words`: the default word guard of `contains`, `tail` and `head` rules.
    pub max_words: usize,
    /// `head.within`: a head marker must start in this first share of the document's bytes.
    pub head_within: f64,
    /// `tail.within`: a tail marker must start in this last share of the document's bytes.
    pub tail_within: f64,
    /// `repeated-lines`: drop a later copy of a line; `min` is `repeated-lines.min-words`.
    pub repeated_lines: DetectorSetting,
    /// `repeated-lines.window`: a copy counts only within this many non-blank
    /// lines of the previous one (0: anywhere in the document).
    pub repeated_window: usize,
    /// `doubled-lines`: a line that is one text pasted twice; `min` is `doubled-lines.min-words`.
    pub doubled_lines: DetectorSetting,
    /// `menu-runs`: a run of `[menu]` labels; `min` is `menu-runs.min-run` (labels in the run).
    pub menu_runs: DetectorSetting,
    /// `classifier`: the line classifier (off unless a rules file turns it on;
    /// the embedded defaults do).
    pub classifier: bool,
    /// `classifier.threshold`: remove a line whose article probability is
    /// below this; `None` uses the model's own threshold.
    pub classifier_threshold: Option<f64>,
    /// `classifier.bias`: added to the threshold's log-odds; positive removes
    /// more (precision), negative keeps more (recall). The CLI's `--bias`.
    pub classifier_bias: f64,
    /// `classifier.max-removed`: if the classifier would remove more than this
    /// share of a document's remaining words, it removes nothing there.
    pub classifier_max_removed: f64,
    /// `classifier.min-kept`: if the classifier would keep less than this share
    /// of a document's remaining words, it keeps its prose lines too (lists and
    /// comparison pages whose body is short lines).
    pub classifier_min_kept: f64,
    /// `classifier.over-removal`: `keep` the document (the default) or just
    /// `flag` it (remove anyway, count it in the statistics).
    pub classifier_flag_only: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        let on = |min| DetectorSetting {
            enabled: true,
            min,
            origin: None,
        };
        Settings {
            max_words: 12,
            head_within: 0.5,
            tail_within: 0.5,
            repeated_lines: on(4),
            repeated_window: 8,
            doubled_lines: on(3),
            menu_runs: on(3),
            classifier: false,
            classifier_threshold: None,
            classifier_bias: 0.0,
            classifier_max_removed: 0.97,
            classifier_min_kept: 0.1,
            classifier_flag_only: false,
        }
    }
}

/// The setting keys, for messages and docs.
pub const SETTING_KEYS: &[&str] = &[
    "max-words",
    "head.within",
    "tail.within",
    "repeated-lines",
    "repeated-lines.min-words",
    "repeated-lines.window",
    "doubled-lines",
    "doubled-lines.min-words",
    "menu-runs",
    "menu-runs.min-run",
    "classifier",
    "classifier.threshold",
    "classifier.bias",
    "classifier.max-removed",
    "classifier.min-kept",
    "classifier.over-removal",
];

impl Settings {
    fn set(&mut self, key: &str, value: &str, origin: &Origin) -> Result<(), String> {
        match key {
            "max-words" => self.max_words = parse_count(value)?,
            "repeated-lines.window" => self.repeated_window = parse_count(value)?,
            "classifier" => self.classifier = parse_switch(value)?,
            "classifier.threshold" => self.classifier_threshold = Some(parse_share(value)?),
            "classifier.bias" => {
                self.classifier_bias = value
                    .parse::<f64>()
                    .ok()
                    .filter(|b| b.is_finite())
                    .ok_or_else(|| format!("expected a number, found `{value}`"))?
            }
            "classifier.max-removed" => self.classifier_max_removed = parse_share(value)?,
            "classifier.min-kept" => self.classifier_min_kept = parse_share(value)?,
            "classifier.over-removal" => {
                self.classifier_flag_only = match value {
                    "keep" => false,
                    "flag" => true,
                    _ => return Err(format!("expected `keep` or `flag`, found `{value}`")),
                }
            }
            "head.within" => self.head_within = parse_share(value)?,
            "tail.within" => self.tail_within = parse_share(value)?,
            "repeated-lines" | "doubled-lines" | "menu-runs" => {
                let enabled = parse_switch(value)?;
                let d = self.detector_mut(key);
                d.enabled = enabled;
                d.origin = Some(origin.clone());
            }
            "repeated-lines.min-words" | "doubled-lines.min-words" | "menu-runs.min-run" => {
                let n = parse_count(value)?;
                if n == 0 {
                    return Err(format!("{key} must be at least 1"));
                }
                let name = key.split('.').next().unwrap_or_default();
                let d = self.detector_mut(name);
                d.min = n;
                d.origin.get_or_insert_with(|| origin.clone());
            }
            _ => {
                return Err(format!(
                    "unknown setting `{key}` (known: {})",
                    SETTING_KEYS.join(", ")
                ))
            }
        }
        Ok(())
    }

    fn detector_mut(&mut self, name: &str) -> &mut DetectorSetting {
        match name {
            "repeated-lines" => &mut self.repeated_lines,
            "doubled-lines" => &mut self.doubled_lines,
            _ => &mut self.menu_runs,
        }
    }
}

fn parse_count(value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .map_err(|_| format!("expected a whole number, found `{value}`"))
}

fn parse_switch(value: &str) -> Result<bool, String> {
    match value {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("expected `on` or `off`, found `{value}`")),
    }
}

/// A share of the document: `40%` or `0.4`, between 0 and 1.
fn parse_share(value: &str) -> Result<f64, String> {
    let share = match value.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => value.parse::<f64>(),
    }
    .map_err(|_| format!("expected a share like `40%` or `0.4`, found `{value}`"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!(
            "a share must be between 0% and 100%, found `{value}`"
        ))
    }
}

/// The largest compiled size a rule's regex may have.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// What a section header chose.
#[derive(Clone, Debug)]
enum Section {
    Rules {
        action: Action,
        regex: bool,
        max_words: WordLimit,
        within: Option<f64>,
        hosts: Vec<String>,
    },
    Menu,
    Settings,
    /// Under a header that failed to parse: its lines are skipped silently.
    Invalid,
}

/// All rules, labels and settings loaded from one or more rules files.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    labels: Vec<Label>,
    settings: Settings,
}

impl RuleSet {
    /// An empty rule set with default settings.
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// The embedded default rules (`rules/*.rules`, compiled into the binary).
    pub fn defaults() -> RuleSet {
        let mut set = RuleSet::new();
        for (name, text) in crate::defaults::FILES {
            set.add(name, text.as_bytes(), true)
                .unwrap_or_else(|e| panic!("embedded rules are invalid:\n{e}"));
        }
        set
    }

    /// The rules in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The `[menu]` labels in load order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The settings after every file loaded so far (later files win).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Parses one rules file and adds its rules. `name` is how messages and
    /// `--explain` name the file.
    ///
    /// Every bad line is reported, not just the first; the good lines of a
    /// file with errors are still added, so callers that stop on error should
    /// check the result before using the set.
    pub fn add_source(&mut self, name: &str, text: &str) -> Result<(), RulesError> {
        self.add_bytes(name, text.as_bytes())
    }

    /// Like [`RuleSet::add_source`], for raw bytes: a line that is not UTF-8 is an error.
    pub fn add_bytes(&mut self, name: &str, text: &[u8]) -> Result<(), RulesError> {
        self.add(name, text, false)
    }

    /// [`RuleSet::add_bytes`]; the regexes of `trusted` text (the embedded
    /// rules) are compiled when first used (see [`RuleRegex`]).
    fn add(&mut self, name: &str, text: &[u8], trusted: bool) -> Result<(), RulesError> {
        let file: Arc<str> = Arc::from(name);
        let mut errors = RulesError::default();
        let mut section: Option<Section> = None;
        let mut norm = Vec::new();
        for (idx, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line_no = idx + 1;
            let mut error = |message: String, detail: Option<String>| {
                errors.errors.push(RuleError {
                    file: name.to_string(),
                    line: line_no,
                    message,
                    detail,
                })
            };
            let Ok(raw) = std::str::from_utf8(raw) else {
                error("the line is not valid UTF-8".into(), None);
                continue;
            };
            let line = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let origin = Origin {
                file: file.clone(),
                line: line_no,
                text: line.to_string(),
            };
            if is_header(line) {
                match parse_header(line) {
                    Ok(s) => section = Some(s),
                    Err(message) => {
                        error(message, None);
                        // Lines under a bad header are not reported again.
                        section = Some(Section::Invalid);
                    }
                }
                continue;
            }
            match &section {
                Some(Section::Invalid) => {}
                None => error(
                    "a rule before any section; start with a header such as `[line]`".into(),
                    None,
                ),
                Some(Section::Settings) => {
                    let Some((key, value)) = line.split_once('=') else {
                        error(
                            format!("expected `key = value` in [settings], found `{line}`"),
                            None,
                        );
                        continue;
                    };
                    if let Err(message) = self.settings.set(key.trim(), value.trim(), &origin) {
                        error(message, None);
                    }
                }
                Some(Section::Menu) => {
                    normalize(unescape(line).as_bytes(), &mut norm);
                    norm.make_ascii_lowercase();
                    self.labels.push(Label {
                        key: norm.clone(),
                        origin,
                    });
                }
                Some(Section::Rules {
                    action,
                    regex,
                    max_words,
                    within,
                    hosts,
                }) => {
                    let pattern = if *regex {
                        // Regexes are taken as written: `\[` is already a regex escape.
                        match rule_regex(line, *action, !trusted) {
                            Ok(re) => Pattern::Regex(re),
                            Err((message, detail)) => {
                                error(message, detail);
                                continue;
                            }
                        }
                    } else {
                        normalize(unescape(line).as_bytes(), &mut norm);
                        if norm.is_empty() {
                            error("the phrase is empty after normalisation".into(), None);
                            continue;
                        }
                        Pattern::Literal(norm.clone())
                    };
                    self.rules.push(Rule {
                        action: *action,
                        pattern,
                        max_words: *max_words,
                        within: *within,
                        hosts: hosts.clone(),
                        origin,
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A section header: `[name ...]` where the name is made of ASCII letters,
/// `:` and `-` (a known name even without the closing `]`, so that a typo is
/// reported). Other lines starting with `[` are rules (a regex character
/// class, say); a phrase or regex that looks like a header is written `\[...]`
/// or `(?:[...])`.
fn is_header(line: &str) -> bool {
    let Some(inner) = line.strip_prefix('[') else {
        return false;
    };
    // Spaces may come before a known section's name (`[ line ]`); before
    // another word the line is a phrase (`[ Photo ]`).
    let trimmed = inner.trim_start();
    let spaced = trimmed.len() < inner.len();
    let name_end = trimmed
        .find(|c: char| !(c.is_ascii_alphabetic() || c == ':' || c == '-'))
        .unwrap_or(trimmed.len());
    let name = &trimmed[..name_end];
    let name_ends_well = trimmed[name_end..]
        .chars()
        .next()
        .is_none_or(|c| c == ']' || c.is_whitespace());
    let known = SECTIONS.contains(&name);
    // A comment after `[name]` makes a header only of a name that looks
    // like a section's (a typo is then reported): `[A-Z] #\d+` stays a regex.
    let section_like = name.len() >= 4
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b':' || b == b'-');
    let closed = line.ends_with(']') || (section_like && without_comment(line).ends_with(']'));
    !name.is_empty() && name_ends_well && (known || (closed && !spaced))
}

/// A header line without the comment that may follow it (`[line]  # why`).
fn without_comment(line: &str) -> &str {
    match line.find(']') {
        Some(end) if line[end + 1..].trim_start().starts_with('#') => &line[..=end],
        _ => line,
    }
}

/// Every section name.
pub const SECTIONS: &[&str] = &[
    "line",
    "contains",
    "phrase",
    "tail",
    "head",
    "regex:line",
    "regex:contains",
    "regex:phrase",
    "regex:tail",
    "regex:head",
    "menu",
    "settings",
];

/// In a phrase, `\#` and `\[` at the start stand for a literal `#` or `[`.
fn unescape(line: &str) -> String {
    match line.strip_prefix('\\') {
        Some(rest) if rest.starts_with('#') || rest.starts_with('[') || rest.starts_with('\\') => {
            rest.to_string()
        }
        _ => line.to_string(),
    }
}

fn parse_header(line: &str) -> Result<Section, String> {
    let line = without_comment(line);
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return Err(format!("a section header must end with `]`: `{line}`"));
    };
    let mut words = inner.split_whitespace();
    let name = words.next().unwrap_or_default();
    let (regex, action_name) = match name.strip_prefix("regex:") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let mut section = match (name, Action::from_name(action_name)) {
        ("settings", _) => Section::Settings,
        ("menu", _) => Section::Menu,
        (_, Some(action)) => Section::Rules {
            action,
            regex,
            max_words: WordLimit::Default,
            within: None,
            hosts: Vec::new(),
        },
        _ => {
            return Err(format!(
                "unknown section `[{name}]` (known: {})",
                SECTIONS.join(", ")
            ))
        }
    };
    let mut seen: Vec<&str> = Vec::new();
    for option in words {
        let Some((key, value)) = option.split_once('=') else {
            return Err(format!(
                "expected `option=value` in the header, found `{option}`"
            ));
        };
        // (`host` adds hosts each time it is given.)
        if seen.contains(&key) && key != "host" {
            return Err(format!("option `{key}` is given twice in `[{name}]`"));
        }
        seen.push(key);
        match (&mut section, key) {
            (
                Section::Rules {
                    action, max_words, ..
                },
                "max-words",
            ) if action.is_guarded() => {
                *max_words = if value == "any" {
                    WordLimit::Any
                } else {
                    WordLimit::AtMost(parse_count(value)?)
                };
            }
            (
                Section::Rules {
                    action: Action::Head | Action::Tail,
                    within,
                    ..
                },
                "within",
            ) => *within = Some(parse_share(value)?),
            (Section::Rules { hosts, .. }, "host") => {
                for host in value.split(',') {
                    let host = host_name(host.trim());
                    if let Err(why) = check_host_name(&host) {
                        return Err(format!(
                            "`host` takes host names separated by commas, found `{value}`: {why}"
                        ));
                    }
                    hosts.push(host);
                }
            }
            _ => return Err(format!("option `{key}` does not apply to `[{name}]`")),
        }
    }
    Ok(section)
}

/// The regex of a rule written `text` under `action`, compiled at once when
/// `compile`; else only its syntax is checked, and it is compiled when
/// first used.
fn rule_regex(
    text: &str,
    action: Action,
    compile: bool,
) -> Result<RuleRegex, (String, Option<String>)> {
    let pattern = if action == Action::Line {
        // Checked alone first: a pattern that is no regex on its own, such
        // as `a)|(?:`, would otherwise close the anchoring group and match
        // every line.
        parse_regex(text).map_err(|msg| syntax_error(&msg))?;
        let anchored = format!("^(?:{text})$");
        if parse_regex(&anchored).is_ok() {
            anchored
        } else {
            // Valid alone but not wrapped: a verbose-mode (`(?x)`) comment
            // at the end ate the closing `)$`. A line feed ends the comment,
            // and in verbose mode it matches nothing.
            format!("^(?:{text}\n)$")
        }
    } else {
        text.to_string()
    };
    let compiled = OnceLock::new();
    if compile {
        let _ = compiled.set(build_regex(&pattern)?);
    } else {
        parse_regex(&pattern).map_err(|msg| syntax_error(&msg))?;
    }
    Ok(RuleRegex {
        text: pattern,
        compiled,
    })
}

/// A rule's pattern parsed as its compiled form and the matcher's sets read
/// it: `regex::bytes` syntax, case-insensitive. The error is the parser's
/// message.
pub(crate) fn parse_regex(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// A syntax error as a rule error: "invalid regex: WHAT" and the pattern
/// with the caret under it. `msg` is the parser's message: "regex parse
/// error:\n<pattern>\n<caret>\nerror: <what>".
fn syntax_error(msg: &str) -> (String, Option<String>) {
    let what = msg
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or("syntax error")
        .to_string();
    let detail: Vec<&str> = msg
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("error: "))
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    (format!("invalid regex: {what}"), Some(detail.join("\n")))
}

/// Compiles a rule's pattern (see [`RuleRegex`]).
fn build_regex(pattern: &str) -> Result<Regex, (String, Option<String>)> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(4 * REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(msg) => syntax_error(&msg),
            regex::Error::CompiledTooBig(limit) => (
                format!("regex too large: its compiled form exceeds {limit} bytes"),
                None,
            ),
            other => (format!("invalid regex: {other}"), None),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleSet, RulesError> {
        let mut set = RuleSet::new();
        set.add_source("t.rules", text).map(|()| set)
    }

    fn error_lines(text: &str) -> Vec<usize> {
        parse(text)
            .unwrap_err()
            .errors
            .iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn rules_keep_file_line_and_text() {
        let set =
            parse("# header\n\n[line]\nSkip Navigation\n\n[contains]\n  Close X  \n").unwrap();
        let got: Vec<(String, Action, usize, &str)> = set
            .rules()
            .iter()
            .map(|r| {
                (
                    r.origin.file.to_string(),
                    r.action,
                    r.origin.line,
                    r.origin.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("t.rules".into(), Action::Line, 4, "Skip Navigation"),
                ("t.rules".into(), Action::Contains, 7, "Close X"),
            ]
        );
    }

    #[test]
    fn phrases_are_stored_normalised() {
        let set = parse("[phrase]\nDon\u{2019}t   miss\n").unwrap();
        match &set.rules()[0].pattern {
            Pattern::Literal(p) => assert_eq!(p, b"Don't miss"),
            Pattern::Regex(_) => panic!("literal expected"),
        }
    }

    #[test]
    fn every_section_parses() {
        let text = "[line]\na\n[contains]\nb\n[phrase]\nc\n[tail]\nd\n[head]\ne\n\
                    [regex:line]\nf+\n[regex:contains]\ng+\n[regex:phrase]\nh+\n\
                    [regex:tail]\ni+\n[regex:head]\nj+\n[menu]\nHome\n[settings]\nmax-words = 9\n";
        let set = parse(text).unwrap();
        let sections: Vec<String> = set.rules().iter().map(Rule::section).collect();
        // Every rule section, in the order of SECTIONS (menu and settings hold no rules).
        assert_eq!(sections, SECTIONS[..10]);
        assert_eq!(set.labels()[0].key, b"home");
        assert_eq!(set.settings().max_words, 9);
    }

    #[test]
    fn errors_name_every_bad_line() {
        let text = "orphan\n[nosuch]\nunder bad header\n[regex:line]\nstring(\\d+\n\
                    ok\n[settings]\nmax-words = lots\nfoo = 1\nno equals\n[contains max-words=x]\n";
        assert_eq!(error_lines(text), vec![1, 2, 5, 8, 9, 10, 11]);
    }

    #[test]
    fn bad_regex_message_has_caret_detail() {
        let err = parse("[regex:contains]\nstring(\\d+\n").unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("t.rules:2: invalid regex: unclosed group"),
            "{shown}"
        );
        assert!(shown.contains('^'), "{shown}");
    }

    #[test]
    fn a_line_pattern_cannot_break_out_of_its_anchors() {
        // Wrapped as `^(?:...)$`, these would match every line (or another
        // pattern than the one written); alone, they are no regex.
        for pattern in ["foo)|(?:", "x)|(y", "a)?(?:"] {
            for compile in [true, false] {
                let mut set = RuleSet::new();
                let text = format!("[regex:line]\n{pattern}\n");
                let err = set
                    .add("t.rules", text.as_bytes(), !compile)
                    .unwrap_err()
                    .to_string();
                assert!(err.starts_with("t.rules:2: invalid regex"), "{err}");
                // The caret points into the pattern as written.
                assert!(err.contains(pattern) && !err.contains("^(?:"), "{err}");
            }
        }
    }

    #[test]
    fn a_verbose_line_pattern_may_end_in_a_comment() {
        let rules =
            "[settings]\nclassifier = off\n[regex:line]\n(?x) Share \\s this  # share line\n";
        let set = parse(rules).unwrap();
        let cleaner = crate::Cleaner::new(set).unwrap();
        let doc = b"Share this\nShare this and more\n";
        let out = cleaner.clean(doc).apply(doc);
        assert_eq!(out, b"Share this and more\n");
    }

    #[test]
    fn embedded_rules_check_syntax_and_compile_when_used() {
        // Trusted text (the embedded rules' path) reports a syntax error as
        // a user's file does, with the same message...
        let bad = "[regex:contains]\nok\nstring(\\d+\n[regex:line]\n(?-u:\\xFF)x\n";
        let mut trusted = RuleSet::new();
        let err = trusted.add("t.rules", bad.as_bytes(), true).unwrap_err();
        assert_eq!(err.to_string(), parse(bad).unwrap_err().to_string());
        // ... and is compiled on first use, to the regex a user's file gets.
        let user = parse("[regex:line]\n(?-u:\\xFF)x\n").unwrap();
        let (Pattern::Regex(lazy), Pattern::Regex(eager)) =
            (&trusted.rules()[1].pattern, &user.rules()[0].pattern)
        else {
            panic!("regex rules expected");
        };
        assert!(lazy.compiled.get().is_none() && eager.compiled.get().is_some());
        assert_eq!(lazy.regex().as_str(), eager.regex().as_str());
        assert!(lazy.regex().is_match(b"\xFFX") && !lazy.regex().is_match(b"\xFFX "));
        // Every embedded regex compiles within the size limit.
        for rule in RuleSet::defaults().rules() {
            if let Pattern::Regex(re) = &rule.pattern {
                assert!(build_regex(re.as_str()).is_ok(), "{}", rule.origin);
            }
        }
    }

    #[test]
    fn oversized_regex_is_an_error() {
        let err = parse("[regex:contains]\n\\w{1000}\\w{1000}\\w{1000}\n").unwrap_err();
        assert_eq!(err.errors[0].line, 2);
        assert!(err.errors[0].message.contains("too large"), "{err}");
    }

    #[test]
    fn section_options() {
        let set =
            parse("[tail within=30% max-words=any]\nMore\n[contains max-words=5]\nx\n").unwrap();
        assert_eq!(set.rules()[0].within, Some(0.3));
        assert_eq!(set.rules()[0].max_words, WordLimit::Any);
        assert_eq!(set.rules()[1].max_words, WordLimit::AtMost(5));
        assert_eq!(error_lines("[phrase max-words=3]\n"), vec![1]);
        assert_eq!(error_lines("[contains within=10%]\n"), vec![1]);
        assert_eq!(error_lines("[tail within=150%]\n"), vec![1]);
    }

    #[test]
    fn host_scoped_sections() {
        let set = parse("[contains host=nationaljournal.com,Example.org]\nSubscribe\n[line]\nx\n")
            .unwrap();
        let rule = &set.rules()[0];
        assert_eq!(rule.hosts, ["nationaljournal.com", "example.org"]);
        assert!(rule.applies_to(Some("nationaljournal.com")));
        assert!(rule.applies_to(Some("www.nationaljournal.com")));
        assert!(!rule.applies_to(Some("notnationaljournal.com")));
        assert!(!rule.applies_to(None));
        assert!(
            set.rules()[1].applies_to(None),
            "the next section is not scoped"
        );
        assert_eq!(error_lines("[line host=a.com/x]\n"), vec![1]);
        assert_eq!(error_lines("[menu host=a.com]\n"), vec![1]);
    }

    #[test]
    fn settings_switch_detectors_and_later_files_win() {
        let mut set = parse("[settings]\nrepeated-lines = off\nmenu-runs.min-run = 4\n").unwrap();
        assert!(!set.settings().repeated_lines.enabled);
        assert_eq!(set.settings().menu_runs.min, 4);
        set.add_source(
            "u.rules",
            "[settings]\nrepeated-lines = on\ntail.within = 25%\n",
        )
        .unwrap();
        assert!(set.settings().repeated_lines.enabled);
        assert_eq!(
            set.settings()
                .repeated_lines
                .origin
                .as_ref()
                .unwrap()
                .to_string(),
            "u.rules:2"
        );
        assert_eq!(set.settings().tail_within, 0.25);
        assert_eq!(error_lines("[settings]\nmenu-runs.min-run = 0\n"), vec![2]);
    }

    #[test]
    fn header_or_rule() {
        let cases = [
            ("[line]", true),
            ("[contains max-words=3]", true),
            ("[regex:tail within=30%]", true),
            ("[nosuch]", true),
            ("[line", true),
            ("[ line ]", true),
            ("[ contains max-words=3 ]   # spaced", true),
            ("[lnie] # a typo", true),
            ("[ Photo ]", false),
            ("[ line\t]", true),
            ("[line\thost=a.example]", true),
            ("[A-Z] #\\d+", false),
            ("[Photo] # 1", false),
            ("[|\u{2022}/]", false),
            ("[a-z]+ words", false),
            ("[0-9]{4}", false),
            ("plain", false),
        ];
        for (line, want) in cases {
            assert_eq!(is_header(line), want, "{line}");
        }
        let set = parse("[regex:line]\n[|\u{2022}]\n").unwrap();
        assert!(set.rules()[0].is_regex());
        // A comment after a header, as README.md writes them.
        let set = parse("[line]   # drop it\nA\n[contains max-words=3] # short ones\nB\n").unwrap();
        let actions: Vec<(Action, &str)> = set
            .rules()
            .iter()
            .map(|r| (r.action, r.origin.text.as_str()))
            .collect();
        assert_eq!(actions, [(Action::Line, "A"), (Action::Contains, "B")]);
        // Spaces inside the brackets.
        let set = parse("[contains]\nA\n[ line ]\nB\n").unwrap();
        assert_eq!(set.rules()[1].action, Action::Line);
        // Options once each; no wildcard hosts (subdomains are included).
        for bad in ["[tail within=10% within=20%]", "[line host=*.example.com]"] {
            let err = parse(&format!("{bad}\nx\n")).unwrap_err().to_string();
            assert!(err.starts_with("t.rules:1: "), "{err}");
        }
        // Host names in any form, as `url_host` gives them: in ASCII, lower
        // case, whichever form the rule is written in (NFD here).
        for header in ["[line host=BÜCHER.de]", "[line host=bu\u{308}cher.de]"] {
            let set = parse(&format!("{header}\nx\n")).unwrap();
            assert_eq!(set.rules()[0].hosts, ["xn--bcher-kva.de"], "{header}");
            assert!(set.rules()[0].applies_to(Some("www.xn--bcher-kva.de")));
        }
        // Host names that no URL has are refused.
        for bad in [
            ".example.com",
            "a..example",
            "user@example.com",
            "a#b",
            "a?b",
            "a\\b",
        ] {
            let err = parse(&format!("[line host={bad}]\nx\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("host"), "{bad}: {err}");
        }
        // `host` given twice adds to the hosts.
        let set = parse("[line host=a.example host=b.example]\nx\n").unwrap();
        assert!(set.rules()[0].applies_to(Some("b.example")));
        assert!(set.rules()[0].applies_to(Some("a.example")));
        // A bracketed phrase with spaces, not a section's name, is a phrase.
        let set = parse("[line]\n[ Photo ]\n").unwrap();
        assert_eq!(set.rules()[0].origin.text, "[ Photo ]");
    }

    #[test]
    fn escapes_and_invalid_utf8() {
        let set = parse("[line]\n\\# not a comment\n\\[not a header]\n").unwrap();
        assert_eq!(set.rules()[0].origin.text, "\\# not a comment");
        match &set.rules()[1].pattern {
            Pattern::Literal(p) => assert_eq!(p, b"[not a header]"),
            Pattern::Regex(_) => unreachable!(),
        }
        let mut set = RuleSet::new();
        let err = set
            .add_bytes("b.rules", b"[line]\nok\n\xff\xfe\n")
            .unwrap_err();
        assert_eq!(err.errors[0].line, 3);
    }
}
