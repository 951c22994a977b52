//! The line classifier: catches chrome that no phrase names, from what the
//! text of a line and of its neighbours looks like.
//!
//! Every non-blank line that survived the rules and detectors gets a vector
//! of [`FEATURES`]: its own length, punctuation, stop-word density, share of
//! capitals, digits and symbols, position, and above all its context (the
//! same measures averaged over windows of neighbouring lines, distance to the
//! nearest paragraph of prose). A logistic-regression [`Model`] turns the
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

use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

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

/// One line's measures, before context.
#[derive(Clone, Copy, Debug, Default)]
struct Base {
    words: f32,
    words_log: f32,
    ends_sentence: f32,
    stopwords: f32,
    /// A line of prose: at least 13 words and ends a sentence, or 26 words.
    prose: f32,
    titlelike: f32,
}

/// Every stop word of every embedded list, with a bit per language it belongs to.
static STOPWORDS: OnceLock<FxHashMap<&'static str, u32>> = OnceLock::new();

fn stopwords() -> &'static FxHashMap<&'static str, u32> {
    STOPWORDS.get_or_init(|| {
        let mut map = FxHashMap::default();
        for (bit, (_, text)) in crate::defaults::STOPWORDS.iter().enumerate() {
            for word in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                *map.entry(word).or_insert(0) |= 1u32 << bit;
            }
        }
        map
    })
}

/// Calls `f` with each lower-cased word of a normalised line (runs of
/// letters, digits and apostrophes), reusing one buffer.
fn for_each_word(line: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    for word in line
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
    {
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        f(buf);
    }
}

/// The language (a bit of [`stopwords`]) whose list covers most words of
/// the document, if one covers a fair share (one word in twenty).
fn pick_language(lines: &[&str]) -> Option<u32> {
    let map = stopwords();
    let languages = crate::defaults::STOPWORDS.len();
    let mut hits = vec![0usize; languages];
    let mut total = 0usize;
    let mut buf = String::new();
    for line in lines.iter().take(400) {
        for_each_word(line, &mut buf, |w| {
            total += 1;
            if let Some(&bits) = map.get(w) {
                for (lang, hit) in hits.iter_mut().enumerate() {
                    *hit += ((bits >> lang) & 1) as usize;
                }
            }
        });
    }
    let (best, &count) = hits
        .iter()
        .enumerate()
        .max_by_key(|(i, &h)| (h, usize::MAX - i))?;
    (total > 0 && count * 20 >= total).then_some(1u32 << best)
}

fn ends_sentence(line: &str) -> bool {
    let trimmed = line.trim_end_matches(['"', '\'', ')', '»', '”', '’', ']', '*']);
    trimmed.ends_with(['.', '!', '?', '…', '。', '！', '？', ';'])
}

/// Feature vectors of the lines of one document (normalised text of its
/// non-blank lines, in order).
pub fn features(lines: &[&[u8]]) -> Vec<Vec<f32>> {
    let texts: Vec<std::borrow::Cow<'_, str>> =
        lines.iter().map(|l| String::from_utf8_lossy(l)).collect();
    let texts: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    let n = texts.len();
    let language = pick_language(&texts);
    let mut own: Vec<Vec<f32>> = Vec::with_capacity(n);
    let mut base: Vec<Base> = Vec::with_capacity(n);
    for text in &texts {
        let (f, b) = line_features(text, language);
        own.push(f);
        base.push(b);
    }
    let max_words = base.iter().map(|b| b.words).fold(1.0f32, f32::max);
    let prose_lines: Vec<usize> = (0..n).filter(|&i| base[i].prose > 0.0).collect();
    let doc_prose_share = prose_lines.len() as f32 / n.max(1) as f32;
    let (block_start, block_end) = match (prose_lines.first(), prose_lines.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (usize::MAX, 0),
    };
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
    let mean = |from: usize, to: usize, f: &dyn Fn(&Base) -> f32| -> f32 {
        if from >= to {
            0.0
        } else {
            base[from..to].iter().map(f).sum::<f32>() / (to - from) as f32
        }
    };
    let mut out = Vec::with_capacity(n);
    for (i, mut x) in own.into_iter().enumerate() {
        let b = base[i];
        let prev = |k: usize| (i.saturating_sub(k), i);
        let next = |k: usize| (i + 1, (i + 1 + k).min(n));
        let around = (i.saturating_sub(10), (i + 11).min(n));
        let around_mean = |f: &dyn Fn(&Base) -> f32| -> f32 {
            let (a, z) = around;
            let total: f32 = base[a..z].iter().map(f).sum::<f32>() - f(&b);
            let count = (z - a).saturating_sub(1);
            if count == 0 {
                0.0
            } else {
                total / count as f32
            }
        };
        let prose_before = prose_lines.iter().rev().find(|&&p| p < i).map(|&p| i - p);
        let prose_after = prose_lines.iter().find(|&&p| p > i).map(|&p| p - i);
        let dist = |d: Option<usize>| d.map_or(5.0, |d| (d as f32).ln_1p());
        let in_block = (block_start <= i && i <= block_end) as u8 as f32;
        let short = (b.words <= 6.0) as u8 as f32;
        let prose_near = |d: Option<usize>| d.is_some_and(|d| d <= 2);
        x.extend([
            doc_prose_share,
            b.words / max_words,
            language.is_some() as u8 as f32,
        ]);
        for f in [
            &(|b: &Base| b.words_log) as &dyn Fn(&Base) -> f32,
            &|b: &Base| b.ends_sentence,
            &|b: &Base| b.stopwords,
        ] {
            let (a, z) = prev(1);
            x.push(mean(a, z, f));
            let (a, z) = next(1);
            x.push(mean(a, z, f));
            let (a, z) = prev(3);
            x.push(mean(a, z, f));
            let (a, z) = next(3);
            x.push(mean(a, z, f));
            x.push(around_mean(f));
        }
        let prose = |b: &Base| b.prose;
        let (a, z) = prev(3);
        x.push(mean(a, z, &prose));
        let (a, z) = next(3);
        x.push(mean(a, z, &prose));
        x.push(around_mean(&prose));
        x.push(dist(prose_before));
        x.push(dist(prose_after));
        x.push(in_block);
        x.push((short_run[i] as f32).ln_1p());
        x.push(short * (prose_near(prose_before) && prose_near(prose_after)) as u8 as f32);
        x.push(short * in_block);
        x.push(b.titlelike * prose_near(prose_after) as u8 as f32);
        x.push(short * (1.0 - in_block));
        debug_assert_eq!(x.len(), FEATURES.len());
        out.push(x);
    }
    out
}

fn line_features(text: &str, language: Option<u32>) -> (Vec<f32>, Base) {
    let words = word_count(text.as_bytes()) as f32;
    let chars = text.chars().count() as f32;
    let mut letters = 0f32;
    let mut upper = 0f32;
    let mut digits = 0f32;
    let mut symbols = 0f32;
    let mut non_space = 0f32;
    for c in text.chars() {
        if c.is_whitespace() {
            continue;
        }
        non_space += 1.0;
        if c.is_alphabetic() {
            letters += 1.0;
            if c.is_uppercase() {
                upper += 1.0;
            }
        } else if c.is_numeric() {
            digits += 1.0;
        } else {
            symbols += 1.0;
        }
    }
    let share = |a: f32, b: f32| if b > 0.0 { a / b } else { 0.0 };
    let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
    let alpha_tokens: Vec<&&str> = tokens
        .iter()
        .filter(|t| t.chars().any(char::is_alphabetic))
        .collect();
    let title = alpha_tokens
        .iter()
        .filter(|t| {
            t.chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(char::is_uppercase)
        })
        .count() as f32;
    let title_share = share(title, alpha_tokens.len() as f32);
    let stop = match language {
        Some(bit) => {
            let map = stopwords();
            let (mut hits, mut all) = (0usize, 0usize);
            let mut buf = String::new();
            for_each_word(text, &mut buf, |w| {
                all += 1;
                hits += usize::from(map.get(w).is_some_and(|bits| bits & bit != 0));
            });
            share(hits as f32, all as f32)
        }
        None => 0.0,
    };
    let lower = text.to_lowercase();
    let ends = ends_sentence(text) as u8 as f32;
    let sentences =
        text.matches(". ").count() + text.matches("? ").count() + text.matches("! ").count();
    let word_len = share(letters + digits, words);
    let has = |b: bool| b as u8 as f32;
    let bucket = |lo: f32, hi: f32| has(words >= lo && words <= hi);
    let x = vec![
        words.ln_1p(),
        chars.ln_1p(),
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
        (sentences as f32).ln_1p(),
        has([" | ", " · ", " • ", " / ", " - "]
            .iter()
            .any(|s| text.contains(s))),
        has(text.starts_with(['-', '•', '*', '·', '–', '—', '>', '»', '|'])),
        has(lower.contains("http") || lower.contains("www.") || lower.contains('@')),
        has(has_date(&lower)),
        word_len.min(20.0),
        share(text.matches(',').count() as f32, words),
        has(text.contains(['"', '“', '”', '«', '»'])),
        has(lower.contains('©') || lower.contains("copyright")),
        has(letters >= 3.0 && share(upper, letters) > 0.8),
    ];
    let base = Base {
        words,
        words_log: words.ln_1p(),
        ends_sentence: ends,
        stopwords: stop,
        prose: has((words >= 13.0 && ends > 0.0) || words >= 26.0),
        titlelike: has(ends == 0.0 && (3.0..=15.0).contains(&words) && title_share >= 0.5),
    };
    (x, base)
}

fn has_date(lower: &str) -> bool {
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
    let digits_colon = lower
        .as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit());
    let year = lower.as_bytes().windows(4).any(|w| {
        (w.starts_with(b"19") || w.starts_with(b"20")) && w.iter().all(u8::is_ascii_digit)
    });
    digits_colon || (year && MONTHS.iter().any(|m| lower.contains(m)))
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
#[error("{file}:{line}: {message}")]
pub struct ModelError {
    /// The file.
    pub file: String,
    /// 1-based line (0: the whole file).
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
                ["tree"] => model.trees.push(Vec::new()),
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
                    return Err(err(0, format!("tree {t}: node {k} has bad children")));
                }
            }
            if tree.is_empty() {
                return Err(err(0, format!("tree {t} is empty")));
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

/// A model laid out for speed: every node of every tree in one array, a
/// leaf marked by `feature == LEAF`. Scoring goes tree by tree over all the
/// lines of a document, so that each tree stays in cache while it is used
/// (node by node over one line at a time, the ~1 MB of trees would not).
#[derive(Clone, Debug, PartialEq)]
pub struct Forest {
    base: f32,
    roots: Vec<u32>,
    nodes: Vec<FlatNode>,
}

/// One node, packed so that a step of the walk touches one cache line.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FlatNode {
    feature: u16,
    threshold: f32,
    /// Left, then right child (absolute indices).
    children: [u32; 2],
    value: f32,
}

const LEAF: u16 = u16::MAX;

impl Forest {
    /// Lays out `model`.
    pub fn new(model: &Model) -> Forest {
        let mut f = Forest {
            base: model.base,
            roots: Vec::with_capacity(model.trees.len()),
            nodes: Vec::new(),
        };
        for tree in &model.trees {
            let offset = f.nodes.len() as u32;
            f.roots.push(offset);
            f.nodes.extend(tree.iter().map(|node| FlatNode {
                feature: node.feature.unwrap_or(LEAF),
                threshold: node.threshold,
                children: [offset + node.left, offset + node.right],
                value: node.value,
            }));
        }
        f
    }

    /// For each feature vector, its log-odds of being article text and the
    /// feature that weighs most against it (see [`Model::decisive_feature`]).
    pub fn score(&self, xs: &[Vec<f32>]) -> Vec<(f32, u16)> {
        let dims = FEATURES.len();
        let mut logits = vec![self.base; xs.len()];
        let mut against = vec![0f32; xs.len() * dims];
        for &root in &self.roots {
            for ((x, logit), totals) in xs
                .iter()
                .zip(&mut logits)
                .zip(against.chunks_exact_mut(dims))
            {
                let mut node = self.nodes[root as usize];
                while node.feature != LEAF {
                    let f = usize::from(node.feature);
                    let next =
                        self.nodes[node.children[usize::from(x[f] > node.threshold)] as usize];
                    totals[f] += next.value - node.value;
                    node = next;
                }
                *logit += node.value;
            }
        }
        logits
            .into_iter()
            .zip(against.chunks_exact(dims))
            .map(|(logit, totals)| {
                let worst = totals
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i);
                (logit, worst as u16)
            })
            .collect()
    }
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
        let bad_child = text.replace("0 1.5 1 2 0", "0 1.5 0 2 0");
        assert!(Model::parse("m", &bad_child).is_err());
        assert!(Model::parse("m", "base 1\n").is_err());
    }

    #[test]
    fn the_forest_scores_like_the_model() {
        let model = Model::embedded();
        let forest = Forest::new(&model);
        let lines: Vec<&[u8]> = vec![
            b"Home",
            b"Share this",
            b"A long sentence that reads like the prose of an article, with words.",
            b"Contact",
        ];
        let xs = features(&lines);
        for (x, (logit, worst)) in xs.iter().zip(forest.score(&xs)) {
            assert!((model.logit(x) - logit).abs() < 1e-4);
            assert_eq!(usize::from(worst), model.decisive_feature(x));
        }
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
