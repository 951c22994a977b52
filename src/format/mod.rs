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
pub fn decompress(mut raw: Box<dyn Read + Send>) -> io::Result<Input> {
    // The first bytes in full, however they trickle in (a slow pipe may
    // deliver one byte alone): enough for the compression's magic and, as
    // the first buffer a reader of plain input sees, for a `WARC/` line.
    let mut head = [0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        match raw.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..filled];
    let raw = io::Cursor::new(head.to_vec()).chain(raw);
    let buffered = BufReader::with_capacity(1 << 16, raw);
    Ok(match Compression::sniff(head) {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(1 << 16, Members::new(buffered))),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        )),
    })
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
    /// At the end.
    End,
}

impl<R: BufRead> Members<R> {
    fn new(inner: R) -> Members<R> {
        Members {
            state: Between::Member(Box::new(flate2::bufread::GzDecoder::new(inner))),
        }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            self.state = match std::mem::replace(&mut self.state, Between::End) {
                Between::Member(mut member) => match member.read(buf) {
                    Ok(0) => Between::Gap(member.into_inner()),
                    Ok(n) => {
                        self.state = Between::Member(member);
                        return Ok(n);
                    }
                    Err(e) => {
                        self.state = Between::Member(member);
                        return Err(e);
                    }
                },
                Between::Gap(mut inner) => {
                    let head = inner.fill_buf()?;
                    match (head.first().copied(), head.get(1).copied()) {
                        (None, _) => return Ok(0),
                        // (A buffer that ends after 0x1f leaves the second
                        // magic byte to the decoder's own header check.)
                        (Some(0x1f), None | Some(0x8b)) => {
                            Between::Member(Box::new(flate2::bufread::GzDecoder::new(inner)))
                        }
                        (Some(0), _) => Between::Padding(inner),
                        _ => return Err(trailing_garbage()),
                    }
                }
                Between::Padding(mut inner) => {
                    let head = inner.fill_buf()?;
                    if head.is_empty() {
                        return Ok(0);
                    }
                    let zeros = head.iter().take_while(|&&b| b == 0).count();
                    if zeros < head.len() {
                        return Err(trailing_garbage());
                    }
                    inner.consume(zeros);
                    Between::Padding(inner)
                }
                Between::End => return Ok(0),
            };
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

    /// Writes the compressed stream's end and returns the inner writer, flushed.
    pub fn finish(self) -> io::Result<W> {
        let mut inner = match self {
            Output::Plain(w) => w,
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
            Output::Zstd(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.write_all(buf),
            Output::Gzip(e) => e.write_all(buf),
            Output::Zstd(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(e) => e.flush(),
            Output::Zstd(e) => e.flush(),
        }
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
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_lowercase())
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
    fn multi_member_gzip_is_read_whole() {
        let mut bytes = Vec::new();
        for part in ["one\n", "two\n"] {
            let mut out = Output::new(Vec::new(), Compression::Gzip).unwrap();
            out.write_all(part.as_bytes()).unwrap();
            bytes.extend(out.finish().unwrap());
        }
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
            let mut bytes = Vec::new();
            for part in ["one\n", "two\n"] {
                let mut out = Output::new(Vec::new(), Compression::Gzip).unwrap();
                out.write_all(part.as_bytes()).unwrap();
                bytes.extend(out.finish().unwrap());
            }
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
        // A third member cut short in its header.
        let err = members(b"\x1f\x8b\x08\0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        for tail in [&b"!"[..], b"\x1fX"] {
            let err = members(tail).unwrap_err().to_string();
            assert!(err.contains("trailing garbage"), "{tail:?}: {err}");
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
            ("https://BÜCHER.de/", Some("bücher.de")),
            ("https://evil.net\\@example.com/", Some("evil.net")),
            ("", None),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url).as_deref(), host, "{url}");
        }
    }
}
