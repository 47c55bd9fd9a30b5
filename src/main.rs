//! The `stationward` command line: parses arguments and dispatches to the front-end
//! commands in `cli/`, which call the library.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

// Output to stdout and stderr goes through these, not std's macros (which panic when the
// reader went away): `stationward scan | head -1` must end quietly, not with exit 101.
macro_rules! print {
    ($($t:tt)*) => { $crate::emit(format_args!($($t)*)) };
}
macro_rules! println {
    () => { $crate::emit(format_args!("\n")) };
    ($($t:tt)*) => { $crate::emit(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! eprintln {
    ($($t:tt)*) => { $crate::emit_err(format_args!("{}\n", format_args!($($t)*))) };
}

/// The status a shell reports for a command ended by SIGPIPE (128 + 13).
const EXIT_BROKEN_PIPE: u8 = 141;

/// Writes to stdout; when the reader has gone (a closed pipe), kills our commands and exits
/// at once with 141, quietly, as a program ended by SIGPIPE would.
fn emit(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        output_failed(&e);
    }
}

/// Writes `value` to stdout as pretty JSON as it is encoded, never as one string in memory
/// (a scan of 500,000 accounts is hundreds of MB of JSON); a closed pipe ends as in `emit`.
fn emit_json(value: &impl serde::Serialize) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        output_failed(&e);
    }
}

/// Output could not be written: kill our commands and exit, quietly with 141 when the
/// reader has gone.
fn output_failed(e: &std::io::Error) -> ! {
    stationward::host::kill_running_commands();
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(EXIT_BROKEN_PIPE));
    }
    emit_err(format_args!("stationward: cannot write the output: {e}\n"));
    std::process::exit(i32::from(cli::EXIT_INTERNAL));
}

/// Writes to stderr; a closed stderr is not worth a panic.
fn emit_err(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// For commands other than the TUI (which saves first and handles its own signals): Ctrl-C,
/// SIGTERM or SIGHUP kill the commands the scan started (each runs in its own process group,
/// out of reach of the terminal's Ctrl-C) before the tool exits with 128 + the signal.
fn exit_on_signals() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let got = Arc::new(AtomicUsize::new(0));
    #[cfg(unix)]
    let signals = [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
    for sig in signals {
        let Ok(sig_usize) = usize::try_from(sig) else {
            continue;
        };
        if signal_hook::flag::register_usize(sig, Arc::clone(&got), sig_usize).is_err() {
            return;
        }
    }
    std::thread::spawn(move || {
        loop {
            let sig = got.load(Ordering::SeqCst);
            if sig != 0 {
                stationward::host::kill_running_commands();
                std::process::exit(128 + i32::try_from(sig).unwrap_or(0));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
}

mod cli;

use cli::Failure;
use cli::args::{Cli, Command};
use stationward::attest::statement::CountersignVerdict;
use stationward::dirs::Dirs;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, None | Some(Command::Tui { .. })) {
        exit_on_signals();
    }
    let result = run(cli);
    // Whatever is still running (a TUI quit during the inspection) ends with the tool.
    stationward::host::kill_running_commands();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            // Messages name paths and text from outside (file names, ledger contents).
            eprintln!(
                "stationward: {}",
                stationward::text::for_terminal_lines(&f.message)
            );
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let dirs = Dirs::resolve(cli.global.data_dir, cli.global.config_dir)
        .map_err(|e| Failure::internal(e.to_string()))?;
    if !cfg!(target_os = "linux") && cli::reads_this_host(cli.command.as_ref()) {
        return Err(Failure::usage(
            "this build inspects this machine only on Linux; give a Windows snapshot \
             (--snapshot DIR) or an offline Linux tree (--root DIR)",
        ));
    }
    match cli.command {
        command @ (None | Some(Command::Tui { .. })) => cli::tui::run(&dirs, command),
        Some(Command::Scan {
            target,
            policy,
            format,
            area,
        }) => cli::scan::run(
            &dirs,
            &target.target(),
            policy.policy.as_ref(),
            format,
            &area,
        ),
        Some(Command::Checklist(cmd)) => cli::config::checklist(&dirs, cmd),
        Some(Command::Policy(cmd)) => cli::config::policy(&dirs, cmd),
        Some(Command::Key(cmd)) => cli::key::run(&dirs, cmd),
        Some(Command::Attest {
            answers,
            operator,
            target,
            policy,
            checklists,
            passphrase_file,
        }) => cli::attest::run(
            &dirs,
            &cli::attest::AttestArgs {
                answers: &answers,
                operator: &operator,
                target: target.target(),
                policy: policy.policy.as_ref(),
                checklists: &checklists.checklist,
                passphrase_file: passphrase_file.as_deref(),
            },
        ),
        Some(Command::Countersign {
            record,
            operator,
            note,
            reject,
            passphrase_file,
        }) => cli::countersign::run(
            &dirs,
            &record,
            &operator,
            reject.map_or((CountersignVerdict::Approved, note), |reason| {
                (CountersignVerdict::Rejected, reason)
            }),
            passphrase_file.as_deref(),
        ),
        Some(Command::Verify {
            ledger_dir,
            anchors,
            expect_head,
            strict,
        }) => cli::verify::run(&dirs, ledger_dir, anchors, expect_head.as_deref(), strict),
        Some(Command::Summary(args)) => cli::summary::run(&dirs, args),
        Some(Command::Diff { old, new }) => cli::diff::run(&old, &new),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "stationward", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::internal(format!("cannot write the manual page: {e}")))?;
            Ok(0)
        }
    }
}
