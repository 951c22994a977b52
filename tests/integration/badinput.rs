//! The bad-input matrix, through the real binary: every odd input gets a clear
//! message naming it, the documented exit code, and nothing is lost (kept
//! bytes come out as they went in; the other inputs are still processed).
//!
//! Covered elsewhere and not repeated here: a missing path among good ones,
//! an output that would overwrite an input, a bad regex's `FILE:LINE`,
//! `--strict` and non-string JSONL text (formats.rs, cli.rs), a closed stdout
//! and SIGINT during a batch (cli.rs).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use predicates::prelude::*;

use dechrome::batch::{discover, Batch, Destination, Event, Links, Options};
use dechrome::format::{Compression, Output};
use dechrome::{Cleaner, RuleSet};

use crate::util::{dechrome, fixtures, stderr_of, tree, RunExt};

fn default_cleaner() -> Cleaner {
    Cleaner::new(RuleSet::defaults()).unwrap()
}

/// What the library makes of `doc` with the default rules.
fn cleaned(doc: &[u8]) -> Vec<u8> {
    default_cleaner().clean(doc).apply(doc)
}

fn compressed(bytes: &[u8], compression: Compression) -> Vec<u8> {
    let mut out = Output::new(Vec::new(), compression).unwrap();
    out.write_all(bytes).unwrap();
    out.finish().unwrap()
}

const STORY: &str = "The minister said on Monday that the talks in Vienna would begin next week, and officials were hopeful.";

#[test]
fn empty_inputs_give_empty_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for name in ["empty.txt", "empty.jsonl", "empty.warc", "empty.txt.gz"] {
        std::fs::write(input.join(name), b"").unwrap();
    }
    let out = tmp.path().join("out");
    dechrome()
        .arg("-o")
        .arg(&out)
        .arg(&input)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let written = tree(&out);
    let names: Vec<String> = written
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(
        names,
        ["empty.jsonl", "empty.txt", "empty.txt.gz", "empty.warc"]
    );
    for (path, bytes) in &written {
        // A gzip output of nothing is a valid empty gzip stream.
        if path.extension().is_some_and(|e| e == "gz") {
            assert_eq!(Compression::sniff(bytes), Compression::Gzip);
        } else {
            assert!(bytes.is_empty(), "{}", path.display());
        }
    }
    dechrome().write_stdin("").assert().success().stdout("");
}

#[test]
fn binary_bytes_and_nuls_are_kept_byte_for_byte() {
    let mut doc = b"Skip Navigation\n".to_vec();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    doc.extend_from_slice(&binary);
    doc.extend_from_slice(b"\n\0\0\0\n");
    doc.extend_from_slice(STORY.as_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("blob.bin");
    std::fs::write(&page, &doc).unwrap();
    let out = dechrome()
        .arg(&page)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, cleaned(&doc));
    assert!(!out.starts_with(b"Skip Navigation"), "chrome still removed");
    let kept = String::from_utf8_lossy(&out).into_owned();
    assert!(kept.ends_with(STORY), "the story is kept");
    // Whatever survived is bytes of the input, in order.
    let mut rest = doc.iter();
    assert!(out.iter().all(|b| rest.any(|d| d == b)));
    assert_eq!(std::fs::read(&page).unwrap(), doc, "input untouched");
}

#[test]
fn invalid_utf8_text_is_kept_and_jsonl_lines_are_reported() {
    let doc = b"Skip Navigation\nCaf\xe9 au lait \xff\xfe costs \x80 more.\n\xe2\x80\n".to_vec();
    dechrome()
        .write_stdin(doc.clone())
        .assert()
        .success()
        .stdout(b"Caf\xe9 au lait \xff\xfe costs \x80 more.\n\xe2\x80\n".to_vec());

    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("latin1.jsonl");
    let mut lines = b"{\"text\":\"Caf\xe9\"}\n".to_vec();
    lines.extend_from_slice(b"{\"text\":\"Skip Navigation\\nok\"}\n");
    std::fs::write(&jsonl, &lines).unwrap();
    let assert = dechrome().arg(&jsonl).assert().success();
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("{}:1: invalid UTF-8 at byte 12", jsonl.display())),
        "{stderr}"
    );
    assert_eq!(
        assert.get_output().stdout,
        b"{\"text\":\"Caf\xe9\"}\n{\"text\":\"ok\"}\n",
        "the bad line passes through unchanged, the good one is cleaned"
    );
}

#[test]
fn crlf_is_kept_and_lone_cr_is_not_a_line_break() {
    let doc = format!("Skip Navigation\r\n{STORY}\r\n\r\nShare this\r\n{STORY} Again.\r\n");
    dechrome()
        .write_stdin(doc)
        .assert()
        .success()
        .stdout(format!("{STORY}\r\n\r\n{STORY} Again.\r\n"));
    // Old Mac line endings: `\r` alone does not end a line (README), so the
    // page is one long line, kept whole rather than cut into.
    let doc = format!("{STORY}\rShare this\rFacebook\rTwitter\r");
    dechrome()
        .write_stdin(doc.clone())
        .assert()
        .success()
        .stdout(doc);
}

#[test]
fn a_20_mb_single_line() {
    let words = [
        "the",
        "minister",
        "said",
        "talks",
        "would",
        "begin",
        "Vienna",
        "officials",
    ];
    let mut doc = String::with_capacity(21 << 20);
    let mut i = 0usize;
    while doc.len() < 20 << 20 {
        doc.push_str(words[i % words.len()]);
        doc.push_str(&(i % 1009).to_string());
        doc.push(' ');
        i += 1;
    }
    doc.push_str("end.");
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("one-line.txt");
    std::fs::write(&page, &doc).unwrap();
    let out = tmp.path().join("out");
    dechrome()
        .arg("-o")
        .arg(&out)
        .arg(&page)
        .assert()
        .success()
        .stderr("");
    let written = std::fs::read(out.join("one-line.txt")).unwrap();
    assert_eq!(written.len(), doc.len(), "an article line is kept whole");
    assert!(written == doc.as_bytes());
}

#[test]
fn an_input_that_fails_while_being_read() {
    // Reading /proc/self/mem at offset 0 fails (EIO) after the file opened:
    // a file that breaks mid-batch, deterministically, even for root.
    let unreadable = Path::new("/proc/self/mem");
    if !unreadable.exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = dechrome()
        .args(["-j", "2", "-o"])
        .arg(&out)
        .arg(fixtures().join("seeds/000.txt"))
        .arg(unreadable)
        .arg(fixtures().join("seeds/001.txt"))
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("dechrome: /proc/self/mem: Input/output error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 input(s) could not be processed; 2 documents cleaned"),
        "{stderr}"
    );
    let names: Vec<PathBuf> = tree(&out).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        [PathBuf::from("000.txt"), PathBuf::from("001.txt")],
        "the others written, nothing (no temporary file) for the failed one"
    );
}

#[cfg(unix)]
#[test]
fn links_in_a_directory_are_followed_and_dangling_ones_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(fixtures().join("seeds/000.txt"), input.join("a.txt")).unwrap();
    std::os::unix::fs::symlink(fixtures().join("seeds/004.txt"), input.join("b.txt")).unwrap();
    // A file that vanished: its link dangles.
    std::os::unix::fs::symlink(tmp.path().join("gone.txt"), input.join("c.txt")).unwrap();
    let out = tmp.path().join("out");
    let assert = dechrome().arg("-o").arg(&out).arg(&input).assert().code(3);
    let stderr = stderr_of(&assert);
    let dangling = input.join("c.txt").display().to_string();
    assert!(
        stderr.contains(&format!("dechrome: {dangling}: No such file or directory")),
        "{stderr}"
    );
    let page = std::fs::read(fixtures().join("seeds/004.txt")).unwrap();
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), cleaned(&page));
    assert!(out.join("a.txt").is_file());
    assert!(!out.join("c.txt").exists());
}

#[cfg(unix)]
#[test]
fn links_to_directories_are_walked_only_with_follow_and_loops_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, other) = (tmp.path().join("in"), tmp.path().join("other"));
    std::fs::create_dir(&input).unwrap();
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(fixtures().join("seeds/000.txt"), input.join("a.txt")).unwrap();
    std::fs::copy(fixtures().join("seeds/001.txt"), other.join("x.txt")).unwrap();
    std::os::unix::fs::symlink("../other", input.join("sub")).unwrap();
    // A link back to its own directory, and one to nothing.
    std::os::unix::fs::symlink("../in", input.join("loop")).unwrap();
    std::os::unix::fs::symlink("../gone", input.join("nothing")).unwrap();
    let files = |out: &Path| -> Vec<PathBuf> { tree(out).into_iter().map(|(p, _)| p).collect() };

    let skipped = tmp.path().join("skipped");
    // (The dangling link is reported either way.)
    dechrome()
        .arg("-o")
        .arg(&skipped)
        .arg(&input)
        .assert()
        .code(3);
    assert_eq!(files(&skipped), [PathBuf::from("a.txt")]);

    let followed = tmp.path().join("followed");
    let assert = dechrome()
        .arg("--follow")
        .arg("-o")
        .arg(&followed)
        .arg(&input)
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    let link = input.join("loop").display().to_string();
    assert!(
        stderr.contains(&format!(
            "dechrome: {link}: a link back to {}, which it is inside",
            input.display()
        )),
        "{stderr}"
    );
    let dangling = input.join("nothing").display().to_string();
    assert!(
        stderr.contains(&format!("dechrome: {dangling}: No such file or directory")),
        "{stderr}"
    );
    assert_eq!(
        files(&followed),
        [PathBuf::from("a.txt"), PathBuf::from("sub/x.txt")]
    );
    let page = std::fs::read(other.join("x.txt")).unwrap();
    assert_eq!(
        std::fs::read(followed.join("sub/x.txt")).unwrap(),
        cleaned(&page)
    );
    // A followed link to the output directory is not read back: a second
    // run does what the first did.
    let mirror = tmp.path().join("mirror");
    std::fs::create_dir(&mirror).unwrap();
    std::fs::copy(fixtures().join("seeds/002.txt"), mirror.join("y.txt")).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink("../out", mirror.join("link")).unwrap();
    for _ in 0..2 {
        dechrome()
            .args(["-L", "-o"])
            .arg(&out)
            .arg(&mirror)
            .assert()
            .success();
        assert_eq!(files(&out), [PathBuf::from("y.txt")]);
    }
    // `learn` takes the flag too (its short form here).
    dechrome()
        .args(["learn", "-L", "--min-docs", "1"])
        .arg(&input)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("a link back to"));
}

#[test]
fn a_file_deleted_between_discovery_and_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for n in 0..5 {
        std::fs::copy(
            fixtures().join(format!("seeds/00{n}.txt")),
            input.join(format!("{n}.txt")),
        )
        .unwrap();
    }
    let (docs, errors) = discover(std::slice::from_ref(&input), &[], Links::Skip);
    assert!(errors.is_empty());
    assert_eq!(docs.len(), 5);
    let victim = input.join("2.txt");
    std::fs::remove_file(&victim).unwrap();
    let out = tmp.path().join("out");
    let cleaner = default_cleaner();
    let options = Options {
        destination: Destination::Directory(out.clone()),
        ..Options::default()
    };
    let mut failures = Vec::new();
    let summary = Batch::new(&cleaner, options)
        .run(&docs, &mut std::io::sink(), |event| {
            if let Event::Failed(e) = event {
                failures.push(e.to_string());
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(summary.failed, 1);
    assert_eq!(summary.stats.documents, 4);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].starts_with(&format!("{}: ", victim.display())),
        "{failures:?}"
    );
    let names: Vec<PathBuf> = tree(&out).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        ["0.txt", "1.txt", "3.txt", "4.txt"].map(PathBuf::from)
    );
}

#[test]
fn an_output_directory_that_cannot_be_written() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, b"keep me").unwrap();
    for out in [file.clone(), file.join("sub")] {
        let assert = dechrome()
            .arg("-o")
            .arg(&out)
            .arg(fixtures().join("seeds/000.txt"))
            .arg(fixtures().join("seeds/001.txt"))
            .assert()
            .code(3);
        let stderr = stderr_of(&assert);
        for name in ["000.txt", "001.txt"] {
            let dest = out.join(name).display().to_string();
            assert!(
                stderr.contains(&format!("dechrome: {dest}: cannot write: ")),
                "{stderr}"
            );
        }
        assert!(
            stderr.contains("2 input(s) could not be processed"),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    // The same for attribute files.
    let assert = dechrome()
        .arg("--attributes")
        .arg(&file)
        .arg(fixtures().join("seeds/000.txt"))
        .assert()
        .code(3);
    assert!(stderr_of(&assert).contains("000.txt.attributes.jsonl: cannot write: "));
}

/// A device that is always full: our own node (so that a regression that
/// replaced it would not replace the machine's), or /dev/full if we may not
/// make one (then we may not replace it either).
fn full_device(dir: &Path) -> PathBuf {
    let own = dir.join("full");
    let made = StdCommand::new("mknod")
        .arg(&own)
        .args(["c", "1", "7"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        own
    } else {
        PathBuf::from("/dev/full")
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_clearly() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    let full = full_device(tmp.path());
    if !full.exists() {
        return;
    }
    // The statistics file.
    let assert = dechrome()
        .arg("--stats")
        .arg(&full)
        .arg(fixtures().join("seeds/000.txt"))
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "cannot write the statistics to {}: No space left on device",
            full.display()
        )),
        "{stderr}"
    );
    let kind = std::fs::metadata(&full).unwrap().file_type();
    assert!(kind.is_char_device(), "the device itself was not replaced");
    // Standard output.
    let output = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
        .arg(fixtures().join("seeds/000.txt"))
        .stdout(std::fs::File::options().write(true).open(&full).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot write to standard output: No space left on device"),
        "{stderr}"
    );
    // The commands that only print: an output failure too, not a panic.
    for command in [&["man"][..], &["rules", "show"], &["completions", "bash"]] {
        let output = StdCommand::new(assert_cmd::cargo::cargo_bin("dechrome"))
            .args(command)
            .stdout(std::fs::File::options().write(true).open(&full).unwrap())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{command:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cannot write to standard output"),
            "{command:?}: {stderr}"
        );
    }
    // A device or pipe named as the statistics file is written in place.
    let stats = tmp.path().join("stats-link");
    std::os::unix::fs::symlink("/dev/stdout", &stats).unwrap();
    let out = dechrome()
        .arg("--stats")
        .arg(&stats)
        .arg(fixtures().join("seeds/000.txt"))
        .success_stdout();
    assert!(out.contains("\"documents\": 1"));
    assert!(std::fs::symlink_metadata(&stats).unwrap().is_symlink());
}

#[test]
fn a_rules_file_with_100000_phrases() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("big.rules");
    let mut text = String::with_capacity(4 << 20);
    for (section, range) in [
        ("[line]", 0..40_000),
        ("[contains]", 40_000..80_000),
        ("[phrase]", 80_000..100_000),
    ] {
        text.push_str(section);
        text.push('\n');
        for i in range {
            text.push_str(&format!("boilerplate number {i} here\n"));
        }
    }
    std::fs::write(&rules, &text).unwrap();
    dechrome()
        .args(["rules", "check"])
        .arg(&rules)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (100000 rules, 0 menu labels)"));
    let page = format!(
        "Boilerplate number 7 here\n{STORY}\nShare: boilerplate number 45678 here\n{STORY} Boilerplate number 99999 here and more.\n"
    );
    dechrome()
        .args(["--no-default-rules", "-r"])
        .arg(&rules)
        .write_stdin(page)
        .assert()
        .success()
        .stdout(format!("{STORY}\n{STORY} and more.\n"));
}

#[test]
fn oversized_and_catastrophic_regexes() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big-regex.rules");
    std::fs::write(
        &big,
        "[line]\nok\n[regex:contains]\n\\w{1000}\\w{1000}\\w{1000}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let assert = dechrome()
        .arg("-r")
        .arg(&big)
        .arg("-o")
        .arg(&out)
        .arg(fixtures().join("seeds/000.txt"))
        .assert()
        .code(2)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("{}:4: regex too large", big.display())),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");

    // Exponential for a backtracking engine; linear here.
    let evil = tmp.path().join("evil.rules");
    std::fs::write(
        &evil,
        "[regex:line]\n(a+)+$\n[regex:phrase]\n(a|aa)+b\n[regex:contains max-words=any]\n(x+x+)+y\n",
    )
    .unwrap();
    let attack = format!(
        "{}!\n{}\n{STORY}\n",
        "a".repeat(100_000),
        "x".repeat(100_000)
    );
    dechrome()
        .arg("--no-default-rules")
        .arg("-r")
        .arg(&evil)
        .write_stdin(attack.clone())
        .assert()
        .success()
        .stdout(attack);
}

/// Every regex is checked alone against the 1 MiB limit; the matcher then
/// groups them into `RegexSet`s with a 64 MiB limit. A hundred regexes that
/// each pass the check but not together once panicked the binary (exit 101);
/// now the set is split until each part fits, so what `rules check` accepts loads.
#[test]
fn many_regexes_each_within_the_limit_load() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("many.rules");
    let mut text = String::from("[regex:contains]\n");
    for i in 0..100 {
        text.push_str(&format!("x{i}\\w{{20}}\n"));
    }
    std::fs::write(&rules, text).unwrap();
    dechrome()
        .args(["rules", "check"])
        .arg(&rules)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (100 rules"));
    // What `rules check` accepts must load: clean, or fail as a rules error.
    let assert = dechrome()
        .args(["--no-default-rules", "-r"])
        .arg(&rules)
        .write_stdin(format!("{STORY}\n"))
        .assert();
    let code = assert.get_output().status.code();
    assert!(
        code == Some(0) || code == Some(2),
        "exit {code:?}: {}",
        stderr_of(&assert)
    );
}

#[test]
fn malformed_jsonl_lines_are_reported_and_passed_through() {
    let lines = [
        (r#"{"id":1,"body":"no text here"}"#, "no `text` field"),
        (
            r#"{"id":2,"text":null}"#,
            "the `text` field is not a string",
        ),
        (
            r#"{"id":3,"text":["Skip Navigation"]}"#,
            "the `text` field is not a string",
        ),
        (
            r#"{"id":4,"text":"Skip Navigation","text":"x"}"#,
            "the key `text` appears more than once",
        ),
        (r#"[{"text":"Skip Navigation"}]"#, "not a JSON object"),
        (r#"{"id":6,"text":"Skip Navigation"#, "invalid JSON"),
        (r#"{"id":7,"text":"Skip Navigation\nok"}"#, ""),
        ("", ""),
        (
            r#"{"id":9,"text":"x","id":9}"#,
            "the key `id` appears more than once",
        ),
    ];
    let jsonl: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("shard.jsonl");
    std::fs::write(&input, &jsonl).unwrap();
    let assert = dechrome().arg(&input).assert().success();
    let stderr = stderr_of(&assert);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let out_lines: Vec<&str> = stdout.split('\n').collect();
    for (n, (line, reason)) in lines.iter().enumerate() {
        if reason.is_empty() {
            continue;
        }
        let want = format!("{}:{}: {reason}", input.display(), n + 1);
        assert!(stderr.contains(&want), "{want}\n{stderr}");
        assert_eq!(
            out_lines[n],
            *line,
            "line {} passed through unchanged",
            n + 1
        );
    }
    assert_eq!(out_lines[6], r#"{"id":7,"text":"ok"}"#);
    assert_eq!(
        out_lines.len(),
        lines.len() + 1,
        "one output line per input line"
    );
    dechrome()
        .arg("--strict")
        .arg(&input)
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}: line 1: no `text` field (--strict: the input stops at this record)",
            input.display()
        )));
    // To a stream, the records before the bad one are written, and no more.
    let middle = tmp.path().join("middle.jsonl");
    std::fs::write(
        &middle,
        "{\"text\":\"Skip Navigation\\nfirst\"}\n{\"id\":2}\n{\"text\":\"third\"}\n",
    )
    .unwrap();
    dechrome()
        .arg("--strict")
        .arg(&middle)
        .assert()
        .code(3)
        .stdout("{\"text\":\"first\"}\n")
        .stderr(predicate::str::contains("line 2: no `text` field"));
}

#[test]
fn a_10_mb_text_field() {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 10 << 20 {
        text.push_str(&format!("{STORY} Paragraph {i}.\nSkip Navigation\n"));
        i += 1;
    }
    let want_text = String::from_utf8(cleaned(text.as_bytes())).unwrap();
    assert!(want_text.len() < text.len());
    let prefix = r#"{"id": "big", "n": 1.50, "text": "#;
    let suffix = r#", "url": "https://example.com/x"}"#;
    let line = format!(
        "{prefix}{}{suffix}\n",
        serde_json::to_string(&text).unwrap()
    );
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("big.jsonl");
    std::fs::write(&input, &line).unwrap();
    let out = dechrome()
        .arg(&input)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let want = format!(
        "{prefix}{}{suffix}\n",
        serde_json::to_string(&want_text).unwrap()
    );
    assert!(
        out == want.as_bytes(),
        "the text cleaned as file mode cleans it, every other byte kept"
    );
}

#[test]
fn truncated_gzip_and_zstd_fail_their_input_only() {
    let page = std::fs::read(fixtures().join("seeds/004.txt")).unwrap();
    let jsonl: String = (0..3000)
        .map(|i| format!("{{\"id\":{i},\"text\":\"Skip Navigation\\nStory {i}.\"}}\n"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let gz = compressed(jsonl.as_bytes(), Compression::Gzip);
    std::fs::write(input.join("a.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
    let zst = compressed(&page, Compression::Zstd);
    std::fs::write(input.join("b.txt.zst"), &zst[..zst.len() - 10]).unwrap();
    std::fs::write(input.join("c.txt"), &page).unwrap();
    let out = tmp.path().join("out");
    let assert = dechrome().arg("-o").arg(&out).arg(&input).assert().code(3);
    let stderr = stderr_of(&assert);
    for name in ["a.jsonl.gz", "b.txt.zst"] {
        let path = input.join(name).display().to_string();
        assert!(
            stderr.contains(&format!("dechrome: {path}: ")),
            "{name}: {stderr}"
        );
    }
    assert!(
        stderr.contains("2 input(s) could not be processed"),
        "{stderr}"
    );
    let written = tree(&out);
    assert_eq!(
        written.len(),
        1,
        "no partial or temporary file: {written:?}"
    );
    assert_eq!(written[0].1, cleaned(&page));
    // Standard input is named too.
    dechrome()
        .write_stdin(&gz[..gz.len() / 2])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("dechrome: <stdin>: "));
}

#[test]
fn warc_records_with_a_wrong_content_length_pass_through() {
    let record = |body: &str, length: usize| {
        format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://example.com/\r\n\
             Content-Length: {length}\r\n\r\n{body}\r\n\r\n"
        )
    };
    let page = format!("Skip Navigation\n{STORY}\n");
    let good = record(&page, page.len());
    let short = record(&page, page.len() - 5);
    // Line endings of a damaged stretch are kept as they were, LF included.
    let lf = format!("WARC/1.0\nWARC-Type: conversion\nContent-Length: 3\n\n{page}\n\n");
    // Too long: it claims the next record, which is still read and cleaned.
    let long = record(&page, page.len() + 100);
    // Too long at the end of the file: truncated.
    let cut = record(&page, page.len() + 500);
    let warc = format!("{good}{short}{good}{lf}{long}{good}{cut}");
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("crawl.warc");
    std::fs::write(&input, &warc).unwrap();
    let assert = dechrome().arg(&input).assert().success();
    let stderr = stderr_of(&assert);
    let name = input.display().to_string();
    for want in [
        format!("{name}:2: Content-Length does not match the record"),
        format!("{name}:4: Content-Length does not match the record"),
        format!("{name}:5: Content-Length does not match the record"),
        format!("{name}:7: the file ends inside a record (truncated)"),
    ] {
        assert!(stderr.contains(&want), "{want}\n{stderr}");
    }
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let clean = record(&format!("{STORY}\n"), STORY.len() + 1);
    assert_eq!(
        out,
        format!("{clean}{short}{clean}{lf}{long}{clean}{cut}"),
        "damaged records byte for byte, the others cleaned"
    );
    dechrome()
        .arg("--strict")
        .arg(&input)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "{name}: record 2: Content-Length"
        )));
    // JSONL cannot hold a damaged stretch: the good records are written, the
    // damaged ones named, and the run fails rather than lose them in silence.
    let assert = dechrome()
        .args(["--format", "jsonl"])
        .arg(&input)
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "{name}:2: Content-Length does not match the record; not written (JSONL"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 damaged record(s) left out of the output"),
        "{stderr}"
    );
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), 3, "the three good records: {out}");
    assert!(out.lines().all(|l| l.contains(STORY)), "{out}");
    // With --strict the damaged record fails its input: not counted again as left out.
    let assert = dechrome()
        .args(["--strict", "--format", "jsonl"])
        .arg(&input)
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("record 2: Content-Length"), "{stderr}");
    assert!(!stderr.contains("left out"), "{stderr}");
    // Nothing is written in --check, so nothing is lost.
    dechrome()
        .args(["--check", "--format", "jsonl"])
        .arg(&input)
        .assert()
        .code(1);
    // A file named as WARC is read as WARC even when it starts damaged.
    let torn = tmp.path().join("torn.warc");
    std::fs::write(&torn, format!("the tail of a record\r\n\r\n{warc}")).unwrap();
    let out = tmp.path().join("out");
    let assert = dechrome()
        .args(["--format", "jsonl", "-o"])
        .arg(&out)
        .arg(&torn)
        .assert()
        .code(3);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("5 damaged record(s) left out"), "{stderr}");
    let written = std::fs::read_to_string(out.join("torn.warc.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 3, "{written}");
    assert!(!out.join("torn.warc").exists());
}

#[test]
fn every_exit_code_is_documented() {
    let help = dechrome().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for code in ["0", "1", "2", "3", "130"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "--help documents exit code {code}"
        );
        assert!(
            readme
                .lines()
                .any(|l| l.starts_with(&format!("| {code} |"))),
            "README documents exit code {code}"
        );
    }
}
