//! Quality tooling: `dechrome eval`, `dechrome train`, the classifier's knob.

use serde_json::Value;

use crate::util::{dechrome, fixtures, RunExt};

fn json(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&cmd.success_stdout()).unwrap()
}

#[test]
fn eval_scores_the_seed_fixtures_perfectly() {
    let report = json(
        dechrome()
            .arg("eval")
            .arg("--json")
            .arg(fixtures().join("seeds")),
    );
    let dir = &report["dirs"][0];
    assert_eq!(dir["truth"], "labels");
    assert_eq!(dir["pages"].as_array().unwrap().len(), 5);
    assert_eq!(dir["precision"], 1.0);
    assert_eq!(dir["recall"], 1.0);
    assert!(
        dir["baseline"][0].as_f64().unwrap() < 0.8,
        "the seeds do carry chrome"
    );
    // Halves split the five pages 3 / 2.
    let tune = json(
        dechrome()
            .args(["eval", "--json", "--split", "tune"])
            .arg(fixtures().join("seeds")),
    );
    assert_eq!(tune["dirs"][0]["pages"].as_array().unwrap().len(), 3);
}

/// A directory of gold pages whose scores can be counted by hand.
fn gold_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(tmp.path().join(name), text).unwrap();
    write(
        "a.page.txt",
        "Skip Navigation\nThe cat sat.\nShare this article\n",
    );
    write("a.gold.txt", "The cat sat.\n");
    write("b.page.txt", "Le chat, le chat!\n");
    write("b.gold.txt", "le chat le chat\n");
    write("rules.rules", "[line]\nSkip Navigation\n");
    tmp
}

#[test]
fn eval_token_scores_match_a_hand_count() {
    let dir = gold_dir();
    let report = json(
        dechrome()
            .args(["eval", "--json", "--no-default-rules", "-r"])
            .arg(dir.path().join("rules.rules"))
            .arg(dir.path()),
    );
    let d = &report["dirs"][0];
    // Page a: output "The cat sat. Share this article": 3 of 6 tokens are gold, all gold kept.
    // Page b: output equals gold. Macro: P = (0.5 + 1) / 2, R = 1, F1 = (2/3 + 1) / 2.
    assert_eq!(d["precision"], 0.75);
    assert_eq!(d["recall"], 1.0);
    assert!((d["f1"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    let rule = &report["rules"][format!("{}:2", dir.path().join("rules.rules").display())];
    assert_eq!(rule["gold_tokens"], 0);
    assert_eq!(rule["other_tokens"], 2, "skip, navigation");
    // The text report names the worst page first.
    let text = dechrome()
        .args(["eval", "--no-default-rules", "-r"])
        .arg(dir.path().join("rules.rules"))
        .arg(dir.path())
        .success_stdout();
    let worst = text
        .lines()
        .position(|l| l.contains("worst pages"))
        .unwrap();
    assert!(
        text.lines()
            .nth(worst + 1)
            .unwrap()
            .trim_start()
            .starts_with("a "),
        "{text}"
    );
    // Line labels beside the gold pages are scored too, as a group of their
    // own; a page file without its gold is named, not scored.
    std::fs::write(dir.path().join("001.txt"), "Skip Navigation\nStory.\n").unwrap();
    std::fs::write(
        dir.path().join("001.labels"),
        "-\tSkip Navigation\n+\tStory.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.page.txt"), "No gold for this one.\n").unwrap();
    let assert = dechrome()
        .args(["eval", "--json", "--no-default-rules", "-r"])
        .arg(dir.path().join("rules.rules"))
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "1 page file(s) without their gold file",
        ));
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let groups: Vec<(&str, usize)> = report["dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["truth"].as_str().unwrap(),
                d["pages"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(groups, [("gold", 2), ("labels", 1)]);
    assert_eq!(
        report["dirs"][0]["precision"], 0.75,
        "the gold pages as before"
    );
    assert_eq!(
        report["unscored"][0],
        dir.path().join("c.page.txt").to_str().unwrap()
    );
}

/// A page with a menu at each end and prose between.
const MENU_AND_PROSE: &str = "Home\nNews\nSport\nWeather\nPodcasts\nVideo\nLive\n\n\
The council voted on Tuesday to close the old bridge, which has been unsafe since the floods of last spring and will now be demolished.\n\n\
Engineers said repairs would cost more than a new crossing, and that work on the replacement could start early next year if funding is approved.\n\n\
Residents have been asked to use the ferry in the meantime, with extra sailings laid on during the morning and evening rush hours.\n\n\
Most read\nTop stories\nOpinion\nCulture\nTravel\n";

#[test]
fn the_classifier_is_named_and_the_bias_knob_moves_it() {
    let explain = |bias: &str| {
        dechrome()
            .args(["--explain", "--color", "never", &format!("--bias={bias}")])
            .write_stdin(MENU_AND_PROSE)
            .success_stdout()
    };
    let default = explain("0");
    assert!(default.contains("classifier (decided by "), "{default}");
    // Statistics name the deciding feature too; the text is the same with or
    // without them (plain output does not look for the feature).
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let with_stats = dechrome()
        .arg("--stats")
        .arg(&stats)
        .write_stdin(MENU_AND_PROSE)
        .success_stdout();
    assert_eq!(
        with_stats,
        dechrome().write_stdin(MENU_AND_PROSE).success_stdout()
    );
    let json = std::fs::read_to_string(&stats).unwrap();
    assert!(json.contains("\"classifier:"), "{json}");
    let keep_more = explain("-20");
    assert!(!keep_more.contains("classifier"), "{keep_more}");
    // Whatever the knob, the prose stays.
    for bias in ["0", "-20", "3"] {
        let out = dechrome()
            .arg(format!("--bias={bias}"))
            .write_stdin(MENU_AND_PROSE)
            .success_stdout();
        assert!(out.contains("The council voted"), "bias {bias}: {out}");
        assert!(
            out.contains("Residents have been asked"),
            "bias {bias}: {out}"
        );
    }
}

#[test]
fn no_classifier_runs_the_rules_alone_whatever_the_rules_files_say() {
    let tmp = tempfile::tempdir().unwrap();
    let on = tmp.path().join("on.rules");
    std::fs::write(&on, "[settings]\nclassifier = on\n").unwrap();
    let off = tmp.path().join("off.rules");
    std::fs::write(&off, "[settings]\nclassifier = off\n").unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        dechrome()
            .args(args)
            .write_stdin(MENU_AND_PROSE)
            .success_stdout()
    };
    let flag = std::ffi::OsStr::new("--no-classifier");
    let rules = std::ffi::OsStr::new("-r");
    let rules_alone = run(&[rules, off.as_os_str()]);
    // The classifier removes the menus; the rules alone leave them.
    assert!(rules_alone.contains("Most read"), "{rules_alone}");
    assert!(!run(&[]).contains("Most read"));
    assert_eq!(run(&[flag]), rules_alone);
    // The flag wins over a rules file that turns the classifier on.
    assert_eq!(run(&[rules, on.as_os_str(), flag]), rules_alone);
    // A model or a bias would have nothing to act on.
    dechrome()
        .args(["--no-classifier", "--bias=1"])
        .write_stdin(MENU_AND_PROSE)
        .assert()
        .failure()
        .stderr(predicates::str::contains("cannot be used with"));
    // A bias must be a number the classifier can add.
    for bias in ["NaN", "inf", "x"] {
        dechrome()
            .arg(format!("--bias={bias}"))
            .write_stdin(MENU_AND_PROSE)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("expected a finite number"));
    }
}

#[test]
fn the_over_removal_guard_keeps_a_document_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("guard.rules");
    // Only the classifier; everything looks like chrome at this bias, and a
    // 0% guard keeps the page whole.
    std::fs::write(
        &rules,
        "[settings]\nclassifier = on\nclassifier.max-removed = 0%\nclassifier.bias = 30\n",
    )
    .unwrap();
    let stats = tmp.path().join("stats.json");
    let out = dechrome()
        .arg("--no-default-rules")
        .arg("-r")
        .arg(&rules)
        .arg("--stats")
        .arg(&stats)
        .write_stdin(MENU_AND_PROSE)
        .success_stdout();
    assert_eq!(out, MENU_AND_PROSE);
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
    assert_eq!(stats["over_removal_guarded"], 1);
    assert!(stats["rules"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.starts_with("classifier")));
}

/// Twelve gold pages under `dir/pages`: a menu, a two-sentence story, a footer.
fn gold_pages(dir: &std::path::Path) -> std::path::PathBuf {
    let pages = dir.join("pages");
    std::fs::create_dir(&pages).unwrap();
    for i in 0..12 {
        let body = format!(
            "Story {i} begins here, and it is long enough to read as the body of an article today.\n\
             It goes on for another sentence, with commas, clauses and the usual small words in it.\n"
        );
        let page =
            format!("Home\nNews\nSport\nWeather\nPodcasts\n{body}About us\nContact\nJobs\nPress\n");
        std::fs::write(pages.join(format!("{i:02}.page.txt")), page).unwrap();
        std::fs::write(pages.join(format!("{i:02}.gold.txt")), body).unwrap();
    }
    pages
}

#[test]
fn train_writes_a_given_threshold_and_refuses_a_bad_one() {
    let tmp = tempfile::tempdir().unwrap();
    let pages = gold_pages(tmp.path());
    let model = tmp.path().join("m.model");
    let train = |threshold: &str| {
        let mut cmd = dechrome();
        cmd.args(["train", "--no-default-rules", "--trees", "5", "--threshold"])
            .arg(threshold)
            .arg("-o")
            .arg(&model)
            .arg(&pages);
        cmd
    };
    // A page file without its gold file is named, not trained on.
    std::fs::write(pages.join("zz.page.txt"), "No gold for this one.\n").unwrap();
    train("0.3")
        .assert()
        .success()
        .stderr(predicates::str::contains(
        "1 page file(s) without their gold file (ID.page.txt without ID.gold.txt) not trained on",
    ));
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.lines().any(|l| l == "threshold 0.3"), "{text}");
    assert!(text.contains("threshold given; the best, at "), "{text}");
    std::fs::remove_file(&model).unwrap();
    for bad in ["1.5", "0", "x"] {
        train(bad)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--threshold"));
        assert!(!model.exists(), "nothing written for {bad}");
    }
    // Settings that make no model are refused too.
    for (flag, bad) in [
        ("--trees", "0"),
        ("--depth", "0"),
        ("--depth", "17"),
        ("--learning-rate", "0"),
        ("--learning-rate", "1.5"),
    ] {
        dechrome()
            .args(["train", flag, bad, "-o"])
            .arg(&model)
            .arg(&pages)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(flag));
        assert!(!model.exists(), "nothing written for {flag} {bad}");
    }
}

#[test]
fn train_writes_a_usable_model_deterministically() {
    let tmp = tempfile::tempdir().unwrap();
    let pages = gold_pages(tmp.path());
    let mut models = Vec::new();
    for run in 0..2 {
        let model = tmp.path().join(format!("m{run}.model"));
        // Without the default rules the menus reach the classifier.
        dechrome()
            .args([
                "train",
                "--no-default-rules",
                "--trees",
                "20",
                "--depth",
                "3",
                "-o",
            ])
            .arg(&model)
            .arg(&pages)
            .assert()
            .success();
        let text = std::fs::read_to_string(&model).unwrap();
        // The command line (with its output path) is the one line allowed to differ.
        models.push(
            text.lines()
                .filter(|l| !l.starts_with("# command:"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(models[0], models[1], "same pages, same model");
    assert!(
        models[0].contains("trained by `dechrome train` on 6 pages"),
        "tune half only"
    );
    assert!(
        models[0].lines().filter(|l| l.contains(' ')).count() > 40,
        "trees with splits"
    );
    // The model loads and cleans the other half well.
    let model = tmp.path().join("m0.model");
    let rules = tmp.path().join("on.rules");
    std::fs::write(&rules, "[settings]\nclassifier = on\n").unwrap();
    let report = json(
        dechrome()
            .args([
                "eval",
                "--json",
                "--split",
                "check",
                "--no-default-rules",
                "-r",
            ])
            .arg(&rules)
            .arg("--model")
            .arg(&model)
            .arg(&pages),
    );
    let d = &report["dirs"][0];
    assert_eq!(d["f1"], 1.0, "{report}");
    assert!(
        d["f1"].as_f64().unwrap() > d["baseline"][2].as_f64().unwrap() + 0.1,
        "{report}"
    );
    // A damaged model is refused with its file and line.
    std::fs::write(
        &model,
        models[0].replace("\ntree\n", "\ntree\nnot a node\n"),
    )
    .unwrap();
    dechrome()
        .arg("--model")
        .arg(&model)
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("m0.model:"));
}
