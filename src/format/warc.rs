//! WARC records (Common Crawl WARC and WET files): read, find the text, write
//! back with corrected lengths and digests.
//!
//! A `conversion` record (what WET files hold) is one text document. A
//! `response` record is one when its HTTP `Content-Type` is `text/plain` and
//! its body is not encoded; then only the HTTP body is cleaned. Every other
//! record passes through untouched.
//!
//! A damaged stretch of the file (a wrong `Content-Length`, a missing
//! header, a truncated record) is returned as [`Item::Damaged`] with its raw
//! bytes, so it can be passed through unchanged and reported; reading goes
//! on at the next `WARC/` version line.
//!
//! ```
//! use dechrome::format::warc::{Item, Reader};
//!
//! let wet = b"WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n";
//! let mut reader = Reader::new(&wet[..]);
//! let Some(Ok(Item::Record(mut record))) = reader.next() else { panic!() };
//! assert_eq!(record.text_range(), Some(0..5));
//! record.replace_text(0..5, b"hi");
//! assert_eq!(record.header("content-length"), Some("2"));
//! ```

use std::io::{self, BufRead, Read, Write};
use std::ops::Range;

/// One WARC record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The version line and header lines, each with its line ending; not the blank line.
    head: Vec<u8>,
    /// The blank line that ends the head, as read (`\r\n`, or `\n` in a
    /// file written with bare line feeds).
    separator: Vec<u8>,
    /// The record block (`Content-Length` bytes).
    pub body: Vec<u8>,
    /// The two line endings after the block, as read, so a record passes
    /// through byte for byte (completed in the separator's style at the end
    /// of a file that lacks them, so that what follows it starts a record).
    trailer: Vec<u8>,
}

/// What the reader found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A well-formed record.
    Record(Record),
    /// Bytes that do not form a record, and why; written back as they were.
    Damaged {
        /// The raw bytes.
        bytes: Vec<u8>,
        /// What is wrong.
        reason: String,
    },
}

impl Record {
    /// A header's value (name matched without regard to case), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_lines(&self.head)
            .skip(1)
            .find_map(|line| header_value(line, name))
    }

    /// `WARC-Type`.
    pub fn kind(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// The byte range of the body that is a text document, if the record carries one.
    pub fn text_range(&self) -> Option<Range<usize>> {
        match self.kind()? {
            "conversion" => Some(0..self.body.len()),
            "response" => {
                let http = HttpMessage::parse(&self.body)?;
                http.is_plain_text()
                    .then_some(http.body_start..self.body.len())
            }
            _ => None,
        }
    }

    /// Replaces `range` of the body (a text range from [`Record::text_range`])
    /// with `text`, and corrects `Content-Length`, the HTTP `Content-Length`
    /// of a response, and the SHA-1 digests that were present.
    pub fn replace_text(&mut self, range: Range<usize>, text: &[u8]) {
        let mut body = Vec::with_capacity(self.body.len() - range.len() + text.len());
        body.extend_from_slice(&self.body[..range.start]);
        body.extend_from_slice(text);
        body.extend_from_slice(&self.body[range.end..]);
        if range.start > 0 {
            // A response: fix the HTTP Content-Length inside the block.
            let http_head = &body[..range.start];
            let fixed = set_header(http_head, "Content-Length", &text.len().to_string());
            if let Some(fixed) = fixed {
                body.splice(..range.start, fixed);
            }
        }
        let payload_start = body.len() - text.len();
        self.body = body;
        let block = sha1_base32(&self.body);
        let payload = sha1_base32(&self.body[payload_start..]);
        let len = self.body.len().to_string();
        for (name, value) in [
            ("Content-Length", len.as_str()),
            ("WARC-Block-Digest", block.as_str()),
            ("WARC-Payload-Digest", payload.as_str()),
        ] {
            if let Some(head) = set_header(&self.head, name, value) {
                self.head = head;
            }
        }
    }

    /// Writes the record: head, blank line, block, and the two-line trailer,
    /// with the line endings it was read with.
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&self.head)?;
        out.write_all(&self.separator)?;
        out.write_all(&self.body)?;
        out.write_all(&self.trailer)
    }

    /// The record as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = self.head.len() + self.separator.len() + self.body.len() + self.trailer.len();
        let mut out = Vec::with_capacity(len);
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }
}

fn sha1_base32(bytes: &[u8]) -> String {
    let digest = sha1_smol::Sha1::from(bytes).digest().bytes();
    format!("sha1:{}", data_encoding::BASE32.encode(&digest))
}

/// Lines of a head, each with its ending.
fn header_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split_inclusive(|&b| b == b'\n')
}

fn header_value<'a>(line: &'a [u8], name: &str) -> Option<&'a str> {
    let colon = line.iter().position(|&b| b == b':')?;
    if !line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
        return None;
    }
    std::str::from_utf8(&line[colon + 1..]).ok().map(str::trim)
}

/// The head with the value of header `name` replaced, if the header is there.
fn set_header(head: &[u8], name: &str, value: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(head.len() + 16);
    let mut found = false;
    for line in header_lines(head) {
        if !found && header_value(line, name).is_some() {
            found = true;
            let colon = line.iter().position(|&b| b == b':').unwrap_or(0);
            let ending: &[u8] = if line.ends_with(b"\r\n") {
                b"\r\n"
            } else if line.ends_with(b"\n") {
                b"\n"
            } else {
                b""
            };
            out.extend_from_slice(&line[..colon]);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(ending);
        } else {
            out.extend_from_slice(line);
        }
    }
    found.then_some(out)
}

/// The HTTP message inside a `response` record.
struct HttpMessage<'a> {
    head: &'a [u8],
    body_start: usize,
}

impl<'a> HttpMessage<'a> {
    fn parse(block: &'a [u8]) -> Option<HttpMessage<'a>> {
        let end = memchr::memmem::find(block, b"\r\n\r\n")
            .map(|i| (i + 2, i + 4))
            .or_else(|| memchr::memmem::find(block, b"\n\n").map(|i| (i + 1, i + 2)))?;
        Some(HttpMessage {
            head: &block[..end.0],
            body_start: end.1,
        })
    }

    fn is_plain_text(&self) -> bool {
        let get = |name| {
            header_lines(self.head)
                .skip(1)
                .find_map(|l| header_value(l, name))
        };
        let plain = get("Content-Type").is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/plain"))
        });
        let encoded = get("Content-Encoding").is_some_and(|e| !e.eq_ignore_ascii_case("identity"))
            || get("Transfer-Encoding").is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
        plain && !encoded
    }
}

/// Reads WARC items from a buffered reader.
pub struct Reader<R> {
    inner: R,
    /// Bytes read ahead and given back (the rest of a damaged stretch, from
    /// the next version line on): read again before `inner`.
    unread: Vec<u8>,
    /// How much of `unread` has been read again.
    at: usize,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            unread: Vec::new(),
            at: 0,
            done: false,
        }
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let rest = &self.unread[self.at..];
        if !rest.is_empty() {
            if let Some(i) = memchr::memchr(b'\n', rest) {
                line.extend_from_slice(&rest[..=i]);
                self.at += i + 1;
                return Ok(line);
            }
            line.extend_from_slice(rest);
            self.unread.clear();
            self.at = 0;
        }
        self.inner.read_until(b'\n', &mut line)?;
        Ok(line)
    }

    /// Up to `length` bytes (fewer at the end of the input).
    fn block(&mut self, length: u64) -> io::Result<Vec<u8>> {
        let rest = &self.unread[self.at..];
        let from_unread = rest
            .len()
            .min(usize::try_from(length).unwrap_or(usize::MAX));
        let mut block = rest[..from_unread].to_vec();
        self.at += from_unread;
        (&mut self.inner)
            .take(length - from_unread as u64)
            .read_to_end(&mut block)?;
        Ok(block)
    }

    /// Puts `bytes` back in front of what is still to be read.
    fn give_back(&mut self, bytes: &[u8]) {
        let mut unread = Vec::with_capacity(bytes.len() + self.unread.len() - self.at);
        unread.extend_from_slice(bytes);
        unread.extend_from_slice(&self.unread[self.at..]);
        self.unread = unread;
        self.at = 0;
    }

    /// Reads lines into `bytes` up to (not including) the next version line.
    fn skip_to_next_record(&mut self, bytes: &mut Vec<u8>) -> io::Result<()> {
        loop {
            let line = self.line()?;
            if line.is_empty() {
                return Ok(());
            }
            if line.starts_with(b"WARC/") {
                self.give_back(&line);
                return Ok(());
            }
            bytes.extend_from_slice(&line);
        }
    }

    /// A damaged record: `head` and `separator`, then of `rest` (what was
    /// read after them) the part before the next version line (or before
    /// `version_at`, a version line known to start there), which is given
    /// back so that reading resumes at the record that starts there. Without
    /// one, the lines up to the next version line are taken too.
    fn damaged_record(
        &mut self,
        head: Vec<u8>,
        separator: &[u8],
        rest: Vec<u8>,
        version_at: Option<usize>,
        reason: &str,
    ) -> io::Result<Item> {
        let mut bytes = head;
        bytes.extend_from_slice(separator);
        let at = match (next_version_line(&rest), version_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match at {
            Some(at) => {
                bytes.extend_from_slice(&rest[..at]);
                self.give_back(&rest[at..]);
            }
            None => {
                bytes.extend_from_slice(&rest);
                self.skip_to_next_record(&mut bytes)?;
            }
        }
        Ok(damaged(bytes, reason))
    }

    fn read_item(&mut self) -> io::Result<Option<Item>> {
        // Blank lines between records.
        let mut version = self.line()?;
        while !version.is_empty() && is_blank_line(&version) {
            version = self.line()?;
        }
        if version.is_empty() {
            return Ok(None);
        }
        if !version.starts_with(b"WARC/") {
            let mut bytes = version;
            self.skip_to_next_record(&mut bytes)?;
            return Ok(Some(damaged(
                bytes,
                "no WARC version line where a record should start",
            )));
        }
        let mut head = version;
        // The blank line that ends the header, kept as it was so that a
        // damaged stretch passes through byte for byte.
        let separator = loop {
            let line = self.line()?;
            if line.is_empty() {
                return Ok(Some(damaged(head, "the file ends inside a record header")));
            }
            if is_blank_line(&line) {
                break line;
            }
            head.extend_from_slice(&line);
        };
        let record = Record {
            head,
            separator: Vec::new(),
            body: Vec::new(),
            trailer: Vec::new(),
        };
        let Some(length) = record
            .header("Content-Length")
            .and_then(|v| v.parse::<u64>().ok())
        else {
            let reason = "missing or invalid Content-Length";
            return self
                .damaged_record(record.head, &separator, Vec::new(), None, reason)
                .map(Some);
        };
        let mut record = record;
        record.body = self.block(length)?;
        if (record.body.len() as u64) < length {
            // A Content-Length too long for what follows, or a cut-off file.
            let reason = if next_version_line(&record.body).is_some() {
                "Content-Length does not match the record"
            } else {
                "the file ends inside a record (truncated)"
            };
            return self
                .damaged_record(record.head, &separator, record.body, None, reason)
                .map(Some);
        }
        // The block is followed by two line endings; anything else means the
        // Content-Length was wrong.
        let mut trailer = Vec::new();
        for _ in 0..2 {
            let line = self.line()?;
            if line.is_empty() {
                trailer.extend_from_slice(&separator);
                continue;
            }
            if !is_blank_line(&line) {
                let mut rest = record.body;
                rest.extend_from_slice(&trailer);
                // A version line right after the block starts the next record.
                let glued = line.starts_with(b"WARC/").then_some(rest.len());
                rest.extend_from_slice(&line);
                let reason = "Content-Length does not match the record";
                return self
                    .damaged_record(record.head, &separator, rest, glued, reason)
                    .map(Some);
            }
            trailer.extend_from_slice(&line);
        }
        record.separator = separator;
        record.trailer = trailer;
        Ok(Some(Item::Record(record)))
    }
}

/// Where the first version line in `bytes` starts (at the start of a line).
fn next_version_line(bytes: &[u8]) -> Option<usize> {
    if bytes.starts_with(b"WARC/") {
        return Some(0);
    }
    memchr::memmem::find(bytes, b"\nWARC/").map(|i| i + 1)
}

fn is_blank_line(line: &[u8]) -> bool {
    line == b"\r\n" || line == b"\n"
}

fn damaged(bytes: Vec<u8>, reason: &str) -> Item {
    Item::Damaged {
        bytes,
        reason: reason.to_string(),
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<io::Result<Item>> {
        if self.done {
            return None;
        }
        match self.read_item() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, body: &str, extra: &str) -> String {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: https://example.com/a\r\n{extra}Content-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    }

    fn items(bytes: &[u8]) -> Vec<Item> {
        Reader::new(bytes).map(Result::unwrap).collect()
    }

    /// The records of `items` written back, one after another.
    fn written(items: &[Item]) -> String {
        let mut out = Vec::new();
        for item in items {
            let Item::Record(r) = item else {
                panic!("{item:?}")
            };
            r.write_to(&mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reads_and_writes_records_unchanged() {
        let file = format!(
            "{}{}",
            record("warcinfo", "software: x\r\n", ""),
            record("conversion", "Skip Navigation\nStory.", "")
        );
        let got = items(file.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(written(&got), file);
        let Item::Record(r) = &got[1] else {
            unreachable!()
        };
        assert_eq!(r.kind(), Some("conversion"));
        assert_eq!(r.header("warc-target-uri"), Some("https://example.com/a"));
        assert_eq!(r.text_range(), Some(0..22));
    }

    #[test]
    fn records_keep_the_line_endings_they_were_read_with() {
        // Bare line feeds, as some tools write: read, and written back as read.
        let lf = "WARC/1.0\nWARC-Type: conversion\nContent-Length: 4\n\nfine\n\n";
        let crlf = record("conversion", "also fine", "");
        let file = format!("{lf}{crlf}{lf}");
        let got = items(file.as_bytes());
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(written(&got), file);
        // A last record without its trailer gets one in its own style, so
        // that a record written after it still starts a record.
        for (cut, whole) in [
            (&lf[..lf.len() - 2], lf.to_string()),
            (&lf[..lf.len() - 1], lf.to_string()),
            (&crlf[..crlf.len() - 4], crlf.clone()),
        ] {
            let Item::Record(r) = items(cut.as_bytes()).remove(0) else {
                panic!("{cut:?}")
            };
            assert_eq!(String::from_utf8(r.to_bytes()).unwrap(), whole);
        }
    }

    #[test]
    fn replace_text_fixes_length_and_digests() {
        let file = record(
            "conversion",
            "Skip Navigation\nStory.",
            "WARC-Block-Digest: sha1:XXXX\r\n",
        );
        let Item::Record(mut r) = items(file.as_bytes()).remove(0) else {
            panic!()
        };
        r.replace_text(0..22, b"Story.");
        assert_eq!(r.header("Content-Length"), Some("6"));
        assert_eq!(
            r.header("WARC-Block-Digest").unwrap(),
            sha1_base32(b"Story.")
        );
        assert_eq!(
            r.header("WARC-Payload-Digest"),
            None,
            "not added when absent"
        );
        let again = items(&r.to_bytes());
        assert_eq!(again, vec![Item::Record(r)]);
    }

    #[test]
    fn plain_text_responses_clean_only_the_http_body() {
        let http = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n\r\nSkip Navigation\nStory.";
        let file = record("response", http, "");
        let Item::Record(mut r) = items(file.as_bytes()).remove(0) else {
            panic!()
        };
        let range = r.text_range().unwrap();
        assert_eq!(&r.body[range.clone()], b"Skip Navigation\nStory.");
        r.replace_text(range, b"Story.");
        let body = String::from_utf8(r.body.clone()).unwrap();
        assert!(body.ends_with("Content-Length: 6\r\n\r\nStory."), "{body}");
        assert_eq!(
            r.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
        // HTML and encoded responses are not documents.
        let html = record(
            "response",
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x",
            "",
        );
        let Item::Record(r) = items(html.as_bytes()).remove(0) else {
            panic!()
        };
        assert_eq!(r.text_range(), None);
        let gz = record(
            "response",
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n\r\nx",
            "",
        );
        let Item::Record(r) = items(gz.as_bytes()).remove(0) else {
            panic!()
        };
        assert_eq!(r.text_range(), None);
    }

    #[test]
    fn damaged_stretches_are_returned_whole_and_reading_resumes() {
        let good = record("conversion", "fine", "");
        // Content-Length says 3 but the block has 4 bytes.
        let bad = "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 3\r\n\r\nabcd\r\n\r\n";
        let file = format!("{bad}{good}");
        let got = items(file.as_bytes());
        assert_eq!(got.len(), 2, "{got:?}");
        let Item::Damaged { bytes, reason } = &got[0] else {
            panic!("{got:?}")
        };
        assert!(reason.contains("Content-Length"), "{reason}");
        assert!(String::from_utf8_lossy(bytes).contains("abcd"));
        assert!(matches!(got[1], Item::Record(_)));

        let truncated = &good.as_bytes()[..good.len() - 8];
        let got = items(truncated);
        let Item::Damaged { reason, .. } = &got[0] else {
            panic!("{got:?}")
        };
        assert!(reason.contains("truncated"), "{reason}");

        let got = items(b"garbage\nmore\n");
        assert!(matches!(&got[0], Item::Damaged { reason, .. } if reason.contains("version line")));
        let got = items(b"WARC/1.0\r\nWARC-Type: x\r\n\r\nbody\r\n\r\n");
        assert!(
            matches!(&got[0], Item::Damaged { reason, .. } if reason.contains("Content-Length"))
        );
        assert!(items(b"").is_empty());
        // A Content-Length too long swallows no record: reading resumes at
        // the next version line inside what it claimed.
        let long = "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 90\r\n\r\nabcd\r\n\r\n";
        let file = format!("{good}{long}{good}{good}");
        let got = items(file.as_bytes());
        assert_eq!(got.len(), 4, "{got:?}");
        let Item::Damaged { bytes, reason } = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(bytes, long.as_bytes());
        assert!(reason.contains("Content-Length"), "{reason}");
        assert!(matches!(got[2], Item::Record(_)) && matches!(got[3], Item::Record(_)));
        // A version line glued to a block that is too short.
        let glued = "WARC/1.0\r\nContent-Length: 3\r\n\r\nabc";
        let got = items(format!("{glued}{good}").as_bytes());
        assert!(matches!(&got[0], Item::Damaged { bytes, .. } if bytes == glued.as_bytes()));
        assert!(matches!(got[1], Item::Record(_)), "{got:?}");
        // A damaged stretch comes back byte for byte, whatever its line endings.
        for file in [
            &b"WARC/1.0\nWARC-Type: conversion\nContent-Length: 2\n\nhello\n\n"[..],
            b"WARC/1.0\nContent-Length: 5\n\nhello\nabc\n",
            b"WARC/1.0\nContent-Length: x\n\nhello\n",
            b"WARC/1.0\nContent-Length: 9\n\nhello\n",
        ] {
            let got = items(file);
            let Item::Damaged { bytes, .. } = &got[0] else {
                panic!("{got:?}")
            };
            assert_eq!(
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(file)
            );
        }
    }
}
