//! The command line's shape: every subcommand and flag, as clap derives them. Shared flags
//! are one `Args` struct each, flattened where a command takes them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use stationward::catalogue::Area;
use stationward::report::Format;
use stationward::session::Target;
use std::path::PathBuf;

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
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args)]
pub struct GlobalArgs {
    /// Data directory (walkthroughs, keys, ledger)
    #[arg(long, global = true, env = "STATIONWARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config directory (policy.toml, checklists/)
    #[arg(
        long,
        global = true,
        env = "STATIONWARD_CONFIG_DIR",
        value_name = "DIR"
    )]
    pub config_dir: Option<PathBuf>,
}

/// `--root DIR` / `--snapshot DIR`: what a command inspects (neither: this host).
#[derive(Args)]
pub struct TargetArgs {
    /// An offline tree (a mounted disk image or a copied tree) instead of this host
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// A Windows snapshot directory (stationward.windows-snapshot/1) instead of this host
    #[arg(long, value_name = "DIR", conflicts_with = "root")]
    pub snapshot: Option<PathBuf>,
}

impl TargetArgs {
    pub fn target(self) -> Target {
        Target::from_flags(self.root, self.snapshot)
    }
}

/// `--policy FILE`.
#[derive(Args)]
pub struct PolicyArg {
    /// The site policy (else the config directory's policy.toml, else the built-in one)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// `--checklist FILE`...
#[derive(Args)]
pub struct ChecklistArgs {
    /// Also load this checklist file (repeatable; the last one loaded is walked through)
    #[arg(long, value_name = "FILE")]
    pub checklist: Vec<PathBuf>,
}

/// `--allowed-signers FILE` / `--expect-key OPERATOR:SHA256:FP`: the auditor's anchors.
#[derive(Args)]
pub struct AnchorArgs {
    /// Your own allowed_signers (kept off the station); else the station's own is used, and said so
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// An operator's key fingerprint from the paper form (repeatable)
    #[arg(long, value_name = "OPERATOR:SHA256:FP")]
    pub expect_key: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
}

/// `--area`: the inspection areas of the catalogue.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AreaArg {
    Services,
    Network,
    Accounts,
    Patches,
    Firewall,
    Supporting,
}

impl From<AreaArg> for Area {
    fn from(a: AreaArg) -> Area {
        match a {
            AreaArg::Services => Area::Services,
            AreaArg::Network => Area::Network,
            AreaArg::Accounts => Area::Accounts,
            AreaArg::Patches => Area::Patches,
            AreaArg::Firewall => Area::Firewall,
            AreaArg::Supporting => Area::Supporting,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    #[value(alias = "md")]
    Markdown,
    Html,
    Json,
}

impl From<SummaryFormat> for Format {
    fn from(f: SummaryFormat) -> Format {
        match f {
            SummaryFormat::Text => Format::Text,
            SummaryFormat::Markdown => Format::Markdown,
            SummaryFormat::Html => Format::Html,
            SummaryFormat::Json => Format::Json,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Interactive walkthrough (the default command)
    Tui {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        policy: PolicyArg,
        #[command(flatten)]
        checklists: ChecklistArgs,
        /// Start a fresh walkthrough (the unfinished one is kept, not deleted)
        #[arg(long)]
        new: bool,
        /// Leave the mouse to the terminal (no click to select, no wheel scrolling)
        #[arg(long)]
        no_mouse: bool,
    },
    /// Inspect the host (read-only) and print findings
    Scan {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        policy: PolicyArg,
        #[arg(long, value_enum, default_value = "text")]
        format: ScanFormat,
        /// Only these areas (repeatable; default: all)
        #[arg(long, value_enum, value_name = "AREA")]
        area: Vec<AreaArg>,
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
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        policy: PolicyArg,
        #[command(flatten)]
        checklists: ChecklistArgs,
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
        #[command(flatten)]
        anchors: AnchorArgs,
        #[arg(long, value_name = "SEQ:SHA256")]
        expect_head: Option<String>,
        /// Fail (exit 1) when only the station's own allowed_signers vouches for the keys
        #[arg(long)]
        strict: bool,
    },
    /// Print the hardening summary of a signed record (default: the newest) or of the draft
    Summary(SummaryArgs),
    /// What changed between two scans (scan --format json) or two summaries (summary --format json)
    Diff { old: PathBuf, new: PathBuf },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff) on standard output
    Man,
}

#[derive(Args)]
pub struct SummaryArgs {
    /// A record file (ledger/000017.dsse.json)
    pub record: Option<PathBuf>,
    /// The newest record in the ledger (the default)
    #[arg(long, conflicts_with = "record")]
    pub latest: bool,
    /// The walkthrough in progress on this host, unsigned (marked DRAFT)
    #[arg(long, conflicts_with_all = ["record", "latest"])]
    pub draft: bool,
    /// With --draft: the offline tree the walkthrough is of
    #[arg(long, value_name = "DIR", requires = "draft")]
    pub root: Option<PathBuf>,
    /// With --draft: the Windows snapshot the walkthrough is of
    #[arg(long, value_name = "DIR", requires = "draft", conflicts_with = "root")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub checklists: ChecklistArgs,
    /// Your own allowed_signers (else the data directory's, and the output says so)
    #[arg(long, value_name = "FILE", conflicts_with = "draft")]
    pub allowed_signers: Option<PathBuf>,
    /// An operator's key fingerprint from the paper form (repeatable)
    #[arg(long, value_name = "OPERATOR:SHA256:FP", conflicts_with = "draft")]
    pub expect_key: Vec<String>,
    /// Default: from the -o extension, else text
    #[arg(long, value_enum)]
    pub format: Option<SummaryFormat>,
    #[arg(short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ChecklistCommand {
    /// List the controls of every loaded checklist
    List {
        #[command(flatten)]
        checklists: ChecklistArgs,
    },
    /// Show one control in full
    Show {
        id: String,
        #[command(flatten)]
        checklists: ChecklistArgs,
    },
    /// Validate checklist files
    Lint {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Show the effective site policy
    Show {
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Validate a policy file
    Lint { file: PathBuf },
}

#[derive(Subcommand)]
pub enum KeyCommand {
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
