//! Golden tests over the seed pages: the default rules must meet every
//! `.labels` file exactly (line precision and recall 1.0), and the output
//! must match the reviewed `.out` files byte for byte.
//!
//! Set `DECHROME_BLESS=1` to rewrite the `.out` files after a reviewed change.

use dechrome::{Cleaner, RuleSet};

use crate::util::{assert_text_eq, fixtures};

const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

/// Line precision and recall as `../shared/fixtures/seeds/README.md` defines
/// them (the scorer `dechrome eval` uses), with the offending lines.
fn score(labels: &str, output: &str) -> (f64, f64, Vec<String>) {
    let (p, r, extra, missing) = dechrome::eval::label_scores(labels, output);
    let problems = extra
        .into_iter()
        .map(|l| format!("chrome kept: {l}"))
        .chain(missing.into_iter().map(|l| format!("article lost: {l}")))
        .collect();
    (p, r, problems)
}

#[test]
fn scorer_catches_kept_chrome_and_lost_article() {
    let labels = "+\tTitle\n.\t\n-\tSkip Navigation\n?\tBy Someone\n+\tBody\n";
    assert_eq!(score(labels, "Title\n\nBody").0, 1.0);
    let (p, r, problems) = score(labels, "Skip Navigation\nTitle");
    assert_eq!((p, r), (0.5, 0.5));
    assert_eq!(problems.len(), 2);
}

#[test]
fn seeds_meet_their_labels_with_default_rules() {
    let cleaner = Cleaner::new(RuleSet::defaults()).unwrap();
    let dir = fixtures().join("seeds");
    let bless = std::env::var_os("DECHROME_BLESS").is_some();
    for seed in SEEDS {
        let input = std::fs::read(dir.join(format!("{seed}.txt"))).unwrap();
        let labels = std::fs::read_to_string(dir.join(format!("{seed}.labels"))).unwrap();
        let output = cleaner.clean(&input).apply(&input);
        let (p, r, problems) = score(&labels, &String::from_utf8_lossy(&output));
        assert!(
            p == 1.0 && r == 1.0,
            "seed {seed}: precision {p}, recall {r}\n{}",
            problems.join("\n")
        );
        // Every `+` line is kept unchanged, byte for byte.
        let out_text = String::from_utf8_lossy(&output);
        for row in labels.lines().filter(|r| r.starts_with("+\t")) {
            assert!(
                out_text.contains(&row[2..]),
                "seed {seed}: `+` line altered: {}",
                &row[2..]
            );
        }
        let golden = dir.join(format!("{seed}.out"));
        if bless {
            std::fs::write(&golden, &output).unwrap();
        }
        let want = std::fs::read(&golden).expect("missing .out file; run with DECHROME_BLESS=1");
        assert_text_eq(&format!("seed {seed}"), &want, &output);
    }
}

#[test]
fn spans_deleted_from_the_input_give_the_output() {
    let cleaner = Cleaner::new(RuleSet::defaults()).unwrap();
    for seed in SEEDS {
        let input = std::fs::read(fixtures().join(format!("seeds/{seed}.txt"))).unwrap();
        let cleaning = cleaner.clean(&input);
        let mut rebuilt = Vec::new();
        let mut at = 0;
        for span in &cleaning.spans {
            assert!(
                span.start >= at && span.end > span.start,
                "spans sorted and disjoint"
            );
            rebuilt.extend_from_slice(&input[at..span.start]);
            at = span.end;
        }
        rebuilt.extend_from_slice(&input[at..]);
        assert_eq!(rebuilt, cleaning.apply(&input));
    }
}

#[test]
fn cleaning_is_idempotent_on_the_seeds() {
    let cleaner = Cleaner::new(RuleSet::defaults()).unwrap();
    for seed in SEEDS {
        let input = std::fs::read(fixtures().join(format!("seeds/{seed}.txt"))).unwrap();
        let once = cleaner.clean(&input).apply(&input);
        let twice = cleaner.clean(&once).apply(&once);
        assert_text_eq(&format!("seed {seed} cleaned twice"), &once, &twice);
    }
}
