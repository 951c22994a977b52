//! Explanations: which rule (file and line) removed what, for people tuning rules.
//!
//! ```
//! use dechrome::{explain, Cleaner, RuleSet};
//!
//! let mut rules = RuleSet::new();
//! rules.add_source("site.rules", "[line]\nSkip Navigation\n").unwrap();
//! let cleaner = Cleaner::new(rules).unwrap();
//! let doc = b"Skip Navigation\nStory.\n";
//! let spans = cleaner.clean(doc).spans;
//! let mut out = Vec::new();
//! explain::write(&mut out, "page.txt", doc, &spans, cleaner.matcher(), false).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("page.txt:1: line site.rules:2 \"Skip Navigation\""));
//! ```

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::matcher::Matcher;
use crate::span::{Cause, Span};

const PREVIEW_CHARS: usize = 100;

/// One-line description of a cause: the section, the origin `FILE:LINE` and
/// the rule's text, or the detector and the setting that governs it.
pub fn describe(matcher: &Matcher, cause: Cause) -> String {
    match cause {
        Cause::Rule(id) => {
            let rule = matcher.rule(id);
            format!(
                "{} {} \"{}\"",
                rule.section(),
                rule.origin,
                rule.origin.text
            )
        }
        Cause::Detector(d) => {
            let setting = match d {
                crate::span::Detector::RepeatedLine => &matcher.settings().repeated_lines,
                crate::span::Detector::DoubledLine => &matcher.settings().doubled_lines,
                crate::span::Detector::MenuRun => &matcher.settings().menu_runs,
            };
            match &setting.origin {
                Some(origin) => format!("{} (detector, set at {origin})", d.name()),
                None => format!("{} (built-in detector)", d.name()),
            }
        }
        Cause::Classifier(Some(f)) => format!(
            "classifier (decided by {})",
            crate::classify::FEATURES
                .get(usize::from(f))
                .unwrap_or(&"?")
        ),
        Cause::Classifier(None) => "classifier".to_string(),
        Cause::Layout => "layout (blank line left by a removal)".to_string(),
    }
}

/// Writes one entry per removed span of `doc` (blank-line layout spans are
/// left out): `NAME:LINE: cause`, then the removed text, shortened (quoted
/// when it is only white space). With
/// `styled`, ANSI styles are written (wrap the writer in an
/// `anstream::AutoStream` to strip them where colour is unwanted).
pub fn write(
    out: &mut dyn Write,
    name: &str,
    doc: &[u8],
    spans: &[Span],
    matcher: &Matcher,
    styled: bool,
) -> io::Result<()> {
    let style = |s: Style| if styled { s } else { Style::new() };
    let loc = style(Style::new().bold());
    let cause_style = style(AnsiColor::Cyan.on_default());
    let removed_style = style(AnsiColor::Red.on_default());
    let newlines: Vec<usize> = memchr::memchr_iter(b'\n', doc).collect();
    let line_of = |pos: usize| newlines.partition_point(|&nl| nl < pos) + 1;
    for span in spans.iter().filter(|s| s.cause != Cause::Layout) {
        // Show the lines that held text; blank lines ride along silently.
        let removed = &doc[span.start..span.end];
        let text_lines: Vec<(usize, &[u8])> = removed
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| !crate::normalize::is_blank(l))
            .collect();
        let base = line_of(span.start);
        let (lines, preview, more) = match (text_lines.first(), text_lines.last()) {
            (Some(&(first_idx, first_text)), Some(&(last_idx, _))) => {
                let (first, last) = (base + first_idx, base + last_idx);
                let lines = if last > first {
                    format!("{first}-{last}")
                } else {
                    first.to_string()
                };
                let text = String::from_utf8_lossy(first_text);
                let (shown, cut) = shortened(text.trim());
                let preview = format!("{}{cut}", visible(shown));
                let more = match text_lines.len() - 1 {
                    0 => String::new(),
                    1 => " (+1 line)".to_string(),
                    n => format!(" (+{n} lines)"),
                };
                (lines, preview, more)
            }
            // Blank lines of a block (a head or tail removed): silent, as
            // blank lines ride along elsewhere.
            _ if removed.contains(&b'\n') => continue,
            // Only white space inside a line (a rule's cut between words,
            // say): shown quoted, so that it is seen.
            _ => {
                let text = String::from_utf8_lossy(removed);
                let (shown, cut) = shortened(&text);
                let quoted = format!("{shown:?}{cut}");
                (base.to_string(), quoted, " (white space)".to_string())
            }
        };
        writeln!(
            out,
            "{loc}{name}:{lines}:{loc:#} {cause_style}{}{cause_style:#}",
            visible(&describe(matcher, span.cause))
        )?;
        writeln!(out, "    {removed_style}- {preview}{removed_style:#}{more}")?;
    }
    Ok(())
}

/// `text` with its control characters but tab written as escapes (`\u{1b}`):
/// page text and file names must not move a terminal's cursor, change its
/// colours, or break a `FILE:LINE` message over two lines.
///
/// ```
/// assert_eq!(dechrome::explain::visible("a\u{1b}[2J\tb\n"), "a\\u{1b}[2J\tb\\n");
/// ```
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let control = |c: char| c.is_control() && c != '\t';
    if !text.contains(control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A path as messages show it: [`visible`], so that a name holding a line
/// break or an escape sequence cannot break a message or reach a terminal.
pub fn shown(path: &std::path::Path) -> String {
    visible(&path.display().to_string()).into_owned()
}

/// The first [`PREVIEW_CHARS`] characters of `text`, and `…` when that
/// leaves some out.
fn shortened(text: &str) -> (&str, &'static str) {
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((end, _)) => (&text[..end], "…"),
        None => (text, ""),
    }
}

/// Writes one JSON object per removed span (layout spans included, so the
/// spans reproduce the output exactly): the input, record, id, lines, byte
/// and code-point offsets, the action, the rule's origin and text, and the
/// removed text.
pub fn write_json(
    out: &mut dyn Write,
    event: &crate::batch::DocumentEvent,
    matcher: &Matcher,
) -> io::Result<()> {
    let Some(doc) = event.original.as_deref() else {
        return Ok(());
    };
    let spans = &event.cleaning.spans;
    let chars = crate::stats::char_offsets(doc, spans.iter().flat_map(|s| [s.start, s.end]));
    let newlines: Vec<usize> = memchr::memchr_iter(b'\n', doc).collect();
    let line_of = |pos: usize| newlines.partition_point(|&nl| nl < pos) + 1;
    // The id as the record has it, as attribute files write it (a number
    // stays a number, however large).
    let id = event
        .id_json
        .as_deref()
        .and_then(|json| serde_json::value::RawValue::from_string(json.to_string()).ok());
    for (span, offsets) in spans.iter().zip(chars.chunks(2)) {
        let (origin, action, rule) = crate::stats::cause_key(matcher, span.cause);
        let entry = JsonSpan {
            input: &event.name,
            record: event.record,
            id: id.as_deref(),
            line: line_of(span.start),
            last_line: line_of(span.end.saturating_sub(1).max(span.start)),
            start: span.start,
            end: span.end,
            start_char: offsets[0],
            end_char: offsets[1],
            action: &action,
            origin: &origin,
            rule: &rule,
            removed: &String::from_utf8_lossy(&doc[span.start..span.end]),
        };
        let line = serde_json::to_string(&entry).map_err(io::Error::other)?;
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// One line of `--explain --format json`.
#[derive(serde::Serialize)]
struct JsonSpan<'a> {
    input: &'a str,
    record: Option<usize>,
    id: Option<&'a serde_json::value::RawValue>,
    line: usize,
    last_line: usize,
    start: usize,
    end: usize,
    start_char: usize,
    end_char: usize,
    action: &'a str,
    origin: &'a str,
    rule: &'a str,
    removed: &'a str,
}

/// The label of a document in explanations: the input's name, and for a
/// record of a JSONL or WARC file `#N` (its line or record number); shown
/// [`visible`].
pub fn label(event: &crate::batch::DocumentEvent) -> String {
    let name = visible(&event.name);
    match event.record {
        Some(n) => format!("{name}#{n}"),
        None => name.into_owned(),
    }
}
