//! The `dechrome` binary: parses flags, calls the library, maps the exit code.

/// A message on standard error. Unlike `eprintln!`, which panics, a closed
/// or full standard error loses the message and nothing else: the exit code
/// still tells what happened.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod cli;
mod config;

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use anyhow::Context;
use dechrome::batch::{
    discover, without_own_file, Batch, Claim, Destination, Document, DocumentEvent, Event,
};
use dechrome::explain;

use cli::{Cli, Command, RulesCommand};
use config::{BadRules, Config, Report};

const EXIT_FOUND: u8 = 1;
const EXIT_RULES: u8 = 2;
const EXIT_INPUT: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules { action }) => rules_command(action, &cli.clean.rules),
        Some(Command::Completions { shell }) => {
            // Into memory first: `generate` panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dechrome", &mut script);
            print(&script)
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(anyhow::Error::from)
                .and_then(|()| print(&page))
        }
        Some(Command::Learn(args)) => learn(args, &cli.clean.rules),
        Some(Command::Eval(args)) => eval(args, &cli.clean.rules),
        Some(Command::Train(args)) => train(args, &cli.clean.rules),
        None => clean_command(cli.clean),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(bad) = e.downcast_ref::<BadRules>() {
                report!("{bad}");
                report!(
                    "dechrome: {} error(s) in the rules; nothing was processed",
                    bad.0.errors.len()
                );
                ExitCode::from(EXIT_RULES)
            } else {
                report!("dechrome: {e:#}");
                if e.downcast_ref::<OutputFailed>().is_some() {
                    ExitCode::from(EXIT_INPUT)
                } else {
                    ExitCode::from(EXIT_RULES)
                }
            }
        }
    }
}

/// An output that failed once cleaning had begun (standard output or the
/// statistics file on a full disk, say): exit 3, not the usage code 2, which
/// promises that nothing was read or written.
#[derive(Debug)]
struct OutputFailed(String);

impl std::fmt::Display for OutputFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn stdout_failed() -> OutputFailed {
    OutputFailed("cannot write to standard output".into())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes `bytes` to standard output: a failure is an output failure (exit 3).
fn print(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context(stdout_failed())?;
    Ok(ExitCode::SUCCESS)
}

/// For a command that writes its one file at the end (`learn`, `train`):
/// Ctrl-C, SIGTERM or SIGHUP stops it at once (exit 130), its temporary
/// file removed.
fn stop_when_interrupted() {
    let _ = ctrlc::set_handler(|| {
        dechrome::batch::exit_removing_temporary_files(i32::from(EXIT_INTERRUPTED))
    });
}

/// Flags of the classifier: an error when given to a command (`what`)
/// that runs none.
fn refuse_classifier_flags(rules: &cli::RulesArgs, what: &str) -> anyhow::Result<()> {
    let given = [
        ("--model", rules.model.is_some()),
        ("--bias", rules.bias.is_some()),
        ("--no-classifier", rules.no_classifier),
    ];
    if let Some((flag, _)) = given.into_iter().find(|&(_, given)| given) {
        anyhow::bail!("{flag} does not apply to `{what}`, which runs no classifier");
    }
    Ok(())
}

fn rules_command(action: RulesCommand, rules: &cli::RulesArgs) -> anyhow::Result<ExitCode> {
    refuse_classifier_flags(rules, "rules")?;
    // Into memory, then out: a failed write is an output failure (exit 3).
    let mut out = Vec::new();
    let code = rules_report(action, rules, &mut out)?;
    print(&out)?;
    Ok(code)
}

/// `rules show`: the rules a run with the same `-r` and
/// `--no-default-rules` loads. `rules check`: its files and the `-r` ones.
fn rules_report(
    action: RulesCommand,
    rules: &cli::RulesArgs,
    out: &mut Vec<u8>,
) -> anyhow::Result<ExitCode> {
    match action {
        RulesCommand::Show => {
            // Checked first, as a run would load them.
            config::load_rules(&rules.rules, true)?;
            let defaults = dechrome::DEFAULT_RULE_FILES
                .iter()
                .filter(|_| !rules.no_default_rules)
                .map(|&(name, text)| (name.to_string(), text.as_bytes().to_vec()));
            let mut given = Vec::new();
            for file in &rules.rules {
                let text = std::fs::read(file)
                    .with_context(|| format!("cannot read {}", dechrome::explain::shown(file)))?;
                given.push((dechrome::explain::shown(file), text));
            }
            for (name, text) in defaults.chain(given) {
                writeln!(out, "# ==> {name} <==")?;
                out.write_all(&text)?;
                if !text.ends_with(b"\n") {
                    writeln!(out)?;
                }
            }
        }
        RulesCommand::Check { files } => {
            if files.is_empty() && rules.rules.is_empty() {
                anyhow::bail!("rules check: no rules file given (FILE... or -r FILE)");
            }
            let mut failed = false;
            for file in rules.rules.iter().chain(&files) {
                match config::load_rules(std::slice::from_ref(file), true) {
                    Ok(set) => writeln!(
                        out,
                        "{}: ok ({} rules, {} menu labels)",
                        dechrome::explain::shown(file),
                        set.rules().len(),
                        set.labels().len()
                    )?,
                    Err(bad) => {
                        failed = true;
                        report!("{bad}");
                    }
                }
            }
            if failed {
                return Ok(ExitCode::from(EXIT_RULES));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The default command. The pool comes first, so that the rules and the
/// model compile on its threads.
fn clean_command(args: cli::CleanArgs) -> anyhow::Result<ExitCode> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.threads)?)
        .build()?;
    let config = pool.install(|| Config::new(args))?;
    clean(config, &pool)
}

fn clean(config: Config, pool: &rayon::ThreadPool) -> anyhow::Result<ExitCode> {
    let mut exclude = Vec::new();
    if let Destination::Directory(dir) = &config.options.destination {
        exclude.push(dir.as_path());
    }
    if let Some(attributes) = &config.options.attributes {
        exclude.push(attributes.dir.as_path());
    }
    let (mut docs, errors) = discover(&config.paths, &exclude, config.links);
    if let Some(stats) = &config.stats {
        let start = dechrome::stats::Stats::JSON_START.as_bytes();
        docs = without_own_file(docs, &config.paths, stats, start);
    }
    let mut failed = errors.len();
    for e in &errors {
        report!("dechrome: {e}");
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // First Ctrl-C: finish the documents under way, then stop. Second, or
    // while a line-buffered run waits for its next record: stop now.
    let no_stats = if config.stats.is_some() {
        "; the statistics were not written"
    } else {
        ""
    };
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            dechrome::batch::exit_removing_temporary_files(i32::from(EXIT_INTERRUPTED));
        }
        if dechrome::batch::waiting_for_input() {
            report!("dechrome: interrupted while waiting for input{no_stats}");
            dechrome::batch::exit_removing_temporary_files(i32::from(EXIT_INTERRUPTED));
        }
    });
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut progress = Progress::new();
    let mut would_change = 0usize;
    let matcher = config.cleaner.matcher();
    let batch = Batch::new(&config.cleaner, config.options.clone())
        .with_pool(pool)
        .with_cancel(&interrupted);
    if let Some(stats) = &config.stats {
        refuse_to_write_over(&batch, &docs, stats, "the statistics")?;
    }
    // Cleaned text is streamed to its own buffer so that reports and text never interleave.
    let mut text_out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let mut failures = errors.len();
    let mut lost = 0;
    let line_buffered = config.options.line_buffered;
    let summary = batch.run(&docs, &mut text_out, |event| {
        progress.event(event);
        match event {
            Event::Failed(e) => {
                failures += 1;
                progress.suspend(|| report!("dechrome: {e}"));
            }
            Event::Malformed {
                name,
                record,
                reason,
                lost: left_out,
            } => {
                lost += usize::from(*left_out);
                progress
                    .suspend(|| report!("dechrome: {}:{record}: {reason}", explain::visible(name)));
            }
            Event::Document(doc) => match config.report {
                Report::Text => {}
                Report::Explain => {
                    let text = doc.original.as_deref().unwrap_or_default();
                    explain::write(
                        &mut out,
                        &explain::label(doc),
                        text,
                        &doc.cleaning.spans,
                        matcher,
                        config.styled,
                    )?;
                }
                Report::ExplainJson => explain::write_json(&mut out, doc, matcher)?,
                Report::Diff => write_diff(&mut out, doc)?,
                Report::Check => {
                    if !doc.cleaning.is_unchanged() {
                        would_change += 1;
                        writeln!(
                            out,
                            "{}: would remove {} bytes in {} spans",
                            explain::label(doc),
                            doc.cleaning.removed_bytes(),
                            doc.cleaning.spans.len()
                        )?;
                    }
                }
            },
        }
        if line_buffered {
            out.flush()?;
        }
        Ok(())
    });
    // Reports and text go to standard output: a failure there is an output
    // failure. A closed one (`| head`) ends the run quietly, unless the run
    // had more to write than standard output, or inputs had failed.
    let summary = summary.and_then(|summary| {
        text_out.flush()?;
        out.flush()?;
        Ok(summary)
    });
    let summary = match summary {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            let unwritten = if matches!(config.options.destination, Destination::Directory(_)) {
                Some("the files of -o were not all written")
            } else if config.options.attributes.is_some() {
                Some("the attribute files were not all written")
            } else if config.stats.is_some() {
                Some("the statistics were not written")
            } else {
                None
            };
            let what = match (unwritten, failures, lost) {
                (Some(unwritten), _, _) => unwritten.to_string(),
                (None, n, _) if n > 0 => format!("{n} input(s) had failed"),
                (None, _, n) if n > 0 => format!("{n} damaged record(s) were left out"),
                // `--check | head -1`: the answer is already known.
                _ if config.report == Report::Check && would_change > 0 => {
                    return Ok(ExitCode::from(EXIT_FOUND))
                }
                _ => return Err(e).context(stdout_failed()),
            };
            return Err(anyhow::Error::msg(OutputFailed(format!(
                "standard output was closed before the run ended, and {what}"
            ))));
        }
        summary => summary.context(stdout_failed())?,
    };
    progress.finish();
    if let Some(path) = &config.stats {
        let mut stats = summary.stats.clone();
        stats.failed_inputs += errors.len() as u64;
        stats.interrupted = summary.interrupted;
        for e in &errors {
            stats.add_error(e.kind());
        }
        let json = stats.to_json() + "\n";
        dechrome::batch::write_file_atomically(path, json.as_bytes()).with_context(|| {
            OutputFailed(format!(
                "cannot write the statistics to {}",
                dechrome::explain::shown(path)
            ))
        })?;
    }
    if summary.interrupted {
        report!("dechrome: interrupted; every file written is complete");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    failed += summary.failed;
    if summary.lost > 0 {
        report!(
            "dechrome: {} damaged record(s) left out of the output, whose format cannot hold them",
            summary.lost
        );
    }
    if failed > 0 {
        report!(
            "dechrome: {failed} input(s) could not be processed; {} documents cleaned",
            summary.stats.documents - summary.stats.malformed
        );
    }
    if failed > 0 || summary.lost > 0 {
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    if config.report == Report::Check && would_change > 0 {
        return Ok(ExitCode::from(EXIT_FOUND));
    }
    Ok(ExitCode::SUCCESS)
}

/// A unified diff of one document against its cleaned text.
fn write_diff(out: &mut dyn Write, doc: &DocumentEvent) -> io::Result<()> {
    if doc.cleaning.is_unchanged() {
        return Ok(());
    }
    let before = String::from_utf8_lossy(doc.original.as_deref().unwrap_or_default());
    let after = String::from_utf8_lossy(doc.cleaned.as_deref().unwrap_or_default());
    let label = explain::label(doc);
    let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
    let mut text = diff
        .unified_diff()
        .context_radius(1)
        .header(&label, &format!("{label} (cleaned)"))
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    out.write_all(text.as_bytes())
}

/// A progress line on standard error, only when it is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    documents: u64,
}

impl Progress {
    fn new() -> Progress {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} documents, {bytes} ({bytes_per_sec}), {elapsed}",
                )
                .expect("a valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress { bar, documents: 0 }
    }

    fn event(&mut self, event: &Event) {
        let Some(bar) = &self.bar else { return };
        if let Event::Document(doc) = event {
            self.documents += 1;
            bar.inc(doc.counts.bytes_in);
            if self.documents % 64 == 0 {
                bar.set_message(self.documents.to_string());
            }
        }
    }

    fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `dechrome learn`: count lines over the documents, write candidate rules.
/// What the rules already remove is not counted: the candidates are for
/// what they miss.
fn learn(mut args: cli::LearnArgs, rules: &cli::RulesArgs) -> anyhow::Result<ExitCode> {
    use dechrome::batch::Options;
    use dechrome::format::jsonl::Keys;
    use dechrome::learn::{LearnOptions, Learner};

    stop_when_interrupted();
    refuse_classifier_flags(rules, "learn")?;
    // A link is written through, and checked as what it names.
    args.output = args.output.as_deref().map(dechrome::batch::through_links);
    let (mut docs, errors) = discover(&args.paths, &[], cli::links(args.follow));
    if let Some(output) = &args.output {
        let title = format!("# {}:", dechrome::learn::TITLE);
        docs = without_own_file(docs, &args.paths, output, title.as_bytes());
    }
    for e in &errors {
        report!("dechrome: {e}");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.threads)?)
        .build()?;
    // The rules alone: the detectors and the classifier would take lines
    // that recur for the learner to see.
    let mut set = config::load_rules(&rules.rules, rules.no_default_rules)?;
    set.add_source(
        "learn",
        "[settings]\nrepeated-lines = off\ndoubled-lines = off\nmenu-runs = off\nclassifier = off\n",
    )
    .expect("valid settings");
    let cleaner = dechrome::Cleaner::new(set)?;
    let mut applied: Vec<String> = Vec::new();
    if !rules.no_default_rules {
        applied.push("the default rules".into());
    }
    applied.extend(rules.rules.iter().map(|r| dechrome::explain::shown(r)));
    let options = Options {
        format: args.format.map(|f| match f {
            cli::FormatArg::Text => dechrome::format::Format::Text,
            cli::FormatArg::Jsonl | cli::FormatArg::Json => dechrome::format::Format::Jsonl,
            cli::FormatArg::Warc => dechrome::format::Format::Warc,
        }),
        keys: Keys {
            text: args.text_key,
            url: args.url_key,
            ..Keys::default()
        },
        destination: Destination::Nowhere,
        keep_text: true,
        ..Options::default()
    };
    let mut learner = Learner::new(LearnOptions {
        min_docs: args.min_docs,
        min_hosts: args.min_hosts,
        host_min_docs: args.host_min_docs,
        max_words: args.max_words,
        rules: applied,
    });
    let batch = Batch::new(&cleaner, options).with_pool(&pool);
    if let Some(output) = &args.output {
        refuse_to_write_over(&batch, &docs, output, "the rules")?;
    }
    let mut failed = errors.len();
    let summary = batch.run(&docs, &mut io::sink(), |event| {
        match event {
            Event::Document(doc) => {
                let text = doc.cleaned.as_deref().unwrap_or_default();
                learner.add(text, doc.url.as_deref(), &explain::label(doc));
            }
            Event::Malformed {
                name,
                record,
                reason,
                ..
            } => {
                report!("dechrome: {}:{record}: {reason}", explain::visible(name))
            }
            Event::Failed(e) => report!("dechrome: {e}"),
        }
        Ok(())
    })?;
    failed += summary.failed;
    let mut text = Vec::new();
    learner.write_rules(&mut text)?;
    match &args.output {
        Some(path) => dechrome::batch::write_file_atomically(path, &text).with_context(|| {
            OutputFailed(format!("cannot write {}", dechrome::explain::shown(path)))
        })?,
        None => io::stdout()
            .lock()
            .write_all(&text)
            .context(stdout_failed())?,
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}

/// An error (before anything is read) when `output`, a file written once
/// per run (`what`), would land on an input or on an input's output.
fn refuse_to_write_over(
    batch: &Batch,
    docs: &[Document],
    output: &Path,
    what: &str,
) -> anyhow::Result<()> {
    match batch.claim_on(docs, output) {
        Some(Claim::Input(doc)) => anyhow::bail!(
            "{}: refusing to overwrite an input ({}); nothing was read",
            dechrome::explain::shown(output),
            doc.name()
        ),
        Some(Claim::Output(doc)) => anyhow::bail!(
            "{}: refusing to write {what} over an output of {}; nothing was read",
            dechrome::explain::shown(output),
            doc.name()
        ),
        None => Ok(()),
    }
}

fn threads(requested: Option<usize>) -> anyhow::Result<usize> {
    match requested {
        Some(0) => anyhow::bail!("-j/--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `dechrome eval`: clean every scored page and print the scores.
fn eval(args: cli::EvalArgs, rules: &cli::RulesArgs) -> anyhow::Result<ExitCode> {
    use dechrome::eval::evaluate;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.threads)?)
        .build()?;
    let cleaner = pool.install(|| config::build_cleaner(rules))?;
    let split = split(args.split);
    let report = pool
        .install(|| evaluate(&cleaner, &args.dirs, split))
        .map_err(flat)?;
    report_unscored(&report.unscored, "scored");
    if report.dirs.is_empty() {
        anyhow::bail!("no scored pages (ID.page.txt + ID.gold.txt, or NNN.txt + NNN.labels) found");
    }
    let mut out = io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        report.write_text(&mut out, args.worst)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An input error as one message: its text names its cause already, which
/// the chain `{:#}` prints would name again.
fn flat(e: dechrome::InputError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

/// Says that page files were found without their gold file, and were not
/// used (`what`: scored, trained on).
fn report_unscored(unscored: &[std::path::PathBuf], what: &str) {
    if let Some(first) = unscored.first() {
        report!(
            "dechrome: {} page file(s) without their gold file (ID.page.txt without ID.gold.txt) not {what}, the first {}",
            unscored.len(),
            dechrome::explain::shown(first)
        );
    }
}

fn split(arg: cli::SplitArg) -> dechrome::eval::Split {
    use dechrome::eval::Split;
    match arg {
        cli::SplitArg::All => Split::All,
        cli::SplitArg::Tune => Split::Tune,
        cli::SplitArg::Check => Split::Check,
    }
}

/// `dechrome train`: fit the classifier and write its model.
fn train(mut args: cli::TrainArgs, rules: &cli::RulesArgs) -> anyhow::Result<ExitCode> {
    use dechrome::train::{train, TrainOptions};

    stop_when_interrupted();
    args.output = dechrome::batch::through_links(&args.output);
    if args.output.exists() {
        let inputs = dechrome::train::inputs(&args.dirs).map_err(flat)?;
        if let Some(input) = inputs
            .iter()
            .find(|input| dechrome::batch::same_file(input, &args.output))
        {
            anyhow::bail!(
                "{}: refusing to overwrite an input ({}); nothing was read",
                dechrome::explain::shown(&args.output),
                dechrome::explain::shown(input)
            );
        }
    }
    let mut set = config::load_rules(&rules.rules, rules.no_default_rules)?;
    // The classifier being trained must not run before itself.
    set.add_source("train", "[settings]\nclassifier = off\n")
        .map_err(config::BadRules)?;
    let cleaner = dechrome::Cleaner::new(set)?;
    let options = TrainOptions {
        split: split(args.split),
        trees: args.trees,
        depth: args.depth,
        learning_rate: args.learning_rate,
        threshold: args.threshold,
        ..TrainOptions::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.threads)?)
        .build()?;
    let mut trained = pool
        .install(|| train(&cleaner, &args.dirs, &options))
        .map_err(flat)?;
    report_unscored(&trained.unscored, "trained on");
    let command: Vec<String> = std::env::args().skip(1).collect();
    trained
        .model
        .notes
        .insert(2, format!("command: dechrome {}", command.join(" ")));
    if trained.pages == 0 {
        anyhow::bail!("no gold pages (ID.page.txt + ID.gold.txt) found in that half");
    }
    dechrome::batch::write_file_atomically(&args.output, trained.model.to_text().as_bytes())
        .with_context(|| {
            OutputFailed(format!(
                "cannot write {}",
                dechrome::explain::shown(&args.output)
            ))
        })?;
    report!(
        "dechrome: trained on {} pages ({} lines); threshold {:.3}, macro F1 {:.4} on those pages; wrote {}",
        trained.pages,
        trained.lines,
        trained.model.threshold,
        trained.train_f1,
        dechrome::explain::shown(&args.output)
    );
    Ok(ExitCode::SUCCESS)
}
