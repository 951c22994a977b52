//! The line classifier: catches chrome that no phrase names, from what the
//! text of a line and of its neighbours looks like.
//!
//! Every non-blank line that survived the rules and detectors gets a vector
//! of [`FEATURES`]: its own length, punctuation, stop-word density, share of
//! capitals, digits and symbols, position, and above all its context (the
//! same measures averaged over windows of neighbouring lines, distance to the
//! nearest paragraph of prose). Gradient-boosted trees (a [`Model`]) turn the
//! vector into the probability that the line is article text; a line below
//! the threshold is removed, and the span names the classifier and the
//! feature that weighed most against the line.
//!
//! The features are computed here and only here: `dechrome train` fits the
//! model on the same vectors that cleaning scores, and the model is a plain
//! text file (`rules/classifier.model`, embedded; `--model FILE` replaces it).
//!
//! ```
//! use dechrome::classify::{features, Model, FEATURES};
//!
//! let lines: Vec<&[u8]> = vec![b"Home", b"News", b"The council voted on Tuesday to close the old bridge, which has been unsafe since the floods of last spring."];
//! let x = features(&lines);
//! assert_eq!(x.len(), 3);
//! assert_eq!(x[0].len(), FEATURES.len());
//! let model = Model::embedded();
//! assert!(model.probability(&x[2]) > model.probability(&x[0]));
//! ```

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::masks;
use crate::normalize::word_count;

/// Names of the features, in vector order. The model file refers to them by name.
pub const FEATURES: &[&str] = &[
    // The line itself.
    "words_log",
    "chars_log",
    "words_1",
    "words_2_3",
    "words_4_6",
    "words_7_12",
    "words_13_25",
    "words_26_up",
    "ends_sentence",
    "ends_colon",
    "stopword_share",
    "upper_share",
    "digit_share",
    "symbol_share",
    "title_case_share",
    "sentences_log",
    "has_separator",
    "starts_bullet",
    "has_link",
    "has_date",
    "word_len_mean",
    "comma_share",
    "has_quote",
    "copyright",
    "all_caps",
    // The document.
    "doc_prose_share",
    "words_vs_doc_max",
    "language_known",
    // Context: neighbours' measures over windows (previous / next 1, 3, and 10 around).
    "prev1_words",
    "next1_words",
    "prev3_words",
    "next3_words",
    "around10_words",
    "prev1_sentence",
    "next1_sentence",
    "prev3_sentence",
    "next3_sentence",
    "around10_sentence",
    "prev1_stopwords",
    "next1_stopwords",
    "prev3_stopwords",
    "next3_stopwords",
    "around10_stopwords",
    "prev3_prose",
    "next3_prose",
    "around10_prose",
    "prose_before_log",
    "prose_after_log",
    "in_main_block",
    "short_run_log",
    // Crosses the linear model cannot make by itself.
    "short_between_prose",
    "short_in_main_block",
    "titlelike_before_prose",
    "short_outside_block",
];

/// Positions in [`FEATURES`] of the line measures the context windows reuse.
const WORDS_LOG: usize = 0;
const ENDS_SENTENCE: usize = 8;
const _: () = assert!(matches!(FEATURES[WORDS_LOG].as_bytes(), b"words_log"));
const _: () = assert!(matches!(
    FEATURES[ENDS_SENTENCE].as_bytes(),
    b"ends_sentence"
));

/// How many of [`FEATURES`] [`line_features`] gives: those of the line itself.
const LINE_FEATURES: usize = 25;
const _: () = assert!(matches!(
    FEATURES[LINE_FEATURES].as_bytes(),
    b"doc_prose_share"
));

/// One line's measures, before context.
#[derive(Clone, Copy, Debug, Default)]
struct Base {
    words: f32,
    titlelike: f32,
}

/// Number of embedded stop-word lists (a bit each in [`stopwords`]).
const LANGUAGES: usize = crate::defaults::STOPWORDS.len();
const _: () = assert!(LANGUAGES <= 32, "a language is a bit of a u32");

/// Every stop word of every embedded list, with a bit per language it
/// belongs to.
struct StopWords {
    /// ASCII words of at most 8 bytes, packed into an integer (see [`pack`]):
    /// most stop words, looked up without comparing strings or branching.
    short: Cuckoo,
    /// ASCII words of 9 to 16 bytes, packed the same way into 16 bytes.
    medium: FxHashMap<u128, u32>,
    /// The others.
    long: FxHashMap<&'static str, u32>,
    /// Length of the longest: a longer ASCII word is no stop word.
    longest: usize,
}

static STOPWORDS: OnceLock<StopWords> = OnceLock::new();

fn stopwords() -> &'static StopWords {
    STOPWORDS.get_or_init(|| {
        let (mut short, mut medium, mut long) = (
            FxHashMap::default(),
            FxHashMap::default(),
            FxHashMap::default(),
        );
        let mut longest = 0;
        for (bit, (_, text)) in crate::defaults::STOPWORDS.iter().enumerate() {
            for word in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                longest = longest.max(word.len());
                let entry = match Key::of(word) {
                    Key::Short(key) => short.entry(key).or_insert(0),
                    Key::Medium(key) => medium.entry(key).or_insert(0),
                    Key::Long(word) => long.entry(word).or_insert(0),
                };
                *entry |= 1u32 << bit;
            }
        }
        StopWords {
            short: Cuckoo::new(&short),
            medium,
            long,
            longest,
        }
    })
}

impl StopWords {
    /// The languages (bits) whose stop lists have the word of `key`.
    fn bits(&self, key: Key<'_>) -> u32 {
        let bits = match key {
            Key::Short(key) => return self.short.get(key),
            Key::Medium(key) => self.medium.get(&key),
            Key::Long(word) => self.long.get(word),
        };
        bits.copied().unwrap_or(0)
    }
}

/// Packed words (never zero) and their bits in a cuckoo table: each word
/// sits in one of its two slots, so a look-up reads both and keeps the one
/// that holds it, without a branch. About half the words of running text
/// are stop words, so a look-up that branches on finding one mispredicts
/// often. Built once, deterministically: the multipliers are tried in a
/// fixed order until every word finds a place.
struct Cuckoo {
    keys: Vec<u64>,
    bits: Vec<u32>,
    /// The two hash multipliers.
    mul: [u64; 2],
    /// `64 - log2(slots)`: a slot is a hash's top bits.
    shift: u32,
}

impl Cuckoo {
    fn new(words: &FxHashMap<u64, u32>) -> Cuckoo {
        let size = (4 * words.len()).next_power_of_two().max(64);
        let mut entries: Vec<(u64, u32)> = words.iter().map(|(&k, &b)| (k, b)).collect();
        entries.sort_unstable();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        loop {
            // Two odd multipliers from a fixed sequence (splitmix64).
            let mut next = || {
                seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = seed;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)) | 1
            };
            let mut table = Cuckoo {
                keys: vec![0; size],
                bits: vec![0; size],
                mul: [next(), next()],
                shift: 64 - size.trailing_zeros(),
            };
            if entries.iter().all(|&(key, bits)| table.insert(key, bits)) {
                return table;
            }
        }
    }

    fn slot(&self, key: u64, which: usize) -> usize {
        (key.wrapping_mul(self.mul[which]) >> self.shift) as usize
    }

    /// Places `key`, moving others to their other slot; false when a chain
    /// of moves runs too long (then other multipliers are tried).
    fn insert(&mut self, mut key: u64, mut bits: u32) -> bool {
        let mut at = self.slot(key, 0);
        for _ in 0..500 {
            std::mem::swap(&mut self.keys[at], &mut key);
            std::mem::swap(&mut self.bits[at], &mut bits);
            if key == 0 {
                return true;
            }
            // The evicted key goes to its other slot.
            at = if self.slot(key, 0) == at {
                self.slot(key, 1)
            } else {
                self.slot(key, 0)
            };
        }
        false
    }

    /// The bits of `key`; 0 when it is no stop word.
    #[inline]
    fn get(&self, key: u64) -> u32 {
        let [a, b] = [self.slot(key, 0), self.slot(key, 1)];
        let hit = |i: usize| self.bits[i] & 0u32.wrapping_sub(u32::from(self.keys[i] == key));
        hit(a) | hit(b)
    }
}

/// A word as [`StopWords`] looks it up.
enum Key<'a> {
    /// [`pack`]ed.
    Short(u64),
    /// [`pack16`]ed.
    Medium(u128),
    /// Any other word, as it is.
    Long(&'a str),
}

impl<'a> Key<'a> {
    fn of(word: &'a str) -> Key<'a> {
        let bytes = word.as_bytes();
        if let Some(key) = pack(bytes) {
            Key::Short(key)
        } else if let Some(key) = pack16(bytes) {
            Key::Medium(key)
        } else {
            Key::Long(word)
        }
    }
}

/// An ASCII word of at most `N` bytes, lower-cased, unused bytes zero (no
/// word contains a NUL, so different words give different keys).
fn packed<const N: usize>(word: &[u8]) -> Option<[u8; N]> {
    (word.len() <= N && word.is_ascii()).then(|| {
        let mut key = [0u8; N];
        key[..word.len()].copy_from_slice(word);
        key.make_ascii_lowercase();
        key
    })
}

/// An ASCII word of at most 8 bytes as an integer, lower-cased.
fn pack(word: &[u8]) -> Option<u64> {
    packed(word).map(u64::from_le_bytes)
}

/// An ASCII word of 9 to 16 bytes as an integer, as [`pack`] packs shorter
/// ones.
fn pack16(word: &[u8]) -> Option<u128> {
    packed(word)
        .filter(|_| word.len() > 8)
        .map(u128::from_le_bytes)
}

/// The words of one line (runs of letters, digits and apostrophes) and, per
/// language, how many of them are on that language's stop list.
struct StopCounts {
    words: u32,
    hits: [u32; LANGUAGES],
}

/// The languages (bits of [`stopwords`]) whose stop lists have `word`, a
/// run of letters, digits and apostrophes; `ascii` when it is all ASCII.
/// Non-packable words are lower-cased into `buf`.
fn stop_bits(stop: &StopWords, word: &str, ascii: bool, buf: &mut String) -> u32 {
    if !ascii {
        buf.clear();
        buf.extend(word.chars().flat_map(char::to_lowercase));
        return stop.bits(Key::of(buf));
    }
    match Key::of(word) {
        // (Lower-casing keeps an ASCII word's length, not every other's.)
        Key::Long(_) if word.len() > stop.longest => 0,
        Key::Long(_) => {
            buf.clear();
            buf.push_str(word);
            buf.make_ascii_lowercase();
            stop.bits(Key::Long(buf))
        }
        key => stop.bits(key),
    }
}

/// The first look at a normalised line: its words and stop words, and its
/// characters by class, both read from byte masks (see [`masks`]). `buf`
/// and `words` are scratch space.
fn scan_line(line: &str, buf: &mut String, words: &mut Vec<u64>) -> (StopCounts, masks::Counts) {
    let ascii = line.is_ascii();
    let chars = masks::counts(line, ascii, words);
    (masked_stop_counts(line, ascii, words, buf), chars)
}

/// A tally of words by the stop lists that have them. A word's language
/// bits are spread to a byte each (by [`SPREAD`]) and added eight
/// languages at a time, in byte lanes emptied into the counts before any
/// can overflow: no branch per word on whether it is a stop word, which
/// in running text is close to a coin toss.
struct Tally {
    lanes: [u64; LANGUAGES.div_ceil(8)],
    /// Words added to the lanes since they were last emptied.
    pending: u32,
    counts: StopCounts,
}

/// For each byte, the byte's eight bits spread one to a byte.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            table[b] |= ((b as u64 >> k) & 1) << (8 * k);
            k += 1;
        }
        b += 1;
    }
    table
};

impl Tally {
    fn new() -> Tally {
        Tally {
            lanes: [0; LANGUAGES.div_ceil(8)],
            pending: 0,
            counts: StopCounts {
                words: 0,
                hits: [0; LANGUAGES],
            },
        }
    }

    fn add(&mut self, bits: u32) {
        self.counts.words += 1;
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[(bits >> (8 * k)) as usize & 0xFF];
        }
        self.pending += 1;
        if self.pending == 255 {
            self.empty();
        }
    }

    fn empty(&mut self) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            for (j, hits) in self.counts.hits.iter_mut().skip(8 * k).take(8).enumerate() {
                *hits += (*lane >> (8 * j)) as u32 & 0xFF;
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    fn finish(mut self) -> StopCounts {
        self.empty();
        self.counts
    }
}

/// Counts the words and stop words of a normalised line whose word masks
/// ([`masks::counts`]) are `words`: the words are the runs of word bytes.
/// An ASCII word of up to 16 bytes is read as its packed key (see [`pack`]
/// and [`pack16`]): letters, digits and the apostrophe all lower-case by
/// setting 0x20. Other words go through [`stop_bits`], with `buf`. `ascii`:
/// the line is all ASCII.
fn masked_stop_counts(line: &str, ascii: bool, words: &[u64], buf: &mut String) -> StopCounts {
    let stop = stopwords();
    let mut tally = Tally::new();
    let bytes = line.as_bytes();
    // The eight bytes from `at`, lower-cased, and the first `n` of them
    // alone (a fixed-size load, not a copy of variable length).
    let eight = |at: usize, n: usize| {
        (masks::load8(bytes, at) | 0x2020_2020_2020_2020) & (u64::MAX >> (64 - 8 * n))
    };
    for run in masks::runs(words) {
        let word = &bytes[run.clone()];
        let bits = if !ascii && !word.is_ascii() {
            stop_bits(stop, &line[run], false, buf)
        } else if word.len() <= 8 {
            stop.bits(Key::Short(eight(run.start, word.len())))
        } else if word.len() <= 16 {
            let low = eight(run.start, 8);
            let high = eight(run.start + 8, word.len() - 8);
            stop.bits(Key::Medium(u128::from(low) | (u128::from(high) << 64)))
        } else {
            stop_bits(stop, &line[run], true, buf)
        };
        tally.add(bits);
    }
    tally.finish()
}

/// The language (a bit of [`stopwords`]) whose list covers most words of
/// the first 400 lines, if one covers a fair share (one word in twenty).
fn pick_language(counts: &[StopCounts]) -> Option<usize> {
    let mut hits = [0usize; LANGUAGES];
    let mut total = 0usize;
    for line in counts.iter().take(400) {
        total += line.words as usize;
        for (sum, &h) in hits.iter_mut().zip(&line.hits) {
            *sum += h as usize;
        }
    }
    let (best, &count) = hits
        .iter()
        .enumerate()
        .max_by_key(|(i, &h)| (h, usize::MAX - i))?;
    (total > 0 && count * 20 >= total).then_some(best)
}

fn ends_sentence(line: &str) -> bool {
    let trimmed = line.trim_end_matches(['"', '\'', ')', '»', '”', '’', ']', '*']);
    trimmed.ends_with(['.', '!', '?', '…', '。', '！', '？', ';'])
}

/// One line's feature vector: a value per [`FEATURES`] entry.
pub type Row = [f32; FEATURES.len()];

/// Feature vectors of the lines of one document (normalised text of its
/// non-blank lines, in order), a fixed-size [`Row`] each (no allocation
/// per line).
pub fn features(lines: &[&[u8]]) -> Vec<Row> {
    let words: Vec<usize> = lines.iter().map(|l| word_count(l)).collect();
    let texts: Vec<Cow<'_, str>> = lines.iter().map(|l| crate::normalize::lossy(l)).collect();
    features_counted(&texts, &words)
}

/// [`features`] of lines already made text, whose [`word_count`]s are
/// `word_counts` (counted once for the rules, the detectors and the
/// classifier).
pub(crate) fn features_counted(texts: &[Cow<'_, str>], word_counts: &[usize]) -> Vec<Row> {
    debug_assert!(texts.len() == word_counts.len());
    let n = texts.len();
    let (mut buf, mut words) = (String::new(), Vec::new());
    let (counts, chars): (Vec<StopCounts>, Vec<masks::Counts>) = texts
        .iter()
        .map(|t| scan_line(t, &mut buf, &mut words))
        .unzip();
    let language = pick_language(&counts);
    let mut out: Vec<Row> = Vec::with_capacity(n);
    let mut base: Vec<Base> = Vec::with_capacity(n);
    // The measures the context windows average: words (log), ends a
    // sentence, stop-word share, prose.
    let mut measures: Vec<[f32; 4]> = Vec::with_capacity(n);
    let mut lower = String::new();
    let lines_counted = texts.iter().zip(&counts).zip(&chars).zip(word_counts);
    for (((text, counts), chars), &words) in lines_counted {
        let stop_share = match language {
            Some(lang) if counts.words > 0 => counts.hits[lang] as f32 / counts.words as f32,
            _ => 0.0,
        };
        let (line, b) = line_features(text, words, stop_share, chars, &mut lower);
        let ends = line[ENDS_SENTENCE] > 0.0;
        let prose = ((b.words >= 13.0 && ends) || b.words >= 26.0) as u8 as f32;
        measures.push([line[WORDS_LOG], line[ENDS_SENTENCE], stop_share, prose]);
        let mut row: Row = [0.0; FEATURES.len()];
        row[..LINE_FEATURES].copy_from_slice(&line);
        out.push(row);
        base.push(b);
    }
    // The context features of each line are gathered in `x` and copied into
    // its row.
    let mut x = Vec::with_capacity(FEATURES.len() - LINE_FEATURES);
    let max_words = base.iter().map(|b| b.words).fold(1.0f32, f32::max);
    let is_prose = |i: usize| measures[i][3] > 0.0;
    let prose_count = (0..n).filter(|&i| is_prose(i)).count();
    let doc_prose_share = prose_count as f32 / n.max(1) as f32;
    let block_start = (0..n).find(|&i| is_prose(i)).unwrap_or(usize::MAX);
    let block_end = (0..n).rev().find(|&i| is_prose(i)).unwrap_or(0);
    // Distance to the nearest prose line before and after each line.
    let mut prose_before = vec![None; n];
    let mut last = None;
    for (i, d) in prose_before.iter_mut().enumerate() {
        *d = last.map(|p| i - p);
        if is_prose(i) {
            last = Some(i);
        }
    }
    let mut prose_after = vec![None; n];
    let mut next_prose = None;
    for (i, d) in prose_after.iter_mut().enumerate().rev() {
        *d = next_prose.map(|p: usize| p - i);
        if is_prose(i) {
            next_prose = Some(i);
        }
    }
    // Length of the run of short lines each line belongs to.
    let mut short_run = vec![0usize; n];
    let mut i = 0;
    while i < n {
        if base[i].words <= 6.0 {
            let start = i;
            while i < n && base[i].words <= 6.0 {
                i += 1;
            }
            for r in &mut short_run[start..i] {
                *r = i - start;
            }
        } else {
            i += 1;
        }
    }
    for (i, row) in out.iter_mut().enumerate() {
        let b = base[i];
        x.clear();
        // Window sums of the four measures at once: four independent chains
        // of additions, each in the order of the lines.
        let window = |from: usize, to: usize| -> ([f32; 4], usize) {
            let mut sums = [0f32; 4];
            for row in measures.get(from..to).unwrap_or(&[]) {
                for (sum, value) in sums.iter_mut().zip(row) {
                    *sum += value;
                }
            }
            (sums, to.saturating_sub(from))
        };
        let mean = |(sums, count): ([f32; 4], usize), k: usize| {
            if count == 0 {
                0.0
            } else {
                sums[k] / count as f32
            }
        };
        let prev1 = window(i.saturating_sub(1), i);
        let next1 = window(i + 1, (i + 2).min(n));
        let prev3 = window(i.saturating_sub(3), i);
        let next3 = window(i + 1, (i + 4).min(n));
        // Around: the 10 lines either side, the line itself left out.
        let (around, count) = window(i.saturating_sub(10), (i + 11).min(n));
        let around = |k: usize| {
            if count <= 1 {
                0.0
            } else {
                (around[k] - measures[i][k]) / (count - 1) as f32
            }
        };
        let dist = |d: Option<usize>| d.map_or(5.0, ln_1p);
        let in_block = (block_start <= i && i <= block_end) as u8 as f32;
        let short = (b.words <= 6.0) as u8 as f32;
        let prose_near = |d: Option<usize>| d.is_some_and(|d| d <= 2);
        x.extend([
            doc_prose_share,
            b.words / max_words,
            language.is_some() as u8 as f32,
        ]);
        // Words, sentence ends, stop words: previous and next 1 and 3, around.
        for k in 0..3 {
            x.extend([
                mean(prev1, k),
                mean(next1, k),
                mean(prev3, k),
                mean(next3, k),
                around(k),
            ]);
        }
        // Prose: previous and next 3, around.
        x.extend([mean(prev3, 3), mean(next3, 3), around(3)]);
        x.push(dist(prose_before[i]));
        x.push(dist(prose_after[i]));
        x.push(in_block);
        x.push(ln_1p(short_run[i]));
        x.push(short * (prose_near(prose_before[i]) && prose_near(prose_after[i])) as u8 as f32);
        x.push(short * in_block);
        x.push(b.titlelike * prose_near(prose_after[i]) as u8 as f32);
        x.push(short * (1.0 - in_block));
        debug_assert_eq!(x.len(), FEATURES.len() - LINE_FEATURES);
        row[LINE_FEATURES..].copy_from_slice(&x);
    }
    out
}

/// `ln(1 + n)` of a count as `f32`: from a table for small counts (made
/// with the same `f32::ln_1p`, so the values are the same), computed above.
fn ln_1p(n: usize) -> f32 {
    const SMALL: usize = 1024;
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..SMALL).map(|n| (n as f32).ln_1p()).collect());
    table.get(n).copied().unwrap_or_else(|| (n as f32).ln_1p())
}

/// The features of the line itself (the first [`LINE_FEATURES`] of
/// [`FEATURES`]) and its measures for the context, from its
/// [`word_count`]. `lower` is a buffer for the lower-cased line.
fn line_features(
    text: &str,
    word_count: usize,
    stop: f32,
    counts: &masks::Counts,
    lower: &mut String,
) -> ([f32; LINE_FEATURES], Base) {
    let bytes = text.as_bytes();
    let words = word_count as f32;
    let char_count = counts.chars() as usize;
    let letters = counts.lower + counts.upper;
    let non_space = letters + counts.digit + counts.symbol;
    let (letters, upper, digits, symbols, non_space) = (
        letters as f32,
        counts.upper as f32,
        counts.digit as f32,
        counts.symbol as f32,
        non_space as f32,
    );
    let share = |a: f32, b: f32| if b > 0.0 { a / b } else { 0.0 };
    let title_share = share(counts.title as f32, counts.tokens as f32);
    let Marks {
        link,
        copyright,
        quote,
        separator,
        sentences,
    } = marks(bytes);
    // A date needs at least two digits (a time) or four (a year).
    let date = digits >= 2.0 && dated(text, lower);
    let ends = ends_sentence(text) as u8 as f32;
    let commas = crate::normalize::count_bytes(bytes, |b| b == b',');
    let word_len = share(letters + digits, words);
    let has = |b: bool| b as u8 as f32;
    let bucket = |lo: f32, hi: f32| has(words >= lo && words <= hi);
    let values = [
        ln_1p(word_count),
        ln_1p(char_count),
        bucket(1.0, 1.0),
        bucket(2.0, 3.0),
        bucket(4.0, 6.0),
        bucket(7.0, 12.0),
        bucket(13.0, 25.0),
        has(words >= 26.0),
        ends,
        has(text.ends_with(':')),
        stop,
        share(upper, letters),
        share(digits, non_space),
        share(symbols, non_space),
        title_share,
        ln_1p(sentences as usize),
        has(separator),
        has(text.starts_with(['-', '•', '*', '·', '–', '—', '>', '»', '|'])),
        has(link),
        has(date),
        word_len.min(20.0),
        share(commas as f32, words),
        has(quote),
        has(copyright),
        has(letters >= 3.0 && share(upper, letters) > 0.8),
    ];
    let base = Base {
        words,
        titlelike: has(ends == 0.0 && (3.0..=15.0).contains(&words) && title_share >= 0.5),
    };
    (values, base)
}

/// What [`marks`] finds in a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Marks {
    /// `@`, `http` or `www.`, ASCII case ignored.
    link: bool,
    /// `©` or `copyright`, ASCII case ignored.
    copyright: bool,
    /// A quotation mark: `"`, `“`, `”`, `«` or `»`.
    quote: bool,
    /// A separator between spaces: ` | `, ` / `, ` - `, ` · ` or ` • `.
    separator: bool,
    /// Sentence breaks inside the line: `. `, `? ` and `! `.
    sentences: u32,
}

/// The marks of a line (see [`Marks`]; no other letter lower-cases into
/// the letters of the ASCII ones). Every position is compared with every
/// mark at once, letters with their case bit (0x20) set, without
/// branching: whole blocks of positions are compared lane by lane with
/// fixed offsets, which the compiler turns into vector instructions, in
/// one pass where a search per mark would each start over.
fn marks(bytes: &[u8]) -> Marks {
    const BLOCK: usize = 32;
    // The longest mark, less one: the bytes a block's last window reads
    // past the block.
    const REACH: usize = 8;
    let mut marks = Marks::default();
    let mut at = 0;
    while at < bytes.len() {
        // The last block is padded with zeros, which match no mark.
        let mut padded = [0u8; BLOCK + REACH];
        let w: &[u8; BLOCK + REACH] = match bytes.get(at..at + BLOCK + REACH) {
            Some(w) => w.try_into().expect("a block and its reach"),
            None => {
                padded[..bytes.len() - at].copy_from_slice(&bytes[at..]);
                &padded
            }
        };
        let mut found = [false; 4];
        let mut sentences = 0u8;
        for i in 0..BLOCK {
            let (marks, sentence) = marks_at(w, i);
            for (f, m) in found.iter_mut().zip(marks) {
                *f |= m;
            }
            sentences += u8::from(sentence);
        }
        marks.link |= found[0];
        marks.copyright |= found[1];
        marks.quote |= found[2];
        marks.separator |= found[3];
        marks.sentences += u32::from(sentences);
        at += BLOCK;
    }
    marks
}

/// Which marks start at `w[i]` (link, copyright, quote, separator), and
/// whether a sentence break does.
#[inline(always)]
fn marks_at<const N: usize>(w: &[u8; N], i: usize) -> ([bool; 4], bool) {
    let at = |k: usize| w[i + k];
    let is = |bytes: &[u8]| {
        bytes
            .iter()
            .enumerate()
            .fold(true, |all, (k, &b)| all & (at(k) == b))
    };
    // ASCII letters in either case: the case bit set, then compared.
    let folded = |word: &[u8]| {
        word.iter()
            .enumerate()
            .fold(true, |all, (k, &b)| all & ((at(k) | 0x20) == b))
    };
    let link = (at(0) == b'@') | folded(b"http") | (folded(b"www") & (at(3) == b'.'));
    let copyright = is("©".as_bytes()) | folded(b"copyright");
    let quote = (at(0) == b'"')
        | is("“".as_bytes())
        | is("”".as_bytes())
        | is("«".as_bytes())
        | is("»".as_bytes());
    let middle = at(1);
    let separator = ((at(0) == b' ')
        & ((middle == b'|') | (middle == b'/') | (middle == b'-'))
        & (at(2) == b' '))
        | is(" \u{b7} ".as_bytes())
        | is(" \u{2022} ".as_bytes());
    let sentence = ((at(0) == b'.') | (at(0) == b'?') | (at(0) == b'!')) & (at(1) == b' ');
    ([link, copyright, quote, separator], sentence)
}

/// [`has_date`] of `text` in lower case, `lower` its buffer. ASCII lower
/// case is enough: the only characters that lower-case into ASCII letters
/// are the Kelvin sign (`k`, in no month) and the capital I with a dot
/// (`i` and a combining dot, which no month can match across).
fn dated(text: &str, lower: &mut String) -> bool {
    lower.clear();
    lower.push_str(text);
    lower.make_ascii_lowercase();
    has_date(lower)
}

/// The month names and abbreviations a date holds beside its year (lower
/// case; "may" is left out, for the verb).
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan ",
    "feb ",
    "mar ",
    "apr ",
    "jun ",
    "jul ",
    "aug ",
    "sep ",
    "sept ",
    "oct ",
    "nov ",
    "dec ",
];

fn has_date(lower: &str) -> bool {
    // The month names in one automaton: one pass over the line, where a
    // search per name costs 23 (about 0.2 µs a dated line).
    static MONTH_NAMES: OnceLock<AhoCorasick> = OnceLock::new();
    let months = MONTH_NAMES.get_or_init(|| {
        AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .build(MONTHS)
            .expect("the month names make an automaton")
    });
    let bytes = lower.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let digits_colon =
        memchr::memchr_iter(b':', bytes).any(|i| i > 0 && digit(i - 1) && digit(i + 1));
    digits_colon
        || (memchr::memchr2_iter(b'1', b'2', bytes).any(|i| {
            matches!(bytes.get(i..i + 4), Some(&[a, b, c, d])
                if matches!((a, b), (b'1', b'9') | (b'2', b'0'))
                    && c.is_ascii_digit()
                    && d.is_ascii_digit())
        }) && months.is_match(bytes))
}

/// True when a line with features `x` reads as prose: at least 13 words
/// ending a sentence, or at least 26 words.
pub fn is_prose(x: &[f32]) -> bool {
    let f = |name: &str| {
        FEATURES
            .iter()
            .position(|n| *n == name)
            .map_or(0.0, |i| x[i])
    };
    (f("words_13_25") > 0.0 && f("ends_sentence") > 0.0) || f("words_26_up") > 0.0
}

/// True when a line with features `x` looks like a headline: a title-cased
/// line of 3 to 15 words, not ending a sentence, with prose right after it.
pub fn is_headline(x: &[f32]) -> bool {
    FEATURES
        .iter()
        .position(|n| *n == "titlelike_before_prose")
        .is_some_and(|i| x[i] > 0.0)
}

/// One node of a regression tree: a split (`feature`, go left when the value
/// is at most `threshold`) or a leaf (`feature` is `None`). `value` is the
/// node's own output (a leaf's contribution; for a split, what it would give
/// as a leaf, used to explain decisions).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The feature split on; `None` for a leaf.
    pub feature: Option<u16>,
    /// Go left when the feature is at most this.
    pub threshold: f32,
    /// Index of the left child.
    pub left: u32,
    /// Index of the right child.
    pub right: u32,
    /// The node's output in log-odds.
    pub value: f32,
}

/// Gradient-boosted regression trees over [`FEATURES`], in log-odds.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Starting log-odds.
    pub base: f32,
    /// Trees; each a list of nodes, the root first.
    pub trees: Vec<Vec<Node>>,
    /// The threshold the model was tuned with (the `classifier.threshold` default).
    pub threshold: f32,
    /// Comment lines kept from the file (how it was trained).
    pub notes: Vec<String>,
}

/// A model file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {}", crate::explain::visible(file), if *line > 0 { format!(":{line}") } else { String::new() }, crate::explain::visible(message))]
pub struct ModelError {
    /// The file.
    pub file: String,
    /// 1-based line (0: the whole file, named without a line).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Model {
    /// The model embedded in the binary (`rules/classifier.model`).
    pub fn embedded() -> Model {
        Model::parse("rules/classifier.model", crate::defaults::CLASSIFIER_MODEL)
            .unwrap_or_else(|e| panic!("the embedded model is invalid: {e}"))
    }

    /// Parses a model file:
    ///
    /// ```text
    /// # comments
    /// features words_log chars_log ...   # the feature names, in the order of FEATURES
    /// base -0.25
    /// threshold 0.5
    /// tree
    /// 3 0.693 1 2 0.01                   # split: FEATURE THRESHOLD LEFT RIGHT VALUE
    /// - 0 0 0 -0.2                       # leaf: - 0 0 0 VALUE
    /// - 0 0 0 0.3
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<Model, ModelError> {
        let err = |line: usize, message: String| ModelError {
            file: file.to_string(),
            line,
            message,
        };
        let mut model = Model {
            base: 0.0,
            trees: Vec::new(),
            threshold: 0.5,
            notes: Vec::new(),
        };
        let mut features_seen = false;
        // The `trees N` line, if any (files before it had none), and the
        // line of each `tree`.
        let mut announced: Option<(usize, usize)> = None;
        let mut tree_lines = Vec::new();
        // The line of each node, per tree.
        let mut node_lines: Vec<Vec<usize>> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let no = i + 1;
            let line = raw.trim();
            if let Some(note) = line.strip_prefix('#') {
                model.notes.push(note.trim().to_string());
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let number = |s: &str| {
                s.parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| err(no, format!("not a number: `{s}`")))
            };
            match parts.as_slice() {
                ["features", names @ ..] => {
                    if names != FEATURES {
                        return Err(err(
                            no,
                            "the model was trained on other features than this dechrome computes; retrain it with `dechrome train`".into(),
                        ));
                    }
                    features_seen = true;
                }
                ["base", v] => model.base = number(v)?,
                ["threshold", v] => model.threshold = number(v)?,
                ["trees", n] => {
                    if let Some((first, _)) = announced {
                        return Err(err(
                            no,
                            format!("a second `trees` line (the first is line {first})"),
                        ));
                    }
                    let n = n
                        .parse::<usize>()
                        .ok()
                        .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| err(no, format!("not a count of trees: `{n}`")))?;
                    announced = Some((no, n));
                }
                ["tree"] => {
                    model.trees.push(Vec::new());
                    tree_lines.push(no);
                    node_lines.push(Vec::new());
                }
                [feature, threshold, left, right, value] => {
                    let Some(tree) = model.trees.last_mut() else {
                        return Err(err(no, "a node before any `tree` line".into()));
                    };
                    let index = |s: &str| {
                        s.parse::<u32>()
                            .map_err(|_| err(no, format!("not a node index: `{s}`")))
                    };
                    let feature = match *feature {
                        "-" => None,
                        f => Some(
                            f.parse::<u16>()
                                .ok()
                                .filter(|&f| usize::from(f) < FEATURES.len())
                                .ok_or_else(|| err(no, format!("not a feature index: `{f}`")))?,
                        ),
                    };
                    if let Some(lines) = node_lines.last_mut() {
                        lines.push(no);
                    }
                    tree.push(Node {
                        feature,
                        threshold: number(threshold)?,
                        left: index(left)?,
                        right: index(right)?,
                        value: number(value)?,
                    });
                }
                _ => return Err(err(no, format!("unexpected line `{line}`"))),
            }
        }
        if !features_seen {
            return Err(err(0, "no `features` line".into()));
        }
        for (t, tree) in model.trees.iter().enumerate() {
            let n = tree.len() as u32;
            // Children come after their parent: no cycles, every index in range.
            for (k, node) in tree.iter().enumerate() {
                if node.feature.is_some()
                    && !(node.left > k as u32
                        && node.right > k as u32
                        && node.left < n
                        && node.right < n)
                {
                    return Err(err(
                        node_lines[t][k],
                        format!("tree {t}: node {k} has bad children"),
                    ));
                }
            }
            if tree.is_empty() {
                return Err(err(tree_lines[t], format!("tree {t} is empty")));
            }
        }
        if let Some((no, n)) = announced {
            if model.trees.len() != n {
                let found = model.trees.len();
                return Err(err(
                    no,
                    format!("{n} trees announced, {found} found (is the file cut short?)"),
                ));
            }
        }
        Ok(model)
    }

    /// The model as a file.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "# {note}");
        }
        let _ = writeln!(out, "features {}", FEATURES.join(" "));
        let _ = writeln!(out, "base {}", self.base);
        let _ = writeln!(out, "threshold {}", self.threshold);
        let _ = writeln!(out, "trees {}", self.trees.len());
        for tree in &self.trees {
            let _ = writeln!(out, "tree");
            for node in tree {
                match node.feature {
                    Some(f) => {
                        let _ = writeln!(
                            out,
                            "{f} {} {} {} {}",
                            node.threshold, node.left, node.right, node.value
                        );
                    }
                    None => {
                        let _ = writeln!(out, "- 0 0 0 {}", node.value);
                    }
                }
            }
        }
        out
    }

    /// The log-odds that a line with features `x` is article text.
    pub fn logit(&self, x: &[f32]) -> f32 {
        self.base + self.trees.iter().map(|t| leaf(t, x).value).sum::<f32>()
    }

    /// The probability that a line with features `x` is article text.
    pub fn probability(&self, x: &[f32]) -> f32 {
        1.0 / (1.0 + (-self.logit(x)).exp())
    }

    /// The feature that weighs most against the line: summed over the trees,
    /// the change of output at each split along the line's path, charged to
    /// the split's feature; the most negative total.
    pub fn decisive_feature(&self, x: &[f32]) -> usize {
        let mut totals = vec![0f32; FEATURES.len()];
        for tree in &self.trees {
            let mut node = &tree[0];
            while let Some(f) = node.feature {
                let next = &tree[child(node, x) as usize];
                totals[usize::from(f)] += next.value - node.value;
                node = next;
            }
        }
        totals
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i)
    }
}

/// A model laid out for speed: every node of every tree in one array of
/// 16-byte nodes (four to a cache line). A leaf's children are itself, so a
/// walk of a tree's full depth ends on the right leaf whatever the path
/// length: no branch on "is this a leaf", and several lines can walk the
/// same tree side by side, their loads overlapping. [`Forest::below`], the
/// hot path, walks a second copy of the trees grown into complete binary
/// trees (children found by arithmetic, not loaded) when they are at most
/// 8 deep, as trained models are.
///
/// [`Forest::below`] only needs to know on which side of the cut a line's
/// log-odds fall, so it stops adding trees once the trees still to come
/// cannot carry the sum across the cut: it keeps, for every tree, the largest
/// and the smallest total the trees from there on can add. A line far from
/// the cut (a long paragraph of prose, a one-word menu item) is decided after
/// a fraction of the trees; a line near it goes through all of them, in the
/// same order, so the decision is the one the whole sum gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Forest {
    base: f32,
    /// Per tree: its root and its depth (splits on the longest path).
    trees: Vec<(u32, u32)>,
    nodes: Vec<FlatNode>,
    /// Each node's output; used at leaves.
    values: Vec<f32>,
    /// `rest_max[t]`: the most trees `t..` can add; `rest_min[t]` the least.
    rest_max: Vec<f64>,
    rest_min: Vec<f64>,
    /// More than the rounding error of the whole `f32` sum can be: a line
    /// this close to the cut goes on to the next trees.
    slack: f64,
    /// The same trees as complete binary trees, for [`Forest::below`] (when
    /// none is deeper than [`COMPLETE_MAX_DEPTH`]).
    complete: Option<Complete>,
}

/// Every tree grown into a complete binary tree of one depth `depth`: node
/// `i`'s children are `2i + 1` and `2i + 2`, so a step of the walk loads no
/// child index, only the node's feature and threshold. A leaf above the full
/// depth becomes a subtree whose every leaf is a copy of its value, so every
/// walk ends on a leaf with the value the model's own walk ends on.
#[derive(Clone, Debug, PartialEq)]
struct Complete {
    depth: u32,
    /// Per tree, `2^depth` entries (the last unused): each inner node's
    /// feature...
    features: Vec<u8>,
    /// ... and threshold: go right unless `x[feature] <= threshold`.
    thresholds: Vec<f32>,
    /// Per tree, `2^depth` leaf values.
    leaves: Vec<f32>,
    /// Per tree, `2 * 2^depth` entries: at each node's position, its value
    /// less its parent's (what the parent's split adds when a walk takes
    /// it, for [`Forest::decisive_features`]); `-0.0` below a leaf grown
    /// down, which changes no sum. Position 0, the root's, is unused.
    changes: Vec<f32>,
}

/// The deepest trees [`Complete`] lays out (2^8 leaves a tree); a model with
/// deeper trees is walked node by node.
const COMPLETE_MAX_DEPTH: u32 = 8;

impl Complete {
    fn new(model: &Model, depth: u32) -> Complete {
        let width = 1usize << depth;
        let mut c = Complete {
            depth,
            features: vec![0; width * model.trees.len()],
            thresholds: vec![0.0; width * model.trees.len()],
            leaves: vec![0.0; width * model.trees.len()],
            changes: vec![0.0; 2 * width * model.trees.len()],
        };
        for (t, tree) in model.trees.iter().enumerate() {
            c.fill(t, tree, 0, 0);
        }
        c
    }

    /// Lays out the subtree of `tree` under `node` at position `at` of tree
    /// `t`. Recursion depth is at most `self.depth`.
    fn fill(&mut self, t: usize, tree: &[Node], node: u32, at: usize) {
        let width = 1usize << self.depth;
        let n = &tree[node as usize];
        if at >= width - 1 {
            self.leaves[t * width + at + 1 - width] = n.value;
            return;
        }
        // A leaf above the full depth fills both children's places with
        // itself: whichever way a walk goes, it ends on a copy.
        let (left, right) = match n.feature {
            Some(feature) => {
                self.features[t * width + at] = feature as u8;
                self.thresholds[t * width + at] = n.threshold;
                (n.left, n.right)
            }
            None => (node, node),
        };
        for (child, side) in [(left, 1), (right, 2)] {
            self.changes[2 * t * width + 2 * at + side] = match n.feature {
                Some(_) => tree[child as usize].value - n.value,
                None => -0.0,
            };
            self.fill(t, tree, child, 2 * at + side);
        }
    }
}

/// One node: go to `children[1]` unless `x[feature] <= threshold`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FlatNode {
    threshold: f32,
    feature: u32,
    children: [u32; 2],
}

/// Trees scored between two looks at the bounds.
const CHUNK: usize = 16;

/// Length of a padded feature row: a power of two above `FEATURES.len()`.
const ROW: usize = FEATURES.len().next_power_of_two();

/// Lines walking a tree side by side.
const LANES: usize = 16;

impl Forest {
    /// Lays out `model`.
    pub fn new(model: &Model) -> Forest {
        let mut f = Forest {
            base: model.base,
            trees: Vec::with_capacity(model.trees.len()),
            nodes: Vec::new(),
            values: Vec::new(),
            rest_max: vec![0.0; model.trees.len() + 1],
            rest_min: vec![0.0; model.trees.len() + 1],
            slack: 0.0,
            complete: None,
        };
        for tree in &model.trees {
            let offset = f.nodes.len() as u32;
            // Children come after their parents (`Model::parse` checks), so
            // one pass gives every node's depth: that of its longest path
            // from the root (a node may have two parents in a model file).
            let mut depth = vec![0u32; tree.len()];
            for (k, node) in tree.iter().enumerate() {
                if node.feature.is_some() {
                    for child in [node.left, node.right] {
                        depth[child as usize] = depth[child as usize].max(depth[k] + 1);
                    }
                }
            }
            f.trees
                .push((offset, depth.iter().copied().max().unwrap_or(0)));
            for (k, node) in tree.iter().enumerate() {
                let me = offset + k as u32;
                f.nodes.push(match node.feature {
                    Some(feature) => FlatNode {
                        threshold: node.threshold,
                        feature: u32::from(feature),
                        children: [offset + node.left, offset + node.right],
                    },
                    None => FlatNode {
                        threshold: 0.0,
                        feature: 0,
                        children: [me, me],
                    },
                });
                f.values.push(node.value);
            }
        }
        for (t, tree) in model.trees.iter().enumerate().rev() {
            let leaves = tree
                .iter()
                .filter(|n| n.feature.is_none())
                .map(|n| f64::from(n.value));
            let (lo, hi) = leaves.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            f.rest_max[t] = f.rest_max[t + 1] + hi;
            f.rest_min[t] = f.rest_min[t + 1] + lo;
            f.slack += hi.abs().max(lo.abs());
        }
        // Every partial sum is at most `bound` in size, so each of the
        // additions is off by at most `bound` * 2^-24; twice that over all of
        // them covers the sum's whole rounding error (and the f64 bounds').
        let bound = f64::from(model.base).abs() + f.slack;
        let additions = model.trees.len() as f64 + 1.0;
        f.slack = 2.0 * additions * bound * f64::from(f32::EPSILON / 2.0) + 1e-9;
        let depth = f.trees.iter().map(|&(_, d)| d).max().unwrap_or(0);
        // Feature indices fit a byte: `Model::parse` refuses any beyond FEATURES.
        const _: () = assert!(FEATURES.len() <= 256);
        if depth <= COMPLETE_MAX_DEPTH {
            f.complete = Some(Complete::new(model, depth));
        }
        f
    }

    /// The node a walk of `depth` steps from `root` ends on for `x`: its leaf.
    #[inline]
    fn leaf(&self, (root, depth): (u32, u32), x: &[f32]) -> u32 {
        let mut at = root;
        for _ in 0..depth {
            let node = &self.nodes[at as usize];
            at = node.children[usize::from(goes_right(x[node.feature as usize], node.threshold))];
        }
        at
    }

    /// For each feature vector, the feature that weighs most against it, as
    /// [`Model::decisive_feature`] finds it: the same sums, in the same
    /// order. Lines walk the trees side by side, as in [`Forest::below`].
    pub fn decisive_features<X: AsRef<[f32]>>(&self, xs: &[X]) -> Vec<usize> {
        let mut out = Vec::with_capacity(xs.len());
        for group in xs.chunks(LANES) {
            let x: [[f32; ROW]; LANES] = std::array::from_fn(|l| {
                let x = group.get(l).unwrap_or(&group[0]).as_ref();
                std::array::from_fn(|f| x.get(f).copied().unwrap_or(0.0))
            });
            let mut totals = [[0f32; ROW]; LANES];
            if let Some(complete) = &self.complete {
                complete.name(&x, &mut totals, group.len());
                out.extend(totals.iter().take(group.len()).map(most_against));
                continue;
            }
            for &(root, depth) in &self.trees {
                let mut at = [root; LANES];
                for _ in 0..depth {
                    for l in 0..LANES {
                        let node = &self.nodes[at[l] as usize];
                        let f = node.feature as usize & (ROW - 1);
                        let next = node.children[usize::from(goes_right(x[l][f], node.threshold))];
                        // At a leaf (its own child) add -0.0, which changes no sum.
                        let change = if next == at[l] {
                            -0.0
                        } else {
                            self.values[next as usize] - self.values[at[l] as usize]
                        };
                        totals[l][f] += change;
                        at[l] = next;
                    }
                }
            }
            out.extend(totals.iter().take(group.len()).map(most_against));
        }
        out
    }

    /// The log-odds that a line with features `x` is article text (the sum
    /// of every tree; [`Model::logit`] up to `f32` rounding, as the additions
    /// run in another order).
    pub fn logit(&self, x: &[f32]) -> f32 {
        self.trees.iter().fold(self.base, |sum, &tree| {
            sum + self.values[self.leaf(tree, x) as usize]
        })
    }

    /// For each feature vector, whether its log-odds fall below `cut` (the
    /// line is chrome), with the same answer as comparing [`Forest::logit`]
    /// to `cut`, but without adding trees that cannot change it.
    pub fn below<X: AsRef<[f32]>>(&self, xs: &[X], cut: f64) -> Vec<bool> {
        let mut below = vec![false; xs.len()];
        // The lines still undecided: their positions, fixed-size rows (a
        // feature index masked to the row's size needs no bounds check) and
        // sums, side by side. A decided line leaves by a swap with the last
        // (the order of the walk changes no line's own sum), so a group of
        // lanes is a run of rows as they lie: no copying.
        let mut lines: Vec<usize> = (0..xs.len()).collect();
        let mut rows: Vec<[f32; ROW]> = xs
            .iter()
            .map(|x| std::array::from_fn(|f| x.as_ref().get(f).copied().unwrap_or(0.0)))
            .collect();
        let mut sums = vec![self.base; xs.len()];
        for (c, trees) in self.trees.chunks(CHUNK).enumerate() {
            for (group, sums) in rows.chunks(LANES).zip(sums.chunks_mut(LANES)) {
                // A short last group repeats its first row in the spare lanes.
                let full: [[f32; ROW]; LANES];
                let x: &[[f32; ROW]; LANES] = match group.try_into() {
                    Ok(x) => x,
                    Err(_) => {
                        full = std::array::from_fn(|l| *group.get(l).unwrap_or(&group[0]));
                        &full
                    }
                };
                match &self.complete {
                    Some(complete) => complete.add(c * CHUNK..c * CHUNK + trees.len(), x, sums),
                    None => self.add(trees, x, sums),
                }
            }
            let next = (c * CHUNK + trees.len()).min(self.trees.len());
            let (lo, hi) = (self.rest_min[next], self.rest_max[next]);
            let mut k = 0;
            while k < lines.len() {
                let sum = f64::from(sums[k]);
                let decided = if sum + hi + self.slack < cut {
                    Some(true)
                } else if sum + lo - self.slack >= cut {
                    Some(false)
                } else {
                    None
                };
                match decided {
                    Some(side) => {
                        below[lines.swap_remove(k)] = side;
                        rows.swap_remove(k);
                        sums.swap_remove(k);
                    }
                    None => k += 1,
                }
            }
            if lines.is_empty() {
                break;
            }
        }
        for (i, sum) in lines.into_iter().zip(sums) {
            below[i] = f64::from(sum) < cut;
        }
        below
    }
}

impl Forest {
    /// Adds to `sums[l]` the leaf of each of `trees` that lane `l`'s row
    /// `x[l]` walks to, node by node (`sums` may be shorter than the lanes).
    fn add(&self, trees: &[(u32, u32)], x: &[[f32; ROW]; LANES], sums: &mut [f32]) {
        for &(root, depth) in trees {
            let mut at = [root; LANES];
            for _ in 0..depth {
                for l in 0..LANES {
                    let node = &self.nodes[at[l] as usize];
                    let value = x[l][node.feature as usize & (ROW - 1)];
                    at[l] = node.children[usize::from(goes_right(value, node.threshold))];
                }
            }
            for (sum, &leaf) in sums.iter_mut().zip(&at) {
                *sum += self.values[leaf as usize];
            }
        }
    }
}

/// Calls `$complete.$walk::<W>($args)` with `W` = 2^depth leaves, the
/// trees' width as a constant: a walk whose indices are masked to it needs
/// no bounds checks.
macro_rules! by_width {
    ($complete:expr, $walk:ident($($arg:expr),*)) => {
        match $complete.depth {
            0 => $complete.$walk::<1>($($arg),*),
            1 => $complete.$walk::<2>($($arg),*),
            2 => $complete.$walk::<4>($($arg),*),
            3 => $complete.$walk::<8>($($arg),*),
            4 => $complete.$walk::<16>($($arg),*),
            5 => $complete.$walk::<32>($($arg),*),
            6 => $complete.$walk::<64>($($arg),*),
            7 => $complete.$walk::<128>($($arg),*),
            _ => $complete.$walk::<256>($($arg),*),
        }
    };
}

impl Complete {
    /// [`Forest::add`] over the complete layout: the same leaves, added in
    /// the same order.
    fn add(&self, trees: std::ops::Range<usize>, x: &[[f32; ROW]; LANES], sums: &mut [f32]) {
        by_width!(self, add_fixed(trees, x, sums))
    }

    /// Tree `t`'s inner nodes (feature and threshold at each position) for
    /// trees of `W` leaves.
    #[inline(always)]
    fn splits<const W: usize>(&self, t: usize) -> (&[u8; W], &[f32; W]) {
        let features = self.features[t * W..][..W].try_into();
        let thresholds = self.thresholds[t * W..][..W].try_into();
        (
            features.expect("W features a tree"),
            thresholds.expect("W thresholds a tree"),
        )
    }

    /// [`Complete::add`] for trees of `W` = 2^depth leaves: every index is
    /// masked to `W`, so the walk has no bounds checks (a walk of `depth`
    /// steps stays under `W - 1` before its last step).
    fn add_fixed<const W: usize>(
        &self,
        trees: std::ops::Range<usize>,
        x: &[[f32; ROW]; LANES],
        sums: &mut [f32],
    ) {
        // Each lane's running sum: the same additions in the same order.
        let mut acc: [f32; LANES] = std::array::from_fn(|l| sums.get(l).copied().unwrap_or(0.0));
        for t in trees {
            let (features, thresholds) = self.splits::<W>(t);
            let leaves: &[f32; W] = self.leaves[t * W..][..W]
                .try_into()
                .expect("W leaves a tree");
            // Every lane starts at the root: its split is loaded once.
            let (root_feature, root_threshold) =
                (usize::from(features[0]) & (ROW - 1), thresholds[0]);
            let mut at: [usize; LANES] = std::array::from_fn(|l| {
                if W == 1 {
                    0
                } else {
                    1 + usize::from(goes_right(x[l][root_feature], root_threshold))
                }
            });
            for _ in 1..W.trailing_zeros() {
                for l in 0..LANES {
                    let i = at[l] & (W - 1);
                    let value = x[l][usize::from(features[i]) & (ROW - 1)];
                    at[l] = 2 * i + 1 + usize::from(goes_right(value, thresholds[i]));
                }
            }
            for (sum, &leaf) in acc.iter_mut().zip(&at) {
                *sum += leaves[(leaf + 1 - W) & (W - 1)];
            }
        }
        for (sum, &value) in sums.iter_mut().zip(&acc) {
            *sum = value;
        }
    }

    /// Adds to `totals[l][f]`, over every tree, what each split on feature
    /// `f` changes along lane `l`'s walk: the sums of
    /// [`Forest::decisive_features`]' node-by-node walk, in the same order.
    /// Lanes from `used` on may be left out.
    fn name(&self, x: &[[f32; ROW]; LANES], totals: &mut [[f32; ROW]; LANES], used: usize) {
        by_width!(self, name_fixed(x, totals, used))
    }

    /// [`Complete::name`] for trees of `W` = 2^depth leaves (indices masked
    /// as in [`Complete::add_fixed`]). Eight lanes walk abreast, not
    /// sixteen: each step also adds to a total, and sixteen lanes' positions
    /// no longer fit the registers (`--stats` on the 10 MB shard: 8 lanes
    /// 5.5% faster than 16, 4 lanes 11% slower than 8).
    fn name_fixed<const W: usize>(
        &self,
        x: &[[f32; ROW]; LANES],
        totals: &mut [[f32; ROW]; LANES],
        used: usize,
    ) {
        const HALF: usize = LANES / 2;
        let trees = self.leaves.len() / W;
        for half in 0..used.div_ceil(HALF) {
            let x: &[[f32; ROW]; HALF] = x[half * HALF..][..HALF].try_into().expect("half");
            let totals: &mut [[f32; ROW]; HALF] = (&mut totals[half * HALF..][..HALF])
                .try_into()
                .expect("half");
            for t in 0..trees {
                let (features, thresholds) = self.splits::<W>(t);
                let changes = &self.changes[2 * t * W..][..2 * W];
                let mut at = [0usize; HALF];
                for _ in 0..W.trailing_zeros() {
                    for l in 0..HALF {
                        let i = at[l] & (W - 1);
                        let f = usize::from(features[i]) & (ROW - 1);
                        let next = 2 * i + 1 + usize::from(goes_right(x[l][f], thresholds[i]));
                        totals[l][f] += changes[next & (2 * W - 1)];
                        at[l] = next;
                    }
                }
            }
        }
    }
}

/// The feature whose splits took most from a line's log-odds: the lowest
/// of its `totals` (the first of equals).
fn most_against(totals: &[f32; ROW]) -> usize {
    totals[..FEATURES.len()]
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// The model's rule, `x <= threshold` goes left, as the fast walks ask it:
/// a NaN goes right, as in [`Model::logit`].
#[inline]
#[allow(
    clippy::neg_cmp_op_on_partial_ord,
    reason = "the negation is the point: NaNs on either side go right"
)]
fn goes_right(value: f32, threshold: f32) -> bool {
    !(value <= threshold)
}

fn child(node: &Node, x: &[f32]) -> u32 {
    let f = usize::from(node.feature.unwrap_or(0));
    if x[f] <= node.threshold {
        node.left
    } else {
        node.right
    }
}

fn leaf<'t>(tree: &'t [Node], x: &[f32]) -> &'t Node {
    let mut node = &tree[0];
    while node.feature.is_some() {
        node = &tree[child(node, x) as usize];
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`scan_line`]'s stop-word counts.
    fn stops(line: &str, buf: &mut String) -> StopCounts {
        scan_line(line, buf, &mut Vec::new()).0
    }

    /// [`scan_line`]'s character counts.
    fn chars(text: &str) -> masks::Counts {
        scan_line(text, &mut String::new(), &mut Vec::new()).1
    }

    #[test]
    fn model_files_round_trip_and_bad_ones_are_refused() {
        let model = Model {
            base: -0.5,
            trees: vec![vec![
                Node {
                    feature: Some(0),
                    threshold: 1.5,
                    left: 1,
                    right: 2,
                    value: 0.0,
                },
                Node {
                    feature: None,
                    threshold: 0.0,
                    left: 0,
                    right: 0,
                    value: -1.0,
                },
                Node {
                    feature: None,
                    threshold: 0.0,
                    left: 0,
                    right: 0,
                    value: 2.0,
                },
            ]],
            threshold: 0.4,
            notes: vec!["test".into()],
        };
        let text = model.to_text();
        let back = Model::parse("m", &text).unwrap();
        assert_eq!(back, model);
        let mut x = vec![0f32; FEATURES.len()];
        assert_eq!(back.logit(&x), -1.5);
        x[0] = 2.0;
        assert_eq!(back.logit(&x), 1.5);
        assert_eq!(back.decisive_feature(&[0.0; 57][..FEATURES.len()]), 0);
        let bad_features = text.replace("features words_log", "features other");
        assert!(Model::parse("m", &bad_features)
            .unwrap_err()
            .message
            .contains("retrain"));
        // Errors name the line (the first node is on line 6: the note,
        // `features`, `base`, `threshold`, `trees`, `tree`).
        let bad_child = text.replace("0 1.5 1 2 0", "0 1.5 0 2 0");
        let error = Model::parse("m", &bad_child).unwrap_err().to_string();
        assert_eq!(error, "m:7: tree 0: node 0 has bad children");
        let commented = bad_child.replace("tree\n", "tree\n# a note\n\n");
        let error = Model::parse("m", &commented).unwrap_err().to_string();
        assert_eq!(error, "m:9: tree 0: node 0 has bad children");
        let error = Model::parse("m", "base 1\n").unwrap_err().to_string();
        assert_eq!(error, "m: no `features` line");
        let twice = text.replace("trees 1\n", "trees 1\ntrees 1\n");
        let error = Model::parse("m", &twice).unwrap_err().to_string();
        assert_eq!(error, "m:6: a second `trees` line (the first is line 5)");
        let signed = text.replace("trees 1\n", "trees +1\n");
        assert!(Model::parse("m", &signed).is_err());
        // A file cut short at a tree's start is refused; one without a
        // `trees` line (as files were before it) is read as it is.
        let two = Model {
            trees: vec![model.trees[0].clone(), model.trees[0].clone()],
            ..model.clone()
        };
        let text = two.to_text();
        let cut = &text[..text.rfind("tree\n").unwrap()];
        let error = Model::parse("m", cut).unwrap_err().to_string();
        assert_eq!(
            error,
            "m:5: 2 trees announced, 1 found (is the file cut short?)"
        );
        let unannounced = text.replace("trees 2\n", "");
        assert_eq!(Model::parse("m", &unannounced).unwrap(), two);
    }

    #[test]
    fn the_forest_scores_and_decides_like_the_model() {
        let model = Model::embedded();
        let forest = Forest::new(&model);
        let lines: Vec<&[u8]> = vec![
            b"Home",
            b"Share this",
            b"A long sentence that reads like the prose of an article, with words.",
            b"Contact",
            b"Posted by admin on 12 March 2021",
        ];
        let xs = features(&lines);
        let logits: Vec<f32> = xs.iter().map(|x| model.logit(x)).collect();
        for (x, logit) in xs.iter().zip(&logits) {
            assert!((forest.logit(x) - logit).abs() < 1e-4);
        }
        let named: Vec<usize> = xs.iter().map(|x| model.decisive_feature(x)).collect();
        assert_eq!(forest.decisive_features(&xs), named);
        // Cuts on both sides of every line, and right at each line's log-odds:
        // stopping early never changes a decision.
        let mut cuts: Vec<f64> = vec![-20.0, -3.0, 0.0, 1.5, 20.0];
        cuts.extend(logits.iter().flat_map(|&l| {
            let l = f64::from(l);
            [l - 0.01, l, l + 0.01]
        }));
        for cut in cuts {
            assert_eq!(
                forest.below(&xs, cut),
                sums_below(&forest, &xs, cut),
                "cut {cut}"
            );
        }
    }

    /// Which of `xs` the whole sum of `forest` puts below `cut`: what
    /// [`Forest::below`] must give, however early it stops.
    fn sums_below<X: AsRef<[f32]>>(forest: &Forest, xs: &[X], cut: f64) -> Vec<bool> {
        xs.iter()
            .map(|x| f64::from(forest.logit(x.as_ref())) < cut)
            .collect()
    }

    fn leaf(value: f32) -> Node {
        Node {
            feature: None,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
        }
    }

    fn split(feature: u16, threshold: f32, left: u32, right: u32) -> Node {
        Node {
            feature: Some(feature),
            threshold,
            left,
            right,
            value: 0.0,
        }
    }

    fn model(base: f32, trees: Vec<Vec<Node>>) -> Model {
        Model {
            base,
            trees,
            threshold: 0.5,
            notes: Vec::new(),
        }
    }

    #[test]
    fn big_leaves_widen_the_rounding_slack() {
        // Sums near 1e6 lose the low bits: 0.3 + 1e6 - 1e6 is 0.3125 in f32.
        let mut trees = vec![vec![leaf(0.0)]; 16];
        trees.push(vec![leaf(1e6)]);
        trees.push(vec![leaf(-1e6)]);
        let m = model(0.3, trees);
        let forest = Forest::new(&m);
        let x = vec![0f32; FEATURES.len()];
        let sum = f64::from(forest.logit(&x));
        for cut in [0.29, 0.3, 0.31, sum, sum + 1e-6, 0.33] {
            assert_eq!(forest.below(&[&x[..]], cut), [sum < cut], "cut {cut}");
        }
    }

    /// A tree of random splits whose leaves sit at random depths, up to
    /// `depth` (a small linear congruential generator: the same every run).
    fn random_tree(seed: &mut u64, depth: u32) -> Vec<Node> {
        fn grow(tree: &mut Vec<Node>, seed: &mut u64, depth: u32) -> u32 {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = *seed >> 33;
            let at = tree.len() as u32;
            if depth == 0 || r % 4 == 0 {
                tree.push(leaf((r % 2001) as f32 / 1000.0 - 1.0));
                return at;
            }
            tree.push(split((r % 7) as u16, (r % 5) as f32 - 2.0, 0, 0));
            let left = grow(tree, seed, depth - 1);
            let right = grow(tree, seed, depth - 1);
            tree[at as usize].left = left;
            tree[at as usize].right = right;
            at
        }
        let mut tree = Vec::new();
        grow(&mut tree, seed, depth);
        tree
    }

    #[test]
    fn both_layouts_decide_like_the_whole_sum() {
        // Depths up to 7 are laid out as complete trees (leaves above the
        // full depth grown down; 0 and 1 are the edge cases of the walk's
        // first step); depth 10 is walked node by node. Each is also run
        // with the other walk where it can be, and with NaN features.
        let mut seed = 7;
        for depth in [0, 1, 2, 7, 10] {
            let trees = (0..40).map(|_| random_tree(&mut seed, depth)).collect();
            let m = model(0.1, trees);
            let forest = Forest::new(&m);
            assert_eq!(forest.complete.is_some(), depth <= COMPLETE_MAX_DEPTH);
            let node_by_node = Forest {
                complete: None,
                ..forest.clone()
            };
            let xs: Vec<Vec<f32>> = (0..37)
                .map(|k| {
                    (0..FEATURES.len())
                        .map(|f| match (k * 7 + f * 3) % 11 {
                            10 => f32::NAN,
                            v => v as f32 / 2.0 - 2.5,
                        })
                        .collect()
                })
                .collect();
            for x in &xs {
                // (The same sum up to rounding: `Model::logit` adds in another order.)
                assert!((forest.logit(x) - m.logit(x)).abs() < 1e-4);
            }
            // Naming adds the same changes in the same order as the model:
            // the same feature, to the last tie.
            let named: Vec<usize> = xs.iter().map(|x| m.decisive_feature(x)).collect();
            assert_eq!(forest.decisive_features(&xs), named, "depth {depth}");
            assert_eq!(node_by_node.decisive_features(&xs), named, "depth {depth}");
            let mut cuts = vec![-30.0, 0.0, 30.0];
            cuts.extend(xs.iter().map(|x| f64::from(forest.logit(x))));
            for cut in cuts {
                let expected = sums_below(&forest, &xs, cut);
                assert_eq!(forest.below(&xs, cut), expected, "depth {depth}, cut {cut}");
                assert_eq!(
                    node_by_node.below(&xs, cut),
                    expected,
                    "depth {depth}, cut {cut}"
                );
            }
        }
    }

    #[test]
    fn a_node_with_two_parents_is_walked_to_its_leaf() {
        // Node 5 is reached at depth 3 (0 -> 1 -> 2 -> 5) and, later in the
        // file, at depth 2 (0 -> 4 -> 5): the longest path sets the walk's
        // depth, or a walk would stop on node 5 itself.
        let tree = vec![
            split(0, 0.5, 1, 4),
            split(1, 0.5, 2, 3),
            split(2, 0.5, 5, 3),
            leaf(1.0),
            split(3, 0.5, 5, 3),
            split(4, 0.5, 6, 7),
            leaf(-4.0),
            leaf(8.0),
        ];
        let m = model(0.0, vec![tree]);
        let forest = Forest::new(&m);
        for bits in 0..32u8 {
            let mut x = vec![0f32; FEATURES.len()];
            for (f, value) in x.iter_mut().take(5).enumerate() {
                *value = f32::from((bits >> f) & 1);
            }
            assert_eq!(forest.logit(&x), m.logit(&x), "x {:?}", &x[..5]);
            assert_eq!(
                forest.decisive_features(&[&x[..]]),
                [m.decisive_feature(&x)]
            );
            let sum = f64::from(m.logit(&x));
            assert_eq!(forest.below(&[&x[..]], sum + 0.5), [true]);
            assert_eq!(forest.below(&[&x[..]], sum - 0.5), [false]);
        }
    }

    #[test]
    fn words_pack_into_lower_case_keys() {
        let key = |w: &str| u64::from_le_bytes(format!("{w:\0<8}").as_bytes().try_into().unwrap());
        let cases: &[(&str, Option<u64>)] = &[
            ("The", Some(key("the"))),
            ("DON'T", Some(key("don't"))),
            ("abcdefgh", Some(key("abcdefgh"))),
            ("abcdefghi", None),
            ("f\u{fc}r", None),
        ];
        for &(word, want) in cases {
            assert_eq!(pack(word.as_bytes()), want, "{word}");
        }
    }

    #[test]
    fn stop_words_are_counted_per_language() {
        let lang = |code: &str| {
            crate::defaults::STOPWORDS
                .iter()
                .position(|(c, _)| *c == code)
                .unwrap()
        };
        let mut buf = String::new();
        // ASCII line: words are runs of letters, digits and apostrophes.
        let c = stops("The cat and THE hat, don't 42 x-ray", &mut buf);
        assert_eq!(c.words, 9);
        assert_eq!(c.hits[lang("en")], 3, "the, and, THE");
        // A line with other characters goes through the general path.
        let c = stops("Der Hund und die Katze f\u{fc}r \u{dc}BER", &mut buf);
        assert_eq!(c.words, 7);
        assert!(
            c.hits[lang("de")] >= 4,
            "der, und, die, f\u{fc}r, \u{fc}ber"
        );
        let c = stops("", &mut buf);
        assert_eq!((c.words, c.hits.iter().sum::<u32>()), (0, 0));
    }

    #[test]
    fn words_count_like_word_by_word_look_ups() {
        // Keys built while reading must equal `stop_bits` on each word:
        // words of 1 to 20 letters (8 and 16 bytes are the longest packed
        // keys), any case, apostrophes, non-ASCII letters, a word at the
        // very end, random lines of such words.
        let stop = stopwords();
        let mut buf = String::new();
        let mut check = |line: &str| -> [u32; LANGUAGES] {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .filter(|w| !w.is_empty())
                .collect();
            let mut want = [0u32; LANGUAGES];
            for w in &words {
                let mut bits = stop_bits(stop, w, w.is_ascii(), &mut buf);
                while bits != 0 {
                    want[bits.trailing_zeros() as usize] += 1;
                    bits &= bits - 1;
                }
            }
            let got = stops(line, &mut buf);
            assert_eq!(got.words as usize, words.len(), "{line:?}");
            assert_eq!(got.hits, want, "{line:?}");
            want
        };
        let en = crate::defaults::STOPWORDS
            .iter()
            .position(|(c, _)| *c == "en")
            .unwrap();
        let line = "OURSELVES and Themselves, yourselves; because BETWEEN YOURSELF yourself";
        // and, because, between (7), yourself twice (8), ourselves (9),
        // themselves, yourselves (10).
        assert_eq!(check(line)[en], 8, "the lists changed: pick other words");
        for line in [
            "abcdefgh abcdefghi I a don't o'clock 2024 x1 Yourselves",
            "  leading and trailing spaces  ",
            "the",
            "",
        ] {
            check(line);
        }
        const PIECES: &[&str] = &[
            "the",
            "The",
            "AND",
            "of",
            "because",
            "YOURSELF",
            "Yourselves",
            "x",
            "o'clock",
            "2024",
            "a1b2",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnopqrst",
            "f\u{fc}r",
            "\u{dc}BER",
            "\u{e9}t\u{e9}",
            "\u{43d}\u{435}",
            "\u{418}",
            "stra\u{df}e",
            "\u{130}",
            "\u{2019}",
            "\u{2014}",
            "\u{4e2d}",
            " ",
            "  ",
            ", ",
            ".",
            "-",
            "'",
            "(",
            "\"",
        ];
        // Long lines: the tally's byte lanes are emptied before they
        // overflow, at 255 words.
        for n in [254, 255, 256, 300, 1_000] {
            assert_eq!(check(&"the ".repeat(n))[en], n as u32);
        }
        let ru = crate::defaults::STOPWORDS
            .iter()
            .position(|(c, _)| *c == "ru")
            .unwrap();
        assert_eq!(check("\u{418} \u{43d}\u{435}")[ru], 2, "pick other words");
        let mut rng = crate::TestRng(0x5851_f42d_4c95_7f2d);
        let (mut stop_words, mut wide) = (0, 0);
        for _ in 0..5_000 {
            let line = rng.line(PIECES, 80);
            let hits = check(&line);
            stop_words += hits[en];
            wide += hits[ru];
        }
        assert!(
            stop_words > 3_000 && wide > 500,
            "the pieces hold stop words: {stop_words}, {wide}"
        );
    }

    #[test]
    fn the_cuckoo_table_finds_every_word_and_nothing_else() {
        // Every stop word of the lists, in the table built from them.
        let stop = stopwords();
        for (bit, (_, text)) in crate::defaults::STOPWORDS.iter().enumerate() {
            for word in text.lines().map(str::trim) {
                if let Some(key) = pack(word.as_bytes()).filter(|_| !word.starts_with('#')) {
                    assert_ne!(stop.short.get(key) & (1 << bit), 0, "{word}");
                }
            }
        }
        // Random keys, and others that are not in the table.
        let mut rng = crate::TestRng(0x9e37_79b9_7f4a_7c15);
        let mut words = FxHashMap::default();
        while words.len() < 3_000 {
            words.insert(rng.next() | 1, rng.next() as u32);
        }
        let table = Cuckoo::new(&words);
        for (&key, &bits) in &words {
            assert_eq!(table.get(key), bits);
        }
        for _ in 0..100_000 {
            let key = rng.next() | 1;
            assert_eq!(table.get(key), words.get(&key).copied().unwrap_or(0));
        }
    }

    #[test]
    fn marks_match_their_definitions() {
        // The definitions: an automaton over the link and copyright marks,
        // ASCII case ignored; the quotation marks and the separators
        // anywhere; a sentence mark before a space.
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["http", "www.", "©", "copyright"])
            .unwrap();
        let definition = |line: &str| {
            let mut want = Marks {
                link: line.contains('@'),
                quote: ['"', '“', '”', '«', '»'].iter().any(|&q| line.contains(q)),
                separator: [" | ", " / ", " - ", " \u{b7} ", " \u{2022} "]
                    .iter()
                    .any(|s| line.contains(s)),
                sentences: line
                    .as_bytes()
                    .windows(2)
                    .filter(|w| matches!(w[0], b'.' | b'?' | b'!') && w[1] == b' ')
                    .count() as u32,
                ..Marks::default()
            };
            for m in automaton.find_overlapping_iter(line) {
                match m.pattern().as_usize() {
                    0 | 1 => want.link = true,
                    _ => want.copyright = true,
                }
            }
            want
        };
        const PIECES: &[&str] = &[
            "http",
            "HtTp",
            "htt",
            "ttp",
            "www.",
            "WwW.",
            "www",
            "ww.",
            "www\u{e}",
            "©",
            "\u{a9}",
            "copyright",
            "COPYRIGHT",
            "copyrigh",
            "opyright",
            "Copyrigh t",
            "@",
            "a",
            "Z",
            " ",
            ".",
            "\u{c2}",
            "\u{3a9}",
            "h",
            "p",
            "t",
            "c",
            "\"",
            "\u{201c}",
            "\u{201d}",
            "\u{ab}",
            "\u{bb}",
            "\u{201e}",
            "\u{2018}",
            "|",
            "/",
            "-",
            "--",
            "\u{b7}",
            "\u{2022}",
            "?",
            "!",
            ". ",
            "\u{e9}",
            " | ",
            " \u{2022} ",
            "? ",
        ];
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        let mut found = [0usize; 5];
        for _ in 0..20_000 {
            // Shifted by up to 80 bytes: marks straddle blocks of 32
            // positions.
            let shift = "x ".repeat(rng.below(40));
            let line = shift + &rng.line(PIECES, 10);
            let want = definition(&line);
            assert_eq!(marks(line.as_bytes()), want, "line {line:?}");
            let present = [
                want.link,
                want.copyright,
                want.quote,
                want.separator,
                want.sentences > 0,
            ];
            for (n, present) in found.iter_mut().zip(present) {
                *n += usize::from(present);
            }
        }
        assert!(
            found.iter().all(|&n| (500..15_000).contains(&n)),
            "every mark often present, and often absent: {found:?}"
        );
    }

    #[test]
    fn characters_are_counted_by_class() {
        // [white space, other letters, capitals, digits, the rest], then
        // tokens with a letter and those with a capital first.
        let cases: &[(&str, [u32; 7])] = &[
            ("", [0; 7]),
            ("Ab 1!", [1, 1, 1, 1, 1, 1, 1]),
            ("\u{dc}n\u{ef} 2\u{20ac}", [1, 2, 1, 1, 1, 1, 1]),
            ("\t\u{b2}\u{2003}", [2, 0, 0, 1, 0, 0, 0]),
            (
                "(\u{c9}t\u{e9}) l'\u{e9}t\u{e9} -Zo\u{eb}",
                [2, 8, 2, 0, 4, 3, 2],
            ),
            ("(The) x-Ray 'Quote' a", [3, 10, 3, 0, 5, 4, 2]),
        ];
        for &(text, want) in cases {
            let c = chars(text);
            let got = [
                c.white, c.lower, c.upper, c.digit, c.symbol, c.tokens, c.title,
            ];
            assert_eq!(got, want, "{text:?}");
        }
        // An ASCII line counts as it would with one non-ASCII letter more.
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        for _ in 0..2_000 {
            let line: String = (0..rng.below(150))
                .map(|_| char::from(b"aZ09 .-'(\t"[rng.below(10)]))
                .collect();
            let (ascii, wide) = (chars(&line), chars(&format!("{line} \u{e9}")));
            assert_eq!(ascii.lower + 1, wide.lower, "{line:?}");
            assert_eq!(ascii.white + 1, wide.white, "{line:?}");
            assert_eq!(ascii.tokens + 1, wide.tokens, "{line:?}");
            let rest = |c: masks::Counts| [c.upper, c.digit, c.symbol, c.title];
            assert_eq!(rest(ascii), rest(wide), "{line:?}");
        }
    }

    #[test]
    fn dates_are_times_or_months_with_years() {
        let cases: &[(&str, bool)] = &[
            ("posted at 12:30", true),
            ("march 3, 2021", true),
            ("mar 5 1999", true),
            ("2021", false),
            ("march madness", false),
            ("ratio 1:x", false),
            ("room 1850 in december", false),
            // A year is any four digits from 1900 to 2099, even inside a word.
            ("room 2019b in december", true),
        ];
        for &(lower, want) in cases {
            assert_eq!(has_date(lower), want, "{lower}");
        }
        // The definition: a time, or a year and a month name anywhere.
        let defined = |lower: &str| {
            let bytes = lower.as_bytes();
            let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
            let time = (1..bytes.len()).any(|i| bytes[i] == b':' && digit(i - 1) && digit(i + 1));
            let year = bytes.windows(4).any(|w| {
                (w.starts_with(b"19") || w.starts_with(b"20")) && w.iter().all(u8::is_ascii_digit)
            });
            time || (year && MONTHS.iter().any(|m| lower.contains(m)))
        };
        let mut pieces: Vec<&str> = MONTHS.to_vec();
        pieces.extend([
            "19", "20", "1", "2", "0", "9", ":", " ", "x", "\u{e9}", "ma", "y ",
        ]);
        let mut rng = crate::TestRng(0x5851_f42d_4c95_7f2d);
        for _ in 0..50_000 {
            let line = rng.line(&pieces, 10);
            assert_eq!(has_date(&line), defined(&line), "{line:?}");
        }
        // Lines in any case and script: ASCII lower case finds the dates
        // full lower case finds.
        const PIECES: &[&str] = &[
            "March",
            "MAR ",
            "April",
            "APR\u{130}L",
            "apr\u{130}l",
            "Aug",
            "Sept ",
            "SEPT ",
            "\u{17f}ept ",
            "Dec ",
            "2021",
            "1999",
            "12:30",
            "1:",
            ":5",
            " ",
            "\u{212a}",
            "\u{c9}t\u{c9}",
            "\u{130}",
            "x",
        ];
        let mut rng = crate::TestRng(0x1b87_3593_cc9e_2d51);
        let (mut lower, mut dates) = (String::new(), 0);
        for _ in 0..20_000 {
            let line = rng.line(PIECES, 8);
            let want = has_date(&line.to_lowercase());
            assert_eq!(dated(&line, &mut lower), want, "{line:?}");
            dates += usize::from(want);
        }
        assert!(dates > 2_000, "dates often present: {dates}");
    }

    #[test]
    fn prose_and_menus_look_different() {
        let lines: Vec<&[u8]> = vec![
            b"Home",
            b"News",
            b"Sport",
            b"The council voted on Tuesday to close the old bridge, which has been unsafe since the floods.",
            b"Engineers said repairs would cost more than a new crossing, and that work could start in the spring.",
        ];
        let x = features(&lines);
        let f = |name: &str| FEATURES.iter().position(|n| *n == name).unwrap();
        assert_eq!(x[0][f("words_1")], 1.0);
        assert_eq!(x[3][f("ends_sentence")], 1.0);
        assert_eq!(x[3][f("words_13_25")], 1.0);
        assert!(x[0][f("short_run_log")] > 1.0, "a run of three short lines");
        assert_eq!(x[3][f("in_main_block")], 1.0);
        assert_eq!(x[0][f("in_main_block")], 0.0);
        assert!(x[4][f("prev1_sentence")] == 1.0 && x[3][f("prev1_sentence")] == 0.0);
    }
}
