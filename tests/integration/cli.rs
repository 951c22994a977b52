//! CLI behaviour, through the real binary.

use std::io::Read;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use predicates::prelude::*;

use crate::util::{copy_tree, dechrome, fixtures, stderr_of, tree, Coprocess, RunExt};

fn seed(n: &str) -> std::path::PathBuf {
    fixtures().join(format!("seeds/{n}.txt"))
}

/// The line of `rules/FILE` that is exactly `text` (ASCII case ignored).
pub fn rule_line(file: &str, text: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(file);
    let rules = std::fs::read_to_string(path).unwrap();
    rules
        .lines()
        .position(|l| l.trim().eq_ignore_ascii_case(text))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no rule `{text}` in rules/{file}"))
}

#[test]
fn explain_names_the_rule_that_removed_skip_navigation() {
    let line = rule_line("navigation.rules", "Skip Navigation");
    let out = dechrome()
        .arg("--explain")
        .arg(seed("004"))
        .env("NO_COLOR", "1")
        .success_stdout();
    let entry = out
        .lines()
        .find(|l| l.contains("004.txt:1:"))
        .unwrap_or_else(|| panic!("no entry for line 1:\n{out}"));
    assert!(
        entry.contains(&format!("rules/navigation.rules:{line}")),
        "{entry}"
    );
    assert!(entry.contains(" line "), "action named: {entry}");
    assert!(
        !out.contains('\u{1b}'),
        "no colour when NO_COLOR is set or not a terminal"
    );
}

/// Every removal is listed, even one of white space alone (quoted).
#[test]
fn explain_shows_removals_of_white_space() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("ws.rules");
    // The explanation of `doc` under `rules` alone, and its entries.
    let explain = |rules_text: &str, doc: &str| -> (String, usize) {
        std::fs::write(&rules, rules_text).unwrap();
        let out = dechrome()
            .args(["--no-default-rules", "--no-classifier", "--explain", "-r"])
            .arg(&rules)
            .write_stdin(doc.to_string())
            .success_stdout();
        let entries = out.lines().filter(|l| l.starts_with("<stdin>:")).count();
        (out, entries)
    };
    let (out, entries) = explain("[regex:phrase]\n\\s+\n", "a line  with spaces\n");
    assert_eq!(entries, 3, "{out}");
    assert!(out.contains("    - \"  \" (white space)"), "{out}");
    // Blank lines removed with a block are not listed.
    let doc = "\n\nNav\n\n\nMenu\nStory one two three.\n";
    let (out, entries) = explain("[line]\nNav\n[head]\nMenu\n", doc);
    assert_eq!(entries, 2, "{out}");
    assert!(!out.contains("white space"), "{out}");
}

#[test]
fn explain_colours_only_when_asked() {
    dechrome()
        .args(["--explain", "--color", "always"])
        .arg(seed("004"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}["));
    // The page's own control characters are shown, not sent to the terminal.
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("nav.rules");
    std::fs::write(&rules, "[contains]\nSkip Navigation\n").unwrap();
    let out = dechrome()
        .args(["--explain", "--color", "never", "-r"])
        .arg(&rules)
        .write_stdin("Skip Navigation \u{1b}[2J\u{7}\tnow\nThe story.\n")
        .success_stdout();
    assert!(!out.contains(['\u{1b}', '\u{7}']), "{out:?}");
    assert!(
        out.contains("- Skip Navigation \\u{1b}[2J\\u{7}\tnow\n"),
        "{out:?}"
    );
    // So is a rule's own text.
    std::fs::write(&rules, "[contains]\nwith\u{7}bell\n").unwrap();
    let out = dechrome()
        .args(["--explain", "--color", "never", "--no-default-rules", "-r"])
        .arg(&rules)
        .write_stdin("A line with\u{7}bell in it\nStory.\n")
        .success_stdout();
    assert!(
        out.contains("contains") && !out.contains('\u{7}'),
        "{out:?}"
    );
    // So are a file name's, in explanations and in --check's list: one
    // line per entry, as FILE:LINE.
    #[cfg(unix)]
    {
        let dir = tmp.path().join("names");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("e\u{1b}[31mvil\nx.txt"),
            "Skip Navigation\nStory.\n",
        )
        .unwrap();
        for flag in ["--explain", "--check"] {
            let out = dechrome()
                .args([flag, "--color", "never"])
                .arg(&dir)
                .output()
                .unwrap();
            let out = String::from_utf8(out.stdout).unwrap();
            assert!(!out.contains('\u{1b}'), "{flag}: {out:?}");
            assert!(out.contains("e\\u{1b}[31mvil\\nx.txt:"), "{flag}: {out:?}");
        }
        // JSON escapes them itself: its input is the real name.
        let out = dechrome()
            .args(["--explain", "--format", "json"])
            .arg(&dir)
            .success_stdout();
        let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        let real = dir.join("e\u{1b}[31mvil\nx.txt");
        assert_eq!(first["input"], real.to_str().unwrap());
        // So are messages about a path.
        let out_dir = tmp.path().join("names-out");
        std::fs::create_dir_all(out_dir.join("e\u{1b}[31mvil\nx.txt")).unwrap();
        let failed = dechrome()
            .arg("-o")
            .arg(&out_dir)
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8(failed.stderr).unwrap();
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
        assert!(stderr.contains("vil\\nx.txt: cannot write"), "{stderr:?}");
        // And a rules file's name and its bad lines.
        let bad = tmp.path().join("r\u{1b}[2J.rules");
        std::fs::write(&bad, "[regex:line]\n(\u{1b}[31m\n").unwrap();
        let checked = dechrome()
            .args(["rules", "check"])
            .arg(&bad)
            .output()
            .unwrap();
        let stderr = String::from_utf8(checked.stderr).unwrap();
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
        assert!(
            stderr.contains("r\\u{1b}[2J.rules:2: invalid regex"),
            "{stderr:?}"
        );
    }
}

#[test]
fn bad_rules_are_reported_as_file_line_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.rules");
    std::fs::write(&bad, "[line]\nok\n[nosuch]\nx\n[regex:line]\nstring(\\d+\n").unwrap();
    let out_dir = tmp.path().join("out");
    let assert = dechrome()
        .arg("-r")
        .arg(&bad)
        .arg("-o")
        .arg(&out_dir)
        .arg(seed("000"))
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(&assert);
    let name = bad.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:3: unknown section `[nosuch]`")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:6: invalid regex")),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "no output before the rules are good");

    dechrome()
        .args(["rules", "check"])
        .arg(&bad)
        .assert()
        .code(2);
}

#[test]
fn rules_check_and_show() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.rules");
    std::fs::write(&good, "[contains]\nRead more\n[menu]\nHome\n").unwrap();
    dechrome()
        .args(["rules", "check"])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (1 rules, 1 menu labels)"));
    dechrome()
        .args(["rules", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# ==> rules/navigation.rules <=="))
        .stdout(predicate::str::contains("[settings]"));
    // Shown: the rules a run with the same flags loads.
    let shown = dechrome()
        .args(["rules", "show", "--no-default-rules", "-r"])
        .arg(&good)
        .success_stdout();
    assert_eq!(
        shown,
        format!(
            "# ==> {} <==\n[contains]\nRead more\n[menu]\nHome\n",
            good.display()
        )
    );
    // Checked: the files given and each -r file.
    let bad = tmp.path().join("bad.rules");
    std::fs::write(&bad, "[nosuch]\n").unwrap();
    for args in [&["-r"][..], &[]] {
        dechrome()
            .args(["rules", "check"])
            .arg(&good)
            .args(args)
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("bad.rules:1: unknown section"));
    }
    dechrome()
        .args(["rules", "show", "-r"])
        .arg(&bad)
        .assert()
        .code(2)
        .stdout("");
    dechrome()
        .args(["rules", "check", "-r"])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (1 rules, 1 menu labels)"));
    dechrome().args(["rules", "check"]).assert().code(2);
    // The classifier's flags do not apply.
    dechrome()
        .args(["rules", "show", "--model", "m.model"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--model does not apply to `rules`",
        ));
}

#[test]
fn directory_tree_is_mirrored_identically_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixtures().join("seeds"), &input.join("seeds"));
    copy_tree(&fixtures().join("seeds"), &input.join("nested/deeper"));
    // The development set, when it sits beside the checkout.
    let devset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/devset");
    if devset.is_dir() {
        copy_tree(&devset, &input.join("devset"));
    }
    let before = tree(&input);
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        dechrome()
            .args(["-j", threads, "-o"])
            .arg(&out)
            .arg(&input)
            .assert()
            .success()
            .stdout("");
        outputs.push(tree(&out));
    }
    assert_eq!(tree(&input), before, "inputs unchanged");
    assert!(outputs[0] == outputs[1], "-j1 and -j2 outputs differ");
    let in_paths: Vec<_> = before.iter().map(|(p, _)| p.clone()).collect();
    let out_paths: Vec<_> = outputs[0].iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        in_paths, out_paths,
        "tree mirrored, no temporary files left"
    );
    let cleaned = &outputs[0]
        .iter()
        .find(|(p, _)| p.ends_with("seeds/004.txt"))
        .unwrap()
        .1;
    assert!(!String::from_utf8_lossy(cleaned).contains("Skip Navigation"));
}

#[test]
fn stdout_output_is_identical_for_any_thread_count() {
    let run = |threads: &str| {
        dechrome()
            .args(["-j", threads])
            .arg(fixtures().join("seeds"))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("7"));
}

#[test]
fn reads_stdin_without_paths_or_with_dash() {
    for args in [&[][..], &["-"][..]] {
        dechrome()
            .args(args)
            .write_stdin("Skip Navigation\nThe story.\n")
            .assert()
            .success()
            .stdout("The story.\n");
    }
}

#[test]
fn a_missing_input_is_reported_and_the_rest_processed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let missing = tmp.path().join("missing.txt");
    dechrome()
        .arg("-o")
        .arg(&out)
        .arg(seed("001"))
        .arg(&missing)
        .arg(seed("002"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("missing.txt"));
    assert!(out.join("001.txt").is_file());
    assert!(out.join("002.txt").is_file());
}

#[test]
fn zero_threads_is_a_usage_error_for_every_command() {
    for args in [
        &["-j", "0"][..],
        &["eval", "-j", "0", "."],
        &["learn", "-j", "0", "."],
    ] {
        dechrome()
            .args(args)
            .write_stdin("Story.\n")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("-j/--threads must be at least 1"));
    }
}

#[test]
fn an_attribute_name_needs_attribute_files() {
    dechrome()
        .args(["--attributes-name", "mine"])
        .write_stdin("Story.\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--attributes <DIR>"));
}

/// No output (cleaned file, attribute file, statistics, learned rules)
/// is written over an input, and two inputs whose outputs would have one
/// path do not overwrite each other: the first in order keeps it, the
/// same for any thread count.
#[test]
fn outputs_never_write_over_inputs_or_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let shard = dir.join("shard.jsonl");
    let record = "{\"id\":\"a\",\"text\":\"Skip Navigation\\nThe story body.\\n\"}\n";
    std::fs::write(&shard, record).unwrap();
    // Attributes named like the shard, in its own directory.
    dechrome()
        .arg(&shard)
        .arg("--attributes")
        .arg(dir)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "refusing to overwrite an input file",
        ));
    // Another input's output over an input not yet read.
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.txt"), "Sub article text.\n").unwrap();
    std::fs::write(dir.join("a.txt"), "Top-level article, an input.\n").unwrap();
    dechrome()
        .args(["-j1", "-o"])
        .arg(dir)
        .arg(dir.join("sub/a.txt"))
        .arg(dir.join("a.txt"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "refusing to overwrite an input file",
        ));
    // Statistics through a link: the file it names is written, the link
    // stays.
    #[cfg(unix)]
    {
        let target = dir.join("stats-target.json");
        let link = dir.join("stats-link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // To a file, then dangling: the file it names is written, or made.
        for existing in [true, false] {
            if existing {
                std::fs::write(&target, "").unwrap();
            }
            dechrome()
                .arg(dir.join("a.txt"))
                .arg("--stats")
                .arg(&link)
                .assert()
                .success();
            let link_kept = std::fs::symlink_metadata(&link).unwrap().file_type();
            assert!(link_kept.is_symlink(), "existing: {existing}");
            let stats = std::fs::read_to_string(&target).unwrap();
            assert!(stats.contains("\"documents\": 1"), "existing: {existing}");
            std::fs::remove_file(&target).unwrap();
        }
        // A link to an output is checked as that output: refused.
        let to_output = dir.join("to-output.json");
        std::os::unix::fs::symlink(dir.join("linked-out/a.txt"), &to_output).unwrap();
        dechrome()
            .arg("-o")
            .arg(dir.join("linked-out"))
            .arg(dir.join("a.txt"))
            .arg("--stats")
            .arg(&to_output)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "refusing to write the statistics over an output",
            ));
    }
    // Statistics and learned rules over an input: refused before reading.
    dechrome()
        .arg(dir.join("a.txt"))
        .arg("--stats")
        .arg(dir.join("a.txt"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("refusing to overwrite an input"));
    dechrome()
        .arg("learn")
        .arg(&shard)
        .arg("-o")
        .arg(&shard)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to overwrite an input"));
    assert_eq!(std::fs::read_to_string(&shard).unwrap(), record);
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap(),
        "Top-level article, an input.\n"
    );
    // Two trees with a file of the same name: the first input's is kept.
    for (tree, text) in [("a", "Article A, line one."), ("b", "Article B, line one.")] {
        std::fs::create_dir(dir.join(tree)).unwrap();
        std::fs::write(dir.join(tree).join("x.txt"), format!("{text}\n")).unwrap();
    }
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("out{threads}"));
        let output = dechrome()
            .args(["-j", threads, "-o"])
            .arg(&out)
            .arg(dir.join("a"))
            .arg(dir.join("b"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        let stderr =
            String::from_utf8_lossy(&output.stderr).replace(&format!("out{threads}"), "out");
        assert!(
            stderr.contains("refusing to write over the output of"),
            "{stderr}"
        );
        runs.push((tree(&out), stderr));
    }
    assert_eq!(runs[0].0[0].1, b"Article A, line one.\n");
    assert_eq!(runs[0], runs[1], "-j1 and -j2 differ");
    // A JSONL input's attribute file named like its own output, however
    // the directory is spelled.
    let out = dir.join("same");
    for attributes in [out.clone(), out.join("."), dir.join("sub/../same")] {
        dechrome()
            .arg(&shard)
            .arg("-o")
            .arg(&out)
            .arg("--attributes")
            .arg(&attributes)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(
                "would be written over its cleaned output; give --attributes a directory other than -o",
            ));
    }
    // The same, given twice: each copy is told the same.
    let twice = dechrome()
        .arg(&shard)
        .arg(&shard)
        .arg("-o")
        .arg(&out)
        .arg("--attributes")
        .arg(&out)
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&twice.get_output().stderr);
    assert_eq!(
        stderr.matches("over its cleaned output").count(),
        2,
        "{stderr}"
    );
    // The statistics over an output: refused before reading.
    dechrome()
        .arg("-o")
        .arg(dir.join("out1"))
        .arg(dir.join("a"))
        .arg("--stats")
        .arg(dir.join("out1/x.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to write the statistics over an output",
        ));
    // Converted WARC files named alike: the first keeps the name.
    for (tree, text) in [("w1", "Article one."), ("w2", "Article two.")] {
        std::fs::create_dir(dir.join(tree)).unwrap();
        let record = format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: {}\r\n\r\n{text}\r\n\r\n",
            text.len()
        );
        std::fs::write(dir.join(tree).join("a.warc"), record).unwrap();
    }
    let out = dir.join("converted");
    dechrome()
        .args(["--format", "jsonl", "-o"])
        .arg(&out)
        .arg(dir.join("w1"))
        .arg(dir.join("w2"))
        .assert()
        .code(3);
    let kept = std::fs::read_to_string(out.join("a.warc.jsonl")).unwrap();
    assert!(kept.contains("Article one."), "{kept}");
    // Names that differ only in case are two outputs where they are two
    // files (here, where the inputs themselves are two files); where the
    // file system takes them for one, the second is refused as above.
    let cased = dir.join("cased");
    std::fs::create_dir(&cased).unwrap();
    std::fs::write(cased.join("Page.txt"), "Upper-case article.\n").unwrap();
    std::fs::write(cased.join("page.txt"), "Lower-case article.\n").unwrap();
    if std::fs::read_dir(&cased).unwrap().count() == 2 {
        let out = dir.join("cased-out");
        dechrome()
            .arg("-o")
            .arg(&out)
            .arg(&cased)
            .assert()
            .success();
        assert_eq!(
            tree(&out),
            [
                ("Page.txt".into(), b"Upper-case article.\n".to_vec()),
                ("page.txt".into(), b"Lower-case article.\n".to_vec()),
            ]
        );
    }
    // A link left in the output directory is replaced, not written
    // through: no clash with the file it pointed to.
    #[cfg(unix)]
    {
        let pair = dir.join("pair");
        std::fs::create_dir(&pair).unwrap();
        std::fs::write(pair.join("a.txt"), "Article A.\n").unwrap();
        std::fs::write(pair.join("b.txt"), "Article B.\n").unwrap();
        let out = dir.join("pair-out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.txt"), "stale\n").unwrap();
        std::os::unix::fs::symlink(out.join("a.txt"), out.join("b.txt")).unwrap();
        for threads in ["1", "2"] {
            dechrome()
                .args(["-j", threads, "-o"])
                .arg(&out)
                .arg(&pair)
                .assert()
                .success();
            assert_eq!(
                std::fs::read_to_string(out.join("a.txt")).unwrap(),
                "Article A.\n"
            );
            assert_eq!(
                std::fs::read_to_string(out.join("b.txt")).unwrap(),
                "Article B.\n"
            );
        }
    }
    // What may run: one input given twice, and a second run whose
    // attribute and statistics files lie inside its input directory.
    let page = dir.join("a/x.txt");
    dechrome()
        .arg("-o")
        .arg(dir.join("twice"))
        .arg(&page)
        .arg(&page)
        .assert()
        .success();
    for _ in 0..2 {
        dechrome()
            .arg("-o")
            .arg(dir.join("again"))
            .arg("--attributes")
            .arg(dir.join("a/attrs"))
            .arg("--stats")
            .arg(dir.join("a/stats.json"))
            .arg(dir.join("a"))
            .assert()
            .success();
    }
    // A file already inside an input directory is an input, not a file of
    // the run's own, unless it begins as that command's output does: the
    // statistics, learned rules and a model over one are refused, and each
    // command may run again over its own.
    let corpus = dir.join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let kept = "Skip Navigation\nA precious page of the corpus.\n";
    std::fs::write(corpus.join("a.page.txt"), kept).unwrap();
    std::fs::write(
        corpus.join("a.gold.txt"),
        "A precious page of the corpus.\n",
    )
    .unwrap();
    // Reached by a link too, and an empty one.
    let elsewhere = dir.join("elsewhere.txt");
    std::fs::write(&elsewhere, kept).unwrap();
    std::fs::write(corpus.join("empty.txt"), "").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&elsewhere, corpus.join("link.txt")).unwrap();
    let runs: [(&[&str], &Path); 7] = [
        (&["--stats"], &corpus.join("a.page.txt")),
        (&["--stats"], &corpus.join("empty.txt")),
        (&["--stats"], &elsewhere),
        (
            &["learn", "--min-docs", "1", "-o"],
            &corpus.join("a.page.txt"),
        ),
        (&["learn", "--min-docs", "1", "-o"], &elsewhere),
        (
            &["train", "--split", "all", "-o"],
            &corpus.join("a.gold.txt"),
        ),
        (
            &["train", "--split", "all", "-o"],
            &dir.join("corpus/../corpus/a.page.txt"),
        ),
    ];
    for (args, target) in runs {
        if !cfg!(unix) && target == elsewhere {
            continue;
        }
        let before = std::fs::read(target).unwrap();
        let (command, flag) = args.split_at(args.len() - 1);
        dechrome()
            .args(command)
            .arg(&corpus)
            .args(flag)
            .arg(target)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("refusing to overwrite an input"));
        assert_eq!(
            std::fs::read(target).unwrap(),
            before,
            "{args:?} {target:?}"
        );
        // Again over its own file, the second time spelled otherwise.
        let own = corpus.join("own.out");
        let spelled = dir.join("corpus/../corpus/own.out");
        for path in [&own, &spelled] {
            dechrome()
                .args(command)
                .arg(&corpus)
                .args(flag)
                .arg(path)
                .assert()
                .success();
        }
        std::fs::remove_file(own).unwrap();
    }
}

/// Files dechrome makes from nothing (statistics, attribute files, learned
/// rules) get a new file's permissions under the umask, as `>` would give.
#[cfg(unix)]
#[test]
fn new_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("page.txt");
    std::fs::write(&page, "Skip Navigation\nStory.\n").unwrap();
    let stats = tmp.path().join("stats.json");
    let attributes = tmp.path().join("attrs");
    let status = StdCommand::new("sh")
        .args(["-c", "umask 022 && exec \"$@\"", "sh"])
        .arg(assert_cmd::cargo::cargo_bin("dechrome"))
        .arg("--stats")
        .arg(&stats)
        .arg("--attributes")
        .arg(&attributes)
        .arg(&page)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    for file in [stats, attributes.join("page.txt.attributes.jsonl")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", file.display());
    }
}

/// A closed standard output (`| head`) ends a run quietly when it was the
/// run's only output; when `-o` files were still to be written, or an input
/// had failed, the run says so and exits 3.
#[test]
fn a_closed_stdout_is_quiet_only_when_nothing_else_is_lost() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let shard = tmp.path().join("shard.jsonl");
    let records: String = (0..20_000)
        .map(|i| format!("{{\"id\":{i},\"text\":\"Skip Navigation\\nArticle {i}.\\n\"}}\n"))
        .collect();
    std::fs::write(&shard, records).unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe, as `head -1` does.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut String::new()).unwrap();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stderr)
    };
    let (shard, out) = (shard.as_os_str(), tmp.path().join("out"));
    assert_eq!(run(&[shard]), (Some(0), String::new()));
    // `--check | head -1`: a line read means something would be removed,
    // and the exit code still says so.
    assert_eq!(run(&["--check".as_ref(), shard]), (Some(1), String::new()));
    let (code, stderr) = run(&["--explain".as_ref(), shard, "-o".as_ref(), out.as_os_str()]);
    assert_eq!(code, Some(3));
    assert!(
        stderr.contains("the files of -o were not all written"),
        "{stderr}"
    );
    let (code, stderr) = run(&[tmp.path().join("missing.txt").as_os_str(), shard]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("1 input(s) had failed"), "{stderr}");
    // WARC to JSONL, its first record damaged and so left out.
    let warc = tmp.path().join("crawl.warc");
    let record = |body: &str, length: usize| {
        format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: {length}\r\n\r\n{body}\r\n\r\n"
        )
    };
    let mut file = record("Damaged.", 3);
    for i in 0..20_000 {
        let body = format!("Skip Navigation\nArticle {i}.\n");
        file += &record(&body, body.len());
    }
    std::fs::write(&warc, file).unwrap();
    let (code, stderr) = run(&["--format".as_ref(), "jsonl".as_ref(), warc.as_os_str()]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("1 damaged record(s) were left out"),
        "{stderr}"
    );
    // A small output, closed before it is written: the same when the pipe
    // breaks at the last flush.
    let page = tmp.path().join("page.txt");
    std::fs::write(&page, "Article text.\n").unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .arg("--stats")
        .arg(tmp.path().join("stats.json"))
        .arg(&page)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the statistics were not written"),
        "{stderr}"
    );
}

/// A full standard error loses the messages, not the run: the exit code
/// still says what happened (`eprintln!` would panic, exit 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_keeps_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("page.txt");
    std::fs::write(&page, "Skip Navigation\nStory.\n").unwrap();
    let status = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .arg(tmp.path().join("missing.txt"))
        .arg(&page)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create("/dev/full").unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn never_writes_over_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("page.txt");
    std::fs::write(&page, "Skip Navigation\nStory.\n").unwrap();
    dechrome()
        .arg("-o")
        .arg(tmp.path())
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "output directory is an input directory",
        ));
    dechrome()
        .arg("-o")
        .arg(tmp.path())
        .arg(&page)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("refusing to overwrite an input"));
    assert_eq!(std::fs::read(&page).unwrap(), b"Skip Navigation\nStory.\n");
}

#[test]
fn own_rules_with_and_without_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine.rules");
    std::fs::write(&mine, "[contains]\nRead our print edition\n").unwrap();
    let page = "Skip Navigation\nStory.\nRead our print edition today\n";
    dechrome()
        .arg("-r")
        .arg(&mine)
        .write_stdin(page)
        .assert()
        .success()
        .stdout("Story.\n");
    dechrome()
        .arg("--no-default-rules")
        .arg("-r")
        .arg(&mine)
        .write_stdin(page)
        .assert()
        .success()
        .stdout("Skip Navigation\nStory.\n");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.txt");
    let line = "An article paragraph that is long enough to be kept by every rule.\n";
    std::fs::write(&big, line.repeat(100_000)).unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: the pipe is closed.
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn completions_and_man_page() {
    dechrome()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dechrome"));
    dechrome()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH dechrome"));
}

#[test]
fn help_documents_exit_codes() {
    dechrome()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"));
}

/// Sends SIGINT to `child` once `ready` (or after ten seconds), and waits
/// for it.
fn interrupt_when(child: std::process::Child, ready: impl Fn() -> bool) -> std::process::Output {
    signal_when("INT", child, ready)
}

/// Sends `signal` to `child` once `ready` (or after ten seconds), and waits
/// for it.
fn signal_when(
    signal: &str,
    child: std::process::Child,
    ready: impl Fn() -> bool,
) -> std::process::Output {
    let start = std::time::Instant::now();
    while !ready() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    StdCommand::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// dechrome run with `args` and then a FIFO made in `dir`, into which one
/// record is written and which is then held open, as by a writer with no
/// more to send: the child and the writer (None where `mkfifo` fails).
#[cfg(unix)]
fn reading_a_held_fifo(
    dir: &Path,
    args: &[&std::ffi::OsStr],
) -> Option<(std::process::Child, std::fs::File)> {
    let fifo = dir.join("feed.jsonl");
    let made = StdCommand::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return None;
    }
    let child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .args(args)
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut feed = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::io::Write::write_all(&mut feed, b"{\"text\":\"Article body.\"}\n").unwrap();
    Some((child, feed))
}

/// A second Ctrl-C stops at once, even while a read is blocked (a FIFO
/// that no more data comes through), and leaves no temporary file behind.
#[cfg(unix)]
#[test]
fn a_second_sigint_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let Some((mut child, feed)) = reading_a_held_fifo(tmp.path(), &["-o".as_ref(), out.as_ref()])
    else {
        return;
    };
    let temporary = || std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    let start = std::time::Instant::now();
    while temporary() == 0 && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(temporary(), 1, "the output's temporary file");
    for _ in 0..2 {
        StdCommand::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    drop(feed);
    assert_eq!(status.code(), Some(130));
    assert_eq!(temporary(), 0, "a temporary file was left behind");
}

/// `learn` and `train`, which write their one file at the end, stop at
/// once on SIGTERM as on Ctrl-C, with exit 130 and nothing written (here
/// while `learn` waits on a FIFO that no more data comes through).
#[cfg(unix)]
#[test]
fn learn_stops_at_once_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("learned.rules");
    let args = ["learn".as_ref(), "-o".as_ref(), rules.as_ref()];
    let Some((child, feed)) = reading_a_held_fifo(tmp.path(), &args) else {
        return;
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let output = signal_when("TERM", child, || true);
    drop(feed);
    assert_eq!(output.status.code(), Some(130));
    assert!(!rules.exists());
}

/// Interrupted inside its only input (Ctrl-C, or SIGTERM as a scheduler
/// sends it), a run says so, in its statistics too, and exits 130 (a run
/// that finished first exits 0 with every record written).
#[cfg(unix)]
#[test]
fn sigint_inside_the_last_input_is_reported() {
    const RECORDS: usize = 6_000;
    let tmp = tempfile::tempdir().unwrap();
    let page = String::from_utf8(std::fs::read(seed("004")).unwrap()).unwrap();
    let record = serde_json::json!({ "text": page }).to_string();
    let input = tmp.path().join("shard.jsonl");
    std::fs::write(&input, format!("{record}\n").repeat(RECORDS)).unwrap();
    let out = tmp.path().join("out.jsonl");
    let stats = tmp.path().join("stats.json");
    for signal in ["INT", "TERM"] {
        let child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
            .arg("-j1")
            .arg(&input)
            .arg("--stats")
            .arg(&stats)
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Once the first batch is written.
        let output = signal_when(signal, child, || {
            std::fs::metadata(&out).is_ok_and(|m| m.len() > 0)
        });
        let written = std::fs::read(&out).unwrap();
        let records = written.iter().filter(|&&b| b == b'\n').count();
        let stats: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        match output.status.code() {
            Some(0) => {
                assert_eq!(records, RECORDS, "a run that exits 0 wrote everything");
                assert_eq!(stats["interrupted"], false);
            }
            code => {
                assert_eq!(code, Some(130), "SIG{signal}");
                assert!(records < RECORDS);
                assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
                assert_eq!(stats["interrupted"], true);
            }
        }
    }
}

#[test]
fn sigint_leaves_only_complete_files() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let page = std::fs::read(seed("004")).unwrap();
    for i in 0..4000 {
        std::fs::write(input.join(format!("{i:05}.txt")), &page).unwrap();
    }
    let out = tmp.path().join("out");
    let child = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .args(["-j", "2", "-o"])
        .arg(&out)
        .arg(&input)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first outputs appear.
    let output = interrupt_when(child, || out.exists());
    let code = output.status.code();
    assert!(code == Some(130) || code == Some(0), "exit {code:?}");
    let cleaner = dechrome::Cleaner::new(dechrome::RuleSet::defaults()).unwrap();
    let want = cleaner.clean(&page).apply(&page);
    let written = tree(&out);
    for (path, bytes) in &written {
        let name = path.to_string_lossy();
        assert!(!name.contains(".tmp"), "temporary file left: {name}");
        assert_eq!(bytes, &want, "{name} is incomplete");
    }
    if code == Some(130) {
        assert!(written.len() < 4000, "an interrupted run stopped early");
        assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    }
}

/// A line-buffered run waiting on standard input for its next record has
/// nothing under way: one Ctrl-C stops it at once, and says so.
#[cfg(unix)]
#[test]
fn a_line_buffered_run_waiting_for_its_next_record_stops_at_the_first_interrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let stats = tmp.path().join("stats.json");
    let stats = stats.to_str().unwrap();
    let mut dechrome = Coprocess::spawn(&[
        "--line-buffered",
        "--format",
        "jsonl",
        "--stats",
        stats,
        "-",
    ]);
    dechrome.send(b"{\"text\":\"a\"}\n");
    assert_eq!(dechrome.line("the first record"), "{\"text\":\"a\"}");
    // Standard input stays open.
    StdCommand::new("kill")
        .args(["-INT", &dechrome.child.id().to_string()])
        .status()
        .unwrap();
    let (status, stderr) = dechrome.wait();
    assert_eq!(status.code(), Some(130));
    assert!(
        stderr.contains("interrupted while waiting for input; the statistics were not written"),
        "{stderr}"
    );
}
