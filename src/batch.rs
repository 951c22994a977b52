//! The parallel driver: finds the documents under the input paths, cleans them
//! on a rayon pool and hands the results back in input order.
//!
//! Output order never depends on the thread count: documents are cleaned in
//! bounded chunks with an ordered `par_iter().collect()`, and results are
//! delivered chunk by chunk, in order. Files under `-o` are written
//! atomically (a temporary file in the same directory, then a rename), so an
//! interrupted run leaves only complete files, and never over an input.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use dechrome::batch::{discover, Batch, Destination};
//! use dechrome::{Cleaner, RuleSet};
//!
//! let cleaner = Cleaner::new(RuleSet::defaults()).unwrap();
//! let (docs, errors) = discover(&[PathBuf::from("pages/")], None);
//! assert!(errors.is_empty());
//! let batch = Batch::new(&cleaner, Destination::Directory(PathBuf::from("clean/")));
//! let summary = batch.run(&docs, |_result| Ok(())).unwrap();
//! println!("{} documents, {} changed", summary.documents, summary.changed);
//! ```

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::clean::{Cleaner, Cleaning};
use crate::error::InputError;

/// One document to clean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    /// Standard input.
    Stdin,
    /// A file, with the path its output takes under the output directory.
    File {
        /// The input file.
        path: PathBuf,
        /// Its path relative to the output directory.
        relative: PathBuf,
    },
}

impl Document {
    /// How messages and explanations name the document.
    pub fn name(&self) -> String {
        match self {
            Document::Stdin => "<stdin>".to_string(),
            Document::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Expands input paths into documents: a file is itself (output under its
/// file name), a directory is every file below it in name order (output
/// mirrors the tree), `-` is standard input. Paths that cannot be read are
/// returned as errors; the others are still listed. `exclude` is a directory
/// never descended into (the output directory, when it lies inside an input).
pub fn discover(paths: &[PathBuf], exclude: Option<&Path>) -> (Vec<Document>, Vec<InputError>) {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            docs.push(Document::Stdin);
            continue;
        }
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(source) => {
                errors.push(InputError::Read {
                    path: path.clone(),
                    source,
                });
                continue;
            }
        };
        if !meta.is_dir() {
            let relative = path.file_name().map(PathBuf::from).unwrap_or_default();
            docs.push(Document::File {
                path: path.clone(),
                relative,
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                exclude.is_none()
                    || !e.file_type().is_dir()
                    || e.path().canonicalize().ok() != exclude
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let relative = e
                        .path()
                        .strip_prefix(path)
                        .unwrap_or(e.path())
                        .to_path_buf();
                    docs.push(Document::File {
                        path: e.path().to_path_buf(),
                        relative,
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    let path = err.path().unwrap_or(path).to_path_buf();
                    errors.push(InputError::Read {
                        path,
                        source: err.into(),
                    });
                }
            }
        }
    }
    (docs, errors)
}

/// Where cleaned text goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Returned to the caller (who prints it, for instance).
    Caller,
    /// Written under this directory, mirroring the inputs.
    Directory(PathBuf),
}

/// What became of one document.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The document.
    pub document: &'a Document,
    /// The original bytes (empty when reading failed).
    pub original: Vec<u8>,
    /// What was removed.
    pub cleaning: Cleaning,
    /// The cleaned text, for [`Destination::Caller`].
    pub cleaned: Option<Vec<u8>>,
    /// Why the document could not be processed, if it could not.
    pub error: Option<InputError>,
}

/// Counts over a whole batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents processed successfully.
    pub documents: usize,
    /// Documents that lost at least one byte.
    pub changed: usize,
    /// Documents that failed.
    pub failed: usize,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes removed.
    pub bytes_removed: u64,
    /// The run was cancelled before every document was processed.
    pub interrupted: bool,
}

/// Cleans many documents on the current rayon pool.
#[derive(Debug)]
pub struct Batch<'c> {
    cleaner: &'c Cleaner,
    destination: Destination,
    pool: Option<&'c rayon::ThreadPool>,
    cancel: Option<&'c AtomicBool>,
}

impl<'c> Batch<'c> {
    /// A batch writing to `destination`.
    pub fn new(cleaner: &'c Cleaner, destination: Destination) -> Batch<'c> {
        Batch {
            cleaner,
            destination,
            pool: None,
            cancel: None,
        }
    }

    /// Stops the batch once `flag` is set (by a Ctrl-C handler, say): documents
    /// not yet started are skipped, those under way finish, so every output
    /// file is complete and no temporary file is left.
    pub fn with_cancel(mut self, flag: &'c AtomicBool) -> Batch<'c> {
        self.cancel = Some(flag);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Runs the cleaning on `pool` instead of rayon's global pool. The
    /// `deliver` callback of [`Batch::run`] stays on the calling thread.
    pub fn with_pool(mut self, pool: &'c rayon::ThreadPool) -> Batch<'c> {
        self.pool = Some(pool);
        self
    }

    /// Cleans `docs`, calling `deliver` with each outcome in input order. An
    /// error from `deliver` (a closed stdout, say) stops the batch and is
    /// returned; a document that fails is delivered with its error and the
    /// batch goes on.
    pub fn run<F>(&self, docs: &[Document], mut deliver: F) -> io::Result<Summary>
    where
        F: FnMut(Outcome<'_>) -> io::Result<()>,
    {
        let mut summary = Summary::default();
        let threads = self
            .pool
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
        // Bounded chunks keep memory flat; an ordered collect keeps output order.
        for chunk in docs.chunks(64 * threads.max(1)) {
            let clean_chunk = || -> Vec<Option<Outcome<'_>>> {
                chunk
                    .par_iter()
                    .map(|d| (!self.cancelled()).then(|| self.process(d)))
                    .collect()
            };
            let outcomes = match self.pool {
                Some(pool) => pool.install(clean_chunk),
                None => clean_chunk(),
            };
            for outcome in outcomes {
                // Delivered in order up to the first skipped document.
                let Some(outcome) = outcome else {
                    summary.interrupted = true;
                    return Ok(summary);
                };
                if outcome.error.is_some() {
                    summary.failed += 1;
                } else {
                    summary.documents += 1;
                    summary.changed += usize::from(!outcome.cleaning.is_unchanged());
                    summary.bytes_in += outcome.original.len() as u64;
                    summary.bytes_removed += outcome.cleaning.removed_bytes() as u64;
                }
                deliver(outcome)?;
            }
            if self.cancelled() {
                summary.interrupted = true;
                break;
            }
        }
        Ok(summary)
    }

    fn process<'d>(&self, document: &'d Document) -> Outcome<'d> {
        let mut outcome = Outcome {
            document,
            original: Vec::new(),
            cleaning: Cleaning::default(),
            cleaned: None,
            error: None,
        };
        match read(document) {
            Ok(bytes) => outcome.original = bytes,
            Err(e) => {
                outcome.error = Some(e);
                return outcome;
            }
        }
        outcome.cleaning = self.cleaner.clean(&outcome.original);
        let cleaned = outcome.cleaning.apply(&outcome.original);
        match (&self.destination, document) {
            (Destination::Directory(dir), Document::File { path, relative }) => {
                let dest = dir.join(relative);
                if let Err(e) = write_atomically(path, &dest, &cleaned) {
                    outcome.error = Some(e);
                }
            }
            _ => outcome.cleaned = Some(cleaned),
        }
        outcome
    }
}

fn read(document: &Document) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    match document {
        Document::Stdin => io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes),
        Document::File { path, .. } => fs::read(path),
    }
    .map_err(|source| InputError::Read {
        path: PathBuf::from(document.name()),
        source,
    })
}

/// Writes `bytes` to `dest` through a temporary file in the same directory,
/// refusing to replace `input` itself. The new file gets the input's permissions.
pub fn write_atomically(input: &Path, dest: &Path, bytes: &[u8]) -> Result<(), InputError> {
    let write_err = |source: io::Error| InputError::Write {
        path: dest.to_path_buf(),
        source,
    };
    if let (Ok(a), Ok(b)) = (input.canonicalize(), dest.canonicalize()) {
        if a == b {
            return Err(InputError::WouldOverwriteInput {
                path: dest.to_path_buf(),
            });
        }
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(write_err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".dechrome-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(write_err)?;
    tmp.write_all(bytes).map_err(write_err)?;
    if let Ok(meta) = fs::metadata(input) {
        // Best effort: a file system without permissions still gets the text.
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(dest).map_err(|e| write_err(e.error))?;
    Ok(())
}
