//! Properties of cleaning, checked on generated inputs (proptest): arbitrary
//! bytes and pages made of chrome, article words, odd characters (no-break
//! spaces, typographic quotes, zero-width characters, lone CR, invalid UTF-8)
//! and long lines, cleaned with the default rules and with small random rules
//! files; and the replay of the saved fuzzing corpus through the fuzz targets.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

use dechrome::classify::{features, Forest, Model};
use dechrome::clean::split_lines;
use dechrome::rules::Action;
use dechrome::span::Cause;
use dechrome::{Cleaner, RuleSet};

use crate::util::tree;

/// The fuzz targets and the checks they share with these properties.
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_targets;

use fuzz_targets::{check_cleaning, default_cleaner};

/// Chrome the default rules know (and that random rules are made of).
const CHROME: &[&str] = &[
    "Skip Navigation",
    "Reveal Navigation",
    "Your browser is out of date",
    "Click for photos.",
    "More in this section",
    "Share this",
    "Facebook",
    "Twitter",
    "RSS",
    "Home",
    "Close X",
    "Sign up for our newsletter",
    "Leave a reply",
    "Your email address will not be published",
    "3 comments",
    "Advertisement",
];

/// Article words.
const WORDS: &[&str] = &[
    "the",
    "minister",
    "said",
    "talks",
    "would",
    "begin",
    "on",
    "Monday",
    "in",
    "Vienna",
    "officials",
    "were",
    "hopeful",
    "Iran",
    "share",
    "click",
    "photos",
    "more",
    "navigation",
    "news",
    "home",
    "(AP)",
    "2014",
];

/// Characters normalisation folds or keeps, and multi-byte text.
const ODD: &[&str] = &[
    "\u{a0}", "\u{2019}", "\u{2018}", "\u{201c}", "\u{201d}", "\u{200b}", "\u{feff}", "\t", "  ",
    "\r", "\u{3000}", "\u{2009}", "é", "😀", "\u{2014}", "中文", "|", "•",
];

/// Bytes that are not UTF-8 (and a NUL).
const BAD: &[&[u8]] = &[
    b"\xff",
    b"\xfe\xfe",
    b"\xe2\x80",
    b"\xc2",
    b"\x00",
    b"\x80",
    b"\xed\xa0\x80",
];

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => select(CHROME).prop_map(|s| s.as_bytes().to_vec()),
        8 => select(WORDS).prop_map(|s| s.as_bytes().to_vec()),
        2 => select(ODD).prop_map(|s| s.as_bytes().to_vec()),
        1 => select(BAD).prop_map(<[u8]>::to_vec),
    ]
}

/// One line's text, without its ending.
fn line_text() -> impl Strategy<Value = Vec<u8>> {
    let words = || vec(piece(), 0..16).prop_map(|pieces| pieces.join(&b' '));
    prop_oneof![
        10 => words(),
        // One text pasted two or more times (doubled-lines).
        1 => (words(), 2..5usize).prop_map(|(text, n)| vec![text; n].join(&b' ')),
        // A long line.
        1 => vec(select(WORDS), 300..900).prop_map(|w| w.join(" ").into_bytes()),
    ]
}

/// A line: new text, or a copy of an earlier line (repeated-lines).
#[derive(Clone, Debug)]
enum Source {
    New(Vec<u8>),
    Copy(Index),
}

fn ending() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![8 => Just(&b"\n"[..]), 3 => Just(&b"\r\n"[..]), 1 => Just(&b"\r"[..])]
}

/// A page: lines of chrome and text, CRLF, lone CR and invalid UTF-8 included,
/// with or without a final line ending.
fn page() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        5 => line_text().prop_map(Source::New),
        1 => any::<Index>().prop_map(Source::Copy),
    ];
    (vec((line, ending()), 0..40), any::<bool>()).prop_map(|(lines, final_ending)| {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut doc = Vec::new();
        for (source, ending) in lines {
            let text = match source {
                Source::Copy(i) if !texts.is_empty() => texts[i.index(texts.len())].clone(),
                Source::Copy(_) => Vec::new(),
                Source::New(text) => text,
            };
            doc.extend_from_slice(&text);
            doc.extend_from_slice(ending);
            texts.push(text);
        }
        if !final_ending {
            while doc.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                doc.pop();
            }
        }
        doc
    })
}

/// Arbitrary bytes, with many line endings.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![1 => Just(b'\n'), 1 => Just(b'\r'), 1 => Just(b' '), 6 => any::<u8>()],
        0..2000,
    )
}

/// A document: a page or arbitrary bytes.
fn document() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => page(), 1 => bytes()]
}

/// A phrase made of the vocabulary, so that rules match the pages often.
fn phrase() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(CHROME).prop_map(str::to_string),
        3 => vec(select(WORDS), 1..4).prop_map(|w| w.join(" ")),
        1 => (select(WORDS), select(ODD), select(WORDS)).prop_map(|(a, o, b)| format!("{a}{o}{b}")),
    ]
}

/// Regex pieces (Unicode mode: matches never split a character).
const REGEX_ATOMS: &[&str] = &[
    r"\w+",
    r"\d+",
    r".*",
    r"\s",
    r"[a-z]+",
    r"\W*",
    r"(?-i)[A-Z]\w*",
];

/// A regex made of the vocabulary and a few operators.
fn regex() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => select(WORDS).prop_map(regex_escape),
        1 => select(REGEX_ATOMS).prop_map(str::to_string),
        1 => (select(WORDS), select(WORDS))
            .prop_map(|(a, b)| format!("({}|{})", regex_escape(a), regex_escape(b))),
    ];
    (select(WORDS), vec(atom, 0..4)).prop_map(|(first, rest)| {
        let mut re = regex_escape(first);
        for atom in rest {
            re.push(' ');
            re.push_str(&atom);
        }
        re
    })
}

fn regex_escape(word: &str) -> String {
    word.replace('(', r"\(").replace(')', r"\)")
}

/// A `[settings]` line with a valid value.
fn setting() -> impl Strategy<Value = String> {
    let switch = || select(&["on", "off"][..]);
    prop_oneof![
        switch().prop_map(|v| format!("repeated-lines = {v}")),
        (1..6usize).prop_map(|v| format!("repeated-lines.min-words = {v}")),
        (0..10usize).prop_map(|v| format!("repeated-lines.window = {v}")),
        switch().prop_map(|v| format!("doubled-lines = {v}")),
        (1..5usize).prop_map(|v| format!("doubled-lines.min-words = {v}")),
        switch().prop_map(|v| format!("menu-runs = {v}")),
        (1..5usize).prop_map(|v| format!("menu-runs.min-run = {v}")),
        (1..16usize).prop_map(|v| format!("max-words = {v}")),
        (10..=100usize).prop_map(|v| format!("head.within = {v}%")),
        (10..=100usize).prop_map(|v| format!("tail.within = {v}%")),
        switch().prop_map(|v| format!("classifier = {v}")),
    ]
}

/// A section header and its entries.
fn section() -> impl Strategy<Value = String> {
    let name = select(dechrome::rules::SECTIONS);
    let options = (
        prop::option::of(prop_oneof![
            (1..15usize).prop_map(|n| n.to_string()),
            Just("any".to_string())
        ]),
        prop::option::of(10..=100usize),
        prop::option::weighted(
            0.2,
            select(&["example.com", "news.example.com,example.org"][..]),
        ),
    );
    (
        name,
        options,
        vec(phrase(), 1..6),
        vec(regex(), 1..4),
        vec(setting(), 1..4),
    )
        .prop_map(
            |(name, (max_words, within, host), phrases, regexes, settings)| {
                let base = name.trim_start_matches("regex:");
                let mut header = format!("[{name}");
                if let Some(n) = max_words.filter(|_| matches!(base, "contains" | "tail" | "head"))
                {
                    header.push_str(&format!(" max-words={n}"));
                }
                if let Some(w) = within.filter(|_| matches!(base, "tail" | "head")) {
                    header.push_str(&format!(" within={w}%"));
                }
                if let Some(h) = host.filter(|_| !matches!(name, "menu" | "settings")) {
                    header.push_str(&format!(" host={h}"));
                }
                header.push_str("]\n");
                let entries = match name {
                    "settings" => settings,
                    _ if name.starts_with("regex:") => regexes,
                    _ => phrases,
                };
                header + &entries.join("\n") + "\n"
            },
        )
}

/// A small rules file: random sections from the vocabulary.
fn rules_file() -> impl Strategy<Value = String> {
    vec(section(), 1..6).prop_map(|sections| sections.concat())
}

/// Every output line is an input line, whole or with cuts inside it, in the
/// input's order (checked on the texts alone, independently of the spans).
fn assert_lines_in_order(doc: &[u8], out: &[u8]) {
    let input: Vec<&[u8]> = doc.split_inclusive(|&b| b == b'\n').collect();
    let mut next = 0;
    for (n, line) in out.split_inclusive(|&b| b == b'\n').enumerate() {
        loop {
            assert!(
                next < input.len(),
                "output line {} ({:?}) is no input line, in order",
                n + 1,
                String::from_utf8_lossy(line)
            );
            let candidate = input[next];
            next += 1;
            if candidate == line || is_cut_of(line, candidate) {
                break;
            }
        }
    }
}

/// `line` is `original` with bytes cut out (its ending kept, unless it is the
/// document's last line and lost its ending).
fn is_cut_of(line: &[u8], original: &[u8]) -> bool {
    if line.ends_with(b"\n") && !original.ends_with(b"\n") {
        return false;
    }
    let mut rest = original.iter();
    line.iter().all(|b| rest.any(|o| o == b))
}

/// The embedded model, laid out for scoring.
fn forest() -> &'static Forest {
    static FOREST: OnceLock<Forest> = OnceLock::new();
    FOREST.get_or_init(|| Forest::new(&Model::embedded()))
}

/// The default cleaner as `dechrome` runs it for plain output.
fn quick_cleaner() -> &'static Cleaner {
    static CLEANER: OnceLock<Cleaner> = OnceLock::new();
    CLEANER.get_or_init(|| {
        Cleaner::new(RuleSet::defaults())
            .expect("defaults compile")
            .naming_features(false)
    })
}

/// A cleaner over the rules file `text` alone.
fn cleaner_for(text: &str) -> Cleaner {
    let mut set = RuleSet::new();
    set.add_source("random.rules", text)
        .unwrap_or_else(|e| panic!("generated rules do not parse:\n{e}\n{text}"));
    Cleaner::new(set).unwrap()
}

/// `PROPTEST_CASES` cases if set (a longer run: `PROPTEST_CASES=5000 cargo
/// test --release properties`), else `cases`: few enough that `cargo test`
/// stays fast. A failure prints its shrunk input; nothing is written to disk.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(192))]

    /// Default rules: spans sorted, disjoint, whole lines or cuts inside a
    /// line; deleting them gives the output; output lines are input lines in
    /// order; kept bytes identical; valid UTF-8 stays valid.
    #[test]
    fn default_cleaning_keeps_lines_and_bytes(doc in document()) {
        let cleaner = default_cleaner();
        let cleaning = cleaner.clean(&doc);
        let out = check_cleaning(cleaner, &doc, &cleaning);
        assert_lines_in_order(&doc, &out);
        if std::str::from_utf8(&doc).is_ok() {
            prop_assert!(std::str::from_utf8(&out).is_ok(), "a cut split a character");
        }
    }

    /// The classifier's early stop never changes a decision: for any cut,
    /// `Forest::below` says what comparing the sum of all the trees says.
    #[test]
    fn stopping_early_decides_like_every_tree(doc in page(), cut in -8.0f64..8.0) {
        let lines = split_lines(&doc);
        let mut texts = Vec::new();
        for line in &lines {
            let mut norm = Vec::new();
            dechrome::normalize::normalize(&doc[line.start..line.content_end], &mut norm);
            if !norm.is_empty() {
                texts.push(norm);
            }
        }
        let views: Vec<&[u8]> = texts.iter().map(Vec::as_slice).collect();
        let xs = features(&views);
        let forest = forest();
        let mut cuts = vec![cut];
        // Cuts a hair either side of a line's own sum are the hard ones.
        cuts.extend(xs.iter().take(4).flat_map(|x| {
            let sum = f64::from(forest.logit(x));
            [sum - 1e-3, sum, sum + 1e-3]
        }));
        for cut in cuts {
            let whole: Vec<bool> = xs.iter().map(|x| f64::from(forest.logit(x)) < cut).collect();
            prop_assert_eq!(forest.below(&xs, cut), whole, "cut {}", cut);
        }
    }

    /// Not naming the deciding feature changes nothing but the name: every
    /// byte is removed for the same reason (neighbouring lines the classifier
    /// removed for different features may now share one span).
    #[test]
    fn naming_features_changes_only_the_cause(doc in page()) {
        let per_byte = |cleaning: &dechrome::Cleaning| {
            let mut causes = vec![None; doc.len()];
            for span in &cleaning.spans {
                let cause = match span.cause {
                    Cause::Classifier(_) => Cause::Classifier(None),
                    cause => cause,
                };
                causes[span.start..span.end].fill(Some(cause));
            }
            causes
        };
        let named = default_cleaner().clean(&doc);
        let quick = quick_cleaner().clean(&doc);
        prop_assert!(!quick.spans.iter().any(|s| matches!(s.cause, Cause::Classifier(Some(_)))));
        prop_assert_eq!(per_byte(&named), per_byte(&quick));
    }

    /// The same over small random rules files, with and without a host.
    #[test]
    fn random_rules_keep_lines_and_bytes(rules in rules_file(), doc in document()) {
        let cleaner = cleaner_for(&rules);
        for host in [None, Some("www.example.com")] {
            let cleaning = cleaner.clean_for(&doc, host);
            let out = check_cleaning(&cleaner, &doc, &cleaning);
            assert_lines_in_order(&doc, &out);
            if std::str::from_utf8(&doc).is_ok() {
                prop_assert!(std::str::from_utf8(&out).is_ok(), "a cut split a character");
            }
        }
    }

    /// Idempotence, where it holds: rules that judge a whole line by its own
    /// text (`[line]`, `[contains]` and their regex forms: the default rules
    /// without their `[head]`/`[tail]` markers), detectors and classifier off.
    /// A second pass over the output removes nothing. (The defaults have no
    /// `[phrase]` rules; a phrase cut can join text into a new match.)
    #[test]
    fn line_rules_are_idempotent(doc in page()) {
        let cleaner = line_rules_cleaner();
        let once = cleaner.clean(&doc).apply(&doc);
        let twice = cleaner.clean(&once);
        prop_assert!(twice.is_unchanged(), "{}", second_pass(cleaner, &once, &twice));
    }

    /// With all the default rules, a second pass may remove more, and only for
    /// these reasons (see `second_pass_exceptions`):
    /// - the classifier: its features look at neighbouring lines and the whole
    ///   page, which the first pass changed;
    /// - `[head]`/`[tail]` markers: they count only within a share of the
    ///   document's bytes, and the document got shorter;
    /// - the detectors, through what ran after them in the first pass:
    ///   `repeated-lines` counts copies (exactly two) and its window over
    ///   lines that `menu-runs` or the classifier then removed, a run of
    ///   `menu-runs` is broken by a line the classifier then removed; and
    ///   `doubled-lines` cuts one copy only (a text pasted four times keeps two);
    /// - a line rule on a line the first pass cut (a doubled line, now short
    ///   enough for a word guard or equal to a `[line]` phrase), never on a
    ///   line the first pass kept as it was;
    /// - layout: blank lines next to any of those removals.
    #[test]
    fn default_second_pass_removes_only_for_documented_reasons(doc in page()) {
        let cleaner = default_cleaner();
        let first = cleaner.clean(&doc);
        let once = first.apply(&doc);
        let twice = cleaner.clean(&once);
        let cut = cut_lines(&doc, &first);
        let lines = split_lines(&once);
        prop_assert_eq!(cut.len(), lines.len());
        for span in &twice.spans {
            let allowed = match span.cause {
                Cause::Classifier(_) | Cause::Detector(_) | Cause::Layout => true,
                Cause::Rule(id) => match cleaner.matcher().rule(id).action {
                    Action::Head | Action::Tail => true,
                    // Judged by its text alone: only a line the first pass cut.
                    _ => (0..lines.len())
                        .filter(|&i| lines[i].start < span.end && span.start < lines[i].end)
                        .any(|i| cut[i]),
                },
            };
            prop_assert!(allowed, "{}", second_pass(cleaner, &once, &twice));
        }
    }
}

/// For each line of `cleaning`'s output, whether a cut inside it (not just
/// its final line ending) changed it.
fn cut_lines(doc: &[u8], cleaning: &dechrome::Cleaning) -> Vec<bool> {
    let mut out = Vec::new();
    for line in split_lines(doc) {
        let inside = |s: &&dechrome::span::Span| s.start < line.end && line.start < s.end;
        let spans: Vec<_> = cleaning.spans.iter().filter(inside).collect();
        let whole = spans
            .iter()
            .any(|s| s.start <= line.start && s.end >= line.end);
        if !whole {
            out.push(spans.iter().any(|s| s.start < line.content_end));
        }
    }
    out
}

/// What a second pass removed, for failure messages.
fn second_pass(cleaner: &Cleaner, once: &[u8], twice: &dechrome::Cleaning) -> String {
    let mut out = format!(
        "first pass gave {:?}\nsecond pass removed:\n",
        String::from_utf8_lossy(once)
    );
    for span in &twice.spans {
        out.push_str(&format!(
            "  {:?}: {}\n",
            String::from_utf8_lossy(&once[span.start..span.end]),
            dechrome::explain::describe(cleaner.matcher(), span.cause)
        ));
    }
    out
}

/// The default rules without `[head]`/`[tail]` sections, detectors and
/// classifier off.
fn line_rules_cleaner() -> &'static Cleaner {
    static CLEANER: std::sync::OnceLock<Cleaner> = std::sync::OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut set = RuleSet::new();
        for (name, text) in dechrome::DEFAULT_RULE_FILES {
            let mut kept = String::new();
            let mut positional = false;
            for line in text.lines() {
                let trimmed = line.trim();
                if trimmed.starts_with('[') && trimmed.ends_with(']') {
                    let section = trimmed[1..].trim_start_matches("regex:");
                    positional = section.starts_with("head") || section.starts_with("tail");
                }
                // Blank lines keep the line numbers of the rules.
                kept.push_str(if positional && !trimmed.starts_with('[') { "" } else { line });
                kept.push('\n');
            }
            set.add_source(name, &kept).unwrap();
        }
        set.add_source(
            "off.rules",
            "[settings]\nclassifier = off\nrepeated-lines = off\ndoubled-lines = off\nmenu-runs = off\n",
        )
        .unwrap();
        assert!(set.rules().iter().all(|r| !matches!(r.action, Action::Head | Action::Tail)));
        Cleaner::new(set).unwrap()
    })
}

/// One example of each reason a second pass with the default rules removes
/// more (the exceptions to idempotence), the classifier off so that each shows
/// one reason alone.
#[test]
fn second_pass_exceptions() {
    let mut rules = RuleSet::defaults();
    rules
        .add_source("off.rules", "[settings]\nclassifier = off\n")
        .unwrap();
    let cleaner = Cleaner::new(rules).unwrap();
    let passes = |doc: &str| -> (String, String) {
        let once = cleaner.clean(doc.as_bytes()).apply(doc.as_bytes());
        let twice = cleaner.clean(&once).apply(&once);
        (
            String::from_utf8(once).unwrap(),
            String::from_utf8(twice).unwrap(),
        )
    };
    let body = "The minister said on Monday that the talks in Vienna would begin next week, and officials were hopeful.\n";
    // doubled-lines: a title pasted four times is cut to two copies, then one.
    let title = "Iran Talks Begin In Vienna";
    let doc = format!("{}\n{body}", [title; 4].join(" "));
    let (once, twice) = passes(&doc);
    assert_eq!(once, format!("{title} {title}\n{body}"));
    assert_eq!(twice, format!("{title}\n{body}"));
    // A doubled line cut to one copy can then fall under a word guard.
    let notice = "Your browser is out of date.";
    let doc = format!("{body}{}\n", [notice; 4].join(" "));
    let (once, twice) = passes(&doc);
    assert_eq!(once, format!("{body}{notice} {notice}\n"));
    assert_eq!(twice, body);
    // repeated-lines: the copies were too far apart (the window counts lines
    // of four words or more) until menu-runs removed the menus between them.
    let menu = "News | About | Blog | Contact\n".repeat(9);
    let doc = format!("{title}\n{menu}{title}\n{body}");
    let (once, twice) = passes(&doc);
    assert_eq!(once, format!("{title}\n{title}\n{body}"));
    assert_eq!(twice, format!("{title}\n{body}"));
    // [tail]: the marker was not in the last half of the page until the
    // chrome after it went.
    let doc = format!(
        "{body}Ready for more?\n{}A related story about the talks\n",
        "Skip Navigation\n".repeat(12)
    );
    let (once, twice) = passes(&doc);
    assert_eq!(
        once,
        format!("{body}Ready for more?\nA related story about the talks\n")
    );
    assert_eq!(twice, body);
}
/// One generated input file: its path under the input directory and bytes.
fn input_file() -> impl Strategy<Value = (String, Vec<u8>)> {
    let name = || (0..3usize, 0..1000usize).prop_map(|(d, n)| format!("d{d}/f{n}"));
    prop_oneof![
        3 => (name(), document()).prop_map(|(name, doc)| (name + ".txt", doc)),
        1 => (name(), document()).prop_map(|(name, doc)| (name + ".txt.gz", gzip(&doc))),
        1 => (name(), vec(document(), 1..60)).prop_map(|(name, docs)| (name + ".jsonl", jsonl(&docs))),
        1 => (name(), vec(document(), 1..20)).prop_map(|(name, docs)| (name + ".warc", warc(&docs))),
    ]
}

fn gzip(doc: &[u8]) -> Vec<u8> {
    use dechrome::format::{Compression, Output};
    use std::io::Write;
    let mut out = Output::new(Vec::new(), Compression::Gzip).unwrap();
    out.write_all(doc).unwrap();
    out.finish().unwrap()
}

/// A JSONL shard of the documents (as UTF-8), with a malformed line now and then.
fn jsonl(docs: &[Vec<u8>]) -> Vec<u8> {
    let mut jsonl = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i % 17 == 5 {
            jsonl.push_str("{\"id\": \"broken\", \"text\": 1}\n");
        }
        let text = String::from_utf8_lossy(doc);
        let record = serde_json::json!({"id": i, "text": text, "url": "https://www.example.com/"});
        jsonl.push_str(&record.to_string());
        jsonl.push('\n');
    }
    jsonl.into_bytes()
}

/// A WET file of the documents; every fifth record has a wrong Content-Length.
fn warc(docs: &[Vec<u8>]) -> Vec<u8> {
    let mut warc = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let length = if i % 5 == 4 { doc.len() / 2 } else { doc.len() };
        let head = format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://example.com/{i}\r\n\
             WARC-Record-ID: <urn:uuid:{i}>\r\nContent-Length: {length}\r\n\r\n"
        );
        warc.extend_from_slice(head.as_bytes());
        warc.extend_from_slice(doc);
        warc.extend_from_slice(b"\r\n\r\n");
    }
    warc
}

/// Everything a run of the CLI over `input` with `threads` threads gives:
/// output, attribute and statistics files; standard output and messages, of a
/// run to a directory, to standard output, and of `--explain`.
fn cli_run(input: &Path, dir: &Path, threads: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let run = |args: &[&std::ffi::OsStr]| {
        let output = assert_cmd::Command::cargo_bin("dechrome")
            .unwrap()
            .args(["-j", threads])
            .args(args)
            .arg(input)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let to_dir = run(&[
        "-o".as_ref(),
        dir.join("out").as_os_str(),
        "--attributes".as_ref(),
        dir.join("attrs").as_os_str(),
        "--stats".as_ref(),
        dir.join("stats.json").as_os_str(),
    ]);
    let to_stdout = run(&[]);
    let explain = run(&["--explain".as_ref(), "--format".as_ref(), "json".as_ref()]);
    let mut all = tree(dir);
    for (name, bytes) in [
        ("to-dir.stderr", to_dir.stderr),
        ("stdout", to_stdout.stdout),
        ("stdout.stderr", to_stdout.stderr),
        ("explain", explain.stdout),
    ] {
        all.push((PathBuf::from(name), bytes));
    }
    all
}

proptest! {
    #![proptest_config(config(3))]

    /// The CLI's output is identical for any thread count: the same directory
    /// of generated files (text, gzip, JSONL with malformed lines, WARC with
    /// damaged records) cleaned with -j1 and -j3 gives byte-identical output
    /// files, attribute files, statistics, standard output and messages.
    #[test]
    fn cli_output_is_identical_for_any_thread_count(files in vec(input_file(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        for (name, bytes) in &files {
            let path = input.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let one = cli_run(&input, &tmp.path().join("j1"), "1");
        let three = cli_run(&input, &tmp.path().join("j3"), "3");
        prop_assert!(one.iter().any(|(p, _)| p.starts_with("out")));
        prop_assert!(one == three, "-j1 and -j3 differ");
    }
}

/// Every file of `fuzz/corpus/TARGET/` goes through its fuzz target without a
/// panic (a stable stand-in for `cargo fuzz run TARGET corpus/TARGET -runs=0`).
#[test]
fn fuzz_corpus_replays_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut failed = Vec::new();
    for (name, target) in fuzz_targets::TARGETS {
        let files = tree(&root.join(name));
        assert!(!files.is_empty(), "no corpus for the `{name}` target");
        for (path, bytes) in files {
            if catch_unwind(AssertUnwindSafe(|| target(&bytes))).is_err() {
                failed.push(format!("{name}/{}", path.display()));
            }
        }
    }
    assert!(failed.is_empty(), "corpus files that fail: {failed:?}");
}

/// Where a crash input of the random driver is kept.
fn artifact_path(target: &str, seed: u64, n: u64) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/artifacts")
        .join(target)
        .join(format!("crash-{seed}-{n}"))
}

/// A random-input driver for machines where cargo-fuzz cannot run (it needs a
/// nightly toolchain): mutates the saved corpus and feeds every target for
/// `FUZZ_SECONDS` seconds in all (default 60), or only `FUZZ_TARGET`;
/// `FUZZ_SEED` repeats a run. A failing input is saved under
/// `fuzz/artifacts/TARGET/`. `scripts/fuzz.sh` runs it with
/// `cargo test --release -- --ignored fuzz_`.
#[test]
#[ignore = "a time-boxed random-input driver, run by scripts/fuzz.sh"]
fn fuzz_targets_with_mutated_corpus() {
    let env = |key: &str| std::env::var(key).ok();
    let seconds: u64 = env("FUZZ_SECONDS")
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed: u64 = env("FUZZ_SEED")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let only = env("FUZZ_TARGET");
    let targets: Vec<&(&str, fuzz_targets::Target)> = fuzz_targets::TARGETS
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    assert!(!targets.is_empty(), "no target named {only:?}");
    let per_target = std::time::Duration::from_secs(seconds) / targets.len() as u32;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut rng = Rng(seed | 1);
    for (name, target) in targets {
        let corpus: Vec<Vec<u8>> = tree(&root.join(name)).into_iter().map(|(_, b)| b).collect();
        let deadline = std::time::Instant::now() + per_target;
        let mut runs = 0u64;
        while std::time::Instant::now() < deadline {
            let input = mutate(&mut rng, &corpus);
            if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
                let path = artifact_path(name, seed, runs);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &input).unwrap();
                panic!(
                    "the `{name}` target failed on {} (seed {seed})",
                    path.display()
                );
            }
            runs += 1;
        }
        eprintln!("fuzz {name}: {runs} inputs in {per_target:?} (seed {seed}), no failure");
    }
}

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Fragments that matter to the parsers, spliced in by the mutator.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xff",
    b"\xe2\x80\x99",
    b"\xc2\xa0",
    b"WARC/1.0\r\n",
    b"Content-Length: 12\r\n",
    b"WARC-Type: conversion\r\n",
    b"Content-Type: text/plain\r\n",
    b"\r\n\r\n",
    b"[regex:phrase]\n",
    b"[tail within=10%]\n",
    b"[settings]\nclassifier = on\n",
    b"(a+)+$",
    b"\\w{1000}",
    b"\"text\":",
    b"\\ud800",
    b"{\"text\":\"",
    b"Skip Navigation\n",
    b"\x1f\x8b\x08\x00",
    b"\x28\xb5\x2f\xfd",
];

/// A corpus file with a few random edits.
fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(8) {
            0 if at < data.len() => data[at] ^= 1 << rng.below(8),
            1 if at < data.len() => data[at] = rng.next() as u8,
            2 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            3 => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            4 => {
                let end = (at + 1 + rng.below(256)).min(data.len());
                let copy = data[at.min(end)..end].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, copy);
            }
            5 => {
                let other = &corpus[rng.below(corpus.len())];
                let start = rng.below(other.len() + 1);
                let end = (start + rng.below(512)).min(other.len());
                data.splice(at..at, other[start..end].iter().copied());
            }
            6 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            _ => data.truncate(at),
        }
    }
    data.truncate(64 << 10);
    data
}
