//! The CLI front end: argument shapes (`args`), one thin file per command that parses its
//! input, calls the library (`stationward::session` and friends) and renders the result, and
//! the mapping of library errors to the exit codes of DESIGN.md.

pub mod args;
pub mod attest;
pub mod config;
pub mod countersign;
pub mod diff;
pub mod key;
pub mod scan;
pub mod summary;
pub mod tui;
pub mod verify;

use stationward::attest::{KeyError, LedgerError};
use stationward::session::SessionError;

/// Exit codes of DESIGN.md.
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;

/// Terminal width the plain-text renderers wrap at.
pub const WIDTH: usize = 80;

/// A failure that ends the command with an exit code and a one-line message.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    // Taken by value so it fits `map_err(Failure::usage)` on any error type.
    #[allow(clippy::needless_pass_by_value)]
    pub fn usage(message: impl ToString) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_INTERNAL,
            message: message.into(),
        }
    }
}

/// Whether a command would inspect the machine the tool runs on. The live host reads Linux
/// files and commands: anywhere else (a Windows build, until the native collector) it would
/// see nothing and judge Linux defaults, so those commands need `--snapshot` or `--root`.
pub fn reads_this_host(command: Option<&args::Command>) -> bool {
    use args::Command;
    match command {
        None => true,
        Some(
            Command::Tui { target, .. }
            | Command::Scan { target, .. }
            | Command::Attest { target, .. },
        ) => target.root.is_none() && target.snapshot.is_none(),
        Some(_) => false,
    }
}

/// Exit code for a ledger error: I/O trouble is internal (3), a ledger that does not verify
/// a failure (1), anything else bad input (2).
pub fn ledger_failure(e: &LedgerError) -> Failure {
    Failure {
        code: match e {
            LedgerError::Io { .. } | LedgerError::ReadBack { .. } => EXIT_INTERNAL,
            LedgerError::DoesNotVerify { .. } => EXIT_FAILED,
            _ => EXIT_USAGE,
        },
        message: e.to_string(),
    }
}

/// Exit code for a key-store error: bad input (2), or internal (3) for I/O trouble.
pub fn key_failure(e: &KeyError) -> Failure {
    let code = match e {
        KeyError::Io { .. } => EXIT_INTERNAL,
        _ => EXIT_USAGE,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// Exit code for a refused or failed signature (sign-off or countersignature).
pub fn sign_failure(e: stationward::session::SignError) -> Failure {
    use stationward::session::SignError;
    match e {
        SignError::NotReady(r) => Failure::usage(r),
        SignError::Key(k) => key_failure(&k),
        SignError::Ledger(l) => ledger_failure(&l),
    }
}

/// Exit code for a session error: a ledger keeps its own mapping, a record that does not
/// verify under the anchors is a failure (1), the rest is bad input (2).
pub fn session_failure(e: SessionError) -> Failure {
    use stationward::report::record::RecordError;
    match e {
        SessionError::Ledger(l) => ledger_failure(&l),
        SessionError::Record(r @ RecordError::Untrusted { .. }) => Failure {
            code: EXIT_FAILED,
            message: r.to_string(),
        },
        other => Failure::usage(other),
    }
}
