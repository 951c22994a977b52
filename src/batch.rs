//! The parallel driver: finds the documents under the input paths, cleans them
//! on a rayon pool and hands the results back in input order.
//!
//! Two shapes of work, one code path:
//! - many small text files: consecutive text files are cleaned in bounded
//!   chunks, one file per task;
//! - shards (JSONL, WARC, standard input): records are read in bounded
//!   batches, each batch is cleaned in parallel, and the results are written
//!   in input order before the next batch is read, so memory stays flat
//!   whatever the size of the file.
//!
//! Output order never depends on the thread count (ordered
//! `par_iter().collect()`, never `par_bridge`). Files under the output
//! directory are written atomically (a temporary file in the same directory,
//! then a rename), so an interrupted or failed file leaves nothing behind,
//! and never over an input.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use dechrome::batch::{discover, Batch, Destination, Links, Options};
//! use dechrome::{Cleaner, RuleSet};
//!
//! let cleaner = Cleaner::new(RuleSet::defaults()).unwrap();
//! let (docs, errors) = discover(&[PathBuf::from("pages/")], &[], Links::Skip);
//! assert!(errors.is_empty());
//! let options = Options { destination: Destination::Directory("clean/".into()), ..Options::default() };
//! let batch = Batch::new(&cleaner, options);
//! let summary = batch.run(&docs, &mut std::io::sink(), |_event| Ok(())).unwrap();
//! println!("{} documents, {} changed", summary.stats.documents, summary.stats.changed);
//! ```

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::attributes;
use crate::clean::{Cleaner, Cleaning};
use crate::error::InputError;
use crate::format::jsonl::{Keys, Record};
use crate::format::warc::{self, Item};
use crate::format::{self, url_host, Compression, Format, Output};
use crate::stats::{DocCounts, Stats};

/// One input: a file or standard input.
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
    /// How messages and explanations name the input (text meant for a
    /// terminal shows it through [`crate::explain::visible`]).
    pub fn name(&self) -> String {
        match self {
            Document::Stdin => "<stdin>".to_string(),
            Document::File { path, .. } => path.display().to_string(),
        }
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Document::Stdin => None,
            Document::File { path, .. } => Some(path),
        }
    }
}

/// Whether [`discover`] walks into links to directories found inside an
/// input directory (`--follow`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Links {
    /// Skip them, as `find` and ripgrep do by default.
    #[default]
    Skip,
    /// Walk them as if they were directories; a link back to a directory
    /// above it is reported as an error, not walked forever.
    Follow,
}

/// `docs` ([`discover`]ed from `paths`) without the file at `path` that a
/// run writes once (statistics, learned rules), when a directory walk found
/// it among them (however reached: by its name, a link, `--follow`) and it
/// begins with `signature`, as that file does: it is the same command's
/// output of an earlier run, not an input. Any other file there is left
/// among the inputs, which [`Batch::claim_on`] then keeps from being written
/// over; so is one named in `paths` itself.
pub fn without_own_file(
    mut docs: Vec<Document>,
    paths: &[PathBuf],
    path: &Path,
    signature: &[u8],
) -> Vec<Document> {
    let Some(own) = FileId::of(path) else {
        return docs;
    };
    let begins_as_own = || {
        let mut head = vec![0; signature.len()];
        fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == signature)
    };
    let found = |doc: &Document| {
        doc.path().is_some_and(|p| {
            !paths.iter().any(|given| given == p) && FileId::of(p).as_ref() == Some(&own)
        })
    };
    if docs.iter().any(found) && begins_as_own() {
        docs.retain(|doc| !found(doc));
    }
    docs
}

/// Expands input paths into documents: a file is itself (output under its
/// file name), a directory is every file (or link to a file) below it in name
/// order (output mirrors the tree; with [`Links::Follow`], links to
/// directories are walked too), `-` is standard input. Paths that cannot
/// be read, dangling links included, are returned as errors; the others are
/// still listed. `exclude` lists what is never read inside a directory
/// given: the directories a run writes (the output and attribute
/// directories), when they lie inside an input (for a file a run writes,
/// see [`without_own_file`]).
pub fn discover(
    paths: &[PathBuf],
    exclude: &[&Path],
    links: Links,
) -> (Vec<Document>, Vec<InputError>) {
    // What dechrome itself writes (the output and attribute directories)
    // is not read back as input by a later run.
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let excluded = |e: &walkdir::DirEntry| {
        // (A link may have any name: with `--follow`, one to the output
        // directory must not lead back into it.)
        let named =
            e.path_is_symlink() || exclude.iter().any(|x| x.file_name() == Some(e.file_name()));
        named && e.path().canonicalize().is_ok_and(|p| exclude.contains(&p))
    };
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
            .follow_links(links == Links::Follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !excluded(e));
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    docs.push(Document::File {
                        path: e.path().to_path_buf(),
                        relative: relative_to(e.path(), path),
                    });
                }
                // A link to a file is cleaned like the file (as a link named on
                // the command line is); a dangling one is reported, not skipped
                // in silence. Links to directories are followed only when asked
                // (walkdir then reports a loop as an error).
                Ok(e) if e.file_type().is_symlink() => match fs::metadata(e.path()) {
                    Ok(meta) if meta.is_file() => docs.push(Document::File {
                        path: e.path().to_path_buf(),
                        relative: relative_to(e.path(), path),
                    }),
                    Ok(_) => {}
                    Err(source) => errors.push(InputError::Read {
                        path: e.path().to_path_buf(),
                        source,
                    }),
                },
                Ok(_) => {}
                Err(err) => {
                    let path = err.path().unwrap_or(path).to_path_buf();
                    // The system's error as it is (walkdir's wrapping repeats
                    // the path), or the loop a followed link makes.
                    let source = match (err.io_error(), err.loop_ancestor()) {
                        (Some(e), _) => io::Error::new(e.kind(), e.to_string()),
                        (None, Some(ancestor)) => io::Error::other(format!(
                            "a link back to {}, which it is inside: not followed",
                            ancestor.display()
                        )),
                        (None, None) => err.into(),
                    };
                    errors.push(InputError::Read { path, source });
                }
            }
        }
    }
    (docs, errors)
}

/// `path` relative to the input directory `root` it was found under.
fn relative_to(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Where cleaned text goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Destination {
    /// To the writer given to [`Batch::run`] (standard output, say), uncompressed.
    #[default]
    Stream,
    /// Under this directory, mirroring the inputs' paths and compression.
    Directory(PathBuf),
    /// Nowhere (`--check`).
    Nowhere,
}

/// Dolma attribute files to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributesOut {
    /// The directory, mirroring the input paths.
    pub dir: PathBuf,
    /// The attribute name prefix (`NAME__removed`).
    pub name: String,
}

/// How a batch reads and writes.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Format of every input (`--format`); `None`: by extension, text for standard input.
    /// `Some(Format::Jsonl)` on a WARC input (recognised by its first bytes) converts it to JSONL.
    pub format: Option<Format>,
    /// JSONL field names.
    pub keys: Keys,
    /// A malformed record fails its whole file instead of passing through.
    pub strict: bool,
    /// Where cleaned text goes.
    pub destination: Destination,
    /// Dolma attribute files, if wanted.
    pub attributes: Option<AttributesOut>,
    /// Events carry the original and cleaned text (for explanations and diffs).
    pub keep_text: bool,
    /// Each record is cleaned and written as soon as it is read, and the
    /// stream flushed after it, instead of in batches: for a program that
    /// writes a record and waits for its result (`--line-buffered`).
    /// Records are then not cleaned side by side.
    pub line_buffered: bool,
}

/// One cleaned document.
#[derive(Clone, Debug)]
pub struct DocumentEvent {
    /// The input's name.
    pub name: String,
    /// The record's 1-based line (JSONL) or record number (WARC) in its file.
    pub record: Option<usize>,
    /// The record's id, if it has one.
    pub id: Option<String>,
    /// The same id as JSON, as the record has it (`7`, `"a7"`): what
    /// attribute files and `--explain --format json` write.
    pub id_json: Option<String>,
    /// The page URL, if the record has one.
    pub url: Option<String>,
    /// The document text, with [`Options::keep_text`].
    pub original: Option<Vec<u8>>,
    /// The cleaned text, with [`Options::keep_text`].
    pub cleaned: Option<Vec<u8>>,
    /// What was removed.
    pub cleaning: Cleaning,
    /// Counts for statistics.
    pub counts: DocCounts,
}

/// What happened, in input order.
#[derive(Debug)]
pub enum Event {
    /// A document was cleaned.
    Document(DocumentEvent),
    /// A record could not be cleaned; it was passed through unchanged (or,
    /// with [`Options::strict`], failed its file), unless it has no form in
    /// the output format (`lost`).
    Malformed {
        /// The input's name.
        name: String,
        /// The line or record number.
        record: usize,
        /// Why.
        reason: String,
        /// The record is missing from the output: a damaged WARC stretch
        /// converted to JSONL, which cannot hold it.
        lost: bool,
    },
    /// An input could not be processed; nothing was written for it.
    Failed(InputError),
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Statistics, in input order.
    pub stats: Stats,
    /// Inputs that failed.
    pub failed: usize,
    /// Malformed records missing from the output ([`Event::Malformed`]'s `lost`).
    pub lost: usize,
    /// The run was cancelled before every input was processed.
    pub interrupted: bool,
}

/// Records read per batch at most, and bytes per batch at most: enough to
/// keep both cores busy, small enough that memory does not grow with the file.
const BATCH_RECORDS: usize = 2048;
const BATCH_BYTES: usize = 16 << 20;

/// Bytes per batch when reading and writing overlap the cleaning (more than
/// one thread): four batches are then held at once (one read, one cleaned
/// into its output, one written) instead of two, so each is half the size.
const OVERLAPPED_BATCH_BYTES: usize = BATCH_BYTES / 2;

/// Bytes per batch on one thread, where no other core waits for work: a
/// batch about the size of the cache is cleaned into memory the last batch
/// used and freed, still cached and mapped, where a large one writes its
/// outputs into fresh pages (`BENCHMARKS.md`, eighth round).
const SERIAL_BATCH_BYTES: usize = 1 << 20;

/// Cleans many documents on a rayon pool.
#[derive(Debug)]
pub struct Batch<'c> {
    cleaner: &'c Cleaner,
    options: Options,
    pool: Option<&'c rayon::ThreadPool>,
    cancel: Option<&'c AtomicBool>,
}

/// A unit of work read from an input.
enum Unit {
    /// A whole text file.
    Text(Vec<u8>),
    /// A JSONL line (without its `\n`).
    Line {
        number: usize,
        bytes: Vec<u8>,
        newline: bool,
    },
    /// A WARC item.
    Warc { number: usize, item: Item },
}

impl Unit {
    fn len(&self) -> usize {
        match self {
            Unit::Text(b) | Unit::Line { bytes: b, .. } => b.len(),
            Unit::Warc {
                item: Item::Record(r),
                ..
            } => r.body.len(),
            Unit::Warc {
                item: Item::Damaged { bytes, .. },
                ..
            } => bytes.len(),
        }
    }
}

/// A unit after cleaning.
struct Done {
    /// Bytes for the output.
    out: Vec<u8>,
    /// The Dolma attribute row, if attributes are wanted and the unit has one.
    attributes: Option<String>,
    event: Option<Event>,
    /// With `strict`, the reason the file fails.
    fatal: Option<String>,
}

/// Reads units from one input.
enum UnitReader {
    Text(Option<format::Input>),
    Jsonl {
        input: format::Input,
        line: usize,
    },
    Warc {
        reader: warc::Reader<format::Input>,
        record: usize,
    },
}

impl UnitReader {
    /// Reads up to `max_units` units and about `max_bytes` (the unit that
    /// reaches it is the last); empty at the end of the input. A read
    /// error ends the batch: the units read whole before it come with it,
    /// so that what reaches the stream before an input fails does not
    /// depend on where batches end (nor on the thread count, which sets
    /// their size). An output file of a failed input is not kept.
    fn next_batch(&mut self, max_units: usize, max_bytes: usize) -> (Vec<Unit>, Option<io::Error>) {
        let mut units = Vec::new();
        let error = self.read_units(&mut units, max_units, max_bytes).err();
        (units, error)
    }

    /// [`UnitReader::next_batch`], line-buffered: one unit. From an input
    /// that `may_block` (standard input, a pipe), it is read while
    /// [`waiting_for_input`] says so, and none is read when `cancelled` says
    /// so once that is set (an interrupt between the two is seen by one of
    /// them).
    fn next_unit(
        &mut self,
        may_block: bool,
        cancelled: impl Fn() -> bool,
    ) -> (Vec<Unit>, Option<io::Error>) {
        if !may_block {
            return self.next_batch(1, usize::MAX);
        }
        WAITING.store(true, Ordering::SeqCst);
        let next = if cancelled() {
            (Vec::new(), None)
        } else {
            self.next_batch(1, usize::MAX)
        };
        WAITING.store(false, Ordering::SeqCst);
        next
    }

    fn read_units(
        &mut self,
        units: &mut Vec<Unit>,
        max_units: usize,
        max_bytes: usize,
    ) -> io::Result<()> {
        let mut bytes = 0;
        while units.len() < max_units && bytes < max_bytes {
            let unit = match self {
                UnitReader::Text(input) => match input.take() {
                    Some(mut input) => {
                        let mut text = Vec::new();
                        input.read_to_end(&mut text)?;
                        Unit::Text(text)
                    }
                    None => break,
                },
                UnitReader::Jsonl { input, line } => {
                    let mut bytes = Vec::new();
                    if input.read_until(b'\n', &mut bytes)? == 0 {
                        break;
                    }
                    *line += 1;
                    let newline = bytes.last() == Some(&b'\n');
                    if newline {
                        bytes.pop();
                    }
                    Unit::Line {
                        number: *line,
                        bytes,
                        newline,
                    }
                }
                UnitReader::Warc { reader, record } => match reader.next() {
                    Some(item) => {
                        *record += 1;
                        Unit::Warc {
                            number: *record,
                            item: item?,
                        }
                    }
                    None => break,
                },
            };
            bytes += unit.len();
            units.push(unit);
        }
        Ok(())
    }
}

/// Where one input's cleaned batches go: its output file, or the stream
/// (`None` when neither, as for `--check`), and its attribute file.
struct Outputs<'a> {
    sink: Option<Sink>,
    attributes: Option<Sink>,
    stream: Option<&'a mut dyn Write>,
}

/// A file being written: a temporary file renamed into place when complete.
struct Sink {
    out: Output<tempfile::NamedTempFile>,
    dest: PathBuf,
    /// The permissions the file takes when committed (its input's).
    permissions: Option<fs::Permissions>,
    listed: Listed,
}

/// The temporary files being written, so that a hard stop can remove them
/// ([`exit_removing_temporary_files`]); each is removed from the list when its
/// sink is committed or dropped.
static TEMPORARY: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A temporary file's place in [`TEMPORARY`], for as long as it lives.
struct Listed(PathBuf);

impl Drop for Listed {
    fn drop(&mut self) {
        let mut list = TEMPORARY.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = list.iter().position(|p| *p == self.0) {
            list.swap_remove(at);
        }
    }
}

/// True while a line-buffered run waits for its next record from standard
/// input or a pipe (see [`Options::line_buffered`]): nothing is under way
/// then, so an interrupt need not wait for that record to come (the
/// binary's Ctrl-C handler then stops at once).
pub fn waiting_for_input() -> bool {
    WAITING.load(Ordering::SeqCst)
}

static WAITING: AtomicBool = AtomicBool::new(false);

/// Exits with `code` at once (a second Ctrl-C), first removing the
/// temporary files being written, which exiting without unwinding would
/// leave behind. The list stays locked until the process ends, so no new
/// temporary file is made meanwhile.
pub fn exit_removing_temporary_files(code: i32) -> ! {
    let list = TEMPORARY.lock().unwrap_or_else(|e| e.into_inner());
    for path in list.iter() {
        let _ = fs::remove_file(path);
    }
    std::process::exit(code)
}

impl Sink {
    /// A sink for `dest`, which takes `permissions` (its input's) when
    /// committed. The temporary file is made with them, or with any new
    /// file's (0666 less the umask) when there are none: never wider than
    /// the file it becomes.
    fn create(
        dest: PathBuf,
        compression: Compression,
        per_record: bool,
        permissions: Option<fs::Permissions>,
    ) -> io::Result<Sink> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            permissions.as_ref().map_or(0o666, |p| p.mode() & 0o777)
        };
        let temp = || {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".dechrome-").suffix(".tmp");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(fs::Permissions::from_mode(mode));
            }
            builder.tempfile_in(&parent)
        };
        // Made and listed under the list's lock: a hard stop, which holds
        // it to the end, finds every temporary file made before it.
        let mut list = TEMPORARY.lock().unwrap_or_else(|e| e.into_inner());
        // The directory usually exists (made for an earlier file): make it
        // only when the temporary file cannot be created without it.
        let tmp = match temp() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&parent)?;
                temp()?
            }
            tmp => tmp?,
        };
        list.push(tmp.path().to_path_buf());
        drop(list);
        let listed = Listed(tmp.path().to_path_buf());
        let out = match per_record {
            true => Output::per_record(tmp, compression)?,
            false => Output::new(tmp, compression)?,
        };
        Ok(Sink {
            out,
            dest,
            permissions,
            listed,
        })
    }

    fn commit(self) -> io::Result<()> {
        let dest = self.dest.clone();
        let (tmp, _listed) = self.finish()?;
        tmp.persist(&dest).map_err(|e| e.error)?;
        Ok(())
    }

    /// The temporary file, complete and with its permissions, to be
    /// renamed into place, and its place in [`TEMPORARY`] until then.
    fn finish(self) -> io::Result<(tempfile::NamedTempFile, Listed)> {
        let tmp = self.out.finish()?;
        if let Some(permissions) = self.permissions {
            // Best effort: a file system without permissions still gets the text.
            let _ = tmp.as_file().set_permissions(permissions);
        }
        Ok((tmp, self.listed))
    }
}

/// `rel` with its format extension changed for a converted output
/// (`a.warc.gz` as JSONL is `a.warc.jsonl.gz`).
fn converted_name(rel: &Path, to: Format) -> PathBuf {
    let compression = Compression::from_path(rel);
    let stem = match compression {
        Compression::None => rel.to_path_buf(),
        _ => rel.with_extension(""),
    };
    let mut name = stem.into_os_string();
    name.push(".");
    name.push(to.name());
    if let Some(ext) = rel.extension().filter(|_| compression != Compression::None) {
        name.push(".");
        name.push(ext);
    }
    PathBuf::from(name)
}

/// Keeps documents written one after another to a stream on separate lines.
#[derive(Default)]
struct StreamState {
    wrote: bool,
    ends_with_newline: bool,
}

impl StreamState {
    fn write(&mut self, out: &mut dyn Write, bytes: &[u8], new_input: &mut bool) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if *new_input && self.wrote && !self.ends_with_newline {
            out.write_all(b"\n")?;
        }
        *new_input = false;
        out.write_all(bytes)?;
        self.wrote = true;
        self.ends_with_newline = bytes.ends_with(b"\n");
        Ok(())
    }
}

impl<'c> Batch<'c> {
    /// A batch with `options`.
    pub fn new(cleaner: &'c Cleaner, options: Options) -> Batch<'c> {
        Batch {
            cleaner,
            options,
            pool: None,
            cancel: None,
        }
    }

    /// Runs the cleaning on `pool` instead of rayon's global pool. Callbacks
    /// stay on the calling thread.
    pub fn with_pool(mut self, pool: &'c rayon::ThreadPool) -> Batch<'c> {
        self.pool = Some(pool);
        self
    }

    /// Stops the batch once `flag` is set (by a Ctrl-C handler, say): inputs
    /// not yet started are skipped, those under way stop between batches and
    /// leave no output file, so every file written is complete.
    pub fn with_cancel(mut self, flag: &'c AtomicBool) -> Batch<'c> {
        self.cancel = Some(flag);
        self
    }

    fn cancelled(&self) -> bool {
        // (SeqCst: a line-buffered read and the binary's interrupt each
        // store one flag and then load the other; see `next_unit`.)
        self.cancel.is_some_and(|f| f.load(Ordering::SeqCst))
    }

    fn install<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        match self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }

    /// The threads that clean.
    fn threads(&self) -> usize {
        self.pool
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    fn chunk_size(&self) -> usize {
        64 * self.threads().max(1)
    }

    /// The format a document is read in, judged by name alone.
    fn named_format(&self, doc: &Document) -> Format {
        match (self.options.format, doc) {
            (Some(f), _) => f,
            (None, Document::Stdin) => Format::Text,
            (None, Document::File { path, .. }) => Format::from_path(path),
        }
    }

    /// Cleans `docs`. Cleaned text for [`Destination::Stream`] goes to
    /// `stream`; every event is passed to `deliver` in input order, after it
    /// has been counted in the statistics. An error from `stream` or
    /// `deliver` (a closed standard output, say) stops the run and is returned.
    pub fn run<F>(
        &self,
        docs: &[Document],
        stream: &mut dyn Write,
        mut deliver: F,
    ) -> io::Result<Summary>
    where
        F: FnMut(&Event) -> io::Result<()>,
    {
        let plan = self.plan(docs);
        let mut summary = Summary::default();
        let mut state = StreamState::default();
        let mut handle = |event: Event, summary: &mut Summary| -> io::Result<()> {
            match &event {
                Event::Document(d) => {
                    summary
                        .stats
                        .add_document(self.cleaner.matcher(), &d.cleaning, &d.counts)
                }
                Event::Malformed { lost, .. } => {
                    summary.stats.add_malformed("malformed record");
                    if *lost {
                        summary.lost += 1;
                        summary.stats.add_error("record left out");
                    }
                }
                Event::Failed(e) => {
                    summary.failed += 1;
                    summary.stats.failed_inputs += 1;
                    summary.stats.add_error(e.kind());
                }
            }
            deliver(&event)
        };
        let mut i = 0;
        while i < docs.len() {
            if self.cancelled() {
                summary.interrupted = true;
                break;
            }
            // A run of small text files: one task per file.
            let run = docs[i..]
                .iter()
                .take(self.chunk_size())
                .take_while(|d| *d != &Document::Stdin && self.named_format(d) == Format::Text)
                .count();
            if run > 0 {
                let chunk = &docs[i..i + run];
                let results: Vec<Option<(Vec<u8>, Vec<Event>)>> = self.install(|| {
                    chunk
                        .par_iter()
                        .enumerate()
                        .map(|(k, doc)| {
                            (!self.cancelled()).then(|| {
                                let mut bytes = Vec::new();
                                let mut events = Vec::new();
                                let mut collect = |e: Event| {
                                    events.push(e);
                                    Ok(())
                                };
                                let _ =
                                    self.process_input(doc, i + k, &plan, &mut bytes, &mut collect);
                                (bytes, events)
                            })
                        })
                        .collect()
                });
                for result in results {
                    let Some((bytes, events)) = result else {
                        summary.interrupted = true;
                        return Ok(summary);
                    };
                    state.write(stream, &bytes, &mut true)?;
                    for event in events {
                        handle(event, &mut summary)?;
                    }
                }
                i += run;
            } else {
                let mut new_input = true;
                let mut to_stream = StreamWriter {
                    out: stream,
                    state: &mut state,
                    new_input: &mut new_input,
                };
                let mut emit = |e: Event| handle(e, &mut summary);
                self.process_input(&docs[i], i, &plan, &mut to_stream, &mut emit)?;
                i += 1;
            }
        }
        // A cancel inside the last input stops it where the loop does not look.
        summary.interrupted |= self.cancelled();
        Ok(summary)
    }

    /// What a WARC input is written as: WARC, unless `--format` asks for
    /// JSONL (text is not a way to write WARC records).
    fn warc_output_format(&self) -> Format {
        match self.options.format {
            Some(Format::Jsonl) => Format::Jsonl,
            _ => Format::Warc,
        }
    }

    /// What `doc` is read as and written as. A file named as WARC is WARC
    /// (even when it starts with a damaged stretch), and so is any input
    /// whose first bytes are a WARC version line (`starts_as_warc`: standard
    /// input, other names; the plan, made before reading, passes `false`),
    /// unless `--format text` says otherwise. WARC is converted when
    /// `--format` asks for JSONL.
    fn formats(&self, doc: &Document, starts_as_warc: bool) -> (Format, Format) {
        let named = self.named_format(doc);
        let named_warc = doc.path().map(Format::from_path) == Some(Format::Warc);
        if named != Format::Text && (named_warc || starts_as_warc) {
            (Format::Warc, self.warc_output_format())
        } else {
            (named, named)
        }
    }

    /// The path of `doc`'s output relative to the output directory, read as
    /// `in_format` and written as `out_format` (a converted WARC gets the
    /// new format's extension).
    fn relative(&self, doc: &Document, in_format: Format, out_format: Format) -> PathBuf {
        match doc {
            Document::File { relative, .. } if out_format != in_format => {
                converted_name(relative, out_format)
            }
            Document::File { relative, .. } => relative.clone(),
            Document::Stdin => PathBuf::from(match out_format {
                Format::Text => "stdin.txt",
                Format::Jsonl => "stdin.jsonl",
                Format::Warc => "stdin.warc",
            }),
        }
    }

    /// Where `doc`'s cleaned output (under `-o`; standard input goes to the
    /// stream) and its attribute file go, if anywhere: one entry per
    /// [`Role`], in the order of [`Role::ALL`].
    fn destinations(
        &self,
        doc: &Document,
        relative: &Path,
        in_format: Format,
    ) -> [Option<PathBuf>; 2] {
        let output = match (&self.options.destination, doc) {
            (Destination::Directory(dir), Document::File { .. }) => Some(dir.join(relative)),
            _ => None,
        };
        let attributes = self.options.attributes.as_ref().map(|attrs| {
            if in_format == Format::Jsonl {
                attrs.dir.join(relative)
            } else {
                let mut name = relative.as_os_str().to_owned();
                name.push(".attributes.jsonl");
                attrs.dir.join(name)
            }
        });
        [output, attributes]
    }

    /// What the run may write, decided before it reads anything: every
    /// input file, and which input owns each output path (the first, in
    /// order, whose output or attribute file it is). Formats are taken from
    /// the names, as reading will find them (a file named as WARC is
    /// converted when `--format` asks for another).
    fn plan(&self, docs: &[Document]) -> Plan {
        let mut plan = Plan::default();
        for (index, doc) in docs.iter().enumerate() {
            let id = doc.path().and_then(FileId::of);
            if let Some(id) = &id {
                plan.inputs.entry(id.clone()).or_insert(index);
            }
            let (in_format, out_format) = self.formats(doc, false);
            let relative = self.relative(doc, in_format, out_format);
            let destinations = self.destinations(doc, &relative, in_format);
            for (role, dest) in Role::ALL.into_iter().zip(destinations) {
                if let Some(dest) = dest {
                    let key = plan.key(&dest);
                    plan.owners.entry(key).or_insert_with(|| Owner {
                        index,
                        role,
                        input: id.clone(),
                        name: doc.name(),
                    });
                }
            }
        }
        plan
    }

    /// What among `docs` a file written once per run (`--stats`, learned
    /// rules) at `path` would write over: an input, or an input's output or
    /// attribute file.
    pub fn claim_on<'d>(&self, docs: &'d [Document], path: &Path) -> Option<Claim<'d>> {
        let plan = self.plan(docs);
        if let Some(&index) = FileId::of(path).and_then(|id| plan.inputs.get(&id)) {
            return Some(Claim::Input(&docs[index]));
        }
        let owner = plan.owners.get(&plan.key(path))?;
        Some(Claim::Output(&docs[owner.index]))
    }

    /// Reads, cleans and writes one input (`index` in the run's order),
    /// emitting its events in order. A failure of the input itself is
    /// emitted as [`Event::Failed`]; only an error of `stream` or `emit` is
    /// returned.
    fn process_input(
        &self,
        doc: &Document,
        index: usize,
        plan: &Plan,
        stream: &mut dyn Write,
        emit: &mut dyn FnMut(Event) -> io::Result<()>,
    ) -> io::Result<()> {
        let name = doc.name();
        let read_err = |source: io::Error| InputError::Read {
            path: PathBuf::from(&name),
            source,
        };
        let mut input = match format::open(doc.path()) {
            Ok(input) => input,
            Err(e) => return emit(Event::Failed(read_err(e))),
        };
        // A WARC file asked for as JSONL is converted, not misread.
        let starts_as_warc = self.named_format(doc) != Format::Text
            && match input.fill_buf() {
                Ok(head) => head.starts_with(b"WARC/"),
                Err(e) => return emit(Event::Failed(read_err(e))),
            };
        let (in_format, out_format) = self.formats(doc, starts_as_warc);
        let mut reader = match in_format {
            Format::Text => UnitReader::Text(Some(input)),
            Format::Jsonl => UnitReader::Jsonl { input, line: 0 },
            Format::Warc => UnitReader::Warc {
                reader: warc::Reader::new(input),
                record: 0,
            },
        };
        let relative = self.relative(doc, in_format, out_format);
        let [output_dest, attributes_dest] = self.destinations(doc, &relative, in_format);
        // The input file's metadata, read once: which file it is (for the
        // checks of what its files may write over), the permissions both its
        // files take, and whether a line-buffered read may wait on it.
        let line_buffered = self.options.line_buffered;
        let writes_files = output_dest.is_some() || attributes_dest.is_some();
        let metadata = doc
            .path()
            .filter(|_| writes_files || line_buffered)
            .and_then(|p| fs::metadata(p).ok());
        let input_id = doc
            .path()
            .zip(metadata.as_ref())
            .and_then(|(path, meta)| FileId::with(meta, path));
        for (role, dest) in Role::ALL.into_iter().zip([&output_dest, &attributes_dest]) {
            if let Some(dest) = dest {
                if let Err(e) = plan.check(index, role, dest, input_id.as_ref()) {
                    return emit(Event::Failed(e));
                }
            }
        }
        let permissions = metadata
            .as_ref()
            .filter(|_| writes_files)
            .map(|m| m.permissions());
        // Standard input or a pipe can keep a line-buffered run waiting for
        // ever; a regular file cannot.
        let may_block = line_buffered && !metadata.as_ref().is_some_and(|m| m.is_file());
        let mut sinks = [None, None];
        let dests = Role::ALL.into_iter().zip([output_dest, attributes_dest]);
        for (sink, (role, dest)) in sinks.iter_mut().zip(dests) {
            if let Some(dest) = dest {
                let compression = Compression::from_path(&dest);
                // A cleaned WARC file is written a record at a time.
                let per_record = role == Role::Output && out_format == Format::Warc;
                match Sink::create(dest.clone(), compression, per_record, permissions.clone()) {
                    Ok(created) => *sink = Some(created),
                    Err(source) => {
                        return emit(Event::Failed(InputError::Write { path: dest, source }))
                    }
                }
            }
        }
        let [sink, attributes] = sinks;
        let mut out = Outputs {
            sink,
            attributes,
            stream: (self.options.destination == Destination::Stream).then_some(stream),
        };
        // With more than one thread, batch N is cleaned on the pool while
        // this thread writes batch N - 1 and reads batch N + 1, so a slow
        // reader or writer (gzip) does not leave the pool idle. One thread
        // means one thread: everything in turn. Line-buffered, a record is
        // written before the next is read: batches of one, in turn.
        let overlap = self.threads() > 1 && in_format != Format::Text && !line_buffered;
        let max_bytes = if self.threads() == 1 {
            SERIAL_BATCH_BYTES
        } else if overlap {
            OVERLAPPED_BATCH_BYTES
        } else {
            BATCH_BYTES
        };
        let read_next = |reader: &mut UnitReader| {
            if line_buffered {
                reader.next_unit(may_block, || self.cancelled())
            } else {
                reader.next_batch(BATCH_RECORDS, max_bytes)
            }
        };
        let mut next = read_next(&mut reader);
        // Batch N - 1, cleaned and not yet written.
        let mut cleaned: Vec<Done> = Vec::new();
        loop {
            if self.cancelled() {
                // Documents already cleaned still reach the stream, as when
                // nothing overlaps; dropping the sinks deletes their
                // temporary files.
                if out.sink.is_none() {
                    self.write_batch(cleaned, &name, &mut out, emit)?;
                }
                return Ok(());
            }
            let (units, error) = next;
            if units.is_empty() {
                let Some(e) = error else { break };
                // What was read before the error is written first, as
                // when nothing overlaps.
                if !self.write_batch(cleaned, &name, &mut out, emit)? {
                    return Ok(());
                }
                return emit(Event::Failed(read_err(e)));
            }
            let clean = |units: Vec<Unit>| -> Vec<Done> {
                self.install(|| {
                    units
                        .into_par_iter()
                        .map(|u| self.process_unit(u, &name, &relative, out_format))
                        .collect()
                })
            };
            if overlap {
                let previous = std::mem::take(&mut cleaned);
                let (done, written, read) = std::thread::scope(|scope| {
                    let cleaning = scope.spawn(|| clean(units));
                    let written = self.write_batch(previous, &name, &mut out, emit);
                    let read = match (&written, error) {
                        (Ok(true), None) => read_next(&mut reader),
                        // The error comes after the units read before it.
                        (_, error) => (Vec::new(), error),
                    };
                    let done = cleaning
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (done, written, read)
                });
                if !written? {
                    return Ok(());
                }
                cleaned = done;
                next = read;
            } else {
                if !self.write_batch(clean(units), &name, &mut out, emit)? {
                    return Ok(());
                }
                if line_buffered {
                    if let Some(stream) = &mut out.stream {
                        stream.flush()?;
                    }
                }
                next = match error {
                    None => read_next(&mut reader),
                    error => (Vec::new(), error),
                };
            }
        }
        if !self.write_batch(cleaned, &name, &mut out, emit)? {
            return Ok(());
        }
        let Outputs {
            sink, attributes, ..
        } = out;
        for (role, s) in Role::ALL.into_iter().zip([sink, attributes]) {
            let Some(s) = s else { continue };
            let file = Written {
                input: input_id.clone(),
                role,
                name: name.clone(),
            };
            if let Err(e) = plan.commit(s, file) {
                return emit(Event::Failed(e));
            }
        }
        Ok(())
    }

    /// Writes a cleaned batch to `out` and emits its events, in order.
    /// Returns false when the input failed (its [`Event::Failed`] emitted):
    /// a write error, or a document that fails it under `strict`. An error
    /// of the stream or of `emit` is returned.
    fn write_batch(
        &self,
        done: Vec<Done>,
        name: &str,
        out: &mut Outputs<'_>,
        emit: &mut dyn FnMut(Event) -> io::Result<()>,
    ) -> io::Result<bool> {
        for d in done {
            if let Some(reason) = d.fatal {
                emit(Event::Failed(InputError::Strict {
                    path: name.to_string(),
                    reason,
                }))?;
                return Ok(false);
            }
            if let Some(sink) = &mut out.sink {
                if let Err(source) = sink.out.write_all(&d.out) {
                    let path = sink.dest.clone();
                    emit(Event::Failed(InputError::Write { path, source }))?;
                    return Ok(false);
                }
            } else if let Some(stream) = &mut out.stream {
                stream.write_all(&d.out)?;
            }
            if let (Some(attrs), Some(row)) = (&mut out.attributes, &d.attributes) {
                if let Err(source) = attrs
                    .out
                    .write_all(row.as_bytes())
                    .and_then(|()| attrs.out.write_all(b"\n"))
                {
                    let path = attrs.dest.clone();
                    emit(Event::Failed(InputError::Write { path, source }))?;
                    return Ok(false);
                }
            }
            if let Some(event) = d.event {
                emit(event)?;
            }
        }
        Ok(true)
    }

    /// Cleans one document and builds its event and attribute row.
    fn clean_document(
        &self,
        text: &[u8],
        url: Option<&str>,
        name: &str,
        record: Option<usize>,
        id: Option<String>,
        id_json: Option<&str>,
    ) -> (Vec<u8>, Event, Option<String>) {
        // (A URL's host is parsed only when some rule is limited to hosts.)
        let host = url
            .filter(|_| self.cleaner.matcher().has_scoped_rules())
            .and_then(url_host);
        let cleaning = self.cleaner.clean_for(text, host.as_deref());
        let cleaned = if cleaning.is_unchanged() {
            text.to_vec()
        } else {
            cleaning.apply(text)
        };
        let row = self
            .options
            .attributes
            .as_ref()
            .map(|a| attributes::row(id_json, &a.name, text, &cleaning.spans));
        let counts = DocCounts::new(text, &cleaning, &cleaned);
        let keep = self.options.keep_text;
        let event = Event::Document(DocumentEvent {
            name: name.to_string(),
            record,
            id,
            id_json: id_json.map(str::to_string),
            url: url.map(str::to_string),
            original: keep.then(|| text.to_vec()),
            cleaned: keep.then(|| cleaned.clone()),
            cleaning,
            counts,
        });
        (cleaned, event, row)
    }

    fn process_unit(&self, unit: Unit, name: &str, relative: &Path, out_format: Format) -> Done {
        let mut done = Done {
            out: Vec::new(),
            attributes: None,
            event: None,
            fatal: None,
        };
        let empty_row = || {
            self.options
                .attributes
                .as_ref()
                .map(|a| attributes::row(None, &a.name, b"", &[]))
        };
        match unit {
            Unit::Text(text) => {
                let id = serde_json::to_string(&relative.to_string_lossy()).ok();
                let (cleaned, event, row) =
                    self.clean_document(&text, None, name, None, None, id.as_deref());
                done.out = cleaned;
                done.event = Some(event);
                done.attributes = row;
            }
            Unit::Line {
                number,
                bytes,
                newline,
            } => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    done.out = bytes;
                    done.attributes = empty_row();
                } else {
                    match Record::parse(&bytes, &self.options.keys) {
                        Ok(record) => {
                            let (cleaned, event, row) = self.clean_document(
                                record.text.as_bytes(),
                                record.url.as_deref(),
                                name,
                                Some(number),
                                record.id.clone(),
                                record.id_json.as_deref(),
                            );
                            done.out = if cleaned.len() == record.text.len() {
                                bytes
                            } else {
                                let cleaned = crate::normalize::lossy(&cleaned);
                                record.splice(&bytes, &cleaned)
                            };
                            done.event = Some(event);
                            done.attributes = row;
                        }
                        Err(reason) => {
                            if self.options.strict {
                                done.fatal = Some(format!("line {number}: {reason}"));
                            }
                            done.out = bytes;
                            done.attributes = empty_row();
                            done.event = Some(Event::Malformed {
                                name: name.to_string(),
                                record: number,
                                reason,
                                lost: false,
                            });
                        }
                    }
                }
                if newline {
                    done.out.push(b'\n');
                }
            }
            Unit::Warc { number, item } => match item {
                Item::Record(mut record) => match record.text_range() {
                    Some(range) => {
                        let id = record.header("WARC-Record-ID").map(str::to_string);
                        let url = record.header("WARC-Target-URI").map(str::to_string);
                        let id_json = id.as_ref().and_then(|i| serde_json::to_string(i).ok());
                        let text = record.body[range.clone()].to_vec();
                        let (cleaned, event, row) = self.clean_document(
                            &text,
                            url.as_deref(),
                            name,
                            Some(number),
                            id.clone(),
                            id_json.as_deref(),
                        );
                        done.out = match out_format {
                            Format::Jsonl => {
                                let line = serde_json::json!({
                                    "id": id,
                                    "url": url,
                                    "text": crate::normalize::lossy(&cleaned),
                                });
                                let mut line = line.to_string().into_bytes();
                                line.push(b'\n');
                                line
                            }
                            _ => {
                                if cleaned.len() != text.len() {
                                    record.replace_text(range, &cleaned);
                                }
                                record.to_bytes()
                            }
                        };
                        done.event = Some(event);
                        done.attributes = row;
                    }
                    None if out_format == Format::Warc => done.out = record.to_bytes(),
                    None => {}
                },
                Item::Damaged { bytes, reason } => {
                    if self.options.strict {
                        done.fatal = Some(format!("record {number}: {reason}"));
                    }
                    // Converted to JSONL, a damaged stretch has nowhere to go.
                    // (With `--strict` it fails its input: this event is
                    // then not emitted.)
                    let lost = out_format != Format::Warc
                        && self.options.destination != Destination::Nowhere;
                    let reason = if lost {
                        format!("{reason}; not written (JSONL cannot hold it)")
                    } else {
                        reason
                    };
                    if out_format == Format::Warc {
                        done.out = bytes;
                    }
                    done.event = Some(Event::Malformed {
                        name: name.to_string(),
                        record: number,
                        reason,
                        lost,
                    });
                }
            },
        }
        done
    }
}

/// Writes to the stream, separating inputs that do not end in a newline.
struct StreamWriter<'a> {
    out: &'a mut dyn Write,
    state: &'a mut StreamState,
    new_input: &'a mut bool,
}

impl Write for StreamWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.state.write(self.out, buf, self.new_input)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// What a file written once per run would write over ([`Batch::claim_on`]).
#[derive(Debug)]
pub enum Claim<'d> {
    /// This input itself.
    Input(&'d Document),
    /// This input's output or attribute file.
    Output(&'d Document),
}

/// The path `path` names once its last part is followed through links to
/// a file (a dangling link's target too): where a file written once per run
/// (statistics, learned rules, a model) must go, and be checked, for the
/// link to stay a link.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let target = dir.path().join("stats.json");
/// # #[cfg(unix)] {
/// std::os::unix::fs::symlink("stats.json", dir.path().join("link.json")).unwrap();
/// assert_eq!(dechrome::batch::through_links(&dir.path().join("link.json")), target);
/// # }
/// assert_eq!(dechrome::batch::through_links(&target), target);
/// ```
pub fn through_links(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // What is not a file (`/dev/stdout`, a pipe) is written as named.
    if fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
        return path;
    }
    // (As many links as a system follows before it gives up.)
    for _ in 0..40 {
        let Ok(target) = fs::read_link(&path) else {
            break;
        };
        path = match path.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    path
}

/// Whether `a` and `b` name one existing file (through links, `..`, or
/// spellings a case-insensitive file system takes for one).
pub fn same_file(a: &Path, b: &Path) -> bool {
    FileId::of(a).is_some_and(|id| FileId::of(b) == Some(id))
}

/// An existing file, whatever path names it: its device and inode (its
/// canonical path where there are none).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FileId(#[cfg(unix)] (u64, u64), #[cfg(not(unix))] PathBuf);

impl FileId {
    /// The file at `path`, if it exists. An output that does not exist yet
    /// (the common case) costs one failing `stat`.
    fn of(path: &Path) -> Option<FileId> {
        FileId::with(&fs::metadata(path).ok()?, path)
    }

    /// The file at `path`, whose metadata (read already) is `meta`.
    fn with(meta: &fs::Metadata, path: &Path) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            Some(FileId((meta.dev(), meta.ino())))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            path.canonicalize().ok().map(FileId)
        }
    }
}

/// See [`Batch::plan`].
#[derive(Debug, Default)]
struct Plan {
    /// Every input file, and its first place in the run.
    inputs: std::collections::HashMap<FileId, usize>,
    /// Per output path (spelled by [`Plan::key`]), the input that owns it.
    owners: std::collections::HashMap<PathBuf, Owner>,
    /// Directories as [`Plan::key`] spells them, with how their names
    /// compare, by the path first given.
    dirs: std::sync::Mutex<std::collections::HashMap<PathBuf, (PathBuf, NameFolding)>>,
    /// How names compare in each existing directory an output path starts
    /// from ([`NameFolding::probe`], once per directory: case folding is a
    /// directory's own on ext4 and f2fs).
    foldings: std::sync::Mutex<std::collections::HashMap<PathBuf, NameFolding>>,
    /// The files this run has written, as the file system finds them, and
    /// the input (its file, its name) each is the output of.
    written: std::sync::Mutex<std::collections::HashMap<FileId, Written>>,
}

/// A file a run has written ([`Plan::commit`]).
#[derive(Debug)]
struct Written {
    /// The input it is a file of, when that is a file.
    input: Option<FileId>,
    /// Which of its files.
    role: Role,
    /// The input's name, for messages.
    name: String,
}

/// Which of an input's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Its cleaned output (`-o`).
    Output,
    /// Its attribute file (`--attributes`).
    Attributes,
}

impl Role {
    /// In the order of [`Batch::destinations`].
    const ALL: [Role; 2] = [Role::Output, Role::Attributes];
}

#[derive(Debug)]
struct Owner {
    /// The input's place in the run.
    index: usize,
    /// Which of its files.
    role: Role,
    /// The input file, when it is one.
    input: Option<FileId>,
    /// The input's name, for messages.
    name: String,
}

impl Plan {
    /// `path` spelled one way whatever way it was given (`out/a`,
    /// `./out/a`, a link to `out`): its directory made absolute, with links
    /// followed as far as it exists, and its file name; folded as its file
    /// system folds names (`out/A.txt` and `out/a.txt` are one key where
    /// they are one file, as on macOS and Windows).
    fn key(&self, path: &Path) -> PathBuf {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return path.to_path_buf();
        };
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        let (dir, folding) = dirs.entry(dir.to_path_buf()).or_insert_with(|| {
            let (canonical, existing) = canonical_as_far_as_it_exists(dir);
            let mut foldings = self.foldings.lock().unwrap_or_else(|e| e.into_inner());
            let folding = *foldings
                .entry(existing)
                .or_insert_with_key(|existing| NameFolding::probe(existing));
            (folding.fold(canonical.into_os_string()).into(), folding)
        });
        dir.join(folding.fold(name.to_os_string()))
    }

    /// Commits `sink`, an input's `file`, unless
    /// the file it would replace is one this run wrote for another input:
    /// names [`Plan::key`] does not fold alike but the file system takes for
    /// one (`straße` and `STRASSE` on some) are caught here, where the second
    /// would silently replace the first.
    fn commit(&self, sink: Sink, file: Written) -> Result<(), InputError> {
        let dest = sink.dest.clone();
        let failed = |source| InputError::Write {
            path: dest.clone(),
            source,
        };
        let (tmp, _listed) = sink.finish().map_err(failed)?;
        // What the file will be once renamed (read from the open file: no
        // look-up of its path).
        let id = tmp
            .as_file()
            .metadata()
            .ok()
            .and_then(|meta| FileId::with(&meta, &dest));
        // The check and the rename at once, for any number of threads. The
        // rename replaces what `dest` names, a link itself included: the
        // file looked up is that, not a link's target.
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let there = fs::symlink_metadata(&dest)
            .ok()
            .and_then(|meta| FileId::with(&meta, &dest));
        if let Some(owner) = there.and_then(|id| written.get(&id)) {
            // The same file of the same input (given twice) may be written
            // again; anything else is a clash.
            let again =
                owner.input.is_some() && owner.input == file.input && owner.role == file.role;
            if !again {
                return Err(InputError::OutputClash {
                    path: dest.clone(),
                    owner: owner.name.clone(),
                });
            }
        }
        tmp.persist(&dest).map_err(|e| failed(e.error))?;
        // (Where a file is known by its path, once it has the path.)
        if let Some(id) = id.or_else(|| FileId::of(&dest)) {
            written.insert(id, file);
        }
        Ok(())
    }

    /// Whether input `index` may write its file of `role` at `dest`: not
    /// over an input, nor over a path another input (or its other file)
    /// owns. The same input given twice may write its own output again.
    fn check(
        &self,
        index: usize,
        role: Role,
        dest: &Path,
        input: Option<&FileId>,
    ) -> Result<(), InputError> {
        let key = self.key(dest);
        if let Some(owner) = self.owners.get(&key) {
            let own = (owner.index, owner.role) == (index, role);
            let same_input_file = owner.input.is_some() && owner.input.as_ref() == input;
            let same_input = owner.role == role && same_input_file;
            // Its own other file (given twice, the first copy's).
            let own_input = owner.index == index || same_input_file;
            if own_input && owner.role != role {
                return Err(InputError::OwnOutputClash {
                    path: dest.to_path_buf(),
                    input: owner.name.clone(),
                });
            }
            if !own && !same_input {
                return Err(InputError::OutputClash {
                    path: dest.to_path_buf(),
                    owner: owner.name.clone(),
                });
            }
        }
        if FileId::of(dest).is_some_and(|id| self.inputs.contains_key(&id)) {
            return Err(InputError::WouldOverwriteInput {
                path: dest.to_path_buf(),
            });
        }
        Ok(())
    }
}

/// `path` made absolute, with `.`, `..` and links resolved in the part of
/// it that exists; and that part (the directory the rest would be made in).
fn canonical_as_far_as_it_exists(path: &Path) -> (PathBuf, PathBuf) {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut base = absolute.as_path();
    loop {
        if let Ok(existing) = base.canonicalize() {
            let mut found = existing.clone();
            found.extend(rest.iter().rev());
            return (found, existing);
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            _ => return (absolute.clone(), absolute),
        }
    }
}

/// Which differences between two names a directory's file system ignores:
/// letter case (`A.txt` and `a.txt` are one file on macOS and Windows by
/// default, and in a case-folding ext4 directory), and Unicode
/// normalisation (`é` composed or as `e` and a combining accent are one name
/// on macOS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NameFolding {
    case: bool,
    normalization: bool,
}

impl NameFolding {
    /// How `dir`, an existing directory, compares names: a temporary file
    /// named with an upper-case letter and a composed `é` is made there and
    /// looked up spelled otherwise. Where none can be made (a read-only
    /// directory, where no output can be written either), names are taken
    /// as spelled.
    fn probe(dir: &Path) -> NameFolding {
        let Ok(file) = tempfile::Builder::new()
            .prefix(".dechrome-Name-\u{e9}-")
            .tempfile_in(dir)
        else {
            return NameFolding::default();
        };
        let path = file.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return NameFolding::default();
        };
        let same_file = |other: String| same_file(path, &dir.join(other));
        let swapped: String = name
            .chars()
            .map(|c| match c {
                'a'..='z' => c.to_ascii_uppercase(),
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => c,
            })
            .collect();
        NameFolding {
            case: same_file(swapped),
            normalization: same_file(name.replace('\u{e9}', "e\u{301}")),
        }
    }

    /// `name` in the one spelling of all the names this file system takes
    /// for the same file: lower-cased and composed (NFC) as it ignores case
    /// and normalisation. Names that are not UTF-8 are kept as given.
    fn fold(self, name: std::ffi::OsString) -> std::ffi::OsString {
        use unicode_normalization::UnicodeNormalization;
        if self == NameFolding::default() {
            return name;
        }
        let Some(text) = name.to_str() else {
            return name;
        };
        let text = match self.case {
            true => text.to_lowercase(),
            false => text.to_owned(),
        };
        match self.normalization {
            true => text.nfc().collect::<String>().into(),
            false => text.into(),
        }
    }
}

/// Writes `bytes` to `dest` through a temporary file in the same directory.
/// A `dest` that exists and is not a regular file (`/dev/stdout`, a pipe,
/// `/dev/full`) is written in place: renaming over it would replace the
/// device node itself. A link is replaced, not written through (see
/// [`through_links`]).
pub fn write_file_atomically(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut file = fs::OpenOptions::new().write(true).open(dest)?;
        return file.write_all(bytes).and_then(|()| file.flush());
    }
    let mut sink = Sink::create(dest.to_path_buf(), Compression::None, false, None)?;
    sink.out.write_all(bytes)?;
    sink.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_temporary_file_is_never_wider_than_its_input() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("private.txt");
        fs::write(&input, "secret").unwrap();
        fs::set_permissions(&input, fs::Permissions::from_mode(0o600)).unwrap();
        let permissions = fs::metadata(&input).unwrap().permissions();
        let sink = Sink::create(
            dir.path().join("out.txt"),
            Compression::None,
            false,
            Some(permissions),
        )
        .unwrap();
        let temporary = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".tmp"))
            .unwrap();
        let mode = fs::metadata(&temporary).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(TEMPORARY.lock().unwrap().contains(&temporary));
        sink.commit().unwrap();
        assert!(
            !TEMPORARY.lock().unwrap().contains(&temporary),
            "listed after commit"
        );
    }

    /// Where a file system takes two spellings for one file, their
    /// outputs have one key, so the second is refused instead of written
    /// over the first; where it does not, they stay two.
    #[test]
    fn output_names_fold_as_their_file_system_folds_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (_, existing) = canonical_as_far_as_it_exists(dir);
        let pairs = [
            ("A.txt", "a.txt"),
            ("Sub/x.txt", "SUB/x.txt"),
            ("caf\u{e9}.txt", "cafe\u{301}.txt"),
            ("\u{c9}t\u{c9}.txt", "e\u{301}t\u{e9}.TXT"),
        ];
        let keys = |folding: NameFolding| {
            let plan = Plan::default();
            plan.foldings
                .lock()
                .unwrap()
                .insert(existing.clone(), folding);
            pairs.map(|(a, b)| plan.key(&dir.join(a)) == plan.key(&dir.join(b)))
        };
        let both = NameFolding {
            case: true,
            normalization: true,
        };
        assert_eq!(keys(both), [true; 4]);
        assert_eq!(keys(NameFolding::default()), [false; 4]);
        let normalization = NameFolding {
            case: false,
            normalization: true,
        };
        assert_eq!(keys(normalization), [false, false, true, false]);
        // One key is still one key, and paths that differ otherwise differ.
        let plan = Plan::default();
        plan.foldings.lock().unwrap().insert(existing, both);
        assert_eq!(plan.key(&dir.join("b.txt")), plan.key(&dir.join("./b.txt")));
        assert_ne!(plan.key(&dir.join("b.txt")), plan.key(&dir.join("c.txt")));
    }

    /// A file this run wrote for one input is not replaced by another's
    /// output that the file system takes for the same file (here the same
    /// path, as a name folded in a way the probe cannot foresee would be);
    /// the same input may write it again.
    #[test]
    fn an_output_written_for_one_input_is_not_replaced_by_another() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out.txt");
        let (a, b) = (tmp.path().join("a.txt"), tmp.path().join("b.txt"));
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        let plan = Plan::default();
        let write = |text: &str, input: &Path, role: Role| {
            let mut sink = Sink::create(dest.clone(), Compression::None, false, None).unwrap();
            sink.out.write_all(text.as_bytes()).unwrap();
            let file = Written {
                input: FileId::of(input),
                role,
                name: input.display().to_string(),
            };
            plan.commit(sink, file)
        };
        write("first", &a, Role::Output).unwrap();
        let refused = write("second", &b, Role::Output).unwrap_err();
        assert!(
            matches!(&refused, InputError::OutputClash { owner, .. } if owner.ends_with("a.txt")),
            "{refused}"
        );
        assert_eq!(fs::read_to_string(&dest).unwrap(), "first");
        // Nor by the same input's other file.
        assert!(write("attributes", &a, Role::Attributes).is_err());
        write("again", &a, Role::Output).unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "again");
        // No temporary file is left by the refused one.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 3);
    }

    /// The probe finds what the file system does, checked here by making
    /// one file and looking for it under other spellings.
    #[test]
    fn the_name_probe_agrees_with_the_file_system() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(dir.join("Probe-\u{e9}"), "x").unwrap();
        let expected = NameFolding {
            case: dir.join("pROBE-\u{e9}").exists(),
            normalization: dir.join("Probe-e\u{301}").exists(),
        };
        assert_eq!(NameFolding::probe(dir), expected);
        // The probe leaves nothing behind.
        assert_eq!(fs::read_dir(dir).unwrap().count(), 1);
        // A directory that cannot be written to is taken as spelled.
        assert_eq!(
            NameFolding::probe(&dir.join("missing")),
            NameFolding::default()
        );
    }

    #[test]
    fn converted_names_keep_compression() {
        let cases = [
            ("a.warc.gz", "a.warc.jsonl.gz"),
            ("dir/x.warc.wet.zst", "dir/x.warc.wet.jsonl.zst"),
            ("plain.wet", "plain.wet.jsonl"),
        ];
        for (from, to) in cases {
            assert_eq!(
                converted_name(Path::new(from), Format::Jsonl),
                PathBuf::from(to)
            );
        }
    }
}
