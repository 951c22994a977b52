//! Byte-class masks of text, eight bytes at a time.
//!
//! The classifier's features count letters, capitals, digits and white
//! space, find the first letter of every space-separated token and split
//! lines into words. Done character by character, each of these is a loop
//! with a branch or a carried state per character. Here one pass computes,
//! for every block of 64 bytes, a bit per byte for each class, with plain
//! `u64` arithmetic on eight bytes at a time ("SWAR": the crate forbids the
//! `unsafe` that SIMD intrinsics need); the counts are then popcounts and
//! the words runs of set bits.
//!
//! Text that is not all ASCII takes the same path: its ASCII bytes are
//! classed eight at a time, and each other character is decoded alone and
//! marked at its first byte. Scraped English has a few curly quotes and
//! dashes in a long line, so that line is not read character by character
//! for their sake.

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
    /// The first bytes of non-ASCII characters (`0xC0..`), in no class yet.
    pub lead: u64,
    /// Their other bytes (`0x80..=0xBF`), never in a class.
    pub tail: u64,
}

impl Block {
    /// Letters, digits and apostrophes: the bytes of words.
    pub fn word(&self) -> u64 {
        self.lower | self.upper | self.digit | self.apostrophe
    }
}

/// The masks of one block of up to 64 bytes. Unless `ASCII` (every byte
/// below 0x80), bytes from 0x80 are set in `lead` or `tail` and in no
/// class: they are cleared before the ASCII classes are taken, as the sums
/// of [`between`] must not carry out of a byte.
#[inline(always)]
fn block<const ASCII: bool>(chunk: &[u8]) -> Block {
    let mut block = Block::default();
    for k in 0..chunk.len().div_ceil(8) {
        let mut x = load8(chunk, 8 * k);
        let at = 8 * k as u32;
        if !ASCII {
            let high = x & HIGH;
            // `x << 1` brings each byte's bit 6 up to its bit 7: clear in a
            // tail byte (0b10xx_xxxx), set in a lead byte (0b11xx_xxxx).
            block.tail |= gather(high & !(x << 1)) << at;
            block.lead |= gather(high & (x << 1)) << at;
            x &= !((high >> 7) * 0xFF);
        }
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
}

/// Classes the non-ASCII characters of `block`, which starts at byte `from`
/// of `text`, at their first bytes as [`Counts`] defines the classes (white
/// space, then letters by case, then numeric characters; the rest are
/// symbols, in no mask).
fn class_wide(block: &mut Block, text: &str, from: usize) {
    let mut leads = block.lead;
    while leads != 0 {
        let i = leads.trailing_zeros();
        leads &= leads - 1;
        let c = text[from + i as usize..].chars().next().unwrap_or(' ');
        let bit = 1u64 << i;
        if c.is_whitespace() {
            block.white |= bit;
        } else if c.is_alphabetic() {
            if c.is_uppercase() {
                block.upper |= bit;
            } else {
                block.lower |= bit;
            }
        } else if c.is_numeric() {
            block.digit |= bit;
        }
    }
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

/// What one pass over a line counts for the features: its characters by
/// class, and its tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// White space (`char::is_whitespace`).
    pub white: u32,
    /// Letters other than capitals (`char::is_alphabetic`)...
    pub lower: u32,
    /// ... and capitals (`char::is_uppercase`).
    pub upper: u32,
    /// Digits and other numeric characters (`char::is_numeric`).
    pub digit: u32,
    /// Every other character.
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

/// Counts the characters of `text` by class and its tokens with a letter,
/// by first letter. `words` is set to the masks of its word bytes (the
/// bytes of letters, digits and apostrophes), block by block: the words
/// are their [`runs`]. `ascii`: `text` is all ASCII (the caller knows).
pub(crate) fn counts(text: &str, ascii: bool, words: &mut Vec<u64>) -> Counts {
    debug_assert_eq!(ascii, text.is_ascii());
    if ascii {
        counts_of::<true>(text, words)
    } else {
        counts_of::<false>(text, words)
    }
}

/// [`counts`], for all-ASCII `text` when `ASCII`.
#[inline(always)]
fn counts_of<const ASCII: bool>(text: &str, words: &mut Vec<u64>) -> Counts {
    let mut c = Counts::default();
    words.clear();
    // Whether the token open at the start of the block has a letter: the
    // carry out of the previous block's addition.
    let mut carry = false;
    // Whether the byte before the block is a word byte, and how many bytes
    // are not first bytes of characters.
    let (mut word_before, mut tails) = (0u64, 0u32);
    for (k, chunk) in text.as_bytes().chunks(64).enumerate() {
        let mut b = block::<ASCII>(chunk);
        if ASCII {
            words.push(b.word());
        } else {
            class_wide(&mut b, text, 64 * k);
            // A tail byte belongs to a word when its character's first byte
            // does: the bit is passed along at most three tail bytes.
            let mut word = b.word();
            for _ in 0..3 {
                word |= b.tail & ((word << 1) | word_before);
            }
            word_before = word >> 63;
            tails += b.tail.count_ones();
            words.push(word);
        }
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
    c.symbol = text.len() as u32 - tails - c.white - c.lower - c.upper - c.digit;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks of `text` (ASCII), block by block of 64 bytes.
    fn blocks(text: &[u8]) -> impl Iterator<Item = Block> + '_ {
        text.chunks(64).map(block::<true>)
    }

    /// The character-by-character definition of [`counts`], with the
    /// words it marks.
    fn counts_by_chars(text: &str) -> (Counts, Vec<&str>) {
        let mut c = Counts::default();
        let mut seeking = true;
        for ch in text.chars() {
            if ch.is_whitespace() {
                c.white += 1;
            } else if ch.is_alphabetic() && ch.is_uppercase() {
                c.upper += 1;
            } else if ch.is_alphabetic() {
                c.lower += 1;
            } else if ch.is_numeric() {
                c.digit += 1;
            } else {
                c.symbol += 1;
            }
            // `seeking` until the current token's first letter is seen.
            if ch == ' ' {
                seeking = true;
            } else if seeking && ch.is_alphabetic() {
                c.tokens += 1;
                c.title += u32::from(ch.is_uppercase());
                seeking = false;
            }
        }
        let words = text
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        (c, words)
    }

    /// [`counts`] and the words of its masks.
    fn counts_and_words(text: &str) -> (Counts, Vec<&str>) {
        let mut masks = Vec::new();
        let c = counts(text, text.is_ascii(), &mut masks);
        (c, runs(&masks).map(|r| &text[r]).collect())
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
    fn counts_match_the_character_by_character_definition() {
        for line in [
            "",
            "a",
            " A",
            "(The) x-Ray 'Quote' a",
            "1st 2nd Third",
            "\u{dc}n\u{ef} 2\u{20ac} \u{2019}Tis \u{c9}t\u{e9}\u{2014}l'\u{e9}t\u{e9}",
            "\t\u{b2}\u{2003}x \u{1f600}y \u{4e2d}\u{6587} \u{41f}\u{440}\u{438} \u{85}",
        ] {
            assert_eq!(counts_and_words(line), counts_by_chars(line), "{line:?}");
        }
        let long = ["x".repeat(100), " Y".to_owned(), "z".repeat(70)].concat();
        assert_eq!(
            counts(&long, true, &mut Vec::new()),
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
            let line = String::from_utf8(line).expect("ASCII");
            let mut words = Vec::new();
            assert_eq!(
                counts(&line, true, &mut words),
                counts_by_chars(&line).0,
                "{line:?}"
            );
            let want: Vec<u64> = blocks(line.as_bytes()).map(|b| b.word()).collect();
            assert_eq!(words, want, "{line:?}");
        }
        // Characters of two to four bytes, of every class, among ASCII
        // pieces: some straddle a block's end, some start a token or a word.
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "9",
            " ",
            "  ",
            "'",
            "-",
            ".",
            "xxxxxxxxxxxxxxxxxxxx",
            "\u{e9}",
            "\u{c9}",
            "\u{2019}",
            "\u{2014}",
            "\u{a0}",
            "\u{2003}",
            "\u{b2}",
            "\u{bd}",
            "\u{41f}",
            "\u{44f}",
            "\u{4e2d}",
            "\u{1f600}",
            "\u{1d400}",
            "\u{301}",
            "\u{130}",
            "\u{1c5}",
            "\u{df}",
            "\u{660}",
            "\u{85}",
        ];
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let line = rng.line(PIECES, 60);
            assert_eq!(counts_and_words(&line), counts_by_chars(&line), "{line:?}");
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
