//! Formats: JSONL, WARC/WET, compression, statistics and Dolma attributes.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use dechrome::format::warc::{Item, Reader};
use dechrome::format::{Compression, Output};
use dechrome::{Cleaner, RuleSet};

use crate::util::{dechrome, fixtures, Coprocess, RunExt};

fn default_cleaner() -> Cleaner {
    Cleaner::new(RuleSet::defaults()).unwrap()
}

/// What file mode makes of `text`.
fn file_mode(text: &str) -> String {
    let cleaner = default_cleaner();
    String::from_utf8(cleaner.clean(text.as_bytes()).apply(text.as_bytes())).unwrap()
}

fn seeds() -> Vec<String> {
    (0..5)
        .map(|i| std::fs::read_to_string(fixtures().join(format!("seeds/00{i}.txt"))).unwrap())
        .collect()
}

fn write_compressed(path: &Path, bytes: &[u8]) {
    let mut out = Output::new(Vec::new(), Compression::from_path(path)).unwrap();
    out.write_all(bytes).unwrap();
    std::fs::write(path, out.finish().unwrap()).unwrap();
}

fn read_decompressed(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap();
    let mut out = Vec::new();
    dechrome::format::decompress(Box::new(file))
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Records exercising offsets and edge cases: emoji and CJK before a removed
/// span, an empty text, a fully removed document, a malformed line.
fn tricky_jsonl() -> (String, Vec<Option<String>>) {
    let texts = [
        "😀 中文 headline text\nSkip Navigation\nThe story goes on.\nClose X",
        "",
        "Facebook\nTwitter\nInstagram",
        "Plain article text that stays.",
    ];
    let mut jsonl = String::new();
    let mut want = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let record =
            serde_json::json!({"id": format!("doc-{i}"), "n": i, "text": text, "z": [1, 2]});
        jsonl.push_str(&record.to_string());
        jsonl.push('\n');
        want.push(Some(file_mode(text)));
    }
    jsonl.push_str("{\"id\": \"bad\", \"text\": 12}\n");
    want.push(None);
    jsonl.push_str("{not json at all\n");
    want.push(None);
    (jsonl, want)
}

#[test]
fn jsonl_round_trips_in_every_compression() {
    let (jsonl, want) = tricky_jsonl();
    for name in [
        "s.jsonl",
        "s.jsonl.gz",
        "s.jsonl.zst",
        "s.ndjson",
        "s.json.gz",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in").join(name);
        std::fs::create_dir_all(input.parent().unwrap()).unwrap();
        write_compressed(&input, jsonl.as_bytes());
        let out_dir = tmp.path().join("out");
        let attrs = tmp.path().join("attrs");
        dechrome()
            .arg("-o")
            .arg(&out_dir)
            .arg("--attributes")
            .arg(&attrs)
            .arg(&input)
            .assert()
            .success()
            .stderr(predicates::str::contains(format!("{name}:5: ")))
            .stderr(predicates::str::contains(format!("{name}:6: invalid JSON")));
        let output = out_dir.join(name);
        assert_eq!(
            Compression::sniff(&std::fs::read(&output).unwrap()),
            Compression::from_path(&input),
            "{name}: output mirrors the input's compression"
        );
        let out = String::from_utf8(read_decompressed(&output)).unwrap();
        let in_lines: Vec<&str> = jsonl.lines().collect();
        let out_lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            out_lines.len(),
            in_lines.len(),
            "{name}: one output line per input line"
        );
        let rows: Vec<Value> = String::from_utf8(read_decompressed(&attrs.join(name)))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            rows.len(),
            in_lines.len(),
            "{name}: one attribute row per input line"
        );
        for ((input_line, output_line), (want, row)) in
            in_lines.iter().zip(&out_lines).zip(want.iter().zip(&rows))
        {
            let Some(want) = want else {
                assert_eq!(
                    input_line, output_line,
                    "malformed lines pass through unchanged"
                );
                continue;
            };
            let before: Value = serde_json::from_str(input_line).unwrap();
            let after: Value = serde_json::from_str(output_line).unwrap();
            assert_eq!(
                after["text"].as_str().unwrap(),
                want,
                "{name}: text as file mode cleans it"
            );
            for key in ["id", "n", "z"] {
                assert_eq!(before[key], after[key], "other fields unchanged");
            }
            // Dolma: deleting the spans (code points) from the original gives the output.
            assert_eq!(row["id"], before["id"]);
            let spans = row["attributes"]["dechrome__removed"].as_array().unwrap();
            let original: Vec<char> = before["text"].as_str().unwrap().chars().collect();
            assert_eq!(delete_spans(&original, spans), *want);
        }
    }
}

/// The text without the `[start, end, score]` spans (code points).
fn delete_spans(chars: &[char], spans: &[Value]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for span in spans {
        let start = span[0].as_u64().unwrap() as usize;
        let end = span[1].as_u64().unwrap() as usize;
        assert!(
            start >= at && end > start && end <= chars.len(),
            "spans sorted, disjoint, in range"
        );
        out.extend(&chars[at..start]);
        at = end;
    }
    out.extend(&chars[at..]);
    out
}

#[test]
fn emoji_before_a_span_gives_code_point_offsets() {
    let line = serde_json::json!({"id": 1, "text": "😀😀\nSkip Navigation\nBody."}).to_string();
    let tmp = tempfile::tempdir().unwrap();
    dechrome()
        .args(["--format", "jsonl", "--attributes"])
        .arg(tmp.path())
        .write_stdin(line)
        .assert()
        .success();
    let row = std::fs::read_to_string(tmp.path().join("stdin.jsonl")).unwrap();
    // "😀😀\n" is 3 code points (9 bytes): the removed line starts at code point 3.
    assert_eq!(
        row.trim(),
        r#"{"id":1,"attributes":{"dechrome__removed":[[3,19,1.0]]}}"#
    );
}

#[test]
fn spans_reproduce_the_output_over_seeds_and_devset() {
    let mut pages: Vec<String> = seeds();
    let devset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/devset");
    for folder in ["scrapinghub", "wcxb"] {
        let Ok(entries) = std::fs::read_dir(devset.join(folder)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.to_string_lossy().ends_with(".page.txt") {
                pages.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let mut jsonl = String::new();
    for (i, page) in pages.iter().enumerate() {
        jsonl.push_str(&serde_json::json!({"id": i, "text": page}).to_string());
        jsonl.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("pages.jsonl");
    std::fs::write(&input, &jsonl).unwrap();
    let attrs = tmp.path().join("attrs");
    let out = dechrome()
        .arg("--attributes")
        .arg(&attrs)
        .arg(&input)
        .success_stdout();
    let rows = std::fs::read_to_string(attrs.join("pages.jsonl")).unwrap();
    let mut checked = 0;
    for ((page, out_line), row) in pages.iter().zip(out.lines()).zip(rows.lines()) {
        let cleaned: Value = serde_json::from_str(out_line).unwrap();
        let row: Value = serde_json::from_str(row).unwrap();
        let chars: Vec<char> = page.chars().collect();
        let spans = row["attributes"]["dechrome__removed"].as_array().unwrap();
        assert_eq!(
            delete_spans(&chars, spans),
            cleaned["text"].as_str().unwrap()
        );
        assert_eq!(
            cleaned["text"].as_str().unwrap(),
            file_mode(page),
            "JSONL text = file mode"
        );
        checked += 1;
    }
    assert_eq!(checked, pages.len());
}

/// A WET file made of the seed pages, with real WARC headers.
fn wet_from_seeds() -> (Vec<u8>, Vec<String>) {
    let mut wet = Vec::new();
    let info = "Software-Info: ia-web-commons\r\nExtracted-Date: Mon, 16 Jun 2014 12:00:00 GMT\r\n";
    write!(
        wet,
        "WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2014-06-16T12:00:00Z\r\nWARC-Filename: CC-MAIN-20140616-00000.warc.wet.gz\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\nContent-Type: application/warc-fields\r\nContent-Length: {}\r\n\r\n{info}\r\n\r\n",
        info.len()
    )
    .unwrap();
    let mut ids = Vec::new();
    for (i, page) in seeds().iter().enumerate() {
        let id = format!("<urn:uuid:00000000-0000-4000-8000-00000000000{}>", i + 1);
        let digest = data_encoding::BASE32.encode(&sha1_smol::Sha1::from(page).digest().bytes());
        write!(
            wet,
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://news{i}.example.com/2014/06/16/iran-iraq\r\nWARC-Date: 2014-06-16T12:00:0{i}Z\r\nWARC-Record-ID: {id}\r\nWARC-Refers-To: <urn:uuid:10000000-0000-4000-8000-00000000000{i}>\r\nWARC-Block-Digest: sha1:{digest}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{page}\r\n\r\n",
            page.len()
        )
        .unwrap();
        ids.push(id);
    }
    (wet, ids)
}

#[test]
fn wet_records_are_cleaned_with_correct_lengths_and_digests() {
    let (wet, _) = wet_from_seeds();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in/CC-MAIN-20140616-00000.warc.wet.gz");
    std::fs::create_dir_all(input.parent().unwrap()).unwrap();
    write_compressed(&input, &wet);
    let out_dir = tmp.path().join("out");
    dechrome()
        .arg("-o")
        .arg(&out_dir)
        .arg(&input)
        .assert()
        .success();
    let cleaned = out_dir.join("CC-MAIN-20140616-00000.warc.wet.gz");
    let out = read_decompressed(&cleaned);
    let items: Vec<Item> = Reader::new(&out[..]).map(Result::unwrap).collect();
    assert_eq!(items.len(), 6);
    // A gzip member per record, as Common Crawl writes them: each can be
    // read on its own from its offset.
    let compressed = std::fs::read(&cleaned).unwrap();
    let mut rest = &compressed[..];
    let mut members = Vec::new();
    while !rest.is_empty() {
        let mut member = Vec::new();
        flate2::bufread::GzDecoder::new(&mut rest)
            .read_to_end(&mut member)
            .unwrap();
        members.push(member);
    }
    assert_eq!(members.concat(), out);
    assert_eq!(members.len(), 6);
    for member in &members {
        assert_eq!(Reader::new(&member[..]).count(), 1);
    }
    // A file of no records is still gzip: one empty member.
    let empty = tmp.path().join("in/empty.warc.gz");
    write_compressed(&empty, b"");
    dechrome()
        .arg("-o")
        .arg(&out_dir)
        .arg(&empty)
        .assert()
        .success();
    let compressed = std::fs::read(out_dir.join("empty.warc.gz")).unwrap();
    let mut member = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut member)
        .unwrap();
    assert!(member.is_empty() && !compressed.is_empty());
    let Item::Record(info) = &items[0] else {
        panic!("{:?}", items[0])
    };
    assert_eq!(info.kind(), Some("warcinfo"), "other records pass through");
    for (item, page) in items[1..].iter().zip(seeds()) {
        let Item::Record(record) = item else {
            panic!("damaged output record: {item:?}")
        };
        let body = String::from_utf8(record.body.clone()).unwrap();
        assert_eq!(body, file_mode(&page));
        assert_eq!(
            record.header("Content-Length").unwrap(),
            body.len().to_string()
        );
        let digest = data_encoding::BASE32.encode(&sha1_smol::Sha1::from(&body).digest().bytes());
        assert_eq!(
            record.header("WARC-Block-Digest").unwrap(),
            format!("sha1:{digest}")
        );
    }
}

#[test]
fn wet_converts_to_jsonl() {
    let (wet, ids) = wet_from_seeds();
    let out = dechrome()
        .args(["--format", "jsonl"])
        .write_stdin(wet)
        .success_stdout();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one line per conversion record");
    for ((line, id), page) in lines.iter().zip(&ids).zip(seeds()) {
        assert_eq!(line["id"].as_str().unwrap(), id);
        assert!(line["url"].as_str().unwrap().starts_with("https://news"));
        assert_eq!(line["text"].as_str().unwrap(), file_mode(&page));
    }
}

#[test]
fn host_scoped_rules_follow_the_record_url() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("site.rules");
    std::fs::write(
        &rules,
        "[contains host=nationaljournal.com,bücher.de]\nNational Journal\n",
    )
    .unwrap();
    let jsonl = [
        r#"{"text":"Story.\nA National Journal notice","meta":{"url":"https://www.nationaljournal.com/s/1"}}"#,
        r#"{"text":"Story.\nA National Journal notice","meta":{"url":"https://example.com/s/1"}}"#,
        r#"{"text":"Story.\nA National Journal notice"}"#,
        // An international host as WARC files carry it: punycode.
        r#"{"text":"Story.\nA National Journal notice","meta":{"url":"https://www.xn--bcher-kva.de/s/1"}}"#,
    ]
    .join("\n");
    let out = dechrome()
        .args(["--format", "jsonl", "--url-key", "meta.url", "-r"])
        .arg(&rules)
        .write_stdin(jsonl)
        .success_stdout();
    let texts: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts,
        [
            "Story.",
            "Story.\nA National Journal notice",
            "Story.\nA National Journal notice",
            "Story."
        ]
    );
}

#[test]
fn strict_fails_the_input_and_writes_nothing_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"text\":\"Skip Navigation\\nok\"}\nnot json\n").unwrap();
    let good = tmp.path().join("good.jsonl");
    std::fs::write(&good, "{\"text\":\"Skip Navigation\\nok\"}\n").unwrap();
    let out = tmp.path().join("out");
    dechrome()
        .arg("--strict")
        .arg("-o")
        .arg(&out)
        .arg(&input)
        .arg(&good)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("in.jsonl: line 2: invalid JSON"));
    assert!(!out.join("in.jsonl").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("good.jsonl")).unwrap(),
        "{\"text\":\"ok\"}\n"
    );
}

#[test]
fn stats_are_identical_for_any_thread_count() {
    let (jsonl, _) = tricky_jsonl();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    crate::util::copy_tree(&fixtures().join("seeds"), &input);
    std::fs::write(input.join("x.jsonl"), jsonl).unwrap();
    let mut all = Vec::new();
    for threads in ["1", "2"] {
        let stats = tmp.path().join(format!("stats{threads}.json"));
        dechrome()
            .args(["-j", threads, "--stats"])
            .arg(&stats)
            .arg(&input)
            .assert()
            .success();
        all.push(std::fs::read_to_string(stats).unwrap());
    }
    assert_eq!(all[0], all[1]);
    let stats: Value = serde_json::from_str(&all[0]).unwrap();
    assert_eq!(stats["malformed"], 2);
    assert_eq!(stats["emptied"], 1, "the menu-only record");
    let line = crate::cli::rule_line("navigation.rules", "Skip Navigation");
    let skip = &stats["rules"][format!("rules/navigation.rules:{line}")];
    assert_eq!(skip["action"], "line");
    assert!(skip["documents"].as_u64().unwrap() >= 2, "{skip}");
    assert_eq!(stats["errors"]["malformed record"], 2);
}

/// A shard of several batches (over 2,048 records) comes out whole and in
/// order, the same with one thread as with two (where reading and writing
/// overlap the cleaning), plain and gzipped, and a record that fails the
/// input under `--strict` in the last batch fails it the same way.
#[test]
fn a_shard_of_many_batches_is_the_same_for_any_thread_count() {
    const RECORDS: usize = 5_000;
    const MALFORMED: usize = 4_321;
    let mut jsonl = String::new();
    for i in 0..RECORDS {
        if i == MALFORMED {
            jsonl.push_str("{not json\n");
            continue;
        }
        let text = format!("Skip Navigation\nRecord {i} tells its own story here.");
        jsonl.push_str(&serde_json::json!({"id": i, "text": text}).to_string());
        jsonl.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("shard.jsonl"), &jsonl).unwrap();
    write_compressed(&input.join("packed.jsonl.gz"), jsonl.as_bytes());
    let run = |threads: &str, args: &[&str], out: &Path| {
        let output = dechrome()
            .args(["-j", threads, "--stats"])
            .arg(out.join("stats.json"))
            .args(args)
            .arg(&input)
            .output()
            .unwrap();
        (output.status.code(), output.stdout, output.stderr)
    };
    let one = tmp.path().join("j1");
    let two = tmp.path().join("j2");
    let (code, stdout, stderr) = run("1", &[], &one);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    assert_eq!(run("2", &[], &two), (code, stdout.clone(), stderr));
    assert!(
        crate::util::tree(&one) == crate::util::tree(&two),
        "statistics differ"
    );
    // Both inputs, whole and in order: the malformed line as it was.
    let lines: Vec<&str> = std::str::from_utf8(&stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2 * RECORDS);
    for (k, line) in lines.iter().enumerate() {
        let i = k % RECORDS;
        if i == MALFORMED {
            assert_eq!(*line, "{not json");
        } else {
            let record: Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["id"], i);
            assert_eq!(
                record["text"],
                format!("Record {i} tells its own story here.")
            );
        }
    }
    // A shard cut off after its first batch: the records read whole before
    // the break are written and counted, then the input fails, whatever
    // the thread count.
    let packed = std::fs::read(input.join("packed.jsonl.gz")).unwrap();
    let cut = tmp.path().join("cut");
    std::fs::create_dir(&cut).unwrap();
    std::fs::write(cut.join("cut.jsonl.gz"), &packed[..packed.len() * 3 / 4]).unwrap();
    let run_cut = |threads: &str| {
        let output = dechrome().args(["-j", threads]).arg(&cut).output().unwrap();
        (output.status.code(), output.stdout, output.stderr)
    };
    let (code, stdout, stderr) = run_cut("1");
    assert_eq!(code, Some(3));
    let written = stdout.iter().filter(|&&b| b == b'\n').count();
    assert!(
        (2_048..RECORDS).contains(&written),
        "{written} records written"
    );
    assert!(run_cut("2") == (code, stdout, stderr));
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("strict{threads}"));
        let dir = out.join("out");
        let (code, stdout, stderr) = run(threads, &["--strict", "-o", dir.to_str().unwrap()], &out);
        assert_eq!(code, Some(3));
        assert!(stdout.is_empty());
        let stderr = String::from_utf8_lossy(&stderr);
        for name in ["shard.jsonl", "packed.jsonl.gz"] {
            let line = format!("{name}: line {}: invalid JSON", MALFORMED + 1);
            assert!(stderr.contains(&line), "{stderr}");
        }
        assert!(
            !dir.exists() || crate::util::tree(&dir).is_empty(),
            "nothing written"
        );
    }
}

/// A shard broken part way (a `.gz` cut short) of records large enough that
/// batches end by size, which differs with the thread count: every record
/// read whole before the break is written to the stream, then the input
/// fails, the same with one thread as with two (where the break is met in
/// a later batch, read while the one before is written). With `-o`, no
/// file is kept for it.
#[test]
fn a_broken_shard_writes_every_record_before_the_break() {
    const RECORDS: usize = 5_000;
    let mut jsonl = String::new();
    for i in 0..RECORDS {
        let story =
            format!("Record {i} tells a story of its own, one sentence after another. ").repeat(40);
        let text = format!("Skip Navigation\n{story}");
        jsonl.push_str(&serde_json::json!({"id": i, "text": text}).to_string());
        jsonl.push('\n');
    }
    // Over the 8 MB a batch holds with two threads, after the cut too.
    assert!(jsonl.len() * 3 / 4 > 9 << 20, "{}", jsonl.len());
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole.jsonl.gz");
    write_compressed(&whole, jsonl.as_bytes());
    let packed = std::fs::read(&whole).unwrap();
    let cut = tmp.path().join("cut");
    std::fs::create_dir(&cut).unwrap();
    let broken = cut.join("broken.jsonl.gz");
    std::fs::write(&broken, &packed[..packed.len() * 3 / 4]).unwrap();
    // The records that decompress whole from what is left.
    let mut reader = std::io::BufReader::new(
        dechrome::format::decompress(Box::new(std::fs::File::open(&broken).unwrap())).unwrap(),
    );
    let mut whole_records = 0;
    let mut line = Vec::new();
    while let Ok(n) = std::io::BufRead::read_until(&mut reader, b'\n', &mut line) {
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        whole_records += 1;
        line.clear();
    }
    assert!(whole_records > RECORDS / 2, "{whole_records}");
    let run = |threads: &str| {
        let output = dechrome().args(["-j", threads]).arg(&cut).output().unwrap();
        (output.status.code(), output.stdout, output.stderr)
    };
    let (code, stdout, stderr) = run("1");
    assert_eq!(code, Some(3), "{}", String::from_utf8_lossy(&stderr));
    let records: Vec<Value> = stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(records.len(), whole_records);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["id"], i);
        assert!(record["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Record {i} ")));
    }
    assert!(String::from_utf8_lossy(&stderr).contains("broken.jsonl.gz"));
    assert!(run("2") == (code, stdout, stderr), "-j2 differs");
    let out = tmp.path().join("out");
    dechrome().arg("-o").arg(&out).arg(&cut).assert().code(3);
    assert!(
        crate::util::tree(&out).is_empty(),
        "a failed input's file is not kept"
    );
}

#[test]
fn check_and_diff() {
    dechrome()
        .arg("--check")
        .arg(fixtures().join("seeds/004.txt"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("004.txt: would remove"));
    dechrome()
        .arg("--check")
        .write_stdin("Nothing to remove here.\n")
        .assert()
        .code(0)
        .stdout("");
    dechrome()
        .arg("--diff")
        .arg(fixtures().join("seeds/001.txt"))
        .assert()
        .success()
        .stdout(predicates::str::contains("-Click for photos."))
        .stdout(predicates::str::contains("+++ "));
}

#[test]
fn explain_as_json_lines() {
    let out = dechrome()
        .args(["--explain", "--format", "json"])
        .arg(fixtures().join("seeds/004.txt"))
        .success_stdout();
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 1);
    assert_eq!(first["action"], "line");
    assert!(first["origin"]
        .as_str()
        .unwrap()
        .starts_with("rules/navigation.rules:"));
    assert_eq!(first["removed"], "Skip Navigation\n\n");
    // A record's id is written as the record has it, as the attribute files
    // write it, so the two join: a number stays a number, however large.
    let tmp = tempfile::tempdir().unwrap();
    let shard = tmp.path().join("shard.jsonl");
    let ids = ["7", "1e400", "\"x7\""];
    let records: String = ids
        .iter()
        .map(|id| format!("{{\"id\":{id},\"text\":\"Skip Navigation\\nStory.\\n\"}}\n"))
        .collect();
    std::fs::write(&shard, records).unwrap();
    let explained = dechrome()
        .args(["--explain", "--format", "json"])
        .arg(&shard)
        .success_stdout();
    let attributes = tmp.path().join("attrs");
    dechrome()
        .arg("--attributes")
        .arg(&attributes)
        .arg(&shard)
        .assert()
        .success();
    let rows = std::fs::read_to_string(attributes.join("shard.jsonl")).unwrap();
    for ((line, row), id) in explained.lines().zip(rows.lines()).zip(ids) {
        assert!(line.contains(&format!("\"id\":{id},")), "{line}");
        assert!(row.starts_with(&format!("{{\"id\":{id},")), "{row}");
    }
}

#[test]
fn text_and_warc_round_trip_in_every_compression() {
    let (wet, _) = wet_from_seeds();
    let page = seeds().remove(4);
    for ext in ["", ".gz", ".zst"] {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        std::fs::create_dir(&input).unwrap();
        write_compressed(&input.join(format!("page.txt{ext}")), page.as_bytes());
        write_compressed(&input.join(format!("crawl.warc{ext}")), &wet);
        let out = tmp.path().join("out");
        dechrome()
            .arg("-o")
            .arg(&out)
            .arg(&input)
            .assert()
            .success();
        let text = read_decompressed(&out.join(format!("page.txt{ext}")));
        assert_eq!(
            String::from_utf8(text).unwrap(),
            file_mode(&page),
            "page.txt{ext}"
        );
        let warc = read_decompressed(&out.join(format!("crawl.warc{ext}")));
        let bodies: Vec<String> = Reader::new(&warc[..])
            .map(|item| match item.unwrap() {
                Item::Record(r) => String::from_utf8(r.body).unwrap(),
                damaged => panic!("crawl.warc{ext}: {damaged:?}"),
            })
            .collect();
        assert_eq!(bodies.len(), 6);
        assert_eq!(bodies[5], file_mode(&page), "crawl.warc{ext}");
    }
}

/// Runs dechrome with `args` as a co-process: writes each record and waits
/// for its answer (`lines` lines) before writing the next, as a program
/// driving it from Python would.
fn converse(args: &[&str], records: &[(&str, usize)]) -> Vec<Vec<String>> {
    let mut dechrome = Coprocess::spawn(args);
    let mut answers = Vec::new();
    for &(record, lines) in records {
        dechrome.send(record.as_bytes());
        let what = format!("{record:?}");
        answers.push((0..lines).map(|_| dechrome.line(&what)).collect());
    }
    drop(dechrome.stdin.take());
    let (status, stderr) = dechrome.wait();
    assert!(status.success(), "{stderr}");
    answers
}

#[test]
fn line_buffered_answers_each_record_before_the_next_is_written() {
    // JSONL, one line per record whatever it holds, on one and two threads;
    // the first record is shorter than the bytes read to tell the format.
    for threads in ["1", "2"] {
        let args = ["--line-buffered", "--format", "jsonl", "-j", threads, "-"];
        let answers = converse(
            &args,
            &[
                ("{\"text\":\"\"}\n", 1),
                ("{\"text\":\"Skip Navigation\\nHello.\"}\n", 1),
                ("not json\n", 1),
                ("{\"text\":\"Bye.\",\"id\":\"x\"}\n", 1),
            ],
        );
        assert_eq!(
            answers.concat(),
            [
                "{\"text\":\"\"}",
                "{\"text\":\"Hello.\"}",
                "not json",
                "{\"text\":\"Bye.\",\"id\":\"x\"}"
            ]
        );
    }
    // WARC records converted to JSONL, and --explain's reports.
    let record = |body: &str| {
        format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://a.example/\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    };
    let (first, second) = (record("Skip Navigation\nHi."), record("Bye."));
    let answers = converse(
        &["--unbuffered", "--format", "jsonl", "-"],
        &[(&first, 1), (&second, 1)],
    );
    assert!(answers[0][0].contains("\"text\":\"Hi.\""), "{answers:?}");
    assert!(answers[1][0].contains("\"text\":\"Bye.\""), "{answers:?}");
    let answers = converse(
        &["--line-buffered", "--explain", "--format", "jsonl", "-"],
        &[("{\"text\":\"Skip Navigation\\nHello.\"}\n", 2)],
    );
    assert!(answers[0][0].contains("Skip Navigation"), "{answers:?}");
}

#[test]
fn the_python_example_cleans_through_one_process_as_file_mode_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = root.join("examples/news-page.txt");
    let tmp = tempfile::tempdir().unwrap();
    let crlf = tmp.path().join("crlf.txt");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&crlf, text.replace('\n', "\r\n")).unwrap();
    let want = dechrome().arg(&page).success_stdout() + &dechrome().arg(&crlf).success_stdout();
    assert!(want.contains("\r\n"));
    // Both answers from the one process the script starts. (A time limit:
    // an answer held back would hang the script.)
    let python = || {
        let mut cmd = assert_cmd::Command::new("python3");
        cmd.env("DECHROME", assert_cmd::cargo::cargo_bin("dechrome"))
            .env("PYTHONPATH", root.join("examples"))
            .timeout(std::time::Duration::from_secs(120));
        cmd
    };
    let out = python()
        .arg(root.join("examples/coprocess.py"))
        .args([&page, &crlf])
        .success_stdout();
    assert_eq!(out, want);
    assert!(want.starts_with("Tehran Could Help U.S."), "{want}");
    // A call cut short while its answer is on the way stops the process:
    // no later call takes that answer for its own, and closing returns.
    let script = r#"
from coprocess import Dechrome
d = Dechrome()
assert d.clean("Skip Navigation\nHello.") == "Hello."
class Cut(Exception): pass
class Stalled:
    def readline(self): raise Cut()
    def close(self): pass
d._process.stdout = Stalled()
try: d.clean("One.")
except Cut: pass
try:
    d.clean("Two.")
    print("answered")
except RuntimeError:
    print("refused")
d.close()
print("closed")
"#;
    let out = python().args(["-c", script]).success_stdout();
    assert_eq!(out, "refused\nclosed\n");
}
