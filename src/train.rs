//! Fitting the line classifier (`dechrome train`).
//!
//! For every gold page of the chosen half (`ID.page.txt` beside
//! `ID.gold.txt`), the lines that survive the rules and detectors get their
//! [`features`](crate::classify::features()) and a label: article when the line
//! is a line of the gold text (after normalisation), or when it is long and
//! nearly all its tokens are gold tokens. Gradient-boosted regression trees
//! are fitted on the log loss (second-order, histogram splits over at most
//! 32 quantile bins per feature, L2-regularised leaves), each line weighted
//! by its share of its page's tokens so that every page counts alike, as the
//! macro-averaged score does. The threshold is then chosen to maximise the
//! macro token F1 over the same pages, unless one is given.
//!
//! Everything is deterministic: same pages, same model.

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::classify::{features, Model, Node, Row, FEATURES};
use crate::clean::Cleaner;
use crate::error::InputError;
use crate::eval::{find_pages, token_scores, tokens, Bag, Split, Truth};

/// How to train.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Which half of each directory to train on.
    pub split: Split,
    /// Trees.
    pub trees: usize,
    /// Depth of each tree.
    pub depth: usize,
    /// Learning rate (shrinkage of each tree's output).
    pub learning_rate: f32,
    /// L2 regularisation of leaf values.
    pub lambda: f32,
    /// Least total hessian weight in a leaf, relative to the whole training set.
    pub min_leaf: f32,
    /// A threshold to write instead of the one with the best macro F1 on
    /// the training pages (a probability strictly between 0 and 1): lower
    /// keeps more lines.
    pub threshold: Option<f32>,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            split: Split::Tune,
            trees: 100,
            depth: 7,
            learning_rate: 0.1,
            lambda: 1.0,
            min_leaf: 1e-3,
            threshold: None,
        }
    }
}

/// What the first line of a model file `train` writes begins with, after
/// `# `.
pub const TITLE: &str = "dechrome line classifier";

/// One page's training lines.
struct PageData {
    x: Vec<Row>,
    y: Vec<f32>,
    /// Token bag of each line.
    bags: Vec<Bag>,
    gold: Bag,
}

fn line_key(line: &[u8]) -> String {
    String::from_utf8_lossy(line).to_lowercase()
}

fn page_data(cleaner: &Cleaner, page: &crate::eval::Page) -> Result<PageData, InputError> {
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|source| InputError::Read {
            path: p.clone(),
            source,
        })
    };
    let doc = read(&page.input)?;
    let gold_text = String::from_utf8_lossy(&read(&page.truth)?).into_owned();
    let gold = tokens(&gold_text);
    let mut buf = Vec::new();
    let gold_lines: HashSet<String> = gold_text
        .lines()
        .map(|l| {
            crate::normalize::normalize(l.as_bytes(), &mut buf);
            line_key(&buf)
        })
        .collect();
    let lines = cleaner.classifier_input(&doc, None);
    let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    let x = features(&refs);
    let bags: Vec<Bag> = lines
        .iter()
        .map(|l| tokens(&String::from_utf8_lossy(l)))
        .collect();
    let y = lines
        .iter()
        .zip(&bags)
        .map(|(line, bag)| {
            let exact = gold_lines.contains(&line_key(line));
            let n: u32 = bag.values().sum();
            let in_gold: u32 = bag
                .iter()
                .map(|(t, &c)| c.min(*gold.get(t).unwrap_or(&0)))
                .sum();
            let mostly = n >= 8 && f64::from(in_gold) >= 0.8 * f64::from(n);
            if exact || mostly {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Ok(PageData { x, y, bags, gold })
}

/// Macro token F1 of keeping, on every page, the lines whose score passes `keep`.
fn macro_f1(pages: &[PageData], scores: &[Vec<f32>], cut: f32) -> f64 {
    let total: f64 = pages
        .iter()
        .zip(scores)
        .map(|(p, s)| {
            let mut out = Bag::new();
            for (bag, &score) in p.bags.iter().zip(s) {
                if score >= cut {
                    for (t, &c) in bag {
                        *out.entry(t.clone()).or_default() += c;
                    }
                }
            }
            token_scores(&p.gold, &out).2
        })
        .sum();
    total / pages.len().max(1) as f64
}

/// What training produced.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The model.
    pub model: Model,
    /// Pages trained on.
    pub pages: usize,
    /// Lines trained on.
    pub lines: usize,
    /// Macro token F1 of the classifier alone on the training pages, at the chosen threshold.
    pub train_f1: f64,
    /// Page files found without their gold file: not trained on.
    pub unscored: Vec<PathBuf>,
}

/// Every file under `dirs` that [`train`] would read (page and gold files,
/// both halves), and the page files it would skip for want of their gold
/// file: what its model must not be written over.
pub fn inputs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for dir in dirs {
        let found = find_pages(dir)?;
        for ((_, truth), pages) in found.groups {
            if truth == Truth::Gold {
                files.extend(pages.into_iter().flat_map(|p| [p.input, p.truth]));
            }
        }
        files.extend(found.unscored);
    }
    Ok(files)
}

/// Fits the classifier on the gold pages under `dirs` (the chosen half),
/// with `cleaner` providing the rules and detectors that run before it (its
/// own classifier, if any, is not used).
pub fn train(
    cleaner: &Cleaner,
    dirs: &[PathBuf],
    options: &TrainOptions,
) -> Result<Trained, InputError> {
    let mut chosen = Vec::new();
    let mut unscored = Vec::new();
    for dir in dirs {
        let found = find_pages(dir)?;
        unscored.extend(found.unscored);
        for ((_, truth), pages) in found.groups {
            if truth != Truth::Gold {
                continue;
            }
            chosen.extend(
                pages
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| options.split.keeps(*i))
                    .map(|(_, p)| p),
            );
        }
    }
    let pages: Vec<PageData> = chosen
        .par_iter()
        .map(|p| page_data(cleaner, p))
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<&[f32]> = Vec::new();
    let mut labels = Vec::new();
    let mut weights = Vec::new();
    // Every page weighs one in total, as in the macro-averaged score; within a
    // page, a line weighs by its tokens.
    for p in &pages {
        let counts: Vec<f32> = p
            .bags
            .iter()
            .map(|b| b.values().sum::<u32>() as f32 + 1.0)
            .collect();
        let total: f32 = counts.iter().sum();
        for ((x, &y), &c) in p.x.iter().zip(&p.y).zip(&counts) {
            rows.push(x);
            labels.push(y);
            weights.push(c / total);
        }
    }
    let mut model = boost(&rows, &labels, &weights, options);
    // The threshold that maximises macro F1 on the training pages, unless
    // one is given.
    let scores: Vec<Vec<f32>> = pages
        .iter()
        .map(|p| p.x.iter().map(|x| model.probability(x)).collect())
        .collect();
    let (mut best_cut, mut best_f1) = (0.5f32, f64::MIN);
    for k in 1..40 {
        let cut = k as f32 * 0.025;
        let f1 = macro_f1(&pages, &scores, cut);
        if f1 > best_f1 {
            (best_cut, best_f1) = (cut, f1);
        }
    }
    let (threshold, f1, how) = match options.threshold {
        Some(cut) => (
            cut,
            macro_f1(&pages, &scores, cut),
            format!("threshold given; the best, at {best_cut}, scores {best_f1:.4}"),
        ),
        None => (best_cut, best_f1, "threshold chosen for it".to_string()),
    };
    model.threshold = threshold;
    let lines = rows.len();
    model.notes = vec![
        format!(
            "{TITLE}: {} gradient-boosted trees of depth {} (learning rate {}) over the features of src/classify.rs",
            options.trees, options.depth, options.learning_rate
        ),
        format!(
            "trained by `dechrome train` on {} pages ({} lines), {:?} half of each directory",
            pages.len(),
            lines,
            options.split
        ),
        format!("macro token F1 on those pages: {f1:.4} (classifier alone; {how})"),
        "format: `features ...`, `base B`, `threshold T`, `trees N`, then per tree `tree` and its nodes: `FEATURE THRESHOLD LEFT RIGHT VALUE` (leaves: `- 0 0 0 VALUE`)".into(),
    ];
    Ok(Trained {
        model,
        pages: pages.len(),
        lines,
        train_f1: f1,
        unscored,
    })
}

/// Fits boosted trees on binned features.
fn boost(rows: &[&[f32]], labels: &[f32], weights: &[f32], options: &TrainOptions) -> Model {
    let dims = FEATURES.len();
    let n = rows.len();
    // Quantile cut points per feature (at most 31, so 32 bins).
    let cuts: Vec<Vec<f32>> = (0..dims)
        .into_par_iter()
        .map(|d| {
            let mut values: Vec<f32> = rows.iter().map(|r| r[d]).collect();
            values.sort_by(f32::total_cmp);
            values.dedup();
            if values.len() <= 32 {
                // Midpoints between distinct values.
                values.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
            } else {
                let mut c: Vec<f32> = (1..32).map(|k| values[k * values.len() / 32]).collect();
                c.dedup();
                c
            }
        })
        .collect();
    let bins: Vec<Vec<u8>> = rows
        .par_iter()
        .map(|r| {
            (0..dims)
                .map(|d| cuts[d].partition_point(|&c| c < r[d]) as u8)
                .collect()
        })
        .collect();
    let total_w: f32 = weights.iter().sum();
    let positive: f32 = labels.iter().zip(weights).map(|(y, w)| y * w).sum::<f32>() / total_w;
    let base = (positive.clamp(1e-4, 1.0 - 1e-4) / (1.0 - positive.clamp(1e-4, 1.0 - 1e-4))).ln();
    let mut score = vec![base; n];
    let mut trees = Vec::with_capacity(options.trees);
    let min_leaf = options.min_leaf * total_w;
    for _ in 0..options.trees {
        let (g, h): (Vec<f32>, Vec<f32>) = (0..n)
            .map(|i| {
                let p = 1.0 / (1.0 + (-score[i]).exp());
                (
                    weights[i] * (p - labels[i]),
                    (weights[i] * p * (1.0 - p)).max(1e-12),
                )
            })
            .unzip();
        let tree = grow(&bins, &cuts, &g, &h, options, min_leaf);
        for (i, s) in score.iter_mut().enumerate() {
            let mut node = &tree[0];
            while let Some(f) = node.feature {
                let b = bins[i][usize::from(f)];
                // Bin b holds values above cut b-1 and up to cut b.
                let go_left = (b as usize) <= node.left_bin();
                node = &tree[if go_left { node.left } else { node.right } as usize];
            }
            *s += node.value;
        }
        trees.push(tree.into_iter().map(|t| t.node).collect());
    }
    Model {
        base,
        trees,
        threshold: 0.5,
        notes: Vec::new(),
    }
}

/// A node being grown, with the bin its split goes left up to.
struct Growing {
    node: Node,
    bin: usize,
}

impl std::ops::Deref for Growing {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
}

impl Growing {
    fn left_bin(&self) -> usize {
        self.bin
    }
}

fn grow(
    bins: &[Vec<u8>],
    cuts: &[Vec<f32>],
    g: &[f32],
    h: &[f32],
    options: &TrainOptions,
    min_leaf: f32,
) -> Vec<Growing> {
    let dims = cuts.len();
    let lambda = options.lambda;
    let eta = options.learning_rate;
    let value = |gs: f32, hs: f32| -eta * gs / (hs + lambda);
    let mut nodes: Vec<Growing> = Vec::new();
    // (node index, rows, depth)
    let all: Vec<u32> = (0..bins.len() as u32).collect();
    let (gs, hs) = sums(&all, g, h);
    nodes.push(leaf_node(value(gs, hs)));
    let mut stack = vec![(0usize, all, 0usize, gs, hs)];
    while let Some((at, rows, depth, gs, hs)) = stack.pop() {
        if depth >= options.depth || rows.len() < 2 {
            continue;
        }
        let parent_gain = gs * gs / (hs + lambda);
        // Best split over every feature and bin.
        let best = (0..dims)
            .into_par_iter()
            .filter_map(|d| {
                let nb = cuts[d].len() + 1;
                if nb < 2 {
                    return None;
                }
                let mut hist = vec![(0f32, 0f32); nb];
                for &r in &rows {
                    let b = bins[r as usize][d] as usize;
                    hist[b].0 += g[r as usize];
                    hist[b].1 += h[r as usize];
                }
                let (mut gl, mut hl) = (0f32, 0f32);
                let mut best: Option<(f32, usize, usize)> = None;
                for (b, &(gb, hb)) in hist.iter().enumerate().take(nb - 1) {
                    gl += gb;
                    hl += hb;
                    let (gr, hr) = (gs - gl, hs - hl);
                    if hl < min_leaf || hr < min_leaf {
                        continue;
                    }
                    let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent_gain;
                    if best.is_none_or(|(bg, _, _)| gain > bg) {
                        best = Some((gain, d, b));
                    }
                }
                best
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let Some((gain, d, b)) = best else { continue };
        if gain <= 1e-9 {
            continue;
        }
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = rows
            .iter()
            .partition(|&&r| (bins[r as usize][d] as usize) <= b);
        let (gl, hl) = sums(&left_rows, g, h);
        let (gr, hr) = sums(&right_rows, g, h);
        let left = nodes.len();
        nodes.push(leaf_node(value(gl, hl)));
        nodes.push(leaf_node(value(gr, hr)));
        let node = &mut nodes[at];
        node.node.feature = Some(d as u16);
        node.node.threshold = cuts[d][b];
        node.node.left = left as u32;
        node.node.right = left as u32 + 1;
        node.bin = b;
        stack.push((left + 1, right_rows, depth + 1, gr, hr));
        stack.push((left, left_rows, depth + 1, gl, hl));
    }
    nodes
}

fn leaf_node(value: f32) -> Growing {
    Growing {
        node: Node {
            feature: None,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
        },
        bin: 0,
    }
}

fn sums(rows: &[u32], g: &[f32], h: &[f32]) -> (f32, f32) {
    rows.iter().fold((0.0, 0.0), |(a, b), &r| {
        (a + g[r as usize], b + h[r as usize])
    })
}
