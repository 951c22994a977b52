//! Measuring cleaning quality (`dechrome eval`).
//!
//! Two kinds of ground truth, found by walking the given directories:
//! - **gold text**: `ID.page.txt` (the page) beside `ID.gold.txt` (its
//!   article). Scored as bags of tokens: NFKC, every run of Unicode letters,
//!   numbers and `_` (Python's `\w+`), lower-cased, counted; precision =
//!   shared / output tokens, recall = shared / gold tokens, F1 their harmonic
//!   mean, macro-averaged over the pages of a directory. This is the
//!   development set's `token_f1.py`, to the third decimal.
//! - **line labels**: `NNN.txt` beside `NNN.labels` (`+` keep, `-` remove,
//!   `?` either). Scored as line precision (kept lines that are `+` or `?`)
//!   and recall (`+` lines kept), multisets of NFKC, quote- and
//!   space-folded lines.
//!
//! Pages are grouped by directory. `Split::Tune` and `Split::Check` take the
//! even and odd positions of each directory's pages sorted by id, so that
//! rules and models can be tuned on one half and checked on the other.
//!
//! For gold pages, every removal is charged to its rule: the gold tokens it
//! removed (what it costs in recall) and the other tokens it removed (what it
//! earns in precision).
//!
//! ```
//! use dechrome::eval::{token_scores, tokens};
//!
//! let gold = tokens("The story, told.");
//! let out = tokens("Skip navigation. The story told");
//! let (p, r, f) = token_scores(&gold, &out);
//! assert_eq!((p, r), (0.6, 1.0));
//! assert!((f - 0.75).abs() < 1e-9);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use regex::Regex;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::clean::{Cleaner, Cleaning};
use crate::error::InputError;
use crate::stats::cause_key;

/// Which half of each directory to score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Every page.
    #[default]
    All,
    /// Pages at even positions (sorted by id): the half to tune and train on.
    Tune,
    /// Pages at odd positions: the half to check on.
    Check,
}

impl Split {
    /// True when the page at `index` (sorted by id) is in this half.
    pub fn keeps(self, index: usize) -> bool {
        match self {
            Split::All => true,
            Split::Tune => index % 2 == 0,
            Split::Check => index % 2 == 1,
        }
    }
}

/// A bag of tokens.
pub type Bag = HashMap<String, u32>;

fn token_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[\p{L}\p{N}_]+").expect("valid regex"))
}

/// The bag of tokens of `text`: NFKC, runs of letters, numbers and `_`, lower-cased.
pub fn tokens(text: &str) -> Bag {
    let text: String = text.nfkc().collect();
    let mut bag = Bag::new();
    for m in token_regex().find_iter(&text) {
        *bag.entry(m.as_str().to_lowercase()).or_default() += 1;
    }
    bag
}

fn size(bag: &Bag) -> u64 {
    bag.values().map(|&n| u64::from(n)).sum()
}

fn shared(a: &Bag, b: &Bag) -> u64 {
    let (small, large) = if a.len() < b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .map(|(t, &n)| u64::from(n.min(*large.get(t).unwrap_or(&0))))
        .sum()
}

/// Precision, recall and F1 of `output` against `gold`, as `token_f1.py`
/// computes them (an empty output has precision 0; an empty gold, recall 1).
pub fn token_scores(gold: &Bag, output: &Bag) -> (f64, f64, f64) {
    let inter = shared(gold, output) as f64;
    let p = if output.is_empty() {
        0.0
    } else {
        inter / size(output) as f64
    };
    let r = if gold.is_empty() {
        1.0
    } else {
        inter / size(gold) as f64
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

/// A line folded for label scoring: NFKC, straight quotes, single spaces.
fn fold_line(line: &str) -> String {
    let line: String = line
        .nfkc()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect();
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Line precision and recall of `output` against a `.labels` file, with the
/// chrome lines kept and the article lines lost.
pub fn label_scores(labels: &str, output: &str) -> (f64, f64, Vec<String>, Vec<String>) {
    let mut allowed: HashMap<String, u32> = HashMap::new();
    let mut required: HashMap<String, u32> = HashMap::new();
    for row in labels.split('\n').filter(|r| !r.is_empty()) {
        let (mark, line) = row.split_once('\t').unwrap_or((row, ""));
        let line = fold_line(line);
        if line.is_empty() {
            continue;
        }
        if mark == "+" {
            *required.entry(line.clone()).or_default() += 1;
        }
        if mark == "+" || mark == "?" {
            *allowed.entry(line).or_default() += 1;
        }
    }
    let mut out: HashMap<String, u32> = HashMap::new();
    for line in output.split('\n').map(fold_line).filter(|l| !l.is_empty()) {
        *out.entry(line).or_default() += 1;
    }
    let total: u32 = out.values().sum();
    let overlap = |a: &HashMap<String, u32>| -> u32 {
        out.iter()
            .map(|(l, &n)| n.min(*a.get(l).unwrap_or(&0)))
            .sum()
    };
    let req: u32 = required.values().sum();
    let p = if total == 0 {
        1.0
    } else {
        f64::from(overlap(&allowed)) / f64::from(total)
    };
    let r = if req == 0 {
        1.0
    } else {
        f64::from(overlap(&required)) / f64::from(req)
    };
    let mut extra: Vec<String> = out
        .iter()
        .filter(|(l, &n)| n > *allowed.get(*l).unwrap_or(&0))
        .map(|(l, _)| l.clone())
        .collect();
    let mut missing: Vec<String> = required
        .iter()
        .filter(|(l, &n)| *out.get(*l).unwrap_or(&0) < n)
        .map(|(l, _)| l.clone())
        .collect();
    extra.sort();
    missing.sort();
    (p, r, extra, missing)
}

/// What kind of ground truth a directory has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    /// `ID.page.txt` with `ID.gold.txt`.
    Gold,
    /// `NNN.txt` with `NNN.labels`.
    Labels,
}

/// The score of one page.
#[derive(Clone, Debug, Serialize)]
pub struct PageScore {
    /// The page id (file name without `.page.txt` or `.txt`).
    pub id: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 (for label pages, the harmonic mean of line precision and recall).
    pub f1: f64,
    /// Label pages: chrome lines kept; gold pages: empty.
    pub extra: Vec<String>,
    /// Label pages: article lines lost; gold pages: empty.
    pub missing: Vec<String>,
}

/// What one rule or detector did over the gold pages.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleCost {
    /// Its section, or `detector`/`classifier`/`layout`.
    pub action: String,
    /// The rule as written.
    pub rule: String,
    /// Pages it removed something from.
    pub pages: u64,
    /// Gold tokens it removed: its cost in recall.
    pub gold_tokens: u64,
    /// Other tokens it removed: its gain in precision.
    pub other_tokens: u64,
}

/// Scores of one directory.
#[derive(Clone, Debug, Serialize)]
pub struct DirReport {
    /// The directory.
    pub dir: String,
    /// Its ground truth.
    pub truth: Truth,
    /// Macro-averaged precision.
    pub precision: f64,
    /// Macro-averaged recall.
    pub recall: f64,
    /// Macro-averaged F1.
    pub f1: f64,
    /// The same with no cleaning at all.
    pub baseline: (f64, f64, f64),
    /// Every page, in id order.
    pub pages: Vec<PageScore>,
}

/// The whole evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// The half scored.
    pub split: Split,
    /// Per directory, in path order.
    pub dirs: Vec<DirReport>,
    /// Per rule over all gold pages, keyed by origin `FILE:LINE`.
    pub rules: BTreeMap<String, RuleCost>,
    /// Page files (`ID.page.txt`) found without their gold file, in path
    /// order: not scored.
    pub unscored: Vec<PathBuf>,
}

/// One page found under a directory.
pub(crate) struct Page {
    pub id: String,
    pub input: PathBuf,
    pub truth: PathBuf,
}

/// Finds the scored pages under `dir`, grouped by directory, each group
/// sorted by id.
pub(crate) fn find_pages(dir: &Path) -> Result<Found, InputError> {
    let mut found_pages = Found::default();
    let groups = &mut found_pages.groups;
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| InputError::Read {
            path: e.path().unwrap_or(dir).to_path_buf(),
            // The walk's own error repeats the path: its cause alone.
            source: match e.into_io_error() {
                Some(io) => io,
                None => io::Error::other("a link loops back to a directory above it"),
            },
        })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        let parent = path.parent().unwrap_or(dir).to_path_buf();
        let found = if let Some(id) = name.strip_suffix(".page.txt") {
            let gold = parent.join(format!("{id}.gold.txt"));
            let has_gold = gold.is_file();
            if !has_gold {
                found_pages.unscored.push(path.to_path_buf());
            }
            has_gold.then(|| (Truth::Gold, id.to_string(), gold))
        } else if let Some(id) = name.strip_suffix(".txt") {
            let labels = parent.join(format!("{id}.labels"));
            labels
                .is_file()
                .then(|| (Truth::Labels, id.to_string(), labels))
        } else {
            None
        };
        if let Some((truth, id, truth_path)) = found {
            groups.entry((parent, truth)).or_default().push(Page {
                id,
                input: path.to_path_buf(),
                truth: truth_path,
            });
        }
    }
    for pages in groups.values_mut() {
        pages.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(found_pages)
}

/// What [`find_pages`] finds under a directory.
#[derive(Default)]
pub(crate) struct Found {
    /// The scored pages of each directory, by kind of truth: a directory
    /// with both kinds is two groups.
    pub groups: BTreeMap<(PathBuf, Truth), Vec<Page>>,
    /// Page files without their gold file.
    pub unscored: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// One scored page with what each cause removed.
struct Scored {
    score: PageScore,
    baseline: (f64, f64, f64),
    /// (cause key, action, rule, gold tokens, other tokens)
    costs: Vec<(String, String, String, u64, u64)>,
}

/// Charges each span's tokens to its cause: a removed token counts as gold
/// while the page still has gold occurrences of it to lose.
fn charge(
    cleaner: &Cleaner,
    doc: &[u8],
    cleaning: &Cleaning,
    gold: &Bag,
    original: &Bag,
    output: &Bag,
) -> Vec<(String, String, String, u64, u64)> {
    let mut lost: HashMap<&str, u32> = HashMap::new();
    for (t, &g) in gold {
        let before = g.min(*original.get(t).unwrap_or(&0));
        let after = g.min(*output.get(t).unwrap_or(&0));
        if before > after {
            lost.insert(t, before - after);
        }
    }
    let mut by_cause: BTreeMap<String, (String, String, u64, u64)> = BTreeMap::new();
    for span in &cleaning.spans {
        let text = String::from_utf8_lossy(&doc[span.start..span.end]);
        let (key, action, rule) = cause_key(cleaner.matcher(), span.cause);
        let entry = by_cause.entry(key).or_insert((action, rule, 0, 0));
        let text: String = text.nfkc().collect();
        for m in token_regex().find_iter(&text) {
            let t = m.as_str().to_lowercase();
            match lost.get_mut(t.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    entry.2 += 1;
                }
                _ => entry.3 += 1,
            }
        }
    }
    by_cause
        .into_iter()
        .map(|(k, (a, r, g, o))| (k, a, r, g, o))
        .collect()
}

fn score_page(cleaner: &Cleaner, truth: Truth, page: &Page) -> Result<Scored, InputError> {
    let doc = read(&page.input)?;
    let truth_text = String::from_utf8_lossy(&read(&page.truth)?).into_owned();
    let cleaning = cleaner.clean(&doc);
    let output = cleaning.apply(&doc);
    let doc_text = String::from_utf8_lossy(&doc);
    let out_text = String::from_utf8_lossy(&output);
    Ok(match truth {
        Truth::Gold => {
            let gold = tokens(&truth_text);
            let original = tokens(&doc_text);
            let out = tokens(&out_text);
            let (precision, recall, f1) = token_scores(&gold, &out);
            Scored {
                score: PageScore {
                    id: page.id.clone(),
                    precision,
                    recall,
                    f1,
                    extra: Vec::new(),
                    missing: Vec::new(),
                },
                baseline: token_scores(&gold, &original),
                costs: charge(cleaner, &doc, &cleaning, &gold, &original, &out),
            }
        }
        Truth::Labels => {
            let (precision, recall, extra, missing) = label_scores(&truth_text, &out_text);
            let (bp, br, _, _) = label_scores(&truth_text, &doc_text);
            let f = |p: f64, r: f64| {
                if p + r > 0.0 {
                    2.0 * p * r / (p + r)
                } else {
                    0.0
                }
            };
            Scored {
                score: PageScore {
                    id: page.id.clone(),
                    precision,
                    recall,
                    f1: f(precision, recall),
                    extra,
                    missing,
                },
                baseline: (bp, br, f(bp, br)),
                costs: Vec::new(),
            }
        }
    })
}

/// Cleans and scores every page under `dirs` with `cleaner`, on the current
/// rayon pool. Pages are cleaned exactly as file mode cleans them.
pub fn evaluate(
    cleaner: &Cleaner,
    dirs: &[PathBuf],
    split: Split,
) -> Result<EvalReport, InputError> {
    let mut report = EvalReport {
        split,
        dirs: Vec::new(),
        rules: BTreeMap::new(),
        unscored: Vec::new(),
    };
    for dir in dirs {
        let found = find_pages(dir)?;
        report.unscored.extend(found.unscored);
        for ((group, truth), pages) in found.groups {
            let pages: Vec<&Page> = pages
                .iter()
                .enumerate()
                .filter(|(i, _)| split.keeps(*i))
                .map(|(_, p)| p)
                .collect();
            if pages.is_empty() {
                continue;
            }
            let scored: Vec<Scored> = pages
                .par_iter()
                .map(|p| score_page(cleaner, truth, p))
                .collect::<Result<_, _>>()?;
            let n = scored.len() as f64;
            let mean = |f: &dyn Fn(&Scored) -> f64| scored.iter().map(f).sum::<f64>() / n;
            for s in &scored {
                for (key, action, rule, gold, other) in &s.costs {
                    let cost = report.rules.entry(key.clone()).or_insert_with(|| RuleCost {
                        action: action.clone(),
                        rule: rule.clone(),
                        ..RuleCost::default()
                    });
                    cost.pages += 1;
                    cost.gold_tokens += gold;
                    cost.other_tokens += other;
                }
            }
            report.dirs.push(DirReport {
                dir: group.display().to_string(),
                truth,
                precision: mean(&|s| s.score.precision),
                recall: mean(&|s| s.score.recall),
                f1: mean(&|s| s.score.f1),
                baseline: (
                    mean(&|s| s.baseline.0),
                    mean(&|s| s.baseline.1),
                    mean(&|s| s.baseline.2),
                ),
                pages: scored.into_iter().map(|s| s.score).collect(),
            });
        }
    }
    Ok(report)
}

impl EvalReport {
    /// Writes the report for people: a table per directory, its worst pages,
    /// and the rules sorted by the gold tokens they removed.
    pub fn write_text(&self, out: &mut dyn Write, worst: usize) -> io::Result<()> {
        let mut text = String::new();
        let split = match self.split {
            Split::All => "all pages",
            Split::Tune => "tune half (even positions)",
            Split::Check => "check half (odd positions)",
        };
        for d in &self.dirs {
            let unit = match d.truth {
                Truth::Gold => "token",
                Truth::Labels => "line",
            };
            let _ = writeln!(
                text,
                "{} ({} pages, {unit} scores, {split})",
                d.dir,
                d.pages.len()
            );
            let _ = writeln!(
                text,
                "  {:<14} {:>9} {:>9} {:>9}",
                "", "precision", "recall", "F1"
            );
            let _ = writeln!(
                text,
                "  {:<14} {:>9.4} {:>9.4} {:>9.4}",
                "dechrome", d.precision, d.recall, d.f1
            );
            let (bp, br, bf) = d.baseline;
            let _ = writeln!(
                text,
                "  {:<14} {:>9.4} {:>9.4} {:>9.4}",
                "no cleaning", bp, br, bf
            );
            let mut pages: Vec<&PageScore> = d.pages.iter().collect();
            pages.sort_by(|a, b| a.f1.total_cmp(&b.f1).then(a.id.cmp(&b.id)));
            let shown: Vec<&&PageScore> = pages.iter().filter(|p| p.f1 < 1.0).take(worst).collect();
            if !shown.is_empty() {
                let _ = writeln!(text, "  worst pages:");
            }
            for p in shown {
                let _ = writeln!(
                    text,
                    "    {:<20} F1 {:.3}  P {:.3}  R {:.3}",
                    p.id, p.f1, p.precision, p.recall
                );
                for line in p.extra.iter().take(3) {
                    let _ = writeln!(text, "      chrome kept: {}", shorten(line));
                }
                for line in p.missing.iter().take(3) {
                    let _ = writeln!(text, "      article lost: {}", shorten(line));
                }
            }
            text.push('\n');
        }
        if !self.rules.is_empty() {
            let mut rules: Vec<(&String, &RuleCost)> = self.rules.iter().collect();
            rules.sort_by(|a, b| {
                b.1.gold_tokens
                    .cmp(&a.1.gold_tokens)
                    .then(b.1.other_tokens.cmp(&a.1.other_tokens))
                    .then(a.0.cmp(b.0))
            });
            let _ = writeln!(
                text,
                "rules on gold pages (gold tokens removed cost recall; other tokens removed earn precision)"
            );
            let _ = writeln!(
                text,
                "  {:>7} {:>9} {:>6}  {:<34} {:<15} rule",
                "gold", "other", "pages", "origin", "action"
            );
            for (key, c) in rules {
                let _ = writeln!(
                    text,
                    "  {:>7} {:>9} {:>6}  {:<34} {:<15} {}",
                    c.gold_tokens,
                    c.other_tokens,
                    c.pages,
                    key,
                    c.action,
                    shorten(&c.rule)
                );
            }
        }
        out.write_all(text.as_bytes())
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report always serialises")
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 70;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_like_python_word_runs() {
        let bag = tokens("Don’t stop: ½ déjà-vu, ＡＢＣ x_y 42");
        let mut got: Vec<(&str, u32)> = bag.iter().map(|(t, &n)| (t.as_str(), n)).collect();
        got.sort();
        // NFKC turns full-width letters into ASCII and ½ into 1⁄2 (digits around a fraction slash).
        assert_eq!(
            got,
            vec![
                ("1", 1),
                ("2", 1),
                ("42", 1),
                ("abc", 1),
                ("don", 1),
                ("déjà", 1),
                ("stop", 1),
                ("t", 1),
                ("vu", 1),
                ("x_y", 1)
            ]
        );
    }

    #[test]
    fn token_scores_follow_the_reference() {
        let g = tokens("a b c d");
        assert_eq!(token_scores(&g, &tokens("")), (0.0, 0.0, 0.0));
        assert_eq!(token_scores(&tokens(""), &tokens("x")).1, 1.0);
        let (p, r, _) = token_scores(&g, &tokens("a b x x"));
        assert_eq!((p, r), (0.5, 0.5));
    }

    #[test]
    fn label_scores_count_multisets() {
        let labels = "+\tTitle\n.\t\n-\tTitle\n?\tBy X\n+\tBody “quoted”\n-\tNav\n";
        let (p, r, extra, missing) = label_scores(labels, "Title\n\nBody \"quoted\"\nBy X");
        assert_eq!((p, r), (1.0, 1.0));
        assert!(extra.is_empty() && missing.is_empty());
        let (p, r, extra, missing) = label_scores(labels, "Title\nTitle\nNav");
        assert_eq!((p, r), (1.0 / 3.0, 0.5));
        assert_eq!(extra, ["Nav", "Title"]);
        assert_eq!(missing, ["Body \"quoted\""]);
    }

    #[test]
    fn splits_alternate() {
        assert!(Split::Tune.keeps(0) && !Split::Tune.keeps(1));
        assert!(Split::Check.keeps(1) && !Split::Check.keeps(2));
        assert!(Split::All.keeps(7));
    }
}
