#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The supporting area over offline trees (`--root`): a stock Debian 12 tree built from the
//! packages' own configuration files, and an invented hardened station. Service units are filled
//! in by the test (not collected), so these tests do not depend on the services collector.

use stationward::checks::{self, Area, CheckContext, Finding, Status};
use stationward::date::Date;
use stationward::host::{Live, Root};
use stationward::inspect::services::ServiceUnit;
use stationward::inspect::{self, Facts, packages, supporting};
use stationward::policy::Policy;
use std::path::PathBuf;

fn tree(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/supporting/trees")
        .join(name)
}

fn ctx(live: bool) -> CheckContext {
    let now = stationward::date::unix_now_secs();
    CheckContext {
        today: Date::from_unix_days(now / 86_400),
        now,
        privileged: true,
        live,
    }
}

/// Facts for an offline tree, with the given units enabled (active state unknown, as offline).
fn offline_facts(name: &str, enabled_units: &[&str]) -> Facts {
    let host = Root::new(tree(name));
    let mut facts = Facts {
        areas: vec![Area::Supporting],
        packages: packages::collect(&host),
        supporting: supporting::collect(&host),
        ..Facts::default()
    };
    facts.processes.unknown.insert(
        stationward::inspect::gap::ProcessesGap::Processes,
        "offline image: no running processes".into(),
    );
    facts.services.units = enabled_units
        .iter()
        .map(|u| ServiceUnit::new(&format!("{u}.service"), "enabled", "unknown", "systemd"))
        .collect();
    facts.services.units.push(ServiceUnit::new(
        "getty@.service",
        "enabled",
        "unknown",
        "systemd",
    ));
    facts
}

fn evaluate(facts: &Facts, live: bool) -> Vec<Finding> {
    let policy = Policy::builtin().unwrap();
    checks::supporting::evaluate(facts, &policy, &ctx(live))
}

fn status_of(findings: &[Finding], id: &str) -> (Status, String) {
    let f = findings
        .iter()
        .find(|f| f.check == id)
        .unwrap_or_else(|| panic!("no {id} finding"));
    (f.status, f.summary.clone())
}

fn expect(findings: &[Finding], id: &str, want: Status) {
    let (got, summary) = status_of(findings, id);
    assert_eq!(got, want, "{id}: {summary}");
}

#[test]
fn stock_debian12_tree() {
    let facts = offline_facts(
        "debian12-stock",
        &["ssh", "chrony", "rsyslog", "auditd", "apparmor"],
    );
    let s = &facts.supporting;
    assert_eq!(s.ssh.config_files, vec!["/etc/ssh/sshd_config"]);
    assert_eq!(s.time.chrony_sources.as_ref().map(Vec::len), Some(1));
    assert!(s.storage.fstab_root.is_none());
    let out = evaluate(&facts, false);
    // Debian's sshd_config leaves PermitRootLogin at prohibit-password and passwords at yes.
    expect(&out, "ssh.root_login", Status::Pass);
    expect(&out, "ssh.password_auth", Status::Fail);
    expect(&out, "remote.tools", Status::Pass);
    expect(&out, "malware.present", Status::Warn);
    expect(&out, "mac.enforcing", Status::Pass);
    // auditd enabled, but Debian's rules.d/audit.rules holds no rules.
    expect(&out, "logging.audit", Status::Warn);
    expect(&out, "logging.remote", Status::Warn);
    expect(&out, "time.sync", Status::Pass);
    expect(&out, "media.usb_storage", Status::Fail);
    // "# UNCONFIGURED FSTAB FOR BASE SYSTEM": nothing to follow offline.
    expect(&out, "storage.encryption", Status::Unknown);
    expect(&out, "kernel.sysctl", Status::Warn);
    assert!(
        status_of(&out, "time.sync")
            .1
            .contains("configured, not observed")
    );
}

#[test]
fn hardened_tree() {
    let facts = offline_facts(
        "hardened",
        &[
            "ssh",
            "chrony",
            "rsyslog",
            "auditd",
            "apparmor",
            "falcon-sensor",
        ],
    );
    let s = &facts.supporting;
    assert_eq!(
        s.ssh.config_files,
        vec![
            "/etc/ssh/sshd_config",
            "/etc/ssh/sshd_config.d/50-vendor.conf"
        ]
    );
    assert_eq!(s.time.chrony_sources.as_ref().map(Vec::len), Some(2));
    assert_eq!(s.remote_logging.targets.len(), 5);
    let out = evaluate(&facts, false);
    expect(&out, "ssh.root_login", Status::Pass);
    // The vendor drop-in's Match block opens passwords for one account: named, not hidden.
    expect(&out, "ssh.password_auth", Status::Warn);
    assert!(
        status_of(&out, "ssh.password_auth")
            .1
            .contains("User vendorsvc")
    );
    expect(&out, "remote.tools", Status::Pass);
    expect(&out, "malware.present", Status::Pass);
    expect(&out, "mac.enforcing", Status::Pass);
    expect(&out, "logging.audit", Status::Pass);
    expect(&out, "logging.remote", Status::Pass);
    expect(&out, "time.sync", Status::Pass);
    expect(&out, "media.usb_storage", Status::Pass);
    expect(&out, "storage.encryption", Status::Pass);
    expect(&out, "kernel.sysctl", Status::Pass);
}

#[test]
fn whole_scan_of_a_tree_reports_every_supporting_check() {
    let host = Root::new(tree("hardened"));
    let facts = inspect::inspect(&host, &[Area::Supporting]);
    let findings = checks::evaluate(&facts, &Policy::builtin().unwrap(), &ctx(false));
    for spec in checks::REGISTRY
        .iter()
        .filter(|s| s.area == Area::Supporting)
    {
        let f = findings.iter().find(|f| f.check == spec.id).unwrap();
        assert!(
            !f.summary.contains("not implemented"),
            "{}: {}",
            spec.id,
            f.summary
        );
    }
    // Evidence names the files the findings were derived from.
    let ssh = findings
        .iter()
        .find(|f| f.check == "ssh.password_auth")
        .unwrap();
    assert!(
        ssh.evidence
            .iter()
            .any(|e| e.subject() == "/etc/ssh/sshd_config.d/50-vendor.conf"),
        "{:?}",
        ssh.evidence
    );
}

#[test]
fn live_host_never_panics_and_never_passes_blind() {
    let host = Live::new();
    let facts = inspect::inspect(&host, &[Area::Supporting]);
    let findings = checks::evaluate(&facts, &Policy::builtin().unwrap(), &ctx(true));
    for f in findings
        .iter()
        .filter(|f| checks::find(&f.check).is_some_and(|s| s.area == Area::Supporting))
    {
        assert!(!f.summary.is_empty(), "{} has no summary", f.check);
        assert!(
            !f.summary.contains("not implemented"),
            "{}: {}",
            f.check,
            f.summary
        );
        if f.status == Status::Unknown {
            assert!(
                f.summary.len() > 10,
                "{}: an unknown needs a reason",
                f.check
            );
        }
    }
}

fn write(dir: &std::path::Path, path: &str, text: &str) {
    let at = dir.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(at, text).unwrap();
}

fn link(dir: &std::path::Path, path: &str, target: &str) {
    let at = dir.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// The hardened station's sysctl file, plus what vendors and technicians leave around it:
/// /etc/sysctl.conf read through Debian's 99-sysctl.conf link, a later glob that does not beat
/// explicit keys, and a later file that turns forwarding on and back off through its two names
/// (the kernel then resets accept_redirects to 1; the same key twice would be written once). Then the same tree's USB storage: the first install line
/// loads the module, and a grub.d file drops the module_blacklist= of /etc/default/grub.
#[test]
fn sysctl_order_and_usb_storage_of_a_tree_as_the_boot_applies_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hardened =
        std::fs::read_to_string(tree("hardened").join("etc/sysctl.d/99-station.conf")).unwrap();
    write(d, "/usr/lib/sysctl.d/99-station.conf", &hardened);
    write(
        d,
        "/etc/sysctl.d/90-vendor.conf",
        "net.ipv4.conf.*.rp_filter = 0\n",
    );
    // A different spelling of the same value: systemd moves it to the end (same text would not).
    write(d, "/etc/sysctl.conf", "net.ipv4.tcp_syncookies = 01\n");
    link(d, "/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf");
    let host = Root::new(d);
    let s = supporting::sysctl::collect(&host);
    assert_eq!(s.configured["net.ipv4.conf.all.rp_filter"].value, "1");
    assert_eq!(
        s.configured["net.ipv4.tcp_syncookies"].origin,
        "/etc/sysctl.d/99-sysctl.conf:1"
    );
    let facts = |host: &Root| Facts {
        areas: vec![Area::Supporting],
        supporting: supporting::collect(host),
        ..Facts::default()
    };
    expect(
        &evaluate(&facts(&host), false),
        "kernel.sysctl",
        Status::Pass,
    );

    write(
        d,
        "/etc/sysctl.d/99-zz-router-test.conf",
        "net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 0 # back off\n",
    );
    let s = supporting::sysctl::collect(&Root::new(d));
    assert_eq!(
        s.configured["net.ipv4.conf.all.accept_redirects"].value,
        "1"
    );
    let (status, summary) = status_of(&evaluate(&facts(&Root::new(d)), false), "kernel.sysctl");
    assert_eq!(status, Status::Warn, "{summary}");
    assert!(
        summary.contains("net.ipv4.conf.all.accept_redirects"),
        "{summary}"
    );

    // USB storage.
    write(
        d,
        "/etc/default/grub",
        "GRUB_CMDLINE_LINUX=\"module_blacklist=usb_storage\"\n",
    );
    expect(
        &evaluate(&facts(&Root::new(d)), false),
        "media.usb_storage",
        Status::Pass,
    );
    write(
        d,
        "/etc/default/grub.d/50-cloudimg-settings.cfg",
        "GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n",
    );
    expect(
        &evaluate(&facts(&Root::new(d)), false),
        "media.usb_storage",
        Status::Fail,
    );
    write(
        d,
        "/usr/lib/modprobe.d/10-vendor.conf",
        "install usb-storage /sbin/modprobe --ignore-install usb-storage\n",
    );
    write(
        d,
        "/etc/modprobe.d/90-site.conf",
        "install usb-storage /bin/false\n",
    );
    expect(
        &evaluate(&facts(&Root::new(d)), false),
        "media.usb_storage",
        Status::Fail,
    );
    std::fs::rename(
        d.join("etc/modprobe.d/90-site.conf"),
        d.join("etc/modprobe.d/00-site.conf"),
    )
    .unwrap();
    expect(
        &evaluate(&facts(&Root::new(d)), false),
        "media.usb_storage",
        Status::Pass,
    );
}

/// The ssh collector learns which units run sshd from the services area's scan of the unit
/// files; only sshd's own are its evidence (services records every unit file as its own).
/// /lib is a link to usr/lib in this tree: the unit is named where it really is.
#[test]
fn ssh_evidence_is_sshd_units_not_every_unit_read() {
    let root =
        Root::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/debian12"));
    let facts = inspect::inspect(&root, &[Area::Supporting]);
    let subjects_of = |area: Area| -> Vec<&str> {
        facts
            .evidence
            .get(&area)
            .map(|v| v.iter().map(stationward::host::Evidence::subject).collect())
            .unwrap_or_default()
    };
    let subjects = subjects_of(Area::Supporting);
    assert!(
        subjects.contains(&"/usr/lib/systemd/system/ssh.service"),
        "{subjects:?}"
    );
    assert!(
        !subjects
            .iter()
            .any(|s| s.ends_with("/e2scrub_reap.service")),
        "{subjects:?}"
    );
    let services = subjects_of(Area::Services);
    assert!(
        services
            .iter()
            .any(|s| s.ends_with("/e2scrub_reap.service")),
        "{services:?}"
    );
}

/// Every unit that starts sshd, as the manager loads it (invented tree): a site instance in
/// /usr/local/lib/systemd/system (a unit directory systemd searches), the main unit's
/// command line from its drop-in, and neither the Debian alias sshd.service, a masked unit,
/// nor one that nothing enables counted as another daemon. The scan the whole inspection
/// shares with services and the ssh collector's own give the same facts.
#[test]
fn ssh_instances_are_the_units_systemd_would_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sshd = |args: &str| format!("[Service]\nExecStart=/usr/sbin/sshd -D {args}\n");
    write(d, "/usr/sbin/sshd", "");
    write(d, "/etc/ssh/sshd_config", "PermitRootLogin no\n");
    write(d, "/etc/ssh/sshd_config_hl7", "PermitRootLogin no\n");
    write(
        d,
        "/usr/lib/systemd/system/ssh.service",
        &sshd("$SSHD_OPTS"),
    );
    write(
        d,
        "/etc/systemd/system/ssh.service.d/override.conf",
        "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -p 2222\n",
    );
    link(
        d,
        "/etc/systemd/system/sshd.service",
        "/usr/lib/systemd/system/ssh.service",
    );
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/ssh.service",
        "/usr/lib/systemd/system/ssh.service",
    );
    let hl7 = "/usr/local/lib/systemd/system/hl7-sshd.service";
    write(d, hl7, &sshd("-f /etc/ssh/sshd_config_hl7"));
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/hl7-sshd.service",
        hl7,
    );
    write(
        d,
        "/usr/lib/systemd/system/spare-sshd.service",
        &sshd("-p 2223"),
    );
    write(
        d,
        "/usr/lib/systemd/system/masked-sshd.service",
        &sshd("-p 2224"),
    );
    link(d, "/etc/systemd/system/masked-sshd.service", "/dev/null");
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/masked-sshd.service",
        "/usr/lib/systemd/system/masked-sshd.service",
    );
    let root = Root::new(d);

    let own = supporting::ssh::collect(&root);
    let names: Vec<(&str, &str, &[String])> = own
        .instances
        .iter()
        .map(|i| (i.name.as_str(), i.config.as_str(), i.args.as_slice()))
        .collect();
    let args = |a: &[&str]| a.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        names,
        vec![
            (
                "ssh.service",
                "/etc/ssh/sshd_config",
                &args(&["-D", "-p", "2222"])[..]
            ),
            (
                "hl7-sshd.service",
                "/etc/ssh/sshd_config_hl7",
                &args(&["-D", "-f", "/etc/ssh/sshd_config_hl7"])[..]
            ),
        ]
    );
    assert_eq!(
        own.instances[0].command_line,
        vec!["/etc/systemd/system/ssh.service.d/override.conf:3".to_string()]
    );
    assert!(own.unknown.is_empty(), "{:?}", own.unknown);

    let shared = inspect::inspect(&root, &[Area::Supporting]);
    assert_eq!(shared.supporting.ssh, own);
}

/// A unit directory that cannot be listed hides units that may start sshd: the ssh collector
/// says so instead of judging without them.
#[test]
fn an_unlistable_unit_directory_is_an_ssh_gap() {
    use stationward::host::HostKind;
    use stationward::host::fake::{Fault, FaultyHost};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/etc/ssh/sshd_config", "PermitRootLogin no\n");
    let units = "/usr/local/lib/systemd/system";
    write(
        d,
        &format!("{units}/hl7-sshd.service"),
        "[Service]\nExecStart=/usr/sbin/sshd -D -p 2200\n",
    );
    let root = Root::new(d);
    assert!(supporting::ssh::collect(&root).unknown.is_empty());
    let denied = FaultyHost::only(
        &root,
        Fault::PermissionDenied,
        HostKind::Root("/faulty".into()),
        units,
    );
    let facts = supporting::ssh::collect(&denied);
    let why = facts
        .unknown
        .get(&stationward::inspect::gap::SshGap::Units)
        .expect("units gap");
    assert!(why.contains(units), "{why}");
}

/// The one scan of the unit files panics (a bug): services fails with the reason, and the
/// ssh collector, which takes its units from that scan, says they were not seen instead of
/// finding no unit that starts sshd.
#[test]
fn a_failed_unit_scan_costs_services_and_ssh_units_not_the_scan() {
    use stationward::host::HostKind;
    use stationward::host::fake::{Fault, FaultyHost};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/usr/sbin/sshd", "");
    write(d, "/etc/ssh/sshd_config", "PermitRootLogin no\n");
    write(
        d,
        "/usr/lib/systemd/system/ssh.service",
        "[Service]\nExecStart=/usr/sbin/sshd -D\n",
    );
    std::fs::create_dir_all(d.join("etc/systemd/system")).unwrap();
    let root = Root::new(d);
    let panics = FaultyHost::only(
        &root,
        Fault::Panic,
        HostKind::Root("/faulty".into()),
        "/etc/systemd/system",
    );
    let facts = inspect::inspect(&panics, &[Area::Supporting]);
    let failed = facts.failed.get(&Area::Services).expect("services failed");
    assert!(failed.contains("inspection of services failed"), "{failed}");
    assert!(
        !facts.failed.contains_key(&Area::Supporting),
        "{:?}",
        facts.failed
    );
    let why = facts
        .supporting
        .ssh
        .unknown
        .get(&stationward::inspect::gap::SshGap::Units)
        .expect("ssh units gap");
    assert!(why.contains("could not be inspected"), "{why}");
    // Root logins pass on the tree as it is; not with the units unseen.
    let clean = inspect::inspect(&root, &[Area::Supporting]);
    expect(&evaluate(&clean, false), "ssh.root_login", Status::Pass);
    expect(&evaluate(&facts, false), "ssh.root_login", Status::Unknown);
}
