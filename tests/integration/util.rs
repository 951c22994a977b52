//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The `dechrome` binary under test, with a generous time limit so that a
/// hang fails the test instead of the whole run.
pub fn dechrome() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("dechrome").unwrap();
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Shorthands for what the tests read back from a run.
pub trait RunExt {
    /// Runs the command, asserts it succeeded, returns its standard output as text.
    fn success_stdout(&mut self) -> String;
}

impl RunExt for assert_cmd::Command {
    fn success_stdout(&mut self) -> String {
        let out = self.assert().success().get_output().stdout.clone();
        String::from_utf8(out).expect("standard output is UTF-8")
    }
}

/// A finished run's standard error, as text.
pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// The repository's `tests/fixtures` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Asserts two texts are equal, printing a line diff of the first differences if not.
#[track_caller]
pub fn assert_text_eq(what: &str, want: &[u8], got: &[u8]) {
    if want == got {
        return;
    }
    let want = String::from_utf8_lossy(want);
    let got = String::from_utf8_lossy(got);
    let mut report = format!("{what}: output differs from the expected text\n");
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split('\n').collect(), got.split('\n').collect());
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            report.push_str(&format!(
                "line {}:\n  - want {:?}\n  + got  {:?}\n",
                i + 1,
                a,
                b
            ));
            if report.lines().count() > 30 {
                break;
            }
        }
    }
    panic!("{report}");
}

/// Every file below `dir`, as (path relative to `dir`, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walk(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}
