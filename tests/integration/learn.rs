//! `dechrome learn`: candidate rules from a corpus, through the real binary.

use crate::util::{dechrome, RunExt};
use std::path::Path;

/// `n` in letters (`12` gives `bc`), so that unique lines stay unique once
/// digits are folded.
fn tag(n: usize) -> String {
    n.to_string()
        .bytes()
        .map(|d| (b'a' + d - b'0') as char)
        .collect()
}

const SHARE: &str = "Share this article";
const HOST_LINE: &str = "Get the A Daily newsletter";

/// A corpus: 30 text pages and a JSONL shard of 8 records on two hosts. Every
/// page has the share line and a copyright footer whose year varies; five
/// records of one host also carry a newsletter prompt.
fn corpus(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for n in 0..30 {
        let page = format!(
            "Story {t}: the council met on a {t} day\n\
             Councillors spoke about item {t} at length, and nobody agreed on anything at all.\n\
             {SHARE}\n\
             Copyright {} Example Media. All rights reserved.\n",
            2015 + n % 6,
            t = tag(n),
        );
        std::fs::write(dir.join(format!("page{n:02}.txt")), page).unwrap();
    }
    let mut shard = String::new();
    for n in 0..8 {
        let url = if n < 5 {
            format!("https://news.a.example/story/{n}")
        } else {
            format!("https://blog.b.example/{n}")
        };
        let mut text = format!(
            "Record {t}\nA paragraph about topic {t}.\n{SHARE}\n",
            t = tag(n)
        );
        if n < 5 {
            text += HOST_LINE;
            text += "\n";
        }
        text += &format!(
            "Copyright {} Example Media. All rights reserved.\n",
            2020 + n
        );
        let record = serde_json::json!({"id": n, "url": url, "text": text});
        shard += &record.to_string();
        shard += "\n";
    }
    std::fs::write(dir.join("shard.jsonl"), shard).unwrap();
}

#[test]
fn learn_proposes_recurring_lines_with_their_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("corpus");
    corpus(&input);

    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}.rules"));
        // No rules: every line is counted.
        dechrome()
            .args(["learn", "--no-default-rules"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .args(["--min-docs", "10", "--min-hosts", "1", "-j", threads])
            .assert()
            .success()
            .stdout("");
        outputs.push(std::fs::read_to_string(&out).unwrap());
    }
    let rules = &outputs[0];
    assert!(outputs[0] == outputs[1], "-j1 and -j2 outputs differ");

    assert!(
        rules.contains("# Documents read: 38 (8 with a URL, on 2 hosts)."),
        "{rules}"
    );
    assert!(
        rules.contains("--min-docs 10 --min-hosts 1 --host-min-docs 5 --max-words 12"),
        "{rules}"
    );
    // The share line is the same everywhere: a literal rule.
    let share = "[line]\n# 38 documents, 2 hosts, e.g. ";
    let at = rules
        .find(share)
        .unwrap_or_else(|| panic!("no {share:?} in:\n{rules}"));
    let example = rules[at + share.len()..].lines().next().unwrap();
    assert!(example.ends_with("page00.txt"), "{example}");
    assert!(rules.contains(&format!("{example}\n{SHARE}\n")), "{rules}");
    // The footer's year varies: a regex.
    assert!(
        rules.contains(
            "\n#   as in: Copyright 2015 Example Media. All rights reserved.\n\
             Copyright \\d+ Example Media\\. All rights reserved\\.\n"
        ),
        "{rules}"
    );
    assert!(rules.contains("[regex:line]\n# 38 documents, 2 hosts, e.g. "));
    // The newsletter prompt recurs on one host only.
    assert!(
        rules.contains(&format!(
            "[line host=news.a.example]\n# 5 documents, e.g. {}#1\n{HOST_LINE}\n",
            input.join("shard.jsonl").display()
        )),
        "{rules}"
    );
    for unique in ["Story", "Record", "Councillors", "paragraph"] {
        assert!(!rules.contains(unique), "{unique} proposed:\n{rules}");
    }

    let out = tmp.path().join("out1.rules");
    dechrome()
        .args(["rules", "check"])
        .arg(&out)
        .assert()
        .success();

    // Used as they are, the candidates remove what they name.
    let page = input.join("page07.txt");
    let cleaned = dechrome()
        .args(["--no-default-rules", "-r"])
        .arg(&out)
        .arg(&page)
        .success_stdout();
    assert!(
        cleaned.starts_with("Story h: the council met on a h day\nCouncillors spoke"),
        "{cleaned}"
    );
    assert!(!cleaned.contains(SHARE), "{cleaned}");
    assert!(!cleaned.contains("Copyright"), "{cleaned}");

    // What the rules already remove is not proposed again: the default
    // rules know the share line and the copyright footer, a rules file of
    // one's own the newsletter prompt.
    let learned = |rules: &[&str]| {
        dechrome()
            .arg("learn")
            .args(rules)
            .arg(&input)
            .args(["--min-docs", "5", "--min-hosts", "1"])
            .success_stdout()
    };
    let with_defaults = learned(&[]);
    assert!(
        with_defaults.contains("# Not counted: what these rules remove: the default rules.\n"),
        "{with_defaults}"
    );
    assert!(!with_defaults.contains(SHARE), "{with_defaults}");
    assert!(!with_defaults.contains("Copyright"), "{with_defaults}");
    assert!(with_defaults.contains(HOST_LINE), "{with_defaults}");
    let own = tmp.path().join("own.rules");
    std::fs::write(&own, format!("[line]\n{HOST_LINE}\n")).unwrap();
    let own = own.to_str().unwrap();
    let with_own = learned(&["--no-default-rules", "-r", own]);
    assert!(with_own.contains(SHARE), "{with_own}");
    assert!(!with_own.contains(HOST_LINE), "{with_own}");
    // The classifier's flags do not apply to learn; a bad rules file stops it.
    for flags in [
        &["--no-classifier"][..],
        &["--bias", "1"],
        &["-r", "/nonexistent.rules"],
    ] {
        dechrome()
            .arg("learn")
            .args(flags)
            .arg(&input)
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn learn_writes_to_stdout_and_proposes_nothing_below_the_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("corpus");
    corpus(&input);
    let rules = dechrome()
        .arg("learn")
        .arg(&input)
        .args(["--min-docs", "100", "--host-min-docs", "100"])
        .success_stdout();
    assert!(
        rules.contains("# No line reached the thresholds"),
        "{rules}"
    );
    assert!(!rules.contains("[line"), "{rules}");
    assert!(!rules.contains("[regex:line"), "{rules}");
}
