//! Kernel benchmarks: rule compilation, cleaning one document, the classifier
//! stage alone, and rules-only cleaning (the classifier's share).
//!
//! ```sh
//! cargo bench --bench kernels                 # all, a few minutes
//! cargo bench --bench kernels -- compile      # one group
//! ```
//!
//! Pages: `tests/fixtures/seeds/004.txt` and, when the development set is
//! beside the repository (`../shared/devset`, or `DECHROME_DEVSET`), its
//! median-size scrapinghub and wcxb pages, its largest wcxb page, and the
//! whole set (714 pages) per iteration. Without it, only the seed page runs.
//!
//! Before timing, the heap of compiling 300, 3,000 and 30,000 synthetic
//! phrases is measured once with a counting global allocator (`peak_alloc`:
//! two atomic counters per allocation, which every figure here pays alike).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use dechrome::classify::{features, Forest, Model};
use dechrome::{Cleaner, Matcher, RuleSet};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Phrase counts of the compilation benchmark.
const PHRASE_COUNTS: [usize; 3] = [300, 3_000, 30_000];

/// Common words the synthetic phrases are drawn from.
const WORDS: &[&str] = &[
    "about",
    "account",
    "add",
    "ads",
    "all",
    "alerts",
    "also",
    "app",
    "archive",
    "article",
    "back",
    "best",
    "blog",
    "browser",
    "business",
    "buy",
    "call",
    "care",
    "career",
    "cart",
    "change",
    "city",
    "click",
    "close",
    "club",
    "comment",
    "community",
    "company",
    "contact",
    "content",
    "cookie",
    "copy",
    "country",
    "coupon",
    "daily",
    "data",
    "deal",
    "design",
    "digital",
    "download",
    "edition",
    "editor",
    "email",
    "event",
    "explore",
    "family",
    "feed",
    "find",
    "follow",
    "food",
    "free",
    "full",
    "game",
    "get",
    "gift",
    "guide",
    "health",
    "help",
    "home",
    "hot",
    "image",
    "info",
    "join",
    "just",
    "keep",
    "latest",
    "learn",
    "life",
    "link",
    "list",
    "live",
    "local",
    "log",
    "login",
    "love",
    "mail",
    "make",
    "map",
    "market",
    "media",
    "member",
    "menu",
    "mobile",
    "money",
    "more",
    "most",
    "music",
    "my",
    "network",
    "new",
    "news",
    "next",
    "now",
    "offer",
    "online",
    "open",
    "our",
    "page",
    "partner",
    "people",
    "photo",
    "play",
    "plus",
    "podcast",
    "policy",
    "popular",
    "post",
    "premium",
    "press",
    "print",
    "privacy",
    "product",
    "profile",
    "read",
    "recent",
    "register",
    "related",
    "report",
    "reserved",
    "review",
    "rights",
    "save",
    "search",
    "section",
    "see",
    "send",
    "service",
    "share",
    "shop",
    "show",
    "sign",
    "site",
    "social",
    "sport",
    "start",
    "store",
    "story",
    "subscribe",
    "support",
    "team",
    "terms",
    "today",
    "top",
    "travel",
    "trending",
    "update",
    "video",
    "view",
    "watch",
    "weather",
    "week",
    "world",
    "your",
];

fn main() {
    report_compile_memory();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    compile(&mut c);
    let pages = pages();
    clean(&mut c, &pages);
    classify(&mut c, &pages);
    c.final_summary();
}

/// A deterministic rules file of `n` distinct phrases of 2 to 5 words: 80%
/// under `[contains]`, 10% under `[line]`, 10% under `[phrase]`.
fn synthetic_rules(n: usize) -> String {
    let mut state = 0x5eed_u64;
    let mut next = move || {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut seen = std::collections::HashSet::new();
    let mut phrases = Vec::with_capacity(n);
    while phrases.len() < n {
        let words = 2 + (next() % 4) as usize;
        let phrase: Vec<&str> = (0..words)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        let phrase = phrase.join(" ");
        if seen.insert(phrase.clone()) {
            phrases.push(phrase);
        }
    }
    let (contains, rest) = phrases.split_at(n * 8 / 10);
    let (line, phrase) = rest.split_at(rest.len() / 2);
    let mut text = format!("# {n} synthetic phrases\n");
    for (section, list) in [("contains", contains), ("line", line), ("phrase", phrase)] {
        text.push_str(&format!("[{section}]\n"));
        for p in list {
            text.push_str(p);
            text.push('\n');
        }
    }
    text
}

fn compile_rules(name: &str, text: &str) -> Matcher {
    let mut set = RuleSet::new();
    set.add_source(name, text).expect("synthetic rules parse");
    Matcher::new(set).expect("synthetic rules compile")
}

/// Once, outside the timing: wall time, peak heap and retained heap of
/// compiling each synthetic rule set (the target: 30,000 phrases in under
/// 1 s and 64 MiB).
fn report_compile_memory() {
    const MIB: f64 = 1024.0 * 1024.0;
    for n in PHRASE_COUNTS {
        let text = synthetic_rules(n);
        let before = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let start = Instant::now();
        let matcher = compile_rules("synthetic.rules", &text);
        let elapsed = start.elapsed();
        let retained = HEAP.current_usage().saturating_sub(before);
        let peak = HEAP.peak_usage().saturating_sub(before);
        println!(
            "compile {n:>6} phrases: {:>8.1} ms, peak heap {:>6.1} MiB, retained {:>6.1} MiB",
            elapsed.as_secs_f64() * 1e3,
            peak as f64 / MIB,
            retained as f64 / MIB,
        );
        drop(matcher);
    }
    let before = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let start = Instant::now();
    let cleaner = Cleaner::new(RuleSet::defaults()).expect("defaults compile");
    println!(
        "compile defaults + model: {:>7.1} ms, peak heap {:>6.1} MiB, retained {:>6.1} MiB",
        start.elapsed().as_secs_f64() * 1e3,
        HEAP.peak_usage().saturating_sub(before) as f64 / MIB,
        HEAP.current_usage().saturating_sub(before) as f64 / MIB,
    );
    drop(cleaner);
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for n in PHRASE_COUNTS {
        let text = synthetic_rules(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("phrases", n), &text, |b, text| {
            b.iter(|| compile_rules("synthetic.rules", text))
        });
    }
    group.bench_function("defaults", |b| {
        b.iter(|| Cleaner::new(RuleSet::defaults()).expect("defaults compile"))
    });
    group.finish();
}

/// A named input: one page, or a whole set of pages.
struct Input {
    name: String,
    docs: Vec<Vec<u8>>,
}

impl Input {
    fn bytes(&self) -> u64 {
        self.docs.iter().map(|d| d.len() as u64).sum()
    }
}

/// The benchmark pages; devset pages only when the set is present.
fn pages() -> Vec<Input> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = Vec::new();
    if let Ok(doc) = std::fs::read(root.join("tests/fixtures/seeds/004.txt")) {
        inputs.push(Input {
            name: "seed-004".into(),
            docs: vec![doc],
        });
    }
    let devset = std::env::var_os("DECHROME_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/devset"));
    let scrapinghub = page_files(&devset.join("scrapinghub"));
    let wcxb = page_files(&devset.join("wcxb"));
    if scrapinghub.is_empty() || wcxb.is_empty() {
        println!(
            "no development set at {}: benchmarking the seed page only",
            devset.display()
        );
        return inputs;
    }
    for (label, files, pick) in [
        ("scrapinghub-median", &scrapinghub, scrapinghub.len() / 2),
        ("wcxb-median", &wcxb, wcxb.len() / 2),
        ("wcxb-largest", &wcxb, wcxb.len() - 1),
    ] {
        let (path, _) = &files[pick];
        if let Ok(doc) = std::fs::read(path) {
            let id = path.file_name().unwrap_or_default().to_string_lossy();
            let id = id.trim_end_matches(".page.txt");
            inputs.push(Input {
                name: format!("{label}-{}", id.chars().take(12).collect::<String>()),
                docs: vec![doc],
            });
        }
    }
    let all: Vec<Vec<u8>> = scrapinghub
        .iter()
        .chain(&wcxb)
        .filter_map(|(p, _)| std::fs::read(p).ok())
        .collect();
    inputs.push(Input {
        name: format!("devset-all-{}-pages", all.len()),
        docs: all,
    });
    inputs
}

/// `*.page.txt` files of a folder with their sizes, smallest first (ties by name).
fn page_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, u64)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".page.txt"))
        .filter_map(|e| Some((e.path(), e.metadata().ok()?.len())))
        .collect();
    files.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    files
}

fn tune_for(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    input: &Input,
) {
    // MB = 10^6 bytes, as in scripts/bench.sh.
    group.throughput(Throughput::BytesDecimal(input.bytes()));
    if input.docs.len() > 1 {
        group.sampling_mode(SamplingMode::Flat).sample_size(10);
    } else {
        group.sampling_mode(SamplingMode::Auto).sample_size(50);
    }
}

/// The whole cleaner, with and without the classifier. "default" is what
/// `dechrome` runs for plain output (the deciding feature not named, see
/// `Cleaner::naming_features`); "named" what it runs for `--explain` or `--stats`.
fn clean(c: &mut Criterion, pages: &[Input]) {
    let named = Cleaner::new(RuleSet::defaults()).expect("defaults compile");
    let default = Cleaner::new(RuleSet::defaults())
        .expect("defaults compile")
        .naming_features(false);
    let mut rules = RuleSet::defaults();
    rules
        .add_source("rules-only.rules", "[settings]\nclassifier = off\n")
        .expect("setting parses");
    let rules_only = Cleaner::new(rules).expect("rules compile");
    let mut group = c.benchmark_group("clean");
    for input in pages {
        tune_for(&mut group, input);
        for (variant, cleaner) in [
            ("default", &default),
            ("named", &named),
            ("rules-only", &rules_only),
        ] {
            group.bench_with_input(BenchmarkId::new(variant, &input.name), input, |b, input| {
                b.iter(|| {
                    input
                        .docs
                        .iter()
                        .map(|d| cleaner.clean(d).removed_bytes())
                        .sum::<usize>()
                })
            });
        }
    }
    group.finish();
}

/// The classifier stage alone, on the lines it sees in a real run (those the
/// rules and detectors left), prepared outside the timing.
fn classify(c: &mut Criterion, pages: &[Input]) {
    let cleaner = Cleaner::new(RuleSet::defaults()).expect("defaults compile");
    let model = Model::embedded();
    let forest = Forest::new(&model);
    let threshold = f64::from(model.threshold);
    let cut = (threshold / (1.0 - threshold)).ln();
    let mut group = c.benchmark_group("classify");
    for input in pages {
        let lines: Vec<Vec<Vec<u8>>> = input
            .docs
            .iter()
            .map(|d| cleaner.classifier_input(d, None))
            .collect();
        let views: Vec<Vec<&[u8]>> = lines
            .iter()
            .map(|doc| doc.iter().map(Vec::as_slice).collect())
            .collect();
        tune_for(&mut group, input);
        group.bench_with_input(
            BenchmarkId::new("features", &input.name),
            &views,
            |b, views| b.iter(|| views.iter().map(|doc| features(doc).len()).sum::<usize>()),
        );
        // Every tree for every line (what `Model::logit` computes), against
        // the cleaner's decision, which stops at the trees that settle it.
        group.bench_with_input(
            BenchmarkId::new("features+all-trees", &input.name),
            &views,
            |b, views| {
                b.iter(|| {
                    views
                        .iter()
                        .flat_map(|doc| features(doc))
                        .map(|x| forest.logit(&x))
                        .sum::<f32>()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("features+decision", &input.name),
            &views,
            |b, views| {
                b.iter(|| {
                    views
                        .iter()
                        .map(|doc| forest.below(&features(doc), cut).len())
                        .sum::<usize>()
                })
            },
        );
    }
    group.finish();
}
