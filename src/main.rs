//! The `dechrome` binary: parses flags, calls the library, maps the exit code.

mod cli;
mod config;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use dechrome::batch::{discover, Batch, Destination};
use dechrome::explain;

use cli::{Cli, Command, RulesCommand};
use config::{BadRules, Config};

const EXIT_RULES: u8 = 2;
const EXIT_INPUT: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules { action }) => rules_command(action),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "dechrome", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout())
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::from),
        None => Config::new(cli.clean).and_then(clean),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(bad) = e.downcast_ref::<BadRules>() {
                eprintln!("{bad}");
                eprintln!(
                    "dechrome: {} error(s) in the rules; nothing was processed",
                    bad.0.errors.len()
                );
            } else {
                eprintln!("dechrome: {e:#}");
            }
            ExitCode::from(EXIT_RULES)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn rules_command(action: RulesCommand) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    match action {
        RulesCommand::Show => {
            for (name, text) in dechrome::DEFAULT_RULE_FILES {
                writeln!(out, "# ==> {name} <==")?;
                out.write_all(text.as_bytes())?;
                if !text.ends_with('\n') {
                    writeln!(out)?;
                }
            }
        }
        RulesCommand::Check { files } => {
            let mut failed = false;
            for file in &files {
                match config::load_rules(std::slice::from_ref(file), true) {
                    Ok(set) => writeln!(
                        out,
                        "{}: ok ({} rules, {} menu labels)",
                        file.display(),
                        set.rules().len(),
                        set.labels().len()
                    )?,
                    Err(bad) => {
                        failed = true;
                        eprintln!("{bad}");
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

fn clean(config: Config) -> anyhow::Result<ExitCode> {
    let exclude = match &config.destination {
        Destination::Directory(dir) => Some(dir.as_path()),
        Destination::Caller => None,
    };
    let (docs, errors) = discover(&config.paths, exclude);
    let mut failed = errors.len();
    for e in &errors {
        eprintln!("dechrome: {e}");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let total = docs.len();
    let mut delivered = 0;
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // First Ctrl-C: finish the documents under way, then stop. Second: stop now.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    let batch = Batch::new(&config.cleaner, config.destination.clone())
        .with_pool(&pool)
        .with_cancel(&interrupted);
    let summary = batch.run(&docs, |outcome| {
        delivered += 1;
        if let Some(e) = &outcome.error {
            eprintln!("dechrome: {e}");
            return Ok(());
        }
        if config.explain {
            let name = outcome.document.name();
            explain::write(
                &mut out,
                &name,
                &outcome.original,
                &outcome.cleaning.spans,
                config.cleaner.matcher(),
                config.styled,
            )?;
        } else if let Some(cleaned) = &outcome.cleaned {
            out.write_all(cleaned)?;
            // Documents printed one after another stay separate lines.
            if delivered < total && !cleaned.is_empty() && !cleaned.ends_with(b"\n") {
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    if summary.interrupted {
        eprintln!("dechrome: interrupted; every file written is complete");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    failed += summary.failed;
    if failed > 0 {
        eprintln!(
            "dechrome: {failed} input(s) could not be processed; {} cleaned",
            summary.documents
        );
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}
