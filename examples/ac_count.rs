//! The scan's own limit: one Aho-Corasick automaton over every literal phrase
//! of the embedded default rules, counting overlapping matches over the whole
//! bytes of each input, with nothing else done (no line splitting, no
//! normalisation, no guards, no output).
//!
//! `scripts/bench.sh` times it beside `dechrome` on the same files: dechrome
//! cannot be faster than scanning every byte with these phrases unless it
//! skips bytes.
//!
//! ```sh
//! cargo build --release --examples
//! target/release/examples/ac_count shard.jsonl shard.jsonl.zst pages/
//! ```
//!
//! Files ending in `.gz` or `.zst` are decompressed with
//! `dechrome::format::open`; directories are walked (files in name order).
//! The automaton is built as dechrome builds its own: ASCII case-insensitive,
//! `MatchKind::Standard`, a DFA up to 2,000 phrases and a contiguous NFA
//! above (`--dfa` or `--nfa` force one). Prints, per input and in total,
//! the matches, the bytes and the scan's own rate (reading excluded).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use dechrome::rules::Pattern;
use dechrome::RuleSet;

/// dechrome's choice between DFA and NFA (`dechrome::matcher::DFA_MAX_PATTERNS`).
const DFA_MAX_PATTERNS: usize = 2_000;

fn main() -> ExitCode {
    let mut kind = None;
    let mut inputs = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("--dfa") => kind = Some(AhoCorasickKind::DFA),
            Some("--nfa") => kind = Some(AhoCorasickKind::ContiguousNFA),
            Some("-h" | "--help") => {
                println!("usage: ac_count [--dfa|--nfa] FILE|DIR...");
                return ExitCode::SUCCESS;
            }
            _ => inputs.push(PathBuf::from(arg)),
        }
    }
    if inputs.is_empty() {
        eprintln!("usage: ac_count [--dfa|--nfa] FILE|DIR...");
        return ExitCode::from(2);
    }

    let rules = RuleSet::defaults();
    let phrases: Vec<&[u8]> = rules
        .rules()
        .iter()
        .filter_map(|rule| match &rule.pattern {
            Pattern::Literal(p) => Some(p.as_slice()),
            Pattern::Regex(_) => None,
        })
        .collect();
    let kind = kind.unwrap_or(if phrases.len() <= DFA_MAX_PATTERNS {
        AhoCorasickKind::DFA
    } else {
        AhoCorasickKind::ContiguousNFA
    });
    let built = Instant::now();
    let ac = match AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(&phrases)
    {
        Ok(ac) => ac,
        Err(e) => {
            eprintln!("ac_count: cannot build the automaton: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "ac_count: {} phrases, {:?}, {:.1} KiB, built in {:.1} ms",
        phrases.len(),
        kind,
        ac.memory_usage() as f64 / 1024.0,
        built.elapsed().as_secs_f64() * 1e3
    );

    let mut files = Vec::new();
    for input in &inputs {
        if let Err(e) = collect(input, &mut files) {
            eprintln!("ac_count: {}: {e}", input.display());
            return ExitCode::FAILURE;
        }
    }
    let (mut matches, mut bytes, mut scanning) = (0u64, 0u64, Duration::ZERO);
    let mut buf = Vec::new();
    for file in &files {
        if let Err(e) = read(file, &mut buf) {
            eprintln!("ac_count: {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
        let start = Instant::now();
        let found = ac.find_overlapping_iter(&buf).count() as u64;
        scanning += start.elapsed();
        matches += found;
        bytes += buf.len() as u64;
        if files.len() <= 10 {
            println!("{}\t{found} matches\t{} bytes", file.display(), buf.len());
        }
    }
    println!(
        "total\t{matches} matches\t{bytes} bytes\t{} files\tscan {:.3} s = {:.1} MB/s",
        files.len(),
        scanning.as_secs_f64(),
        bytes as f64 / 1e6 / scanning.as_secs_f64().max(1e-9)
    );
    ExitCode::SUCCESS
}

/// Adds `path` (a file) or the files under it (a directory, in name order).
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        collect(&entry, files)?;
    }
    Ok(())
}

/// Reads a whole file into `buf`, decompressing `.gz` and `.zst`.
fn read(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let compressed = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("zst"));
    if compressed {
        dechrome::format::open(Some(path))?.read_to_end(buf)?;
    } else {
        std::fs::File::open(path)?.read_to_end(buf)?;
    }
    Ok(())
}
