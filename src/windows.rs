//! Windows central stations: the `stationward.windows-snapshot/1` format, its facts, and every
//! check judged on them. Runs on any OS: the snapshot is collected on the station (part 2's
//! native collector) and analysed anywhere with `--snapshot DIR`.

pub mod checks;
pub mod de;
pub mod lifecycle;
pub mod snapshot;

use crate::checks::{Area, CheckContext};
use crate::date::{Date, rfc3339_utc, unix_now_secs};
use crate::host::{
    CommandRun, FileMeta, FileText, Host, HostError, HostKind, ProcessInfo, RunStatus,
};
use crate::inspect::Facts;
use crate::inspect::identity::{HostIdentity, machine_id_hmac};
use crate::policy::Policy;
use crate::scan::{SCHEMA, Scan, Tool};
use crate::text::for_terminal;
use snapshot::{OsInfo, Snapshot, SnapshotError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The facts live with the snapshot format (the inspect layer names them in `Facts`);
/// re-exported here under their old path.
pub use snapshot::WindowsFacts;

/// "Windows 10 IoT Enterprise LTSC 2021": the lifecycle table's name when it knows the
/// build (Windows 11 still reports "Windows 10" in ProductName), else ProductName.
pub fn os_label(os: &OsInfo) -> String {
    let family = lifecycle::Family::classify(&os.edition_id, &os.installation_type, os.sku);
    if let Ok(build) = os.current_build.trim().parse::<u32>()
        && let Some((name, _)) = lifecycle::lookup(build, family)
    {
        return name.to_string();
    }
    let p = os.product_name.trim();
    if p.is_empty() {
        "Windows".to_string()
    } else if p.starts_with("Windows") {
        p.to_string()
    } else {
        format!("Windows {p}")
    }
}

/// `19044.5011`
pub fn build_label(os: &OsInfo) -> String {
    match os.ubr {
        Some(u) => format!("{}.{u}", os.current_build.trim()),
        None => os.current_build.trim().to_string(),
    }
}

/// Host identity from the snapshot: the OS says Windows, the kernel field carries the NT
/// build, and the machine is identified by an HMAC of its MachineGuid.
pub fn identity(w: &WindowsFacts) -> HostIdentity {
    let mut id = HostIdentity {
        os_id: "windows".into(),
        ..HostIdentity::default()
    };
    let clean = |s: &str| for_terminal(s).into_owned();
    match w.sources.os.data() {
        Ok(os) => {
            id.hostname = clean(if os.computer_name.is_empty() {
                &w.snapshot.hostname
            } else {
                &os.computer_name
            });
            id.os = clean(&os_label(os));
            id.os_version_id = clean(&build_label(os));
            id.os_codename = clean(&os.display_version);
            id.kernel = format!("Windows NT {}", clean(&build_label(os)));
            id.arch = clean(&os.architecture);
            if os.machine_guid.trim().is_empty() {
                id.unknown.insert(
                    crate::inspect::gap::IdentityGap::MachineId,
                    "no MachineGuid in os.json".into(),
                );
            } else {
                id.machine_id_hmac = machine_id_hmac(os.machine_guid.trim());
            }
        }
        Err(why) => {
            id.hostname = clean(&w.snapshot.hostname);
            id.os = "Windows".into();
            id.unknown
                .insert(crate::inspect::gap::IdentityGap::Os, why.to_string());
        }
    }
    id
}

/// The snapshot directory as a `Host`: reads are of snapshot files by name, nothing runs.
/// It exists so front ends can tell a snapshot from a live host or an offline tree.
pub struct SnapshotHost {
    dir: PathBuf,
    elevated: bool,
}

impl SnapshotHost {
    pub fn new(dir: impl Into<PathBuf>, elevated: bool) -> SnapshotHost {
        SnapshotHost {
            dir: dir.into(),
            elevated,
        }
    }
}

impl Host for SnapshotHost {
    fn kind(&self) -> HostKind {
        HostKind::Snapshot(self.dir.clone())
    }

    fn read_limited(
        &self,
        path: &str,
        cap: u64,
        oversize: crate::fsread::Oversize,
    ) -> Result<FileText, HostError> {
        let name = path.trim_start_matches('/');
        if name.contains(['/', '\\']) || name.is_empty() || name == ".." {
            return Err(HostError::NotFound(path.to_string()));
        }
        let full = self.dir.join(name);
        let read = crate::fsread::read_regular(
            &full,
            cap.min(snapshot::MAX_FILE_BYTES),
            crate::fsread::Follow::No,
            oversize,
        )
        .map_err(|e| HostError::from_read(path, e))?;
        let bytes = read.bytes;
        Ok(FileText {
            path: path.to_string(),
            text: de::decode_text(&bytes)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned()),
            sha256: crate::host::sha256_hex(&bytes),
            truncated: read.truncated,
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        Err(HostError::NotFound(path.to_string()))
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        Err(HostError::NotFound(path.to_string()))
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        Err(HostError::NotFound(path.to_string()))
    }

    fn run(&self, argv: &[&str], _timeout: Duration) -> CommandRun {
        CommandRun {
            argv: argv.iter().map(std::string::ToString::to_string).collect(),
            status: RunStatus::NotRun("a Windows snapshot runs no commands".into()),
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn privileged(&self) -> bool {
        self.elevated
    }

    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
        Err(HostError::Other {
            path: self.dir.display().to_string(),
            reason: "processes of a Windows snapshot are in its listeners.json".into(),
        })
    }
}

/// Loads the snapshot in `dir` and judges it: `scan --snapshot DIR`.
pub fn scan(dir: &Path, policy: &Policy, areas: &[Area]) -> Result<Scan, SnapshotError> {
    let snap = Snapshot::load(dir)?;
    let now = unix_now_secs();
    Ok(judge(snap, policy, areas, now))
}

/// Judges a loaded snapshot as of `now` (Unix seconds).
pub fn judge(snap: Snapshot, policy: &Policy, areas: &[Area], now: i64) -> Scan {
    let w: WindowsFacts = snap.into();
    let ctx = CheckContext {
        today: Date::from_unix_days(now.div_euclid(86_400)),
        now,
        privileged: w.snapshot.elevated,
        live: false,
    };
    let mut areas: Vec<Area> = Area::ALL
        .into_iter()
        .filter(|a| areas.contains(a))
        .collect();
    areas.dedup();
    let mut findings = checks::evaluate(&w, &areas, policy, &ctx);
    // Names, paths and values in findings come from the station: no byte of them may
    // reach a terminal as a control sequence.
    for f in &mut findings {
        f.summary = for_terminal(&f.summary).into_owned();
        for d in &mut f.details {
            *d = for_terminal(d).into_owned();
        }
    }
    crate::checks::apply_waivers(&mut findings, policy, ctx.today);
    let identity = identity(&w);
    let facts = Facts {
        identity: identity.clone(),
        areas,
        windows: Some(Box::new(w.clone())),
        ..Facts::default()
    };
    Scan {
        schema: SCHEMA.to_string(),
        tool: Tool::this(),
        host: identity,
        root: Some(w.snapshot.dir.clone()),
        privileged: w.snapshot.elevated,
        scanned_at: rfc3339_utc(now),
        policy: policy.origin.display().to_string(),
        facts,
        findings,
    }
}
