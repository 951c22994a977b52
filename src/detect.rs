//! Built-in detectors: chrome that is not a fixed phrase.
//!
//! They run after the rules, on the lines that survived them, each switched
//! and tuned in the `[settings]` section:
//!
//! - `doubled-lines`: a line that is one text pasted twice (`A A`, at least
//!   `doubled-lines.min-words` words in `A`). If `A` also stands alone on a
//!   line of its own, the doubled line goes; otherwise its second copy is cut.
//! - `repeated-lines`: the second copy of a line printed twice (same text
//!   after normalisation and ASCII case folding, at least
//!   `repeated-lines.min-words` words, at most `repeated-lines.window`
//!   non-blank lines after the first). The first copy stays. A text printed
//!   three times or more is a pattern of the page (list rows, recipe steps)
//!   and is left alone.
//! - `menu-runs`: a run of consecutive lines that are all `[menu]` labels
//!   (blank lines and removed lines do not break a run), holding at least
//!   `menu-runs.min-run` labels. A line may hold several labels separated by
//!   `|`, `/`, `•`, `·` or single spaces. A lone label line is kept: an article
//!   may have a heading that says "Twitter".

// The maps here are keyed by the page's own lines, so they use a hasher
// seeded at random per process (foldhash: a page's author cannot line its
// keys up into collisions without the seed), at a fraction of the cost of
// std's SipHash on lines of a few dozen bytes.
use foldhash::{HashMap, HashMapExt, HashSet};

use crate::clean::Page;
use crate::matcher::Matcher;
use crate::normalize::{char_at, char_before, contains, word_count, OffsetMap};
use crate::span::{Cause, Detector, Span};

/// Runs the enabled detectors over `page`.
pub(crate) fn run(page: &mut Page<'_>, matcher: &Matcher) {
    let settings = matcher.settings();
    let mut effective: HashMap<usize, usize> = HashMap::new();
    if settings.doubled_lines.enabled {
        effective = doubled_lines(page, settings.doubled_lines.min);
    }
    if settings.repeated_lines.enabled {
        repeated_lines(
            page,
            settings.repeated_lines.min,
            settings.repeated_window,
            &effective,
        );
    }
    if settings.menu_runs.enabled && matcher.has_labels() {
        menu_runs(page, matcher, settings.menu_runs.min);
    }
}

/// If `key` is `T T` with at least `min_words` words in `T`, the length of `T`.
fn doubled_half(key: &[u8], min_words: usize) -> Option<usize> {
    if key.len() < 3 || key.len() % 2 == 0 {
        return None;
    }
    let mid = key.len() / 2;
    (key[mid] == b' ' && key[..mid] == key[mid + 1..] && word_count(&key[..mid]) >= min_words)
        .then_some(mid)
}

/// Handles doubled lines; returns, for each line whose second copy was cut,
/// the length of the key prefix that stands for the line from now on.
fn doubled_lines(page: &mut Page<'_>, min_words: usize) -> HashMap<usize, usize> {
    let n = page.lines.len();
    let doubled: Vec<(usize, usize)> = (0..n)
        .filter(|&i| page.is_live(i))
        .filter_map(|i| doubled_half(page.key(i), min_words).map(|half| (i, half)))
        .collect();
    let mut effective = HashMap::new();
    if doubled.is_empty() {
        return effective;
    }
    let standalone: HashSet<&[u8]> = (0..n)
        .filter(|&i| page.is_live(i))
        .map(|i| page.key(i))
        .collect();
    let decisions: Vec<(usize, usize, bool)> = doubled
        .into_iter()
        .map(|(i, half)| (i, half, standalone.contains(&page.key(i)[..half])))
        .collect();
    let cause = Cause::Detector(Detector::DoubledLine);
    for (i, half, alone_elsewhere) in decisions {
        if alone_elsewhere {
            page.remove(i, cause);
            continue;
        }
        let content = page.content(i);
        let (_, first_end) = OffsetMap::new(content).original(0, half);
        let line = page.lines[i];
        page.cuts.push(Span {
            start: line.start + first_end,
            end: line.content_end,
            cause,
        });
        effective.insert(i, half);
    }
    effective
}

fn repeated_lines(
    page: &mut Page<'_>,
    min_words: usize,
    window: usize,
    effective: &HashMap<usize, usize>,
) {
    let n = page.lines.len();
    let live: Vec<(usize, &[u8])> = (0..n)
        .filter(|&i| page.is_live(i))
        .filter_map(|i| {
            let key = page.key(i);
            let (key, words) = match effective.get(&i) {
                Some(&half) => (&key[..half], word_count(&key[..half])),
                None => (key, page.words(i)),
            };
            (words >= min_words).then_some((i, key))
        })
        .collect();
    // A text printed twice is a duplicate; one printed three times or more
    // is a pattern of the page (list rows, recipe steps) and stays. Per
    // distinct text (in order of first appearance): its copies and the
    // ordinal (among live lines) of the first; per live line, its text's
    // index. One look-up a line.
    let mut index: HashMap<&[u8], usize> = HashMap::with_capacity(live.len());
    let mut texts: Vec<(usize, usize)> = Vec::with_capacity(live.len());
    let of_line: Vec<usize> = live
        .iter()
        .enumerate()
        .map(|(ordinal, &(_, key))| {
            let t = *index.entry(key).or_insert_with(|| {
                texts.push((0, ordinal));
                texts.len() - 1
            });
            texts[t].0 += 1;
            t
        })
        .collect();
    let mut repeats = Vec::new();
    for (ordinal, (&(i, _), &t)) in live.iter().zip(&of_line).enumerate() {
        let (copies, first) = texts[t];
        if copies == 2 && ordinal != first && (window == 0 || ordinal - first <= window) {
            repeats.push(i);
        }
    }
    for i in repeats {
        page.remove(i, Cause::Detector(Detector::RepeatedLine));
    }
}

/// Characters that decorate a label without being part of it.
fn is_decoration(c: char) -> bool {
    // (A `match`, not `str::contains`, which runs `memchr` for every char.)
    c.is_whitespace()
        || matches!(
            c,
            '|' | '•' | '·' | '»' | '›' | '>' | '*' | '-' | '–' | '—' | ':'
        )
}

/// `bytes` without the decoration characters at either end (see
/// [`is_decoration`]), as `str::trim_matches` trims valid UTF-8.
fn trim_decorations(bytes: &[u8]) -> &[u8] {
    let (mut start, mut end) = (0, bytes.len());
    while let Some(c) = char_at(bytes, start).filter(|&c| start < end && is_decoration(c)) {
        start += c.len_utf8();
    }
    while let Some(c) = char_before(bytes, end).filter(|&c| end > start && is_decoration(c)) {
        end -= c.len_utf8();
    }
    &bytes[start..end]
}

/// How many `[menu]` labels line `key` is made of, if it is made of nothing
/// else. The line is read as bytes, not checked for UTF-8 first (a pass over
/// every line): labels are text, and every byte that is not trimmed off as a
/// decoration (a whole character) or split off as a space belongs to a piece
/// that must be a label, so a line with invalid UTF-8 is no run of labels.
fn label_count(matcher: &Matcher, key: &[u8]) -> Option<usize> {
    let bytes = trim_decorations(key);
    if bytes.is_empty() {
        return None;
    }
    if matcher.is_label(bytes) {
        return Some(1);
    }
    // Every piece a label, and at least two: stops at the first piece that
    // is not, which for a line of prose is the first word.
    let all_labels = |pieces: &mut dyn Iterator<Item = &[u8]>| -> Option<usize> {
        let mut count = 0;
        for piece in pieces {
            if !matcher.is_label(piece) {
                return None;
            }
            count += 1;
        }
        (count >= 2).then_some(count)
    };
    // Without a separator the line is one piece, not a run of labels: skip
    // the (char by char) split, and the UTF-8 check it needs.
    let separated = memchr::memchr2(b'|', b'/', bytes).is_some()
        || contains(bytes, "•".as_bytes())
        || contains(bytes, "·".as_bytes());
    separated
        .then(|| {
            let text = std::str::from_utf8(bytes).ok()?;
            all_labels(
                &mut text
                    .split(['|', '/', '•', '·'])
                    .map(|p| p.trim_matches(is_decoration).as_bytes())
                    .filter(|p| !p.is_empty()),
            )
        })
        .flatten()
        .or_else(|| all_labels(&mut bytes.split(|&b| b == b' ')))
}

fn menu_runs(page: &mut Page<'_>, matcher: &Matcher, min_run: usize) {
    let n = page.lines.len();
    let mut run: Vec<usize> = Vec::new();
    let mut run_labels = 0;
    let mut runs: Vec<usize> = Vec::new();
    for i in 0..=n {
        let labels = if i == n {
            None
        } else if !page.is_live(i) {
            continue;
        } else {
            label_count(matcher, page.key(i))
        };
        match labels {
            Some(count) => {
                run.push(i);
                run_labels += count;
            }
            None => {
                if run_labels >= min_run {
                    runs.append(&mut run);
                }
                run.clear();
                run_labels = 0;
            }
        }
    }
    for i in runs {
        page.remove(i, Cause::Detector(Detector::MenuRun));
    }
}

#[cfg(test)]
mod tests {
    use super::is_decoration;
    use crate::{Cleaner, RuleSet};

    fn clean(settings: &str, doc: &str) -> String {
        let mut set = RuleSet::new();
        set.add_source(
            "t.rules",
            &format!(
                "[menu]\nFacebook\nTwitter\nInstagram\nYouTube\nRSS\nHome\n[settings]\n{settings}"
            ),
        )
        .unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        String::from_utf8(cleaner.clean(doc.as_bytes()).apply(doc.as_bytes())).unwrap()
    }

    #[test]
    fn doubled_line_dropped_when_text_stands_alone() {
        let doc = "Big News Story Today Big News Story Today\nnav\nBig News Story Today\nBody.\n";
        assert_eq!(clean("", doc), "nav\nBig News Story Today\nBody.\n");
    }

    #[test]
    fn doubled_line_keeps_one_copy_otherwise() {
        let doc = "Big News Story Today  Big News Story Today\nBody.\n";
        assert_eq!(clean("", doc), "Big News Story Today\nBody.\n");
        // Too short to be a title pasted twice.
        assert_eq!(clean("", "ha ha\n"), "ha ha\n");
        assert_eq!(clean("doubled-lines = off\n", doc), doc);
    }

    #[test]
    fn repeated_lines_keep_the_first() {
        let doc = "US open to working with Iran\n\nBody text.\n\nUS open to working with  Iran\n";
        assert_eq!(
            clean("", doc),
            "US open to working with Iran\n\nBody text.\n"
        );
        // Short repeats are left alone.
        assert_eq!(clean("", "Yes\nNo\nYes\n"), "Yes\nNo\nYes\n");
        assert_eq!(clean("repeated-lines = off\n", doc), doc);
        assert_eq!(
            clean("repeated-lines.min-words = 1\n", "Yes\nNo\nYes\n"),
            "Yes\nNo\n"
        );
    }

    #[test]
    fn repeated_lines_go_as_counted_line_by_line() {
        const LINES: &[&str] = &["one line", "two words here", "a third", "four", "x y z"];
        let mut rng = crate::TestRng(0x8cb9_2ba7_2f3d_8dd7);
        for round in 0..2_000 {
            let window = round % 4;
            let lines: Vec<&str> = (0..1 + rng.below(12))
                .map(|_| LINES[rng.below(LINES.len())])
                .collect();
            // The definition: a text on exactly two lines loses its second
            // copy when the copies are at most `window` lines apart (0: any).
            let copies = |t: &str| lines.iter().filter(|&&l| l == t).count();
            let kept: Vec<&str> = (0..lines.len())
                .filter(|&k| {
                    let first = lines.iter().position(|&l| l == lines[k]).unwrap();
                    let repeat =
                        copies(lines[k]) == 2 && k != first && (window == 0 || k - first <= window);
                    !repeat
                })
                .map(|k| lines[k])
                .collect();
            let settings = format!(
                "repeated-lines.min-words = 1\nrepeated-lines.window = {window}\n\
                 doubled-lines = off\nmenu-runs = off\nclassifier = off\n"
            );
            let doc = lines.join("\n") + "\n";
            assert_eq!(clean(&settings, &doc), kept.join("\n") + "\n", "{lines:?}");
        }
    }

    #[test]
    fn decorations_are_separators_and_white_space() {
        for c in "|\u{2022}\u{b7}\u{bb}\u{203a}>*-\u{2013}\u{2014}: \t\u{a0}\u{2003}".chars() {
            assert!(is_decoration(c), "{c:?}");
        }
        for c in "a\u{e9}.,/#'\"(\u{ab}".chars() {
            assert!(!is_decoration(c), "{c:?}");
        }
    }

    /// What [`super::label_count`] must give: the line read as text first.
    fn label_count_as_text(matcher: &crate::matcher::Matcher, key: &[u8]) -> Option<usize> {
        let text = std::str::from_utf8(key).ok()?.trim_matches(is_decoration);
        if text.is_empty() {
            return None;
        }
        if matcher.is_label(text.as_bytes()) {
            return Some(1);
        }
        let all_labels = |pieces: Vec<&str>| {
            let labels = pieces.iter().all(|p| matcher.is_label(p.as_bytes()));
            (labels && pieces.len() >= 2).then_some(pieces.len())
        };
        let separated = text.contains(['|', '/', '•', '·']);
        separated
            .then(|| {
                all_labels(
                    text.split(['|', '/', '•', '·'])
                        .map(|p| p.trim_matches(is_decoration))
                        .filter(|p| !p.is_empty())
                        .collect(),
                )
            })
            .flatten()
            .or_else(|| all_labels(text.split(' ').collect()))
    }

    #[test]
    fn labels_are_counted_as_in_the_text() {
        let mut set = RuleSet::new();
        set.add_source("t.rules", "[menu]\nFacebook\nHome\nAbout us\nRSS\n")
            .unwrap();
        let cleaner = Cleaner::new(set).unwrap();
        let matcher = cleaner.matcher();
        const PIECES: &[&[u8]] = &[
            b"facebook",
            b"home",
            b"about",
            b"us",
            b"rss",
            b"news",
            b" ",
            b"|",
            b"/",
            b"-",
            b":",
            "•".as_bytes(),
            "·".as_bytes(),
            "»".as_bytes(),
            "—".as_bytes(),
            "\u{2028}".as_bytes(),
            "é".as_bytes(),
            b"\xff",
            b"\xe2\x80",
        ];
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1d);
        let mut found = 0;
        for _ in 0..50_000 {
            let line: Vec<u8> = (0..rng.below(9))
                .flat_map(|_| PIECES[rng.below(PIECES.len())].iter().copied())
                .collect();
            let want = label_count_as_text(matcher, &line);
            assert_eq!(super::label_count(matcher, &line), want, "{line:?}");
            found += usize::from(want.is_some());
        }
        assert!(found > 1_000, "only {found} lines of labels");
    }

    #[test]
    fn menu_runs_need_enough_labels() {
        let doc = "Body.\nVanessa Smart\nFacebook\nTwitter\n\nInstagram\nYouTube\nRSS\n";
        assert_eq!(clean("", doc), "Body.\nVanessa Smart\n");
        // A lone label inside the article stays.
        let doc = "Para one.\nTwitter\nPara two.\n";
        assert_eq!(clean("", doc), doc);
        // Several labels on one line count.
        assert_eq!(clean("", "Body.\nFacebook | Twitter | RSS\n"), "Body.\n");
        assert_eq!(
            clean("", "Body.\nFacebook Twitter\n"),
            "Body.\nFacebook Twitter\n"
        );
        assert_eq!(
            clean("menu-runs.min-run = 2\n", "Body.\nFacebook Twitter\n"),
            "Body.\n"
        );
        assert_eq!(
            clean("menu-runs = off\n", "Body.\nFacebook\nTwitter\nRSS\n"),
            "Body.\nFacebook\nTwitter\nRSS\n"
        );
    }
}
