//! The `stationward` command line: parses arguments and dispatches to the library.

use clap::{Args, Parser, Subcommand};
use stationward::attest::statement::CountersignVerdict;
use stationward::checklist::render as checklist_render;
use stationward::config;
use stationward::date::Date;
use stationward::dirs::Dirs;
use stationward::policy::{self, render as policy_render};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

// Output to stdout and stderr goes through these, not std's macros (which panic when the
// reader went away): `stationward scan | head -1` must end quietly, not with exit 101.
macro_rules! print {
    ($($t:tt)*) => { emit(format_args!($($t)*)) };
}
macro_rules! println {
    () => { emit(format_args!("\n")) };
    ($($t:tt)*) => { emit(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! eprintln {
    ($($t:tt)*) => { emit_err(format_args!("{}\n", format_args!($($t)*))) };
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
    std::process::exit(i32::from(EXIT_INTERNAL));
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

/// Exit codes of DESIGN.md.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INTERNAL: u8 = 3;

const WIDTH: usize = 80;

#[derive(Parser)]
#[command(
    name = "stationward",
    version,
    about = "Guided, signed security sign-off for patient-monitoring central stations and interface hosts",
    long_about = "Inspects this host read-only, walks the technician through the OWASP SMDDS \
                  interface-and-central-station controls, signs the result, and prints a hardening \
                  summary. With no command, starts the walkthrough (TUI).",
    after_help = "Exit codes: 0 ok · 1 a check or verification failed · 2 bad input or usage · 3 internal error"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct GlobalArgs {
    /// Data directory (walkthroughs, keys, ledger)
    #[arg(long, global = true, env = "STATIONWARD_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Config directory (policy.toml, checklists/)
    #[arg(
        long,
        global = true,
        env = "STATIONWARD_CONFIG_DIR",
        value_name = "DIR"
    )]
    config_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Interactive walkthrough (the default command)
    Tui {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A Windows snapshot directory (stationward.windows-snapshot/1) instead of this host
        #[arg(long, value_name = "DIR", conflicts_with = "root")]
        snapshot: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
        #[arg(long)]
        new: bool,
        /// Leave the mouse to the terminal (no click to select, no wheel scrolling)
        #[arg(long)]
        no_mouse: bool,
    },
    /// Inspect the host (read-only) and print findings
    Scan {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A Windows snapshot directory (stationward.windows-snapshot/1) instead of this host
        #[arg(long, value_name = "DIR", conflicts_with = "root")]
        snapshot: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(long, value_name = "AREA")]
        area: Vec<String>,
    },
    /// List, show and lint checklists
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Show and lint the site policy
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Operator signing keys
    #[command(subcommand)]
    Key(KeyCommand),
    /// Headless sign-off from an answers file (inspects, records the verdicts, signs)
    Attest {
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
        #[arg(long, value_name = "ID")]
        operator: String,
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A Windows snapshot directory (stationward.windows-snapshot/1) instead of this host
        #[arg(long, value_name = "DIR", conflicts_with = "root")]
        snapshot: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
        /// Read the key passphrase from the first line of FILE (else STATIONWARD_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Countersign a sign-off record of this data directory's ledger (a second person's review)
    Countersign {
        /// The record: its number (17) or its file (ledger/000017.dsse.json)
        record: String,
        /// The countersigner (not the record's own operator)
        #[arg(long, value_name = "ID")]
        operator: String,
        /// A remark with the approval
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        /// Reject the sign-off instead of approving it, for REASON
        #[arg(long, value_name = "REASON", conflicts_with = "note")]
        reject: Option<String>,
        /// Read the key passphrase from the first line of FILE (else STATIONWARD_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Verify the signed ledger
    Verify {
        ledger_dir: Option<PathBuf>,
        /// Your own allowed_signers (kept off the station); else the station's own is used, and said so
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        /// An operator's key fingerprint from the paper form (repeatable)
        #[arg(long, value_name = "OPERATOR:SHA256:FP")]
        expect_key: Vec<String>,
        #[arg(long, value_name = "SEQ:SHA256")]
        expect_head: Option<String>,
        /// Fail (exit 1) when only the station's own allowed_signers vouches for the keys
        #[arg(long)]
        strict: bool,
    },
    /// Print the hardening summary of a signed record (default: the newest) or of the draft
    Summary {
        /// A record file (ledger/000017.dsse.json)
        record: Option<PathBuf>,
        /// The newest record in the ledger (the default)
        #[arg(long, conflicts_with = "record")]
        latest: bool,
        /// The walkthrough in progress on this host, unsigned (marked DRAFT)
        #[arg(long, conflicts_with_all = ["record", "latest"])]
        draft: bool,
        /// With --draft: the offline tree the walkthrough is of
        #[arg(long, value_name = "DIR", requires = "draft")]
        root: Option<PathBuf>,
        /// With --draft: the Windows snapshot the walkthrough is of
        #[arg(long, value_name = "DIR", requires = "draft", conflicts_with = "root")]
        snapshot: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
        /// Your own allowed_signers (else the data directory's, and the output says so)
        #[arg(long, value_name = "FILE", conflicts_with = "draft")]
        allowed_signers: Option<PathBuf>,
        /// An operator's key fingerprint from the paper form (repeatable)
        #[arg(long, value_name = "OPERATOR:SHA256:FP", conflicts_with = "draft")]
        expect_key: Vec<String>,
        /// text | markdown | html | json (default: from the -o extension, else text)
        #[arg(long)]
        format: Option<String>,
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// What changed between two scans (scan --format json) or two summaries (summary --format json)
    Diff { old: PathBuf, new: PathBuf },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff) on standard output
    Man,
}

#[derive(Subcommand)]
enum ChecklistCommand {
    /// List the controls of every loaded checklist
    List {
        /// Also load this checklist file
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
    },
    /// Show one control in full
    Show {
        id: String,
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
    },
    /// Validate checklist files
    Lint {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Show the effective site policy
    Show {
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Validate a policy file
    Lint { file: PathBuf },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Generate an operator key
    Generate {
        #[arg(long)]
        operator: String,
        /// Read the passphrase from the first line of FILE (else STATIONWARD_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// bcrypt-pbkdf rounds protecting the key (16 to 1024)
        #[arg(long, value_name = "N", default_value_t = stationward::attest::keys::DEFAULT_KDF_ROUNDS)]
        kdf_rounds: u32,
    },
    /// Import an existing OpenSSH ed25519 key
    Import {
        file: PathBuf,
        #[arg(long)]
        operator: String,
        /// Read the passphrase from the first line of FILE (else STATIONWARD_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Replace an operator's key: the old key signs a key-rotation record into the ledger
    Rotate {
        #[arg(long)]
        operator: String,
        /// The current key's passphrase from the first line of FILE (else STATIONWARD_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// The new key's passphrase from the first line of FILE (else STATIONWARD_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// bcrypt-pbkdf rounds protecting the new key (16 to 1024)
        #[arg(long, value_name = "N", default_value_t = stationward::attest::keys::DEFAULT_KDF_ROUNDS)]
        kdf_rounds: u32,
    },
    /// List operator keys
    List,
    /// Print an operator's public key
    ExportPub {
        id: String,
        #[arg(long)]
        pem: bool,
    },
}

/// A failure that ends the command with an exit code and a one-line message.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl ToString) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }
}

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
    let dirs = Dirs::resolve(cli.global.data_dir, cli.global.config_dir).map_err(|e| Failure {
        code: EXIT_INTERNAL,
        message: e.to_string(),
    })?;
    if !cfg!(target_os = "linux") && reads_this_host(cli.command.as_ref()) {
        return Err(Failure::usage(
            "this build inspects this machine only on Linux; give a Windows snapshot \
             (--snapshot DIR) or an offline Linux tree (--root DIR)",
        ));
    }
    match cli.command {
        None => tui(&dirs, None, None, None, &[], false, true),
        Some(Command::Tui {
            root,
            snapshot,
            policy,
            checklist,
            new,
            no_mouse,
        }) => tui(
            &dirs,
            root,
            snapshot,
            policy.as_ref(),
            &checklist,
            new,
            !no_mouse,
        ),
        Some(Command::Scan {
            root,
            snapshot,
            policy,
            format,
            area,
        }) => scan(&dirs, root, snapshot, policy.as_ref(), &format, &area),
        Some(Command::Checklist(cmd)) => checklist(&dirs, cmd),
        Some(Command::Policy(cmd)) => policy(&dirs, cmd),
        Some(Command::Key(cmd)) => key(&dirs, cmd),
        Some(Command::Attest {
            answers,
            operator,
            root,
            snapshot,
            policy,
            checklist,
            passphrase_file,
        }) => attest(
            &dirs,
            &answers,
            &operator,
            Target { root, snapshot },
            policy.as_ref(),
            &checklist,
            passphrase_file.as_deref(),
        ),
        Some(Command::Countersign {
            record,
            operator,
            note,
            reject,
            passphrase_file,
        }) => countersign(
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
            allowed_signers,
            expect_key,
            expect_head,
            strict,
        }) => verify(
            &dirs,
            ledger_dir,
            Anchoring {
                allowed_signers,
                expect_keys: parse_expect_keys(&expect_key)?,
            },
            expect_head.as_deref(),
            strict,
        ),
        Some(Command::Summary {
            record,
            latest: _,
            draft,
            root,
            snapshot,
            policy,
            checklist,
            allowed_signers,
            expect_key,
            format,
            output,
        }) => summary(
            &dirs,
            SummarySource {
                record,
                draft,
                root,
                snapshot,
                anchoring: Anchoring {
                    allowed_signers,
                    expect_keys: parse_expect_keys(&expect_key)?,
                },
            },
            policy.as_ref(),
            &checklist,
            format.as_deref(),
            output.as_deref(),
        ),
        Some(Command::Diff { old, new }) => diff(&old, &new),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "stationward", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| Failure {
                    code: EXIT_INTERNAL,
                    message: format!("cannot write the manual page: {e}"),
                })?;
            Ok(0)
        }
    }
}

fn tui(
    dirs: &Dirs,
    root: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    policy: Option<&PathBuf>,
    checklists: &[PathBuf],
    fresh: bool,
    mouse: bool,
) -> Result<u8, Failure> {
    if let Some(dir) = &root
        && !dir.is_dir()
    {
        return Err(Failure::usage(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let policy = config::load_policy(dirs, policy).map_err(Failure::usage)?;
    // The walkthrough follows the last checklist loaded: a site's own, if it gave one.
    let checklist = config::load_checklists(dirs, checklists)
        .map_err(Failure::usage)?
        .pop()
        .ok_or_else(|| Failure::usage("no checklist loaded"))?;
    let outcome = stationward::tui::run(stationward::tui::TuiOptions {
        root,
        snapshot,
        policy,
        checklist,
        data_dir: dirs.data.clone(),
        fresh,
        mouse,
    })
    .map_err(|e| match e {
        stationward::tui::TuiError::NotATerminal
        | stationward::tui::TuiError::Snapshot(_)
        | stationward::tui::TuiError::Store(
            stationward::walkthrough::store::StoreError::Locked { .. },
        ) => Failure::usage(e),
        other => Failure {
            code: EXIT_INTERNAL,
            message: other.to_string(),
        },
    })?;
    if let Some(unsaved) = outcome.unsaved {
        // Never "saved" when it was not: say so, and where the work went instead.
        let rescued = match (&unsaved.rescue, &unsaved.json) {
            (Ok(p), _) => format!(
                " Your verdicts and notes were written to {} instead.",
                p.display()
            ),
            (Err(e), Some(json)) => {
                // Nowhere in the data directory takes it: the work goes to stderr, the only
                // place left that is not outside the data directory; the message says so.
                let _ = writeln!(
                    std::io::stderr(),
                    "--- unsaved walkthrough (JSON), begin ---\n{json}\n--- unsaved walkthrough (JSON), end ---"
                );
                format!(
                    " It could not be written in the data directory either ({e}); the walkthrough is printed above as JSON: copy it into a file to keep your verdicts and notes."
                )
            }
            (Err(e), None) => format!(" It could not be written anywhere else either ({e})."),
        };
        return Err(Failure {
            code: EXIT_INTERNAL,
            message: format!(
                "walkthrough NOT saved ({} of {} controls assessed): {}.{rescued}",
                outcome.assessed, outcome.total, unsaved.reason
            ),
        });
    }
    // The terminal may be gone (a dropped SSH session): a failed write is not worth a panic.
    let _ = writeln!(
        std::io::stdout(),
        "Walkthrough saved: {} of {} controls assessed ({}).",
        outcome.assessed,
        outcome.total,
        outcome.walkthrough_file.display()
    );
    Ok(0)
}

fn scan(
    dirs: &Dirs,
    root: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    policy: Option<&PathBuf>,
    format: &str,
    areas: &[String],
) -> Result<u8, Failure> {
    use stationward::checks::Area;
    use stationward::scan::render::{Colour, scan_text};
    use std::io::IsTerminal;
    if format != "text" && format != "json" {
        return Err(Failure::usage(format!(
            "unknown format \"{format}\" (expected text or json)"
        )));
    }
    let mut wanted = Vec::new();
    for a in areas {
        let area = Area::parse(a).ok_or_else(|| {
            Failure::usage(format!(
                "unknown area \"{a}\" (expected one of: {})",
                Area::ALL.map(Area::as_str).join(", ")
            ))
        })?;
        if !wanted.contains(&area) {
            wanted.push(area);
        }
    }
    if wanted.is_empty() {
        wanted = Area::ALL.to_vec();
    }
    let policy = config::load_policy(dirs, policy).map_err(Failure::usage)?;
    let result = match (snapshot, root) {
        (Some(dir), _) => {
            stationward::windows::scan(&dir, &policy, &wanted).map_err(Failure::usage)?
        }
        (None, Some(dir)) => {
            if !dir.is_dir() {
                return Err(Failure::usage(format!(
                    "{}: not a directory",
                    dir.display()
                )));
            }
            stationward::scan::run(&stationward::host::Root::new(dir), &policy, &wanted)
        }
        (None, None) => stationward::scan::run(&stationward::host::Live::new(), &policy, &wanted),
    };
    if format == "json" {
        emit_json(&result);
    } else {
        let colour = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Colour::Ansi
        } else {
            Colour::Never
        };
        print!("{}", scan_text(&result, WIDTH, colour));
    }
    Ok(if result.has_failures() {
        EXIT_FAILED
    } else {
        0
    })
}

struct SummarySource {
    record: Option<PathBuf>,
    draft: bool,
    root: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    anchoring: Anchoring,
}

fn summary(
    dirs: &Dirs,
    source: SummarySource,
    policy: Option<&PathBuf>,
    checklists: &[PathBuf],
    format: Option<&str>,
    output: Option<&std::path::Path>,
) -> Result<u8, Failure> {
    use stationward::attest::{Anchors, keys, ledger};
    use stationward::report::{self, Format, Summary, record::RecordError};
    let format = match (format, output) {
        (Some(f), _) => Format::parse(f).ok_or_else(|| {
            Failure::usage(format!(
                "unknown format \"{f}\" (expected text, markdown, html or json)"
            ))
        })?,
        (None, Some(path)) => Format::from_extension(path).unwrap_or(Format::Text),
        (None, None) => Format::Text,
    };
    // Checked before any work: -o never replaces a signed record, a key, the evidence store
    // or the work in progress, of this data directory or of the ledger the record came from.
    let record_ledger: Option<PathBuf> = source.record.as_deref().and_then(|r| {
        let real = std::fs::canonicalize(r).ok()?;
        let parent = real.parent()?;
        (parent.file_name() == Some(std::ffi::OsStr::new("ledger"))).then(|| parent.to_path_buf())
    });
    if let Some(path) = output {
        // Never over a signed record, a key, the evidence store or the work in progress, of
        // this data directory or of the ledger the record came from.
        let mut protected = vec![
            ledger::ledger_dir(&dirs.data),
            dirs.data.join("evidence"),
            keys::KeyStore::new(&dirs.data).keys_dir(),
            keys::allowed_signers_path(&dirs.data),
            dirs.data.join("walkthroughs"),
        ];
        if let Some(record) = &source.record {
            protected.push(record.clone());
        }
        if let Some(ledger_of_record) = record_ledger.as_deref() {
            protected.push(ledger_of_record.to_path_buf());
            if let Some(base) = ledger_of_record.parent() {
                protected.push(base.join("evidence"));
                protected.push(base.join("keys"));
                protected.push(base.join("allowed_signers"));
            }
        }
        report::refuse_protected(path, &protected).map_err(Failure::usage)?;
    }
    let policy = config::load_policy(dirs, policy).map_err(Failure::usage)?;
    let checklist = config::load_checklists(dirs, checklists)
        .map_err(Failure::usage)?
        .pop()
        .ok_or_else(|| Failure::usage("no checklist loaded"))?;

    let summary = if source.draft {
        use stationward::walkthrough::{HostKey, store::Store};
        let root_name = source
            .snapshot
            .as_ref()
            .or(source.root.as_ref())
            .map(|d| d.display().to_string());
        let host: Box<dyn stationward::host::Host> = match source.root {
            Some(dir) if dir.is_dir() => Box::new(stationward::host::Root::new(dir)),
            Some(dir) => {
                return Err(Failure::usage(format!(
                    "{}: not a directory",
                    dir.display()
                )));
            }
            None => Box::new(stationward::host::Live::new()),
        };
        let scan = match &source.snapshot {
            Some(dir) => stationward::windows::scan(dir, &policy, &stationward::checks::Area::ALL)
                .map_err(Failure::usage)?,
            None => stationward::scan::run(host.as_ref(), &policy, &stationward::checks::Area::ALL),
        };
        let key = HostKey::of(&scan.host, root_name);
        let (_, walkthrough) = Store::new(&dirs.data)
            .find_in_progress(&key, &checklist.id)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "no walkthrough in progress for {} and checklist {} (start one with `stationward`)",
                    if scan.host.hostname.is_empty() { "this host" } else { &scan.host.hostname },
                    checklist.id
                ))
            })?;
        Summary::from_draft(
            &walkthrough,
            &checklist,
            Some(&scan),
            &policy,
            None,
            Date::today_utc(),
        )
    } else {
        let path = match source.record {
            Some(p) => p,
            None => {
                let head = ledger::head(&dirs.data)
                    .map_err(|e| Failure::usage(e.to_string()))?
                    .ok_or_else(|| {
                        Failure::usage(format!(
                            "no signed record in {} yet (sign one, or use --draft)",
                            ledger::ledger_dir(&dirs.data).display()
                        ))
                    })?;
                // Countersignatures after the newest sign-off are shown with it.
                let seq = ledger::newest_not_countersign(&dirs.data)
                    .map_err(|e| Failure::usage(e.to_string()))?
                    .unwrap_or(head.seq);
                ledger::record_path(&dirs.data, seq)
            }
        };
        // Never a file beside the record: the auditor's anchors, else the data directory's.
        let anchors = Anchors::explicit_or_station(
            source.anchoring.allowed_signers.as_deref(),
            source.anchoring.expect_keys,
            &keys::allowed_signers_path(&dirs.data),
        )
        .map_err(Failure::usage)?;
        eprintln!(
            "stationward: trust: {}",
            stationward::text::for_terminal(&anchors.describe())
        );
        report::record::summary_of_ledger_record(&path, &anchors, Some(&checklist)).map_err(
            |e| match e {
                RecordError::Untrusted { .. } => Failure {
                    code: EXIT_FAILED,
                    message: e.to_string(),
                },
                _ => Failure::usage(e),
            },
        )?
    };
    let mut summary = summary;
    if policy.require_countersign
        && let Some(a) = summary.attestation.as_mut()
    {
        a.require_countersign();
    }
    let rendered = report::summary_command(&summary, format, output).map_err(Failure::usage)?;
    if let Some(path) = output {
        eprintln!("Summary written to {}", path.display());
    } else {
        print!("{rendered}");
    }
    Ok(0)
}

/// `countersign`: the reviewer's key signs a countersignature record naming the sign-off.
fn countersign(
    dirs: &Dirs,
    record: &str,
    operator: &str,
    (verdict, note): (CountersignVerdict, String),
    passphrase_file: Option<&std::path::Path>,
) -> Result<u8, Failure> {
    use stationward::attest::keys::obtain_passphrase;
    use stationward::attest::ledger::{self, Countersign};
    use stationward::attest::{KeyStore, OperatorId};
    let seq = match record.parse::<u64>() {
        Ok(n) if n > 0 => n,
        _ => {
            let path = std::path::Path::new(record);
            let seq = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(ledger::record_seq)
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "\"{}\" is neither a record number nor a record file (NNNNNN.dsse.json)",
                        stationward::text::for_terminal(record)
                    ))
                })?;
            // Only a record of this data directory's ledger: that is the ledger appended to.
            let ours = ledger::ledger_dir(&dirs.data);
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let same = match (std::fs::canonicalize(parent), std::fs::canonicalize(&ours)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if !same {
                return Err(Failure::usage(format!(
                    "{} is not in this data directory's ledger ({}); countersign a record where it was signed",
                    stationward::text::for_terminal(record),
                    ours.display()
                )));
            }
            seq
        }
    };
    let operator = OperatorId::parse(operator).map_err(key_failure)?;
    let passphrase = obtain_passphrase(
        passphrase_file,
        &format!("Passphrase of {operator}'s key: "),
        false,
    )
    .map_err(key_failure)?;
    let signer = KeyStore::new(&dirs.data)
        .load_signer(&operator, &passphrase)
        .map_err(key_failure)?;
    let appended = ledger::append_countersign(
        &dirs.data,
        &signer,
        &Countersign { seq, verdict, note },
        stationward::date::unix_now_secs(),
    )
    .map_err(ledger_failure)?;
    for repair in &appended.repairs {
        eprintln!("stationward: repaired the ledger: {repair}");
    }
    println!(
        "{} {} by {operator} ({})",
        verdict.as_str(),
        ledger::record_file_name(seq),
        signer.keyid()
    );
    println!(
        "  recorded in  {} (head {})",
        ledger::record_path(&dirs.data, appended.head.seq).display(),
        appended.head
    );
    Ok(0)
}

fn diff(old: &std::path::Path, new: &std::path::Path) -> Result<u8, Failure> {
    // A scan of a large host (100,000 units) is larger than a hand-written input file.
    let read = |p: &std::path::Path| {
        stationward::input::read_text_capped(p, stationward::report::diff::MAX_DIFF_INPUT_BYTES)
            .map_err(Failure::usage)
    };
    let (old_text, new_text) = (read(old)?, read(new)?);
    let report = stationward::report::diff::diff_json(
        &old.display().to_string(),
        &old_text,
        &new.display().to_string(),
        &new_text,
    )
    .map_err(Failure::usage)?;
    print!("{}", report.to_text());
    Ok(if report.regressed() { EXIT_FAILED } else { 0 })
}

fn checklist(dirs: &Dirs, cmd: ChecklistCommand) -> Result<u8, Failure> {
    match cmd {
        ChecklistCommand::List { checklist } => {
            let lists = config::load_checklists(dirs, &checklist).map_err(Failure::usage)?;
            for (i, list) in lists.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", checklist_render::list_text(list, WIDTH));
            }
            Ok(0)
        }
        ChecklistCommand::Show { id, checklist } => {
            let lists = config::load_checklists(dirs, &checklist).map_err(Failure::usage)?;
            let found = lists
                .iter()
                .rev()
                .find_map(|l| l.control(&id).map(|c| (l, c)))
                .ok_or_else(|| {
                    Failure::usage(format!("no control \"{id}\" in any loaded checklist"))
                })?;
            print!(
                "{}",
                checklist_render::control_text(found.0, found.1, WIDTH)
            );
            Ok(0)
        }
        ChecklistCommand::Lint { files } => {
            let mut bad = 0;
            for file in &files {
                match stationward::checklist::Checklist::load(file) {
                    Ok(list) => {
                        println!("{}: ok ({} controls)", file.display(), list.controls.len())
                    }
                    Err(e) => {
                        eprintln!("{}", stationward::text::for_terminal(&e.to_string()));
                        bad += 1;
                    }
                }
            }
            Ok(if bad > 0 { EXIT_USAGE } else { 0 })
        }
    }
}

fn policy(dirs: &Dirs, cmd: PolicyCommand) -> Result<u8, Failure> {
    match cmd {
        PolicyCommand::Show { policy } => {
            let p = config::load_policy(dirs, policy.as_ref()).map_err(Failure::usage)?;
            print!(
                "{}",
                policy_render::policy_text(&p, Date::today_utc(), WIDTH)
            );
            Ok(0)
        }
        PolicyCommand::Lint { file } => {
            let p = match policy::Policy::load(&file) {
                Ok(p) => p,
                Err(e) => {
                    // Lint output is the diagnostic itself, compiler-style, like `checklist lint`.
                    eprintln!("{}", stationward::text::for_terminal(&e.to_string()));
                    return Ok(EXIT_USAGE);
                }
            };
            println!(
                "{}: ok ({} allowed listeners, {} waivers)",
                file.display(),
                p.allowed_listeners.len(),
                p.waivers.len()
            );
            let today = Date::today_utc();
            for w in &p.waivers {
                if let policy::WaiverState::Expired { .. } = w.state(today) {
                    println!(
                        "  note: waiver for {} expired on {}",
                        w.target.id(),
                        w.expires
                    );
                }
            }
            Ok(0)
        }
    }
}

/// What a command inspects: an offline tree, a Windows snapshot, or (neither) this host.
/// Whether a command would inspect the machine the tool runs on. The live host reads Linux
/// files and commands: anywhere else (a Windows build, until the native collector) it would
/// see nothing and judge Linux defaults, so those commands need `--snapshot` or `--root`.
fn reads_this_host(command: Option<&Command>) -> bool {
    match command {
        None => true,
        Some(
            Command::Tui { root, snapshot, .. }
            | Command::Scan { root, snapshot, .. }
            | Command::Attest { root, snapshot, .. },
        ) => root.is_none() && snapshot.is_none(),
        Some(_) => false,
    }
}

struct Target {
    root: Option<PathBuf>,
    snapshot: Option<PathBuf>,
}

/// Exit code for a key-store error: bad input (2), or internal (3) for I/O trouble.
fn attest(
    dirs: &Dirs,
    answers: &std::path::Path,
    operator: &str,
    target: Target,
    policy: Option<&PathBuf>,
    checklists: &[PathBuf],
    passphrase_file: Option<&std::path::Path>,
) -> Result<u8, Failure> {
    let Target { root, snapshot } = target;
    use stationward::attest::{KeyStore, OperatorId, keys::obtain_passphrase, ledger, signoff};
    use stationward::walkthrough::{HostKey, Stage, Walkthrough, answers::Answers, store::Store};
    // Everything that can be wrong with the input is found before the host is inspected.
    let policy = config::load_policy(dirs, policy).map_err(Failure::usage)?;
    let checklist = config::load_checklists(dirs, checklists)
        .map_err(Failure::usage)?
        .pop()
        .ok_or_else(|| Failure::usage("no checklist loaded"))?;
    let answers = Answers::load(answers).map_err(Failure::usage)?;
    stationward::attest::attachments::check_answers(&answers).map_err(Failure::usage)?;
    let operator = OperatorId::parse(operator).map_err(key_failure)?;
    let keys = KeyStore::new(&dirs.data);
    if !keys.private_key_path(&operator).exists() {
        return Err(Failure::usage(format!(
            "no key for operator \"{operator}\" in {} (make one with `stationward key generate --operator {operator}`)",
            keys.keys_dir().display()
        )));
    }
    let root_name = snapshot
        .as_ref()
        .or(root.as_ref())
        .map(|d| d.display().to_string());
    let scan = match (snapshot, root) {
        (Some(dir), _) => {
            stationward::windows::scan(&dir, &policy, &stationward::checks::Area::ALL)
                .map_err(Failure::usage)?
        }
        (None, Some(dir)) => {
            if !dir.is_dir() {
                return Err(Failure::usage(format!(
                    "{}: not a directory",
                    dir.display()
                )));
            }
            stationward::scan::run(
                &stationward::host::Root::new(dir),
                &policy,
                &stationward::checks::Area::ALL,
            )
        }
        (None, None) => stationward::scan::run(
            &stationward::host::Live::new(),
            &policy,
            &stationward::checks::Area::ALL,
        ),
    };
    let mut walkthrough = Walkthrough::new(&checklist, HostKey::of(&scan.host, root_name));
    answers
        .apply(&mut walkthrough, &checklist, &scan.findings)
        .map_err(Failure::usage)?;
    // Copied into the evidence store now (content-addressed, so a failed signature below
    // leaves only unreferenced copies, never a half-written file).
    stationward::attest::attachments::attach_answers(&dirs.data, &answers, &mut walkthrough)
        .map_err(Failure::usage)?;
    // Signing re-checks every control by the one justification rule, as the TUI does.
    walkthrough
        .ready_to_sign(&checklist, &scan.findings)
        .map_err(Failure::usage)?;
    let passphrase = obtain_passphrase(
        passphrase_file,
        &format!("Passphrase for {operator}'s key: "),
        false,
    )
    .map_err(key_failure)?;
    let signer = keys
        .load_signer(&operator, &passphrase)
        .map_err(key_failure)?;
    let appended = signoff::sign_reporting(
        &dirs.data,
        &signer,
        &walkthrough,
        &checklist,
        &scan,
        &policy,
    )
    .map_err(ledger_failure)?;
    for repair in &appended.repairs {
        eprintln!("stationward: repaired the ledger: {repair}");
    }
    let head = appended.head;
    // Keep the signed walkthrough beside the others; it is never resumed.
    walkthrough.stage = Stage::Signed { seq: head.seq };
    if let Err(e) = Store::new(&dirs.data).save(&walkthrough) {
        eprintln!("stationward: signed, but the walkthrough copy was not saved: {e}");
    }
    let counts = walkthrough.counts();
    let summary: Vec<String> = counts
        .iter()
        .map(|(v, n)| format!("{n} {}", v.as_str()))
        .collect();
    println!(
        "Signed {}",
        ledger::record_path(&dirs.data, head.seq).display()
    );
    println!("  operator  {operator} ({})", signer.keyid());
    println!(
        "  host      {} · checklist {} {}",
        stationward::text::for_terminal(&scan.host.hostname),
        stationward::text::for_terminal(&checklist.id),
        stationward::text::for_terminal(&checklist.version)
    );
    println!("  verdicts  {}", summary.join(", "));
    for c in &walkthrough.controls {
        for a in &c.attachments {
            println!(
                "  attached  {}/{} ({}, {} bytes) sha256 {}",
                c.id,
                stationward::text::for_terminal(&a.name),
                a.media_type,
                a.size,
                a.sha256
            );
        }
    }
    println!("  head      {head}");
    let anchors: Vec<String> = appended
        .paper_anchors
        .iter()
        .map(ToString::to_string)
        .collect();
    println!(
        "Check it any time with: {}",
        stationward::report::summary::verify_command(&head.to_string(), &anchors)
    );
    Ok(0)
}

fn ledger_failure(e: stationward::attest::LedgerError) -> Failure {
    use stationward::attest::LedgerError;
    Failure {
        code: match e {
            LedgerError::Io { .. } | LedgerError::ReadBack { .. } => EXIT_INTERNAL,
            LedgerError::DoesNotVerify { .. } => EXIT_FAILED,
            _ => EXIT_USAGE,
        },
        message: e.to_string(),
    }
}

fn key_failure(e: stationward::attest::KeyError) -> Failure {
    let code = match e {
        stationward::attest::KeyError::Io { .. } => EXIT_INTERNAL,
        _ => EXIT_USAGE,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

fn key(dirs: &Dirs, cmd: KeyCommand) -> Result<u8, Failure> {
    use stationward::attest::keys::{KeyInfo, MIN_KDF_ROUNDS, PublicKeyFormat, obtain_passphrase};
    use stationward::attest::{KeyStore, OperatorId};
    let store = KeyStore::new(&dirs.data);
    let describe = |verb: &str, info: &KeyInfo| {
        println!("{verb} ssh-ed25519 key for operator \"{}\"", info.operator);
        let kdf = info
            .kdf_rounds
            .map_or_else(String::new, |r| format!(", bcrypt {r} rounds"));
        println!(
            "  private key  {} (encrypted{kdf}, mode 0600)",
            info.private_key.display()
        );
        println!("  public key   {}", info.public_key.display());
        println!("  fingerprint  {}", info.fingerprint);
        println!("  trusted in   {}", store.allowed_signers_path().display());
    };
    match cmd {
        KeyCommand::Generate {
            operator,
            passphrase_file,
            kdf_rounds,
        } => {
            let operator = OperatorId::parse(&operator).map_err(key_failure)?;
            if kdf_rounds < MIN_KDF_ROUNDS {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is too low (at least {MIN_KDF_ROUNDS})"
                )));
            }
            if kdf_rounds > stationward::attest::keys::MAX_KDF_ROUNDS {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is too high (at most {}; 64 takes about a second)",
                    stationward::attest::keys::MAX_KDF_ROUNDS
                )));
            }
            let passphrase = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase for {operator}'s new key: "),
                true,
            )
            .map_err(key_failure)?;
            let info = store
                .generate(&operator, &passphrase, kdf_rounds)
                .map_err(key_failure)?;
            describe("Generated", &info);
            Ok(0)
        }
        KeyCommand::Import {
            file,
            operator,
            passphrase_file,
        } => {
            let operator = OperatorId::parse(&operator).map_err(key_failure)?;
            let passphrase = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase of {}: ", file.display()),
                false,
            )
            .map_err(key_failure)?;
            let info = store
                .import(&file, &operator, &passphrase)
                .map_err(key_failure)?;
            describe("Imported", &info);
            Ok(0)
        }
        KeyCommand::Rotate {
            operator,
            passphrase_file,
            new_passphrase_file,
            kdf_rounds,
        } => {
            use stationward::attest::keys::{
                MAX_KDF_ROUNDS, NEW_PASSPHRASE_ENV, obtain_passphrase_from,
            };
            let operator = OperatorId::parse(&operator).map_err(key_failure)?;
            if !(MIN_KDF_ROUNDS..=MAX_KDF_ROUNDS).contains(&kdf_rounds) {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is out of range ({MIN_KDF_ROUNDS} to {MAX_KDF_ROUNDS})"
                )));
            }
            let old = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase of {operator}'s current key: "),
                false,
            )
            .map_err(key_failure)?;
            let new = obtain_passphrase_from(
                new_passphrase_file.as_deref(),
                NEW_PASSPHRASE_ENV,
                &format!("Passphrase for {operator}'s new key: "),
                true,
            )
            .map_err(key_failure)?;
            let (info, appended) = stationward::attest::ledger::rotate_key(
                &dirs.data,
                &operator,
                &old,
                &new,
                kdf_rounds,
                stationward::date::unix_now_secs(),
            )
            .map_err(ledger_failure)?;
            for repair in &appended.repairs {
                eprintln!("stationward: repaired the ledger: {repair}");
            }
            describe("Rotated to a new", &info);
            println!(
                "  recorded in  {} (head {})",
                stationward::attest::ledger::record_path(&dirs.data, appended.head.seq).display(),
                appended.head
            );
            let anchors: Vec<String> = appended
                .paper_anchors
                .iter()
                .map(ToString::to_string)
                .collect();
            println!(
                "The old key signs no more records. The paper form keeps each operator's first key; the rotation record vouches for the new one: {}",
                stationward::report::summary::verify_command(&appended.head.to_string(), &anchors)
            );
            Ok(0)
        }
        KeyCommand::List => {
            let keys = store.list().map_err(key_failure)?;
            if keys.is_empty() {
                println!(
                    "No operator keys in {}; create one with `stationward key generate --operator ID`.",
                    store.keys_dir().display()
                );
                return Ok(0);
            }
            let width = keys
                .iter()
                .map(|k| k.operator.as_str().len())
                .max()
                .unwrap_or(8)
                .max(8);
            println!(
                "{:<width$}  {:<50}  {:<10}  TRUSTED",
                "OPERATOR", "FINGERPRINT", "KDF"
            );
            for k in &keys {
                let kdf = match (k.has_private_key, k.kdf_rounds) {
                    (false, _) => "public only".to_string(),
                    (true, Some(r)) => format!("bcrypt/{r}"),
                    (true, None) => "unreadable".to_string(),
                };
                println!(
                    "{:<width$}  {:<50}  {:<10}  {}",
                    k.operator.as_str(),
                    k.fingerprint,
                    kdf,
                    if k.allowed { "yes" } else { "no" }
                );
            }
            for k in keys.iter().filter(|k| !k.shared_with.is_empty()) {
                println!(
                    "! SHARED KEY: {} ({}) is also the key of {}: one key per technician; a countersignature with it is refused",
                    k.operator.as_str(),
                    k.fingerprint,
                    stationward::text::for_terminal(&k.shared_with.join(", "))
                );
            }
            Ok(0)
        }
        KeyCommand::ExportPub { id, pem } => {
            let operator = OperatorId::parse(&id).map_err(key_failure)?;
            let format = if pem {
                PublicKeyFormat::Pem
            } else {
                PublicKeyFormat::OpenSsh
            };
            print!(
                "{}",
                store
                    .export_public(&operator, format)
                    .map_err(key_failure)?
            );
            Ok(0)
        }
    }
}

/// The anchors given on the command line.
struct Anchoring {
    allowed_signers: Option<PathBuf>,
    expect_keys: Vec<stationward::attest::ExpectKey>,
}

fn parse_expect_keys(values: &[String]) -> Result<Vec<stationward::attest::ExpectKey>, Failure> {
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|e| Failure::usage(format!("--expect-key: {e}")))
        })
        .collect()
}

fn verify(
    dirs: &Dirs,
    ledger_dir: Option<PathBuf>,
    anchoring: Anchoring,
    expect_head: Option<&str>,
    strict: bool,
) -> Result<u8, Failure> {
    use stationward::attest::{LedgerHead, VerifyOptions, verify_ledger};
    let mut options = match ledger_dir {
        Some(dir) => VerifyOptions::for_ledger_dir(&dir, &dirs.data),
        None => VerifyOptions::for_data_dir(&dirs.data),
    };
    options.allowed_signers = anchoring.allowed_signers;
    options.expect_keys = anchoring.expect_keys;
    if let Some(head) = expect_head {
        options.expect_head = Some(
            head.parse::<LedgerHead>()
                .map_err(|e| Failure::usage(format!("--expect-head: {e}")))?,
        );
    }
    let report = verify_ledger(&options).map_err(Failure::usage)?;
    print!("{}", report.render_text());
    let ok = if strict {
        report.ok_strict()
    } else {
        report.ok()
    };
    if strict && report.station_anchors {
        eprintln!(
            "stationward: --strict: only the station's own allowed_signers vouches for the keys; give --allowed-signers or --expect-key"
        );
    }
    Ok(if ok { 0 } else { EXIT_FAILED })
}
