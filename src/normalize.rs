//! Matching normalisation: how a line is seen by the rules.
//!
//! A line is matched in its *normalised* form: leading and trailing white
//! space trimmed, every run of white space (ASCII, no-break space and the
//! other Unicode space characters) folded to one ASCII space, typographic
//! single quotes (`‘ ’`) folded to `'` and double quotes (`“ ”`) to `"`,
//! zero-width characters dropped. ASCII letter case is handled by the
//! matchers themselves (case-insensitive automaton, lower-cased lookup keys),
//! so it is not folded here.
//!
//! Normalisation works on bytes: invalid UTF-8 passes through unchanged and
//! simply never matches a rule that expects valid text.
//!
//! ```
//! use dechrome::normalize::normalize;
//!
//! let mut out = Vec::new();
//! normalize("  Don\u{2019}t\u{a0}\u{a0}miss   this ".as_bytes(), &mut out);
//! assert_eq!(out, b"Don't miss this");
//! ```

/// What one character of the original line becomes in the normalised line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    /// Copied as is (`len` bytes).
    Keep(usize),
    /// White space of `len` bytes: part of a run folded to one space.
    Space(usize),
    /// Replaced by the given ASCII byte (`len` original bytes).
    Replace(u8, usize),
    /// Dropped entirely (`len` bytes).
    Drop(usize),
}

/// Classifies the character starting at `line[i]`.
#[inline]
fn classify(line: &[u8], i: usize) -> Fold {
    let b = line[i];
    match b {
        b' ' | b'\t' | b'\r' | 0x0b | 0x0c => Fold::Space(1),
        0x00..=0x7f => Fold::Keep(1),
        0xc2 if line.get(i + 1) == Some(&0xa0) => Fold::Space(2),
        0xe1 if line.get(i + 1..i + 3) == Some(&[0x9a, 0x80]) => Fold::Space(3),
        0xe2 => match line.get(i + 1..i + 3) {
            Some(&[0x80, c]) if (0x80..=0x8a).contains(&c) || c == 0xaf => Fold::Space(3),
            Some(&[0x81, 0x9f]) => Fold::Space(3),
            Some(&[0x80, 0x98 | 0x99]) => Fold::Replace(b'\'', 3),
            Some(&[0x80, 0x9c | 0x9d]) => Fold::Replace(b'"', 3),
            Some(&[0x80, 0x8b..=0x8d]) | Some(&[0x81, 0xa0]) => Fold::Drop(3),
            _ => Fold::Keep(1),
        },
        0xe3 if line.get(i + 1..i + 3) == Some(&[0x80, 0x80]) => Fold::Space(3),
        0xef if line.get(i + 1..i + 3) == Some(&[0xbb, 0xbf]) => Fold::Drop(3),
        _ => Fold::Keep(1),
    }
}

/// The length of the white space character at `line[i]` (one that
/// [`normalize`] folds into a space), if there is one.
pub(crate) fn space_at(line: &[u8], i: usize) -> Option<usize> {
    match classify(line, i) {
        Fold::Space(len) => Some(len),
        _ => None,
    }
}

/// The length of the white space character that ends `line[..end]`, if one does.
pub(crate) fn space_before(line: &[u8], end: usize) -> Option<usize> {
    (1..=end.min(3)).find(|&len| space_at(line, end - len) == Some(len))
}

/// True when `normalize` would return the line unchanged. A fast check that
/// lets the common line (words and single spaces, no character to fold)
/// skip copying: two passes without early exits, which the compiler
/// vectorises.
#[inline]
fn is_normal(line: &[u8]) -> bool {
    if line.first() == Some(&b' ') || line.last() == Some(&b' ') {
        return false;
    }
    let special = line
        .iter()
        .fold(false, |special, &b| special | is_folded(b));
    // Two spaces in a row.
    let pairs = line.iter().zip(line.get(1..).unwrap_or_default());
    !special && !pairs.fold(false, |two, (&a, &b)| two | (a == b' ' && b == b' '))
}

/// Writes the normalised form of `line` into `out` (cleared first).
pub fn normalize(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if is_normal(line) {
        out.extend_from_slice(line);
        return;
    }
    walk(line, |piece, _| match piece {
        Piece::Copied(bytes) => out.extend_from_slice(bytes),
        Piece::Folded(b) => out.push(b),
    });
}

/// Whether `classify` may fold byte `b` (other than the space) or a
/// character it starts: white space and the lead bytes `0xc2`, `0xe1`,
/// `0xe2`, `0xe3` and `0xef`. (A `matches!`, which the compiler turns into
/// vector compares inside [`is_normal`]'s fold.)
const fn is_folded(b: u8) -> bool {
    matches!(
        b,
        b'\t' | b'\r' | 0x0b | 0x0c | 0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef
    )
}

/// Bytes that `classify` always keeps as they are, and that start no
/// character it folds: all but the space and [`is_folded`]'s.
const PLAIN: [bool; 256] = {
    let mut plain = [true; 256];
    let mut b = 0;
    while b < 256 {
        plain[b] = b != b' ' as usize && !is_folded(b as u8);
        b += 1;
    }
    plain
};

/// Returns the normalised form of `line`, borrowing it when nothing changes.
pub fn normalized<'a>(line: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    if is_normal(line) {
        line
    } else {
        normalize(line, buf);
        buf
    }
}

/// A piece of the normalised line.
enum Piece<'a> {
    /// Bytes of the original line, as they are.
    Copied(&'a [u8]),
    /// One byte standing for a folded character or a run of white space.
    Folded(u8),
}

/// Normalises `line`, calling `emit` with each piece of the output and the
/// original byte range it stands for. A run of plain bytes (neither white
/// space nor the lead byte of a character that `classify` may fold), with
/// the single spaces between them, comes as one piece.
fn walk<'a>(line: &'a [u8], mut emit: impl FnMut(Piece<'a>, (usize, usize))) {
    let mut i = 0;
    // Start of a pending white-space run, emitted only if text follows it.
    let mut pending_space: Option<usize> = None;
    let mut emitted_any = false;
    while i < line.len() {
        let run = plain_run(&line[i..]);
        let fold = if run > 0 {
            Fold::Keep(run)
        } else {
            classify(line, i)
        };
        match fold {
            Fold::Space(n) => {
                pending_space.get_or_insert(i);
                i += n;
            }
            Fold::Drop(n) => i += n,
            Fold::Keep(n) | Fold::Replace(_, n) => {
                if let Some(start) = pending_space.take() {
                    if emitted_any {
                        emit(Piece::Folded(b' '), (start, i));
                    }
                }
                emitted_any = true;
                let piece = match fold {
                    Fold::Replace(b, _) => Piece::Folded(b),
                    _ => Piece::Copied(&line[i..i + n]),
                };
                emit(piece, (i, i + n));
                i += n;
            }
        }
    }
}

/// Length of the run of plain bytes that `line` starts with, with the
/// single spaces between them: a line with one curly quote is copied in two
/// pieces, not word by word. Whole blocks of 32 bytes are passed over when
/// none of their bytes may fold and no space in them is followed by another
/// or by a byte that may fold (one vectorised test a block); the block that
/// ends the run is read byte by byte.
#[inline]
fn plain_run(line: &[u8]) -> usize {
    const BLOCK: usize = 32;
    let plain = |j: usize| line.get(j).is_some_and(|&b| PLAIN[usize::from(b)]);
    if !plain(0) {
        return 0;
    }
    let mut j = 0;
    // Each block and the byte after it.
    while let Some(w) = line.get(j..j + BLOCK + 1) {
        let w: &[u8; BLOCK + 1] = w.try_into().expect("a block and a byte");
        let odd = (0..BLOCK).fold(false, |odd, k| {
            let space_before_odd = (w[k] == b' ') & ((w[k + 1] == b' ') | is_folded(w[k + 1]));
            odd | is_folded(w[k]) | space_before_odd
        });
        if odd {
            break;
        }
        j += BLOCK;
    }
    while j < line.len() {
        if PLAIN[usize::from(line[j])] {
            j += 1;
        } else if line[j] == b' ' && plain(j + 1) {
            j += 2;
        } else {
            break;
        }
    }
    j
}

/// Maps positions in the normalised line back to the original line.
///
/// Built only when a match must be cut out of its line, which is rare, so
/// the hot path never pays for it.
#[derive(Debug, Default)]
pub struct OffsetMap {
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl OffsetMap {
    /// Builds the map for `line`.
    pub fn new(line: &[u8]) -> OffsetMap {
        let mut map = OffsetMap::default();
        if is_normal(line) {
            map.starts.extend(0..line.len());
            map.ends.extend(1..=line.len());
        } else {
            walk(line, |piece, (s, e)| match piece {
                // Each copied byte stands for itself.
                Piece::Copied(bytes) => {
                    map.starts.extend(s..s + bytes.len());
                    map.ends.extend(s + 1..=s + bytes.len());
                }
                Piece::Folded(_) => {
                    map.starts.push(s);
                    map.ends.push(e);
                }
            });
        }
        map
    }

    /// The original byte range covered by the normalised range `start..end`
    /// (`start < end`).
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.starts.len());
        (self.starts[start], self.ends[end - 1])
    }
}

/// `bytes` as text, invalid sequences replaced (U+FFFD) as
/// `String::from_utf8_lossy` does, but checked first by `str::from_utf8`,
/// which skips ASCII a word at a time: most text is valid and borrowed.
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Whether `haystack` contains `needle`, a few bytes starting with one that
/// is rare in text (the lead byte of a non-ASCII character): `memchr` finds
/// each place it starts, without building a searcher per call as
/// `memchr::memmem::find` does.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    match needle.split_first() {
        Some((&first, rest)) => {
            memchr::memchr_iter(first, haystack).any(|i| haystack[i + 1..].starts_with(rest))
        }
        None => true,
    }
}

/// Number of words in a normalised line (space-separated runs).
pub fn word_count(normalized: &[u8]) -> usize {
    if normalized.is_empty() {
        0
    } else {
        // A plain count, which the compiler vectorises: on lines of a few
        // dozen bytes it beats `memchr`'s count, which is built for long
        // haystacks.
        count_bytes(normalized, |b| b == b' ') + 1
    }
}

/// How many bytes of `bytes` satisfy `pred`, counted in byte-sized lanes,
/// emptied every 255 bytes before they can overflow: the compiler adds 32
/// bytes a step, where counting into a `usize` widens every byte first.
pub(crate) fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            let count: u8 = chunk.iter().map(|&b| u8::from(pred(b))).sum();
            usize::from(count)
        })
        .sum()
}

/// True for ASCII and Unicode white space, the way normalisation sees it.
pub fn is_blank(line: &[u8]) -> bool {
    let mut i = 0;
    while i < line.len() {
        match classify(line, i) {
            Fold::Space(n) | Fold::Drop(n) => i += n,
            _ => return false,
        }
    }
    true
}

/// The character just before byte `pos` of `text`, if it is valid UTF-8.
pub fn char_before(text: &[u8], pos: usize) -> Option<char> {
    let start = pos.saturating_sub(4);
    (start..pos)
        .rev()
        .find_map(|s| std::str::from_utf8(&text[s..pos]).ok())
        .and_then(|s| s.chars().next_back())
}

/// The character starting at byte `pos` of `text`, if it is valid UTF-8.
pub fn char_at(text: &[u8], pos: usize) -> Option<char> {
    let end = (pos + 4).min(text.len());
    (pos + 1..=end)
        .find_map(|e| std::str::from_utf8(&text[pos..e]).ok())
        .and_then(|s| s.chars().next())
}

/// True when a match of `start..end` in `text` does not cut into a word:
/// an alphanumeric edge of the match must not touch another alphanumeric.
pub fn at_word_boundaries(text: &[u8], start: usize, end: usize) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let starts_ok = !(alnum(char_at(text, start)) && alnum(char_before(text, start)));
    let ends_ok = !(alnum(char_before(text, end)) && alnum(char_at(text, end)));
    starts_ok && ends_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut out = Vec::new();
        normalize(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn folds_space_quotes_and_trims() {
        let cases = [
            ("plain text", "plain text"),
            ("  padded  ", "padded"),
            ("a \t b", "a b"),
            ("a\u{a0}b", "a b"),
            ("a\u{2009}\u{a0} b", "a b"),
            ("a\u{3000}b", "a b"),
            ("Don\u{2019}t", "Don't"),
            ("\u{2018}q\u{2019}", "'q'"),
            ("\u{201c}quoted\u{201d}", "\"quoted\""),
            ("zero\u{200b}width", "zerowidth"),
            ("\u{feff}bom", "bom"),
            ("caf\u{e9} \u{2014} ok", "caf\u{e9} \u{2014} ok"),
            ("   ", ""),
            ("", ""),
            ("trailing\r", "trailing"),
            ("two  spaces   inside", "two spaces inside"),
            ("x", "x"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "input {input:?}");
        }
    }

    #[test]
    fn runs_are_copied_as_the_byte_walk_defines() {
        // Lines made of pieces that every branch of `classify` sees, some
        // cut short at the end of the line.
        const PIECES: &[&[u8]] = &[
            b"word",
            b"x",
            b" ",
            b"  ",
            b"\t",
            b"\r",
            b"\x0b",
            b"\x0c",
            b"\xc2\xa0",
            b"\xc2",
            b"\xc2\xb7",
            b"\xe1\x9a\x80",
            b"\xe1\x9a",
            b"\xe2\x80\x83",
            b"\xe2\x80\xaf",
            b"\xe2\x81\x9f",
            b"\xe2\x80\x99",
            b"\xe2\x80\x9c",
            b"\xe2\x80\x8b",
            b"\xe2\x81\xa0",
            b"\xe2\x80\x94",
            b"\xe2\x80",
            b"\xe2",
            b"\xe3\x80\x80",
            b"\xe3\x81\x82",
            b"\xef\xbb\xbf",
            b"\xef\xbc\x81",
            b"\xff",
            b"\xc3\xa9",
        ];
        let mut rng = crate::TestRng(0x9e37_79b9_7f4a_7c15);
        let (mut line, mut fast, mut walked) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..40_000 {
            line.clear();
            if round % 2 == 0 {
                for _ in 0..rng.below(12) {
                    line.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                }
            } else {
                // Long lines of mostly plain words and single spaces: whole
                // blocks passed over, and the odd byte at every place in one.
                for _ in 0..rng.below(60) {
                    let piece = match rng.below(20) {
                        0 => rng.below(PIECES.len()),
                        k => k % 3,
                    };
                    line.extend_from_slice(PIECES[piece]);
                }
            }
            normalize(&line, &mut fast);
            walked.clear();
            byte_by_byte(&line, |b, range| walked.push((b, range)));
            let bytes: Vec<u8> = walked.iter().map(|&(b, _)| b).collect();
            assert_eq!(fast, bytes, "line {line:?}");
            let map = OffsetMap::new(&line);
            let ranges: Vec<(usize, usize)> = map.starts.into_iter().zip(map.ends).collect();
            let want: Vec<(usize, usize)> = walked.iter().map(|&(_, r)| r).collect();
            assert_eq!(ranges, want, "line {line:?}");
        }
    }

    /// The definition `walk` follows run by run: one `classify` at a time,
    /// each output byte with the original range it stands for.
    fn byte_by_byte(line: &[u8], mut emit: impl FnMut(u8, (usize, usize))) {
        let mut i = 0;
        let mut pending_space: Option<usize> = None;
        let mut emitted_any = false;
        while i < line.len() {
            match classify(line, i) {
                Fold::Space(n) => {
                    pending_space.get_or_insert(i);
                    i += n;
                }
                Fold::Drop(n) => i += n,
                fold => {
                    if let Some(start) = pending_space.take() {
                        if emitted_any {
                            emit(b' ', (start, i));
                        }
                    }
                    emitted_any = true;
                    match fold {
                        Fold::Replace(b, n) => {
                            emit(b, (i, i + n));
                            i += n;
                        }
                        _ => {
                            emit(line[i], (i, i + 1));
                            i += 1;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let mut out = Vec::new();
        normalize(b"a\xff  b\xe2", &mut out);
        assert_eq!(out, b"a\xff b\xe2");
    }

    #[test]
    fn offset_map_points_back_to_original_bytes() {
        let line = "  Don\u{2019}t\u{a0}\u{a0}miss".as_bytes();
        let mut out = Vec::new();
        normalize(line, &mut out);
        assert_eq!(out, b"Don't miss");
        let map = OffsetMap::new(line);
        // "Don't" in the normalised line is bytes 0..5.
        let (s, e) = map.original(0, 5);
        assert_eq!(&line[s..e], "Don\u{2019}t".as_bytes());
        // "miss" is 6..10.
        let (s, e) = map.original(6, 10);
        assert_eq!(&line[s..e], b"miss");
        // The folded space covers both no-break spaces.
        let (s, e) = map.original(5, 6);
        assert_eq!(&line[s..e], "\u{a0}\u{a0}".as_bytes());
    }

    #[test]
    fn identity_map_for_normal_lines() {
        let map = OffsetMap::new(b"abc def");
        assert_eq!(map.original(4, 7), (4, 7));
    }

    #[test]
    fn finds_short_needles() {
        let text = "a \u{2022} b \u{b7} c".as_bytes();
        assert!(contains(text, "\u{2022}".as_bytes()));
        assert!(contains(text, "\u{b7}".as_bytes()));
        assert!(!contains(text, "\u{2023}".as_bytes())); // same lead bytes
        assert!(!contains(b"", b"x"));
        assert!(contains(b"abc", b""));
        assert!(contains(b"abc", b"bc"));
    }

    #[test]
    fn counts_words() {
        assert_eq!(word_count(b""), 0);
        assert_eq!(word_count(b"one"), 1);
        assert_eq!(word_count(b"one two three"), 3);
        // Past the 255-byte lanes of `count_bytes`.
        assert_eq!(word_count(vec!["a"; 1_000].join(" ").as_bytes()), 1_000);
    }

    #[test]
    fn word_boundaries() {
        let t = "Shared share caf\u{e9}s".as_bytes();
        assert!(!at_word_boundaries(t, 0, 5)); // "Share" inside "Shared"
        assert!(at_word_boundaries(t, 7, 12)); // "share"
        assert!(!at_word_boundaries(t, 13, 16)); // "caf" inside "cafés"
        assert!(at_word_boundaries(b"x (a) y", 2, 5));
    }

    #[test]
    fn blank_lines() {
        assert!(is_blank(b""));
        assert!(is_blank(" \t\u{a0}\r".as_bytes()));
        assert!(!is_blank(b" x "));
    }
}
