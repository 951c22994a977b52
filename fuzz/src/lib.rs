//! Fuzz targets for dechrome: one function per target, taking the fuzzer's
//! bytes. `fuzz_targets/NAME.rs` hands them to libFuzzer (cargo-fuzz, nightly);
//! the main crate's tests include this file and replay every file of
//! `fuzz/corpus/NAME/` through the same functions on stable, so the saved
//! corpus is checked on every `cargo test`.
//!
//! Each target must never panic, hang or grow memory without bound, whatever
//! the bytes; beyond that it checks what must hold of the result (spans that
//! reproduce the output, records that read back as written).

use std::io::Read;
use std::sync::OnceLock;

use dechrome::clean::split_lines;
use dechrome::format::jsonl::{Keys, Record};
use dechrome::format::warc::{Item, Reader};
use dechrome::rules::Action;
use dechrome::span::{Cause, Detector};
use dechrome::stats::{DocCounts, Stats};
use dechrome::{Cleaner, Cleaning, RuleSet};

/// A fuzz target: takes the fuzzer's bytes, panics on a finding.
pub type Target = fn(&[u8]);

/// Every target by the name of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("rules", rules),
    ("clean", clean),
    ("jsonl", jsonl),
    ("warc", warc),
    ("decompress", decompress),
];

/// The rules-file parser: any bytes parse into rules or `FILE:LINE` errors,
/// and the rules that parsed compile and clean.
pub fn rules(data: &[u8]) {
    let mut set = RuleSet::new();
    if let Err(e) = set.add_bytes("fuzz.rules", data) {
        let lines = data.split(|&b| b == b'\n').count();
        assert!(!e.errors.is_empty(), "an error with no bad line");
        for err in &e.errors {
            assert!(
                (1..=lines).contains(&err.line),
                "line {} of {lines}",
                err.line
            );
            assert!(err.to_string().starts_with("fuzz.rules:"), "{err}");
        }
    }
    // The good lines of a file with errors are kept: they must compile.
    let Ok(cleaner) = Cleaner::new(set) else {
        return;
    };
    let doc = b"Skip Navigation\nA story about the talks, which went on.\nShare this\n\nMore in this section\nOther story\n";
    let cleaning = cleaner.clean(doc);
    check_cleaning(&cleaner, doc, &cleaning);
}

/// The cleaner on arbitrary bytes. With a NUL byte in the input, the bytes
/// before it are a rules file and those after it the document; without one,
/// the whole input is a document cleaned with the embedded default rules.
pub fn clean(data: &[u8]) {
    let (custom, doc) = match data.iter().position(|&b| b == 0) {
        Some(i) => {
            let mut set = RuleSet::new();
            // Bad lines are reported; the good ones are used.
            let _ = set.add_bytes("fuzz.rules", &data[..i]);
            let Ok(cleaner) = Cleaner::new(set) else {
                return;
            };
            (Some(cleaner), &data[i + 1..])
        }
        None => (None, data),
    };
    let cleaner = custom.as_ref().unwrap_or_else(|| default_cleaner());
    let cleaning = cleaner.clean(doc);
    let cleaned = check_cleaning(cleaner, doc, &cleaning);
    // Host-scoped rules apply only with a host.
    check_cleaning(
        cleaner,
        doc,
        &cleaner.clean_for(doc, Some("www.example.com")),
    );
    // What --explain, --stats and --attributes make of it.
    let mut out = Vec::new();
    dechrome::explain::write(
        &mut out,
        "doc",
        doc,
        &cleaning.spans,
        cleaner.matcher(),
        true,
    )
    .expect("writing to a Vec");
    let counts = DocCounts::new(doc, &cleaning, &cleaned);
    assert_eq!(counts.span_chars.len(), cleaning.spans.len());
    let mut stats = Stats::default();
    stats.add_document(cleaner.matcher(), &cleaning, &counts);
    let _ = stats.to_json();
    let row = dechrome::attributes::row(Some("1"), "dechrome", doc, &cleaning.spans);
    let row: serde_json::Value = serde_json::from_str(&row).expect("an attribute row is JSON");
    let spans = row["attributes"]["dechrome__removed"]
        .as_array()
        .expect("spans");
    assert_eq!(spans.len(), cleaning.spans.len());
}

/// The embedded default rules, compiled once.
pub fn default_cleaner() -> &'static Cleaner {
    static CLEANER: OnceLock<Cleaner> = OnceLock::new();
    CLEANER.get_or_init(|| Cleaner::new(RuleSet::defaults()).expect("the defaults compile"))
}

/// Checks what must hold of any cleaning of `doc` and returns the output:
/// spans sorted, disjoint, non-empty and in range; each span is whole lines,
/// a cut inside one line (a `[phrase]` rule or the second copy of a doubled
/// line), or the final line ending (a document without one keeps that shape);
/// deleting the spans gives the output.
pub fn check_cleaning(cleaner: &Cleaner, doc: &[u8], cleaning: &Cleaning) -> Vec<u8> {
    let lines = split_lines(doc);
    let mut at = 0;
    let mut expected = Vec::with_capacity(doc.len());
    for span in &cleaning.spans {
        assert!(
            span.start >= at && span.start < span.end && span.end <= doc.len(),
            "span {span:?} after {at} in a document of {} bytes",
            doc.len()
        );
        expected.extend_from_slice(&doc[at..span.start]);
        at = span.end;
        let first = lines.partition_point(|l| l.end <= span.start);
        let line = lines[first];
        let whole_lines =
            span.start == line.start && lines[first..].iter().any(|l| l.end == span.end);
        let inline = span.end <= line.content_end
            && match span.cause {
                Cause::Rule(id) => cleaner.matcher().rule(id).action == Action::Phrase,
                Cause::Detector(Detector::DoubledLine) => true,
                _ => false,
            };
        let final_ending = span.cause == Cause::Layout
            && span.start == line.content_end
            && span.end == line.end
            && !doc.ends_with(b"\n");
        assert!(
            whole_lines || inline || final_ending,
            "span {span:?} is neither whole lines, a cut inside line {} ({line:?}) nor its final ending",
            first + 1
        );
    }
    expected.extend_from_slice(&doc[at..]);
    let cleaned = cleaning.apply(doc);
    assert_eq!(cleaned, expected, "deleting the spans gives the output");
    cleaned
}

/// One JSONL line: parsed or rejected with a reason; a parsed record's text
/// span is its JSON string, and splicing a text back changes nothing else.
pub fn jsonl(data: &[u8]) {
    let keys = Keys {
        url: "metadata.url".into(),
        ..Keys::default()
    };
    for keys in [Keys::default(), keys] {
        let record = match Record::parse(data, &keys) {
            Ok(record) => record,
            Err(reason) => {
                assert!(!reason.is_empty());
                continue;
            }
        };
        let (start, end) = record.text_span;
        assert!(start < end && end <= data.len());
        let raw = std::str::from_utf8(&data[start..end]).expect("a JSON string is UTF-8");
        let text: String = serde_json::from_str(raw).expect("the span is the text's JSON string");
        assert_eq!(text, record.text);
        let half: String = record
            .text
            .chars()
            .take(record.text.chars().count() / 2)
            .collect();
        let spliced = record.splice(data, &half);
        assert_eq!(
            &spliced[..start],
            &data[..start],
            "bytes before the text kept"
        );
        assert!(spliced.ends_with(&data[end..]), "bytes after the text kept");
        let again = Record::parse(&spliced, &keys).expect("a spliced record parses");
        assert_eq!(again.text, half);
        assert_eq!(again.id, record.id);
        assert_eq!(again.url, record.url);
    }
}

/// WARC reading: items come out until the input ends; a record reads back as
/// itself, also after its text is replaced (lengths and digests fixed).
pub fn warc(data: &[u8]) {
    let mut damaged = 0;
    for item in Reader::new(data) {
        match item.expect("reading from memory cannot fail") {
            Item::Record(mut record) => {
                assert_eq!(read_back(&record.to_bytes()), record);
                if let Some(range) = record.text_range() {
                    assert!(range.start <= range.end && range.end <= record.body.len());
                    let text = record.body[range.clone()].to_vec();
                    let shorter = &text[..text.len() / 2];
                    record.replace_text(range, shorter);
                    let length = record.header("Content-Length").map(str::to_string);
                    assert_eq!(length, Some(record.body.len().to_string()));
                    assert_eq!(read_back(&record.to_bytes()), record);
                }
            }
            Item::Damaged { bytes, reason } => {
                assert!(!bytes.is_empty() && !reason.is_empty());
                // Passed through unchanged: the very bytes of the input.
                assert!(
                    data.windows(bytes.len()).any(|w| w == bytes),
                    "damaged bytes ({reason}) are not a stretch of the input: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
                damaged += bytes.len();
            }
        }
    }
    assert!(damaged <= data.len());
}

fn read_back(bytes: &[u8]) -> dechrome::format::warc::Record {
    let mut items: Vec<Item> = Reader::new(bytes).map(|i| i.expect("in memory")).collect();
    assert_eq!(items.len(), 1, "a record reads back as one item: {items:?}");
    match items.remove(0) {
        Item::Record(record) => record,
        damaged => panic!("a record written reads back damaged: {damaged:?}"),
    }
}

/// gzip / zstd / plain input by magic bytes: decompresses or fails with an
/// error, never panics; output is read in bounded memory.
pub fn decompress(data: &[u8]) {
    let Ok(mut input) = dechrome::format::decompress(Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut out = Vec::new();
    // A small input may expand a lot (a "zip bomb"); reading in bounded
    // pieces is what the batch driver does, so stop after 64 MiB.
    let _ = (&mut input).take(64 << 20).read_to_end(&mut out);
    if dechrome::format::Compression::sniff(data) == dechrome::format::Compression::None {
        assert_eq!(out, data, "plain input passes through");
    }
}
