//! Byte-class masks of ASCII text, eight bytes at a time.
//!
//! The classifier's features count letters, capitals, digits and white
//! space, find the first letter of every space-separated token and split
//! lines into words. Done byte by byte, each of these is a loop with a
//! branch or a carried state per byte. Here one pass computes, for every
//! block of 64 bytes, a bit per byte for each class, with plain `u64`
//! arithmetic on eight bytes at a time ("SWAR": the crate forbids the
//! `unsafe` that SIMD intrinsics need); the counts are then popcounts and
//! the words runs of set bits.
//!
//! Everything here assumes ASCII text: callers check `is_ascii` first and
//! keep their character-by-character path for other lines.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` set where that byte lies in `lo..=hi`.
/// Every byte of `x` must be below 0x80, and `lo` at least 1: then no sum
/// below carries out of its byte.
#[inline(always)]
fn between(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + ONES * u64::from(0x80 - lo);
    let above_hi = x + ONES * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGH
}

/// The high bits of the eight bytes of `m` (only high bits set) as one
/// byte: bit `k` is byte `k`'s. The multiplier moves byte `k`'s bit to bit
/// `56 + k`; every other product lands outside the top byte, and no two
/// land on the same bit, so nothing carries into it.
#[inline(always)]
fn gather(m: u64) -> u64 {
    (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The classes of the bytes of one block of up to 64 bytes: bit `i` of each
/// mask stands for byte `i` of the block (bits past its end are clear).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Block {
    /// `a..=z`.
    pub lower: u64,
    /// `A..=Z`.
    pub upper: u64,
    /// `0..=9`.
    pub digit: u64,
    /// The space and `\t..=\r`.
    pub white: u64,
    /// The space alone.
    pub space: u64,
    /// `'`.
    pub apostrophe: u64,
}

impl Block {
    /// Letters, digits and apostrophes: the bytes of words.
    pub fn word(&self) -> u64 {
        self.lower | self.upper | self.digit | self.apostrophe
    }
}

/// The masks of `text` (ASCII), block by block of 64 bytes.
pub(crate) fn blocks(text: &[u8]) -> impl Iterator<Item = Block> + '_ {
    debug_assert!(text.is_ascii());
    text.chunks(64).map(|chunk| {
        let mut block = Block::default();
        for k in 0..chunk.len().div_ceil(8) {
            let x = load8(chunk, 8 * k);
            let at = 8 * k as u32;
            // Padding bytes are 0, in no class.
            block.lower |= gather(between(x, b'a', b'z')) << at;
            block.upper |= gather(between(x, b'A', b'Z')) << at;
            block.digit |= gather(between(x, b'0', b'9')) << at;
            let space = gather(between(x, b' ', b' ')) << at;
            block.space |= space;
            block.white |= space | (gather(between(x, b'\t', b'\r')) << at);
            block.apostrophe |= gather(between(x, b'\'', b'\'')) << at;
        }
        block
    })
}

/// The eight bytes of `bytes` from `at` as a little-endian `u64`, zeros past
/// its end. A whole word is one load; only a short one is padded (a copy of
/// variable length would be a call to `memmove`).
#[inline(always)]
pub(crate) fn load8(bytes: &[u8], at: usize) -> u64 {
    let word: [u8; 8] = match bytes.get(at..at + 8) {
        Some(word) => word.try_into().expect("eight bytes"),
        None => std::array::from_fn(|i| bytes.get(at + i).copied().unwrap_or(0)),
    };
    u64::from_le_bytes(word)
}

/// The runs of set bits of a bit string kept in 64-bit blocks (bit `i` of
/// block `b` is position `64 b + i`), as `start..end` positions in order.
pub(crate) fn runs(bits: &[u64]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let len = 64 * bits.len();
    // The first position at or after `from` whose bit is `want`, or `len`.
    let next = move |from: usize, want: bool| -> usize {
        let mut b = from / 64;
        let flip = if want { 0 } else { u64::MAX };
        let mut word = match bits.get(b) {
            Some(&w) => (w ^ flip) & (u64::MAX << (from % 64)),
            None => return len,
        };
        loop {
            if word != 0 {
                return 64 * b + word.trailing_zeros() as usize;
            }
            b += 1;
            match bits.get(b) {
                Some(&w) => word = w ^ flip,
                None => return len,
            }
        }
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = next(at, true);
        if start >= len {
            return None;
        }
        let end = next(start, false);
        at = end;
        Some(start..end)
    })
}

/// What one pass over an ASCII line counts for the features.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub white: u32,
    pub lower: u32,
    pub upper: u32,
    pub digit: u32,
    /// Every other byte (every other character, for a count of any text).
    pub symbol: u32,
    /// Space-separated tokens with a letter...
    pub tokens: u32,
    /// ... and those whose first letter is a capital.
    pub title: u32,
}

impl Counts {
    /// All the characters counted.
    pub fn chars(&self) -> u32 {
        self.white + self.lower + self.upper + self.digit + self.symbol
    }
}

/// Counts the classes of the bytes of `text` (ASCII) and its tokens with a
/// letter, by first letter. `words` is set to the masks of its word bytes
/// (letters, digits, apostrophes), block by block: the words are their
/// [`runs`].
pub(crate) fn counts(text: &[u8], words: &mut Vec<u64>) -> Counts {
    let mut c = Counts::default();
    words.clear();
    // Whether the token open at the start of the block has a letter: the
    // carry out of the previous block's addition.
    let mut carry = false;
    for b in blocks(text) {
        words.push(b.word());
        let letters = b.lower | b.upper;
        // A letter's position is set in `letters` and `inside`; adding the
        // two starts a carry there that runs up through the token and stops
        // at the space that ends it (set in neither). The bits a carry comes
        // into (`sum ^ letters ^ inside`) are the places after a letter of
        // the same token, so a letter with no carry in is its token's first.
        let inside = !b.space;
        let (partial, c1) = letters.overflowing_add(inside);
        let (sum, c2) = partial.overflowing_add(u64::from(carry));
        carry = c1 || c2;
        let first = letters & !(sum ^ letters ^ inside);
        c.white += b.white.count_ones();
        c.lower += b.lower.count_ones();
        c.upper += b.upper.count_ones();
        c.digit += b.digit.count_ones();
        c.tokens += first.count_ones();
        c.title += (first & b.upper).count_ones();
    }
    c.symbol = text.len() as u32 - c.white - c.lower - c.upper - c.digit;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte definition of [`counts`].
    fn counts_by_bytes(text: &[u8]) -> Counts {
        let mut c = Counts::default();
        let mut seeking = true;
        for &b in text {
            match b {
                b'a'..=b'z' => c.lower += 1,
                b'A'..=b'Z' => c.upper += 1,
                b'0'..=b'9' => c.digit += 1,
                b'\t'..=b'\r' | b' ' => c.white += 1,
                _ => c.symbol += 1,
            }
            if b == b' ' {
                seeking = true;
            } else if seeking && b.is_ascii_alphabetic() {
                c.tokens += 1;
                c.title += u32::from(b.is_ascii_uppercase());
                seeking = false;
            }
        }
        c
    }

    /// Random ASCII lines, every byte value below 0x80 likely, with runs of
    /// letters and spaces long enough to cross blocks.
    fn random_lines() -> Vec<Vec<u8>> {
        let mut rng = crate::TestRng(0x9e37_79b9_7f4a_7c15);
        (0..20_000)
            .map(|_| {
                let len = rng.below(200);
                let mut line = Vec::with_capacity(len);
                while line.len() < len {
                    match rng.below(6) {
                        0 => line.push(rng.below(128) as u8),
                        1 => line.extend(std::iter::repeat_n(b'x', rng.below(80))),
                        2 => line.extend(std::iter::repeat_n(b' ', rng.below(3) + 1)),
                        3 => line.push(b"(\"'-.,"[rng.below(6)]),
                        _ => line.push(b"aZbY09 \t"[rng.below(8)]),
                    }
                }
                line
            })
            .collect()
    }

    #[test]
    fn masks_mark_each_byte_by_its_class() {
        let text: Vec<u8> = (0u8..128).chain(0u8..128).collect();
        for (k, b) in blocks(&text).enumerate() {
            for i in 0..64 {
                let byte = text[64 * k + i];
                let bit = |m: u64| m >> i & 1 == 1;
                assert_eq!(bit(b.lower), byte.is_ascii_lowercase(), "{byte}");
                assert_eq!(bit(b.upper), byte.is_ascii_uppercase(), "{byte}");
                assert_eq!(bit(b.digit), byte.is_ascii_digit(), "{byte}");
                assert_eq!(bit(b.space), byte == b' ', "{byte}");
                assert_eq!(bit(b.white), matches!(byte, b'\t'..=b'\r' | b' '), "{byte}");
                assert_eq!(bit(b.apostrophe), byte == b'\'', "{byte}");
            }
        }
        // Bits past the end of a short last block are clear.
        let last = blocks(b"aA0 '\t").last().unwrap();
        assert_eq!(last.word() | last.white, 0b11_1111);
    }

    #[test]
    fn counts_match_the_byte_by_byte_definition() {
        for line in [
            &b""[..],
            b"a",
            b" A",
            b"(The) x-Ray 'Quote' a",
            b"1st 2nd Third",
        ] {
            assert_eq!(
                counts(line, &mut Vec::new()),
                counts_by_bytes(line),
                "{line:?}"
            );
        }
        let long = [b"x".repeat(100), b" Y".to_vec(), b"z".repeat(70)].concat();
        assert_eq!(
            counts(&long, &mut Vec::new()),
            Counts {
                lower: 170,
                upper: 1,
                white: 1,
                symbol: 0,
                tokens: 2,
                title: 1,
                ..Counts::default()
            }
        );
        for line in random_lines() {
            let mut words = Vec::new();
            assert_eq!(
                counts(&line, &mut words),
                counts_by_bytes(&line),
                "{line:?}"
            );
            let want: Vec<u64> = blocks(&line).map(|b| b.word()).collect();
            assert_eq!(words, want, "{line:?}");
        }
    }

    #[test]
    fn runs_are_the_words_of_a_line() {
        for line in random_lines() {
            let words: Vec<u64> = blocks(&line).map(|b| b.word()).collect();
            let got: Vec<&[u8]> = runs(&words).map(|r| &line[r]).collect();
            let want: Vec<&[u8]> = line
                .split(|b| !(b.is_ascii_alphanumeric() || *b == b'\''))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(got, want, "{line:?}");
        }
        let spans = |bits: &[u64]| runs(bits).map(|r| (r.start, r.end)).collect::<Vec<_>>();
        assert_eq!(spans(&[u64::MAX, 1]), [(0, 65)]);
        assert_eq!(spans(&[0, 1 << 63]), [(127, 128)]);
        assert_eq!(spans(&[1 << 63, 0b110]), [(63, 64), (65, 67)]);
        assert_eq!(runs(&[]).count(), 0);
    }
}
