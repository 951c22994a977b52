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

/// dechrome run as a co-process, as a program driving it waits for each
/// answer: standard input, output and error piped, the output's lines read
/// by a thread so that waiting for one can fail instead of hanging.
pub struct Coprocess {
    pub child: std::process::Child,
    pub stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Coprocess {
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Coprocess {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dechrome"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Coprocess {
            child,
            stdin,
            lines,
        }
    }

    /// Writes `bytes` to standard input and flushes it.
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("standard input open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// The next line of output. With standard input still open, an answer
    /// held back never comes: the time limit only ends a failing test.
    pub fn line(&self, what: &str) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no answer to {what} before the next record"))
    }

    /// Waits for the process to end (at most a minute) and returns how it
    /// ended and its standard error; standard input stays open until then.
    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                self.child.kill().unwrap();
                panic!("still running a minute later");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        drop(self.stdin.take());
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status, stderr)
    }
}
