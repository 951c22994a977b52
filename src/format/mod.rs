//! Input and output formats: plain text, JSONL, WARC/WET, each optionally
//! compressed with gzip or zstd.
//!
//! The format of a file is chosen by its extension (after any `.gz` or
//! `.zst`): `.jsonl`, `.json`, `.ndjson` are JSONL; `.warc`, `.wet` are WARC;
//! anything else is plain text. Compressed input is also recognised by its
//! magic bytes, so standard input may be compressed too.
//!
//! ```
//! use std::path::Path;
//! use dechrome::format::{Compression, Format};
//!
//! assert_eq!(Format::from_path(Path::new("CC-MAIN-0001.warc.wet.gz")), Format::Warc);
//! assert_eq!(Compression::from_path(Path::new("shard.jsonl.zst")), Compression::Zstd);
//! assert_eq!(Format::from_path(Path::new("page.txt")), Format::Text);
//! ```

pub mod jsonl;
pub mod warc;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

/// How documents are laid out in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// The whole file is one document.
    Text,
    /// One JSON object per line; one field holds the document.
    Jsonl,
    /// WARC records; `conversion` records (WET) and plain-text `response` records are documents.
    Warc,
}

impl Format {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Format {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let name = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".zst"))
            .unwrap_or(&name);
        match name.rsplit('.').next() {
            Some("jsonl" | "json" | "ndjson") => Format::Jsonl,
            Some("warc" | "wet") => Format::Warc,
            _ => Format::Text,
        }
    }

    /// The format's name as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Warc => "warc",
        }
    }
}

/// How a file is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (multi-member streams, as WET files are, included).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The compression named by a file's extension.
    pub fn from_path(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("gz") => Compression::Gzip,
            Some(e) if e.eq_ignore_ascii_case("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The compression whose magic bytes start `head`.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A decompressing reader over a file or standard input.
pub type Input = Box<dyn BufRead + Send>;

/// Opens `path` (`None`: standard input) for reading, decompressing by magic
/// bytes: a `.gz` file that is not gzip is read as it is.
pub fn open(path: Option<&Path>) -> io::Result<Input> {
    let raw: Box<dyn Read + Send> = match path {
        Some(path) => Box::new(File::open(path)?),
        None => Box::new(io::stdin()),
    };
    decompress(raw)
}

/// Wraps `raw` in the decompressor its first bytes call for.
pub fn decompress(raw: Box<dyn Read + Send>) -> io::Result<Input> {
    let (head, raw) = primed(raw);
    let buffered = BufReader::with_capacity(1 << 16, raw);
    let decoded: Box<dyn Read + Send> = match Compression::sniff(&head) {
        Compression::None => return Ok(Box::new(buffered)),
        Compression::Gzip => Box::new(Members::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    // The decoded stream's first bytes in full too: a stored (level 0)
    // gzip member may give them a byte at a time.
    let (_, decoded) = primed(decoded);
    Ok(Box::new(BufReader::with_capacity(1 << 16, decoded)))
}

/// The first bytes of `raw` read in full, however they trickle in (a slow
/// pipe may deliver one byte alone), until they are more than the start of
/// a compression's magic or of a `WARC/` line (up to 16; fewer at its end or
/// before an error), and a reader that gives them again, then the rest.
/// They are then the first buffer a reader sees, enough to tell the format.
/// Reading stops as soon as they can be no magic, so that a short first
/// record from a program that waits for its result is not held back. An
/// error while reading them comes after them, where the reader met it, so
/// that what came before is still read.
fn primed(mut raw: Box<dyn Read + Send>) -> (Vec<u8>, Box<dyn Read + Send>) {
    let mut head = [0u8; 16];
    let mut filled = 0;
    let mut error = None;
    while filled < head.len() && may_start_magic(&head[..filled]) {
        match raw.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let head = head[..filled].to_vec();
    let again = Primed {
        head: io::Cursor::new(head.clone()),
        error,
        rest: raw,
    };
    (head, Box::new(again))
}

/// True when `head` is the start, and not the whole, of a gzip or zstd
/// magic or of `WARC/`: more bytes are needed to tell the format.
fn may_start_magic(head: &[u8]) -> bool {
    const MAGICS: [&[u8]; 3] = [&[0x1f, 0x8b], &[0x28, 0xb5, 0x2f, 0xfd], b"WARC/"];
    MAGICS
        .iter()
        .any(|magic| magic.len() > head.len() && magic.starts_with(head))
}

/// What [`primed`] read, given again, then its error if it met one, then
/// the rest.
struct Primed {
    head: io::Cursor<Vec<u8>>,
    error: Option<io::Error>,
    rest: Box<dyn Read + Send>,
}

impl Read for Primed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => self.rest.read(buf),
        }
    }
}

/// gzip members read one after another (WET files are many), as `gzip -d`
/// reads them: the stream may end with zero bytes (the padding of tape and
/// of some writers), but anything else after the last member is an error,
/// not text quietly dropped.
struct Members<R> {
    state: Between<R>,
}

/// Where [`Members`] is in the file.
enum Between<R> {
    /// Inside a member.
    Member(Box<flate2::bufread::GzDecoder<R>>),
    /// After a member: a next one, padding or the end follows.
    Gap(R),
    /// Reading zero bytes to the end.
    Padding(R),
    /// Only while the state changes ([`Members::take`]).
    End,
}

impl<R: BufRead> Members<R> {
    fn new(inner: R) -> Members<R> {
        Members {
            state: Between::Member(Box::new(flate2::bufread::GzDecoder::new(inner))),
        }
    }

    /// The state, leaving [`Between::End`] in its place for a moment.
    fn take(&mut self) -> Between<R> {
        std::mem::replace(&mut self.state, Between::End)
    }
}

impl<R: BufRead> Read for Members<R> {
    /// An error leaves the state as it was, so a read tried again (after
    /// `Interrupted`, say) goes on from the same place.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.state {
                Between::Member(member) => {
                    let n = member.read(buf)?;
                    if n > 0 {
                        return Ok(n);
                    }
                    let Between::Member(member) = self.take() else {
                        unreachable!("in a member")
                    };
                    self.state = Between::Gap(member.into_inner());
                }
                Between::Gap(inner) => {
                    let head = inner.fill_buf()?;
                    match (head.first().copied(), head.get(1).copied()) {
                        (None, _) => return Ok(0),
                        // (A buffer that ends after 0x1f leaves the second
                        // magic byte to the decoder's own header check.)
                        (Some(0x1f), None | Some(0x8b)) => {
                            let Between::Gap(inner) = self.take() else {
                                unreachable!("between members")
                            };
                            let member = flate2::bufread::GzDecoder::new(inner);
                            self.state = Between::Member(Box::new(member));
                        }
                        (Some(0), _) => {
                            let Between::Gap(inner) = self.take() else {
                                unreachable!("between members")
                            };
                            self.state = Between::Padding(inner);
                        }
                        _ => return Err(trailing_garbage()),
                    }
                }
                Between::Padding(inner) => {
                    let head = inner.fill_buf()?;
                    if head.is_empty() {
                        return Ok(0);
                    }
                    let zeros = head.iter().take_while(|&&b| b == 0).count();
                    if zeros < head.len() {
                        return Err(trailing_garbage());
                    }
                    inner.consume(zeros);
                }
                Between::End => return Ok(0),
            }
        }
    }
}

fn trailing_garbage() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "bytes after the last gzip member are not gzip (trailing garbage)",
    )
}

/// A compressing writer that must be finished to be complete.
pub enum Output<W: Write> {
    /// Uncompressed.
    Plain(W),
    /// gzip.
    Gzip(flate2::write::GzEncoder<W>),
    /// gzip, each write a member of its own: a WARC file's records, each
    /// of which can then be read on its own from its offset, as in Common
    /// Crawl's files (see [`Output::per_record`]).
    GzipMembers(MemberWriter<W>),
    /// Zstandard.
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Output<W> {
    /// Wraps `inner` in the encoder for `compression`.
    pub fn new(inner: W, compression: Compression) -> io::Result<Output<W>> {
        Ok(match compression {
            Compression::None => Output::Plain(inner),
            Compression::Gzip => Output::Gzip(flate2::write::GzEncoder::new(
                inner,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Output::Zstd(zstd::stream::write::Encoder::new(inner, 3)?),
        })
    }

    /// [`Output::new`] for a file whose every write is a record: with gzip,
    /// each is a member of its own (the WARC standard's "record at a time"
    /// compression, annex D of ISO 28500).
    pub fn per_record(inner: W, compression: Compression) -> io::Result<Output<W>> {
        match compression {
            Compression::Gzip => Ok(Output::GzipMembers(MemberWriter::new(inner))),
            other => Output::new(inner, other),
        }
    }

    /// Writes the compressed stream's end and returns the inner writer, flushed.
    pub fn finish(self) -> io::Result<W> {
        let mut inner = match self {
            Output::Plain(w) => w,
            Output::GzipMembers(m) => m.finish()?,
            Output::Gzip(e) => e.finish()?,
            Output::Zstd(e) => e.finish()?,
        };
        inner.flush()?;
        Ok(inner)
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(e) => e.write(buf),
            Output::GzipMembers(_) => self.write_all(buf).map(|()| buf.len()),
            Output::Zstd(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.write_all(buf),
            Output::Gzip(e) => e.write_all(buf),
            Output::GzipMembers(m) => m.member(buf),
            Output::Zstd(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::GzipMembers(m) => m.inner.flush(),
            Output::Gzip(e) => e.flush(),
            Output::Zstd(e) => e.flush(),
        }
    }
}

/// Writes gzip members, one per record written, from one deflate
/// state reset between them (a new encoder per member would allocate and
/// clear its tables for every record).
pub struct MemberWriter<W: Write> {
    inner: W,
    deflate: flate2::Compress,
    /// The member being made.
    buf: Vec<u8>,
    /// Whether a member was written: a file of none is not gzip, so
    /// [`MemberWriter::finish`] then writes an empty one.
    written: bool,
}

impl<W: Write> MemberWriter<W> {
    fn new(inner: W) -> MemberWriter<W> {
        MemberWriter {
            inner,
            deflate: flate2::Compress::new(flate2::Compression::default(), false),
            buf: Vec::new(),
            written: false,
        }
    }

    /// Writes `data` as one gzip member (none for no data).
    fn member(&mut self, data: &[u8]) -> io::Result<()> {
        use flate2::{FlushCompress, Status};
        // No file name, no time, "unknown" system, as flate2's encoder
        // writes it.
        const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        if data.is_empty() && self.written {
            return Ok(());
        }
        self.buf.clear();
        self.buf.extend_from_slice(&HEADER);
        self.deflate.reset();
        let mut rest = data;
        loop {
            self.buf.reserve(rest.len() + rest.len() / 8 + 64);
            let before = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(rest, &mut self.buf, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            rest = &rest[(self.deflate.total_in() - before) as usize..];
            if status == Status::StreamEnd {
                break;
            }
        }
        let mut crc = flate2::Crc::new();
        crc.update(data);
        self.buf.extend_from_slice(&crc.sum().to_le_bytes());
        // The length modulo 2^32, as gzip keeps it.
        self.buf
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.inner.write_all(&self.buf)?;
        self.written = true;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        if !self.written {
            self.member(&[])?;
        }
        Ok(self.inner)
    }
}

/// The host of a URL (`https://user@www.Example.com:8080/x` gives
/// `www.example.com`), if it has one.
pub fn url_host(url: &str) -> Option<String> {
    // `//host/path` has no scheme; a backslash ends the host as a slash
    // does (as browsers read `https://a.net\@b.com/`: the host is a.net).
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let authority = rest.split(['/', '\\', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| &h[1..])?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| crate::rules::host_name(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        let cases = [
            ("a.jsonl", Format::Jsonl, Compression::None),
            ("a.JSON.gz", Format::Jsonl, Compression::Gzip),
            ("a.ndjson.zst", Format::Jsonl, Compression::Zstd),
            ("x.warc.gz", Format::Warc, Compression::Gzip),
            ("x.warc.wet.gz", Format::Warc, Compression::Gzip),
            ("x.wet", Format::Warc, Compression::None),
            ("page.txt", Format::Text, Compression::None),
            ("page.txt.gz", Format::Text, Compression::Gzip),
            ("README", Format::Text, Compression::None),
        ];
        for (name, format, compression) in cases {
            assert_eq!(Format::from_path(Path::new(name)), format, "{name}");
            assert_eq!(
                Compression::from_path(Path::new(name)),
                compression,
                "{name}"
            );
        }
    }

    #[test]
    fn compressed_round_trips() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let mut out = Output::new(Vec::new(), compression).unwrap();
            out.write_all("héllo\nwörld\n".as_bytes()).unwrap();
            let bytes = out.finish().unwrap();
            assert_eq!(Compression::sniff(&bytes), compression);
            let mut back = String::new();
            decompress(Box::new(io::Cursor::new(bytes)))
                .unwrap()
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, "héllo\nwörld\n");
        }
    }

    /// Written a record at a time, each non-empty write is a gzip member of
    /// its own, whatever it holds (here a record that does not compress).
    #[test]
    fn per_record_gzip_writes_a_member_per_record() {
        let mut seed = 1u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            })
            .collect();
        let records: [&[u8]; 4] = [b"first\n", b"", &noise, b"last\n"];
        let written = |records: &[&[u8]]| {
            let mut out = Output::per_record(Vec::new(), Compression::Gzip).unwrap();
            for record in records {
                out.write_all(record).unwrap();
            }
            out.finish().unwrap()
        };
        // Each member alone is gzip of its record; together, the file.
        let members: Vec<Vec<u8>> = [&records[0], &records[2], &records[3]]
            .map(|record| written(&[record]))
            .to_vec();
        for (member, record) in members.iter().zip([records[0], records[2], records[3]]) {
            let mut back = Vec::new();
            decompress(Box::new(io::Cursor::new(member.clone())))
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, record);
        }
        assert_eq!(written(&records), members.concat());
    }

    /// Each of `parts` as a gzip member of its own, one after another.
    fn gzip_members(parts: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for part in parts {
            let mut out = Output::new(Vec::new(), Compression::Gzip).unwrap();
            out.write_all(part.as_bytes()).unwrap();
            bytes.extend(out.finish().unwrap());
        }
        bytes
    }

    #[test]
    fn magic_bytes_that_trickle_in_are_still_recognised() {
        /// Gives one byte per read, as a slow pipe may.
        struct Trickle(io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        for compression in [Compression::Gzip, Compression::Zstd] {
            let mut out = Output::new(Vec::new(), compression).unwrap();
            out.write_all(b"text\n").unwrap();
            let bytes = out.finish().unwrap();
            let mut back = String::new();
            decompress(Box::new(Trickle(io::Cursor::new(bytes))))
                .unwrap()
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, "text\n", "{compression:?}");
        }
        // Shorter than any magic: read as it is.
        let mut back = Vec::new();
        decompress(Box::new(Trickle(io::Cursor::new(vec![0x1f]))))
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, [0x1f]);
    }

    #[test]
    fn a_read_tried_again_between_members_goes_on() {
        /// Gives the first `boundary` bytes, then `Interrupted` once, then the rest.
        struct Flaky {
            data: io::Cursor<Vec<u8>>,
            boundary: u64,
            interrupted: bool,
        }
        impl Read for Flaky {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let at = self.data.position();
                if at == self.boundary && !self.interrupted {
                    self.interrupted = true;
                    return Err(io::ErrorKind::Interrupted.into());
                }
                let room = if at < self.boundary {
                    (self.boundary - at) as usize
                } else {
                    buf.len()
                };
                let n = buf.len().min(room);
                self.data.read(&mut buf[..n])
            }
        }
        let bytes = gzip_members(&["one\n", "two\n"]);
        // Where the second member starts.
        let boundary = gzip_members(&["one\n"]).len() as u64;
        let flaky = Flaky {
            data: io::Cursor::new(bytes),
            boundary,
            interrupted: false,
        };
        let mut back = String::new();
        decompress(Box::new(flaky))
            .unwrap()
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, "one\ntwo\n");
    }

    #[test]
    fn a_stored_gzip_shows_its_first_bytes_at_once() {
        // Level 0 stores the bytes; the decoder may then give them a few at
        // a time, and a WARC file must still be seen as one.
        let warc = b"WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        gz.write_all(warc).unwrap();
        let bytes = gz.finish().unwrap();
        let mut input = decompress(Box::new(io::Cursor::new(bytes))).unwrap();
        assert!(input.fill_buf().unwrap().starts_with(b"WARC/1.0"));
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let bytes = gzip_members(&["one\n", "two\n"]);
        let mut back = String::new();
        decompress(Box::new(io::Cursor::new(bytes)))
            .unwrap()
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, "one\ntwo\n");
    }

    #[test]
    fn gzip_may_end_in_zero_padding_but_not_in_anything_else() {
        let members = |tail: &[u8]| {
            let mut bytes = gzip_members(&["one\n", "two\n"]);
            bytes.extend_from_slice(tail);
            let mut back = String::new();
            decompress(Box::new(io::Cursor::new(bytes)))
                .unwrap()
                .read_to_string(&mut back)
                .map(|_| back)
        };
        assert_eq!(members(&[0; 1]).unwrap(), "one\ntwo\n");
        // Padding longer than any buffer.
        assert_eq!(members(&[0; 200_000]).unwrap(), "one\ntwo\n");
        for tail in [&b"garbage"[..], b"\0\0\0x", b"\x1fX"] {
            let err = members(tail).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{tail:?}: {err}");
        }
        // What comes before the garbage is read first, line by line.
        let mut bytes = gzip_members(&["x\n"]);
        bytes.extend_from_slice(b"garbage");
        let mut input = decompress(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut line = String::new();
        input.read_line(&mut line).unwrap();
        assert_eq!(line, "x\n");
        let err = input.read_line(&mut line).unwrap_err();
        assert!(err.to_string().contains("trailing garbage"), "{err}");
        // A third member cut short in its header.
        let err = members(b"\x1f\x8b\x08\0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        for tail in [&b"!"[..], b"\x1fX"] {
            let err = members(tail).unwrap_err().to_string();
            assert!(err.contains("trailing garbage"), "{tail:?}: {err}");
        }
    }

    #[test]
    fn the_head_is_read_until_it_can_tell_the_format() {
        for (head, more) in [
            (&b""[..], true),
            (b"\x1f", true),
            (b"\x1f\x8b", false),
            (b"\x28\xb5\x2f", true),
            (b"\x28\xb5\x2f\xfd", false),
            (b"WARC", true),
            (b"WARC/", false),
            (b"{", false),
            (b"WX", false),
        ] {
            assert_eq!(may_start_magic(head), more, "{head:?}");
        }
    }

    #[test]
    fn hosts_of_urls() {
        let cases = [
            (
                "https://www.NationalJournal.com/s/123?x=1",
                Some("www.nationaljournal.com"),
            ),
            ("http://user:pw@example.org:8080/", Some("example.org")),
            ("example.net/path", Some("example.net")),
            ("https://[::1]:80/", Some("::1")),
            ("//cdn.example.com/x", Some("cdn.example.com")),
            // As a browser reads them: international names in punycode.
            ("https://BÜCHER.de/", Some("xn--bcher-kva.de")),
            (
                "https://www.xn--bcher-kva.de/",
                Some("www.xn--bcher-kva.de"),
            ),
            ("https://b%C3%BCcher.de/", Some("xn--bcher-kva.de")),
            ("https://bücher\u{3002}de/", Some("xn--bcher-kva.de")),
            ("https://пример.XN--P1AI/", Some("xn--e1afmkfd.xn--p1ai")),
            ("http://0x7f.1/", Some("127.0.0.1")),
            // Not valid punycode: as it is, lower-cased.
            ("https://xn--zz-.Example/", Some("xn--zz-.example")),
            ("https://evil.net\\@example.com/", Some("evil.net")),
            ("", None),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url).as_deref(), host, "{url}");
        }
    }
}
