//! The `stationward` command line: parses arguments and dispatches to the library.

use clap::{Args, Parser, Subcommand};
use stationward::checklist::render as checklist_render;
use stationward::config;
use stationward::date::Date;
use stationward::dirs::Dirs;
use stationward::policy::{self, render as policy_render};
use std::path::PathBuf;
use std::process::ExitCode;

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
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        checklist: Vec<PathBuf>,
        #[arg(long)]
        new: bool,
    },
    /// Inspect the host (read-only) and print findings
    Scan {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
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
    /// Operator signing keys [pending: not available in this build]
    #[command(subcommand)]
    Key(KeyCommand),
    /// Headless sign-off from an answers file [pending: not available in this build]
    Attest {
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
        #[arg(long, value_name = "ID")]
        operator: String,
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Verify the signed ledger [pending: not available in this build]
    Verify {
        ledger_dir: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        #[arg(long, value_name = "SEQ:SHA256")]
        expect_head: Option<String>,
    },
    /// Print the hardening summary [pending: not available in this build]
    Summary {
        record: Option<PathBuf>,
        #[arg(long)]
        latest: bool,
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// What changed between two scans or two records [pending: not available in this build]
    Diff { old: PathBuf, new: PathBuf },
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
    },
    /// Import an existing OpenSSH ed25519 key
    Import {
        file: PathBuf,
        #[arg(long)]
        operator: String,
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
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("stationward: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let dirs = Dirs::resolve(cli.global.data_dir, cli.global.config_dir).map_err(|e| Failure {
        code: EXIT_INTERNAL,
        message: e.to_string(),
    })?;
    match cli.command {
        None => tui(&dirs, None, None, &[], false),
        Some(Command::Tui {
            root,
            policy,
            checklist,
            new,
        }) => tui(&dirs, root, policy.as_ref(), &checklist, new),
        Some(Command::Scan {
            root,
            policy,
            format,
            area,
        }) => scan(&dirs, root, policy.as_ref(), &format, &area),
        Some(Command::Checklist(cmd)) => checklist(&dirs, cmd),
        Some(Command::Policy(cmd)) => policy(&dirs, cmd),
        Some(Command::Key(_)) => pending("key", "signed attestations"),
        Some(Command::Attest { .. }) => pending("attest", "signed attestations"),
        Some(Command::Verify { .. }) => pending("verify", "signed attestations"),
        Some(Command::Summary { .. }) => pending("summary", "the hardening summary"),
        Some(Command::Diff { .. }) => pending("diff", "the hardening summary"),
    }
}

fn tui(
    dirs: &Dirs,
    root: Option<PathBuf>,
    policy: Option<&PathBuf>,
    checklists: &[PathBuf],
    fresh: bool,
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
        policy,
        checklist,
        data_dir: dirs.data.clone(),
        fresh,
    })
    .map_err(|e| match e {
        stationward::tui::TuiError::NotATerminal => Failure::usage(e),
        other => Failure {
            code: EXIT_INTERNAL,
            message: other.to_string(),
        },
    })?;
    println!(
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
    let result = match root {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Failure::usage(format!(
                    "{}: not a directory",
                    dir.display()
                )));
            }
            stationward::scan::run(&stationward::host::Root::new(dir), &policy, &wanted)
        }
        None => stationward::scan::run(&stationward::host::Live::new(), &policy, &wanted),
    };
    if format == "json" {
        let json = serde_json::to_string_pretty(&result).map_err(|e| Failure {
            code: EXIT_INTERNAL,
            message: format!("cannot encode the scan as JSON: {e}"),
        })?;
        println!("{json}");
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

fn pending(command: &str, feature: &str) -> Result<u8, Failure> {
    Err(Failure::usage(format!(
        "`{command}` is not available in this build (pending: {feature})"
    )))
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
                        eprintln!("{e}");
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
                    eprintln!("{e}");
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
