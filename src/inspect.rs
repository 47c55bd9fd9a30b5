//! Collect facts about the host, one module per area. Collectors read through `Host`; parsers
//! are pure functions (text in, typed facts out) so each is tested on fixture text.

pub mod accounts;
pub mod firewall;
pub mod gap;
pub mod identity;
pub mod network;
pub mod packages;
pub mod patches;
pub mod services;
pub mod supporting;

use crate::catalogue::Area;
use crate::host::{
    CommandRun, Evidence, EvidenceLog, FileMeta, FileText, Host, HostError, HostKind, Oversize,
    ProcessInfo,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What could not be seen, and why: fact → reason (e.g. "shadow" → "needs root to read
/// /etc/shadow"). Checks that depend on a listed fact return `unknown` with that reason.
/// Areas key it by their closed set in [`gap`]; those still keyed by strings use the default.
pub type Unseen<K = String> = BTreeMap<K, String>;

/// Everything the inspection learned, by area.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub identity: identity::HostIdentity,
    /// Installed packages (shared by services, patches and supporting checks).
    pub packages: packages::PackageFacts,
    /// Running processes (shared by services, network, remote-access and malware checks).
    pub processes: ProcessFacts,
    pub services: services::ServicesFacts,
    pub network: network::NetworkFacts,
    pub accounts: accounts::AccountsFacts,
    pub patches: patches::PatchesFacts,
    pub firewall: firewall::FirewallFacts,
    pub supporting: supporting::SupportingFacts,
    /// Facts of a Windows snapshot (`--snapshot DIR`); absent for Linux hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<Box<crate::windows::snapshot::WindowsFacts>>,
    /// Which areas were inspected (a scan limited with `--area` leaves the others empty).
    pub areas: Vec<Area>,
    /// Areas whose inspection failed (a collector panicked), with why. Their checks, and the
    /// checks of areas that read their facts, are `unknown`: empty facts from a failed
    /// collector must never read as "nothing wrong".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<Area, String>,
    /// What each area read and ran, for attaching evidence to findings.
    #[serde(default, skip_serializing)]
    pub evidence: BTreeMap<Area, Vec<Evidence>>,
    #[serde(default, skip_serializing)]
    pub identity_evidence: Vec<Evidence>,
    /// What the package and process listings read.
    #[serde(default, skip_serializing)]
    pub shared_evidence: Vec<Evidence>,
}

impl Facts {
    /// Evidence of `area` whose path or program is one of `subjects`; a subject ending in `/`
    /// matches everything under that directory.
    pub fn evidence_for(&self, area: Area, subjects: &[&str]) -> Vec<Evidence> {
        let Some(all) = self.evidence.get(&area) else {
            return Vec::new();
        };
        // Exact subjects by hash, directories (few) by prefix: a check naming every one of
        // 100,000 units against as many pieces of evidence stays linear, not a product.
        let exact: std::collections::HashSet<&str> = subjects.iter().copied().collect();
        let dirs: Vec<&str> = subjects
            .iter()
            .copied()
            .filter(|want| want.ends_with('/'))
            .collect();
        all.iter()
            .filter(|e| {
                let s = e.subject();
                exact.contains(s) || dirs.iter().any(|dir| s.starts_with(dir))
            })
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessFacts {
    pub list: Vec<ProcessInfo>,
    pub unknown: Unseen<gap::ProcessesGap>,
}

impl ProcessFacts {
    /// Processes whose name or executable file name is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ProcessInfo> + 'a {
        self.list.iter().filter(move |p| {
            p.name == name || p.exe.rsplit('/').next().is_some_and(|exe| exe == name)
        })
    }
}

/// Areas whose facts another area's checks read: supporting checks look at service units
/// (auditd, chrony enabled), firewall checks at listeners.
fn with_dependencies(areas: &[Area]) -> Vec<Area> {
    let mut out = areas.to_vec();
    let mut add = |a: Area| {
        if !out.contains(&a) {
            out.push(a);
        }
    };
    if areas.contains(&Area::Supporting) {
        add(Area::Services);
    }
    if areas.contains(&Area::Firewall) {
        add(Area::Network);
    }
    out
}

/// Inspects the requested areas concurrently (identity always), each through its own
/// evidence recorder. The slowest area (usually patches: apt's own work) sets the pace.
pub fn inspect(host: &dyn Host, areas: &[Area]) -> Facts {
    inspect_with_progress(host, areas, &|_| {})
}

/// As `inspect`, calling `progress(area)` as each area finishes (for the TUI's progress line).
pub fn inspect_with_progress<'a>(
    host: &'a dyn Host,
    areas: &[Area],
    progress: &(dyn Fn(Area) + Sync),
) -> Facts {
    let rec = Recorder::new(host);
    let collect = with_dependencies(areas);
    let want = |a: Area| collect.contains(&a);
    let mut facts = Facts {
        areas: areas.to_vec(),
        ..Facts::default()
    };
    match guarded(|| identity::collect(&rec)) {
        Ok(id) => facts.identity = id,
        Err(why) => {
            // Patch checks judge against the OS and kernel; identity checks are supporting's.
            for area in [Area::Patches, Area::Supporting] {
                facts
                    .failed
                    .insert(area, format!("inspection of host identity failed: {why}"));
            }
        }
    }
    facts.identity_evidence = rec.evidence();
    std::thread::scope(|scope| {
        let shared = scope.spawn(|| {
            let rec = Recorder::new(host);
            let got = guarded(|| {
                let processes = match rec.processes() {
                    Ok(list) => ProcessFacts {
                        list,
                        unknown: Unseen::new(),
                    },
                    Err(e) => ProcessFacts {
                        list: Vec::new(),
                        unknown: Unseen::from([(gap::ProcessesGap::Processes, e.to_string())]),
                    },
                };
                (packages::collect(&rec), processes)
            });
            (got, rec.into_evidence())
        });
        let spawn_area = |area: Area, rec: Recorder<'a>, input: Input| {
            move || {
                // A panicking collector is a bug; it must cost that area's checks (unknown,
                // with the reason), never the scan, and never read as empty facts.
                let result = match input {
                    Input::Units(Err(why)) => Err(why),
                    input => guarded(|| match (area, input) {
                        (Area::Services, Input::Units(Ok((tree, unknown)))) => {
                            AreaFacts::Services(services::collect_scanned(&rec, tree, unknown))
                        }
                        (Area::Services, _) => AreaFacts::Services(services::collect(&rec)),
                        (Area::Supporting, Input::Sshd(units)) => {
                            AreaFacts::Supporting(Box::new(supporting::collect_with(&rec, &units)))
                        }
                        (Area::Supporting, _) => {
                            AreaFacts::Supporting(Box::new(supporting::collect(&rec)))
                        }
                        (Area::Network, _) => AreaFacts::Network(network::collect(&rec)),
                        (Area::Accounts, _) => AreaFacts::Accounts(accounts::collect(&rec)),
                        (Area::Patches, _) => AreaFacts::Patches(Box::new(patches::collect(&rec))),
                        (Area::Firewall, _) => AreaFacts::Firewall(firewall::collect(&rec)),
                    }),
                };
                progress(area);
                (area, result, rec.into_evidence())
            }
        };
        let reads_units = |a: Area| matches!(a, Area::Services | Area::Supporting);
        let mut handles: Vec<_> = Area::ALL
            .into_iter()
            .filter(|a| want(*a) && !reads_units(*a))
            .map(|a| {
                (
                    a,
                    scope.spawn(spawn_area(a, Recorder::new(host), Input::Own)),
                )
            })
            .collect();
        // The units that may start sshd, for supporting, when services scanned them.
        let mut sshd_units = None;
        if want(Area::Services) {
            // Services and the ssh collector (supporting) read the same unit files: 100,000
            // of them read twice were a quarter of a large scan's work. They are read once
            // here, through the services recorder (its evidence), while the other areas run.
            let rec = Recorder::new(host);
            let scanned = guarded(|| {
                let mut unknown = Unseen::new();
                let tree = services::systemd::scan(&rec, &mut unknown);
                let sshd = want(Area::Supporting)
                    .then(|| supporting::ssh::SshdUnits::from_tree(&tree, &unknown));
                (tree, unknown, sshd)
            });
            let (units, sshd) = match scanned {
                Ok((tree, unknown, sshd)) => (Ok((tree, unknown)), sshd.unwrap_or_default()),
                Err(why) => {
                    let sshd = supporting::ssh::SshdUnits::failed(&why);
                    (Err(why), sshd)
                }
            };
            let services = scope.spawn(spawn_area(Area::Services, rec, Input::Units(units)));
            handles.push((Area::Services, services));
            sshd_units = Some(sshd);
        }
        if want(Area::Supporting) {
            let input = sshd_units.map_or(Input::Own, Input::Sshd);
            let supporting = scope.spawn(spawn_area(Area::Supporting, Recorder::new(host), input));
            handles.push((Area::Supporting, supporting));
        }
        match shared.join() {
            Ok((Ok((pkgs, procs)), evidence)) => {
                facts.packages = pkgs;
                facts.processes = procs;
                facts.shared_evidence = evidence;
            }
            Ok((Err(why), _)) => fail_shared(&mut facts, &why),
            Err(_) => fail_shared(&mut facts, "the thread panicked"),
        }
        for (area, h) in handles {
            let (area, result, evidence) = match h.join() {
                Ok(joined) => joined,
                Err(_) => (area, Err("the thread panicked".to_string()), Vec::new()),
            };
            facts.evidence.insert(area, evidence);
            match result {
                Ok(AreaFacts::Services(f)) => facts.services = f,
                Ok(AreaFacts::Network(f)) => facts.network = f,
                Ok(AreaFacts::Accounts(f)) => facts.accounts = f,
                Ok(AreaFacts::Patches(f)) => facts.patches = *f,
                Ok(AreaFacts::Firewall(f)) => facts.firewall = f,
                Ok(AreaFacts::Supporting(f)) => facts.supporting = *f,
                Err(why) => {
                    facts.failed.insert(
                        area,
                        format!("inspection of {} failed: {why}", area.as_str()),
                    );
                }
            }
        }
    });
    if want(Area::Patches) && !facts.failed.contains_key(&Area::Patches) {
        // Patch facts compare against the installed packages and the running kernel.
        let (mut patches, identity, packages) = (
            std::mem::take(&mut facts.patches),
            &facts.identity,
            &facts.packages,
        );
        match guarded(move || {
            patches::complete(&mut patches, identity, packages);
            patches
        }) {
            Ok(p) => facts.patches = p,
            Err(why) => {
                facts.failed.insert(
                    Area::Patches,
                    format!("inspection of patches failed: {why}"),
                );
            }
        }
    }
    facts
}

/// Packages and processes feed every area but accounts.
fn fail_shared(facts: &mut Facts, why: &str) {
    for area in Area::ALL.into_iter().filter(|a| *a != Area::Accounts) {
        facts.failed.entry(area).or_insert_with(|| {
            format!("inspection of installed packages and processes failed: {why}")
        });
    }
}

/// Runs `f`, turning a panic into its message.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("a bug in stationward ({msg})")
    })
}

/// What an area's collector starts from.
enum Input {
    /// Nothing: it reads everything itself.
    Own,
    /// Services: the unit directories as scanned (or why the scan failed) and what could
    /// not be read.
    Units(Result<(services::systemd::UnitTree, Unseen<gap::ServicesGap>), String>),
    /// Supporting: the units that may start sshd, from the same scan.
    Sshd(supporting::ssh::SshdUnits),
}

enum AreaFacts {
    Services(services::ServicesFacts),
    Network(network::NetworkFacts),
    Accounts(accounts::AccountsFacts),
    Patches(Box<patches::PatchesFacts>),
    Firewall(firewall::FirewallFacts),
    Supporting(Box<supporting::SupportingFacts>),
}

/// The most time one area may spend in commands. Areas run concurrently, so this bounds the
/// whole scan's command time: a host whose every command hangs is scanned in about this
/// long (plus the pipe grace of the last command), never the sum of the timeouts.
pub const AREA_BUDGET: Duration = Duration::from_secs(30);

/// Passes everything through to the host, keeps this area's own evidence, and holds the
/// area's commands to its time budget.
pub struct Recorder<'a> {
    inner: &'a dyn Host,
    log: EvidenceLog,
    deadline: Instant,
    budget: Duration,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn Host) -> Recorder<'a> {
        Recorder::with_budget(inner, AREA_BUDGET)
    }

    pub fn with_budget(inner: &'a dyn Host, budget: Duration) -> Recorder<'a> {
        Recorder {
            inner,
            log: EvidenceLog::default(),
            deadline: Instant::now() + budget,
            budget,
        }
    }

    pub fn evidence(&self) -> Vec<Evidence> {
        self.log.snapshot()
    }

    /// The evidence recorded, without a copy.
    pub fn into_evidence(self) -> Vec<Evidence> {
        self.log.into_items()
    }
}

impl Host for Recorder<'_> {
    fn kind(&self) -> HostKind {
        self.inner.kind()
    }

    fn unrecorded(&self) -> Option<&dyn Host> {
        Some(self.inner)
    }

    fn read_limited(
        &self,
        path: &str,
        cap: u64,
        oversize: Oversize,
    ) -> Result<FileText, HostError> {
        let r = self.inner.read_limited(path, cap, oversize);
        match &r {
            Ok(f) => self.log.push(Evidence::File {
                path: path.to_string(),
                sha256: f.sha256.clone(),
                truncated: f.truncated,
            }),
            Err(e) => self.log.push(Evidence::Absent {
                path: path.to_string(),
                reason: e.to_string(),
            }),
        }
        r
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        self.inner.read_dir(path)
    }

    fn read_dir_kinds(&self, path: &str) -> Result<Vec<crate::host::DirEntryKind>, HostError> {
        self.inner.read_dir_kinds(path)
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        self.inner.metadata(path)
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        self.inner.read_link(path)
    }

    fn run(&self, argv: &[&str], timeout: Duration) -> CommandRun {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let r = if left.is_zero() {
            CommandRun {
                argv: argv.iter().map(|s| (*s).to_string()).collect(),
                // Failed, not NotRun: NotRun means "offline tree" to collectors.
                status: crate::host::RunStatus::Failed(format!(
                    "not run: this area's {} s time budget for commands was used up",
                    self.budget.as_secs()
                )),
                stdout: String::new(),
                stderr: String::new(),
            }
        } else {
            self.inner.run(argv, timeout.min(left))
        };
        self.log.push(r.evidence());
        r
    }

    fn privileged(&self) -> bool {
        self.inner.privileged()
    }

    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
        self.inner.processes()
    }
}

/// True when the inspected system is the running one (commands and /proc reflect it).
pub fn is_live(host: &dyn Host) -> bool {
    host.kind() == HostKind::Live
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{FileMeta, HostError, RunStatus};
    use std::sync::Mutex;

    /// Every command hangs until its timeout; nothing else exists.
    struct Hanging {
        given: Mutex<Vec<Duration>>,
    }

    impl Host for Hanging {
        fn kind(&self) -> HostKind {
            HostKind::Live
        }
        fn read_limited(&self, path: &str, _: u64, _: Oversize) -> Result<FileText, HostError> {
            Err(HostError::NotFound(path.into()))
        }
        fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
            Err(HostError::NotFound(path.into()))
        }
        fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
            Err(HostError::NotFound(path.into()))
        }
        fn read_link(&self, path: &str) -> Result<String, HostError> {
            Err(HostError::NotFound(path.into()))
        }
        fn run(&self, argv: &[&str], timeout: Duration) -> CommandRun {
            if let Ok(mut given) = self.given.lock() {
                given.push(timeout);
            }
            std::thread::sleep(timeout);
            CommandRun {
                argv: argv.iter().map(|s| (*s).to_string()).collect(),
                status: RunStatus::TimedOut(timeout),
                stdout: String::new(),
                stderr: String::new(),
            }
        }
        fn privileged(&self) -> bool {
            true
        }
        fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn evidence_for_many_subjects_is_linear_not_a_product() {
        // services.unexpected names every unexpected unit: 50,000 subjects against 50,000
        // pieces of evidence was 2.5e9 comparisons (minutes); by hash it is well under 1 s.
        let n = 50_000;
        let path = |i: usize| format!("/lib/systemd/system/bench-{i:06}.service");
        let mut facts = Facts::default();
        let mut all: Vec<Evidence> = (0..n)
            .map(|i| Evidence::File {
                path: path(i),
                sha256: "0".repeat(64),
                truncated: false,
            })
            .collect();
        all.push(Evidence::File {
            path: "/etc/systemd/system/multi-user.target.wants/x.service".into(),
            sha256: "0".repeat(64),
            truncated: false,
        });
        facts.evidence.insert(Area::Services, all);
        let wanted: Vec<String> = (0..n).step_by(2).map(path).collect();
        let mut subjects: Vec<&str> = wanted.iter().map(String::as_str).collect();
        subjects.push("/etc/systemd/system/");
        let start = Instant::now();
        let got = facts.evidence_for(Area::Services, &subjects);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        // Exact subjects and everything under a directory subject, in the evidence's order.
        assert_eq!(got.len(), n / 2 + 1);
        assert_eq!(got[1].subject(), path(2));
        assert!(
            got.last()
                .is_some_and(|e| e.subject().ends_with("/x.service"))
        );
        assert!(facts.evidence_for(Area::Network, &subjects).is_empty());
    }

    #[test]
    fn an_areas_commands_are_held_to_its_budget_not_the_sum_of_their_timeouts() {
        let host = Hanging {
            given: Mutex::new(Vec::new()),
        };
        let rec = Recorder::with_budget(&host, Duration::from_millis(300));
        let start = Instant::now();
        let runs: Vec<CommandRun> = (0..4)
            .map(|_| rec.run(&["iptables-save"], Duration::from_secs(10)))
            .collect();
        let took = start.elapsed();
        // Four 10 s timeouts would be 40 s; the budget cuts the first short and runs no more.
        assert!(took < Duration::from_secs(2), "took {took:?}");
        let given = host.given.lock().map(|g| g.clone()).unwrap_or_default();
        assert_eq!(given.len(), 1, "{given:?}");
        assert!(given[0] <= Duration::from_millis(300), "{given:?}");
        for r in &runs[1..] {
            match &r.status {
                RunStatus::Failed(why) => assert!(why.contains("time budget"), "{why}"),
                other => panic!("a command past the budget ran: {other:?}"),
            }
        }
    }
}
