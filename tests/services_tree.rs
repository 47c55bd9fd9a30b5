#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Services collected from unit trees built in temporary directories and read through the
//! `Root` host, then judged by the services checks. The "station" tree is a real Debian 12
//! layout (unit files from the packages, enablement links made by `systemctl --root enable`),
//! and its captured `systemctl --root list-unit-files` output is the oracle for enablement.

use stationward::checks::{Area, CheckContext, Finding, Status, evaluate};
use stationward::date::Date;
use stationward::host::Root;
use stationward::inspect::gap::ServicesGap;
use stationward::inspect::services::systemctl::{
    LIST_UNIT_FILES, LIST_UNITS, parse_list_unit_files,
};
use stationward::inspect::services::{ServiceUnit, ServicesFacts, collect};
use stationward::inspect::{Facts, inspect};
use stationward::policy::Policy;
use std::os::unix::fs::symlink;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/services");

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The station tree: fixture files plus the symlinks listed in links.txt.
fn station(dir: &Path) {
    copy_tree(&Path::new(FIXTURES).join("station/tree"), dir);
    let links = std::fs::read_to_string(Path::new(FIXTURES).join("station/links.txt")).unwrap();
    for line in links.lines() {
        let (path, target) = line.split_once(' ').unwrap();
        let at = dir.join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(target, at).unwrap();
    }
}

fn write(dir: &Path, path: &str, text: &str) {
    let at = dir.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(at, text).unwrap();
}

fn link(dir: &Path, path: &str, target: &str) {
    let at = dir.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    symlink(target, at).unwrap();
}

fn unit<'a>(facts: &'a ServicesFacts, name: &str, source: &str) -> &'a ServiceUnit {
    facts
        .units
        .iter()
        .find(|u| u.name == name && u.source == source)
        .unwrap_or_else(|| panic!("no {source} unit {name}: {:#?}", facts.units))
}

fn offline() -> CheckContext {
    CheckContext {
        today: Date::new(2026, 1, 15).unwrap(),
        now: 0,
        privileged: true,
        live: false,
    }
}

fn findings(dir: &Path) -> (Facts, Finding, Finding) {
    let host = Root::new(dir);
    let facts = inspect(&host, &[Area::Services]);
    let all = evaluate(&facts, &Policy::builtin().unwrap(), &offline());
    let get = |id: &str| all.iter().find(|f| f.check == id).cloned().unwrap();
    let (legacy, unexpected) = (get("services.legacy_cleartext"), get("services.unexpected"));
    (facts, legacy, unexpected)
}

const WANTED: &str = "[Service]\nExecStart=/usr/sbin/x\n[Install]\nWantedBy=multi-user.target\n";

#[test]
fn station_enablement_agrees_with_systemctl() {
    let dir = tempfile::tempdir().unwrap();
    station(dir.path());
    let facts = collect(&Root::new(dir.path()));
    let oracle = parse_list_unit_files(
        &std::fs::read_to_string(
            Path::new(FIXTURES).join("systemctl/list-unit-files.station-tree.txt"),
        )
        .unwrap(),
    );
    assert_eq!(oracle.len(), 20);
    for row in &oracle {
        assert_eq!(
            unit(&facts, &row.name, "systemd").enabled,
            row.state,
            "{}",
            row.name
        );
    }
    // Everything we list from unit files, systemctl lists too (instances are ours alone).
    for u in facts
        .units
        .iter()
        .filter(|u| u.source == "systemd" && u.template.is_empty())
    {
        assert!(
            oracle.iter().any(|r| r.name == u.name),
            "{} not in systemctl's list",
            u.name
        );
    }
    assert_eq!(
        facts.unit_dirs,
        vec!["/etc/systemd/system", "/usr/lib/systemd/system"]
    );
    assert!(!facts.systemd_running);
    assert!(
        facts
            .unknown
            .get(&ServicesGap::Active)
            .is_some_and(|r| r.contains("offline image"))
    );
    assert!(facts.units.iter().all(|u| u.active == "unknown"));
}

#[test]
fn station_details() {
    let dir = tempfile::tempdir().unwrap();
    station(dir.path());
    let facts = collect(&Root::new(dir.path()));
    let tty1 = unit(&facts, "getty@tty1.service", "systemd");
    assert_eq!(
        (tty1.enabled.as_str(), tty1.template.as_str()),
        ("enabled", "getty@.service")
    );
    assert_eq!(
        tty1.enabled_by,
        vec!["/etc/systemd/system/getty.target.wants/getty@tty1.service"]
    );
    let sock = unit(&facts, "telnet.socket", "systemd");
    assert_eq!(sock.exec, "/usr/sbin/in.telnetd");
    assert_eq!(
        facts.unit("hl7").map(|u| u.name.as_str()),
        Some("hl7-bridge.service")
    );
    assert_eq!(
        facts.unit("openbsd-inetd").map(|u| u.name.as_str()),
        Some("inetd.service")
    );
    let timesyncd = unit(&facts, "systemd-timesyncd.service", "systemd");
    assert_eq!(
        timesyncd.enabled_by.len(),
        2,
        "wants link and alias link: {:?}",
        timesyncd.enabled_by
    );

    // SysV: xinetd has S links; tftpd-hpa only K links.
    let xinetd = unit(&facts, "xinetd", "sysv");
    assert_eq!(
        (xinetd.enabled.as_str(), xinetd.exec.as_str()),
        ("enabled", "/usr/sbin/xinetd")
    );
    assert_eq!(xinetd.enabled_by.len(), 4);
    assert_eq!(unit(&facts, "tftpd-hpa", "sysv").enabled, "disabled");

    // inetd.conf written by update-inetd, served by the enabled inetd.service.
    let telnet = unit(&facts, "telnet", "inetd");
    assert_eq!(
        (telnet.enabled.as_str(), telnet.path.as_str()),
        ("enabled", "/etc/inetd.conf:25")
    );
    assert_eq!(telnet.note, "served by inetd.service");
    assert_eq!(unit(&facts, "exec", "inetd").enabled, "disabled");

    // xinetd: telnet on (disable = no), tftp and the internal services off.
    let x_telnet = unit(&facts, "telnet", "xinetd");
    assert_eq!(x_telnet.enabled, "enabled");
    assert!(
        x_telnet.enabled_by[0].starts_with("/etc/xinetd.d/telnet:"),
        "{:?}",
        x_telnet.enabled_by
    );
    assert!(x_telnet.enabled_by[0].ends_with("(disable = no)"));
    assert_eq!(unit(&facts, "tftp", "xinetd").enabled, "disabled");
    assert_eq!(unit(&facts, "time", "xinetd").exec, "internal");
}

#[test]
fn station_checks() {
    let dir = tempfile::tempdir().unwrap();
    station(dir.path());
    let (facts, legacy, unexpected) = findings(dir.path());
    assert_eq!(legacy.status, Status::Fail);
    for name in [
        "vsftpd.service",
        "telnet.socket",
        "telnet (telnet server): inetd",
        "shell (rsh",
        "finger",
        "talk",
    ] {
        assert!(
            legacy.details.iter().any(|d| d.contains(name)),
            "{name} missing from {:#?}",
            legacy.details
        );
    }
    assert!(legacy.details.iter().any(|d| {
        d.starts_with("telnet (telnet server): xinetd entry on via /etc/xinetd.d/telnet")
    }));
    // Not enabled: noted, not failed.
    for note in [
        "proftpd.service (systemd, FTP server): masked",
        "tftpd-hpa (sysv, TFTP server): disabled",
        "atftpd.service (systemd, TFTP server): indirect",
    ] {
        assert!(
            legacy.details.iter().any(|d| d == note),
            "{note} missing from {:#?}",
            legacy.details
        );
    }
    assert!(
        legacy
            .evidence
            .iter()
            .any(|e| e.subject() == "/etc/inetd.conf"),
        "{:?}",
        legacy.evidence
    );
    assert!(
        legacy
            .evidence
            .iter()
            .any(|e| e.subject() == "/usr/lib/systemd/system/vsftpd.service")
    );

    assert_eq!(unexpected.status, Status::Warn);
    let listed: Vec<&str> = unexpected
        .details
        .iter()
        .filter_map(|d| d.split(' ').next())
        .collect();
    for name in [
        "hl7-bridge.service",
        "inetd.service",
        "postgresql.service",
        "telnet.socket",
        "vsftpd.service",
        "xinetd",
        "telnet",
    ] {
        assert!(listed.contains(&name), "{name} not listed: {listed:?}");
    }
    for allowed in [
        "getty@tty1.service",
        "systemd-timesyncd.service",
        "hl7.service",
        "proftpd.service",
    ] {
        assert!(!listed.contains(&allowed), "{allowed} listed: {listed:?}");
    }
    assert!(
        unexpected
            .details
            .last()
            .unwrap()
            .starts_with("judged from enablement only: offline image")
    );
    assert!(
        facts.evidence[&Area::Services]
            .iter()
            .any(|e| e.subject() == "/etc/xinetd.d/telnet")
    );
}

#[test]
fn captured_live_state_is_merged() {
    let dir = tempfile::tempdir().unwrap();
    station(dir.path());
    write(dir.path(), "proc/1/comm", "systemd\n");
    let captures = dir.path().join(".stationward-capture/commands");
    std::fs::create_dir_all(&captures).unwrap();
    let units = std::fs::read_to_string(
        Path::new(FIXTURES).join("systemctl/list-units.station-invented.txt"),
    )
    .unwrap();
    let files = std::fs::read_to_string(
        Path::new(FIXTURES).join("systemctl/list-unit-files.station-tree.txt"),
    )
    .unwrap();
    std::fs::write(
        captures.join(format!("{}.stdout", Root::capture_key(LIST_UNITS))),
        units,
    )
    .unwrap();
    std::fs::write(
        captures.join(format!("{}.stdout", Root::capture_key(LIST_UNIT_FILES))),
        files,
    )
    .unwrap();

    let facts = collect(&Root::new(dir.path()));
    assert!(facts.systemd_running);
    assert!(
        !facts.unknown.contains_key(&ServicesGap::Active),
        "{:?}",
        facts.unknown
    );
    assert_eq!(unit(&facts, "vsftpd.service", "systemd").active, "failed");
    assert_eq!(unit(&facts, "telnet.socket", "systemd").active, "active");
    assert_eq!(
        unit(&facts, "atftpd.service", "systemd").active,
        "inactive",
        "not loaded, so inactive"
    );
    assert_eq!(
        unit(&facts, "xinetd", "sysv").active,
        "active",
        "generated unit folded into the script"
    );
    assert_eq!(
        unit(&facts, "hl7.service", "systemd").active,
        "active",
        "an alias shares its unit's state"
    );
    let tty2 = unit(&facts, "getty@tty2.service", "systemd");
    assert_eq!(
        (tty2.enabled.as_str(), tty2.active.as_str()),
        ("indirect", "active")
    );
    assert_eq!(unit(&facts, "sshd.service", "systemd").enabled, "not-found");

    let (_, legacy, unexpected) = findings(dir.path());
    assert!(legacy.details.iter().any(|d| {
        d.starts_with("telnet.socket (telnet server): systemd enabled via") && d.contains("running")
    }));
    assert!(
        !unexpected
            .details
            .iter()
            .any(|d| d.starts_with("getty@tty2.service")),
        "allowed by getty@*"
    );
    assert!(
        !unexpected
            .details
            .iter()
            .any(|d| d.starts_with("judged from enablement only"))
    );
}

#[test]
fn masked_unit_with_leftover_wants_link_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/usr/lib/systemd/system/vsftpd.service", WANTED);
    link(d, "/etc/systemd/system/vsftpd.service", "/dev/null");
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/vsftpd.service",
        "/usr/lib/systemd/system/vsftpd.service",
    );
    write(
        d,
        "/usr/lib/systemd/system/ssh.service",
        "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
    );
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/ssh.service",
        "/lib/systemd/system/ssh.service",
    );
    link(
        d,
        "/etc/systemd/system/sshd.service",
        "/lib/systemd/system/ssh.service",
    );
    link(d, "/lib", "usr/lib");
    let facts = collect(&Root::new(d));
    assert_eq!(unit(&facts, "vsftpd.service", "systemd").enabled, "masked");
    let ssh = facts.unit("sshd").unwrap();
    assert_eq!(
        (ssh.name.as_str(), ssh.is_enabled(), ssh.exec.as_str()),
        ("ssh.service", true, "/usr/sbin/sshd")
    );
    assert_eq!(
        unit(&facts, "sshd.service", "systemd").alias_of,
        "ssh.service"
    );

    let (_, legacy, unexpected) = findings(d);
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");
    assert!(
        legacy
            .details
            .iter()
            .any(|n| n.starts_with("vsftpd.service (systemd, FTP server): masked"))
    );
    assert_eq!(unexpected.status, Status::Pass, "{unexpected:#?}");
    assert!(
        unexpected.summary.contains("All 1 "),
        "{}",
        unexpected.summary
    );
}

#[test]
fn xinetd_telnet_enabled_fails_and_disabled_xinetd_passes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let station = Path::new(FIXTURES).join("station/tree");
    write(
        d,
        "/etc/xinetd.conf",
        &std::fs::read_to_string(station.join("etc/xinetd.conf")).unwrap(),
    );
    write(
        d,
        "/etc/xinetd.d/telnet",
        &std::fs::read_to_string(station.join("etc/xinetd.d/telnet")).unwrap(),
    );
    write(
        d,
        "/etc/xinetd.d/telnet.dpkg-old",
        "service ftp\n{\n disable = no\n}\n",
    );
    write(
        d,
        "/etc/init.d/xinetd",
        &std::fs::read_to_string(station.join("etc/init.d/xinetd")).unwrap(),
    );
    link(d, "/etc/rc2.d/S01xinetd", "../init.d/xinetd");
    let (facts, legacy, _) = findings(d);
    assert!(
        !facts.services.units.iter().any(|u| u.name == "ftp"),
        "xinetd skips names with a dot"
    );
    assert_eq!(legacy.status, Status::Fail, "{legacy:#?}");
    assert!(legacy.summary.contains("telnet"), "{}", legacy.summary);
    assert!(
        legacy.details[0].contains("served by xinetd"),
        "{:?}",
        legacy.details
    );

    std::fs::remove_file(d.join("etc/rc2.d/S01xinetd")).unwrap();
    link(d, "/etc/rc2.d/K01xinetd", "../init.d/xinetd");
    let (facts, legacy, _) = findings(d);
    assert_eq!(
        unit(&facts.services, "telnet", "xinetd").note,
        "configured on, but xinetd is disabled"
    );
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");
    assert!(
        legacy
            .details
            .iter()
            .any(|n| n.contains("configured on, but xinetd is disabled"))
    );
}

#[test]
fn sysv_s_links_enable_a_script_on_a_sysvinit_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let station = Path::new(FIXTURES).join("station/tree");
    write(
        d,
        "/etc/init.d/tftpd-hpa",
        &std::fs::read_to_string(station.join("etc/init.d/tftpd-hpa")).unwrap(),
    );
    write(d, "/etc/init.d/README", "not a service\n");
    write(
        d,
        "/etc/init.d/vendor-monitor",
        "#!/bin/sh\nDAEMON=/opt/vendor/bin/monitord\n",
    );
    for level in 2..=5 {
        link(
            d,
            &format!("/etc/rc{level}.d/S02tftpd-hpa"),
            "../init.d/tftpd-hpa",
        );
        link(
            d,
            &format!("/etc/rc{level}.d/S03vendor-monitor"),
            "../init.d/vendor-monitor",
        );
    }
    let (facts, legacy, unexpected) = findings(d);
    let tftp = unit(&facts.services, "tftpd-hpa", "sysv");
    assert_eq!(
        (
            tftp.enabled.as_str(),
            tftp.enabled_by.len(),
            tftp.exec.as_str()
        ),
        ("enabled", 4, "/usr/sbin/in.tftpd")
    );
    assert!(!facts.services.units.iter().any(|u| u.name == "README"));
    assert_eq!(legacy.status, Status::Fail);
    assert!(
        legacy.details[0].starts_with(
            "tftpd-hpa (TFTP server): init script enabled via /etc/rc2.d/S02tftpd-hpa"
        )
    );
    assert_eq!(unexpected.status, Status::Warn);
    assert!(
        unexpected.summary.contains("tftpd-hpa, vendor-monitor"),
        "{}",
        unexpected.summary
    );
}

#[test]
fn init_script_with_a_native_unit_is_left_to_systemd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/etc/init.d/postgresql", "#!/bin/sh\n");
    link(d, "/etc/rc2.d/S01postgresql", "../init.d/postgresql");
    write(d, "/usr/lib/systemd/system/postgresql.service", WANTED);
    let facts = collect(&Root::new(d));
    assert!(
        !facts.units.iter().any(|u| u.source == "sysv"),
        "{:#?}",
        facts.units
    );
    assert_eq!(
        unit(&facts, "postgresql.service", "systemd").enabled,
        "disabled"
    );
}

#[test]
fn absolute_lib_link_does_not_reach_the_live_system() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/usr/lib/systemd/system/only-here.service", WANTED);
    link(d, "/lib", "/usr/lib");
    let facts = collect(&Root::new(d));
    let names: Vec<&str> = facts.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["only-here.service"]);
}

#[test]
fn empty_tree_is_unknown_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (facts, legacy, unexpected) = findings(dir.path());
    assert!(
        facts
            .services
            .unknown
            .contains_key(&ServicesGap::Enablement)
    );
    assert_eq!(legacy.status, Status::Unknown);
    assert_eq!(unexpected.status, Status::Unknown);
    assert!(
        legacy.summary.contains("no systemd unit directories"),
        "{}",
        legacy.summary
    );
}

#[test]
fn inetd_conf_without_any_inetd_is_not_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(Path::new(FIXTURES).join("inetd.conf.update-inetd"), {
        std::fs::create_dir_all(d.join("etc")).unwrap();
        d.join("etc/inetd.conf")
    })
    .unwrap();
    write(d, "/usr/lib/systemd/system/ssh.service", WANTED);
    let (facts, legacy, _) = findings(d);
    let telnet = unit(&facts.services, "telnet", "inetd");
    assert_eq!(
        (telnet.enabled.as_str(), telnet.note.as_str()),
        (
            "disabled",
            "configured on, but no inetd service is installed"
        )
    );
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");

    // With no init configuration at all, an entry that is on is taken at its word.
    std::fs::remove_dir_all(d.join("usr")).unwrap();
    let (facts, legacy, _) = findings(d);
    assert_eq!(unit(&facts.services, "telnet", "inetd").enabled, "unknown");
    assert_eq!(legacy.status, Status::Fail, "{legacy:#?}");
}

#[test]
fn live_host_smoke() {
    let host = stationward::host::Live::new();
    let facts = collect(&host);
    let pid1 = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
    assert_eq!(facts.systemd_running, pid1.trim() == "systemd");
    if !facts.systemd_running {
        assert!(facts.units.iter().all(|u| u.active == "unknown"));
    }
}

#[test]
fn sysvinit_host_keeps_scripts_that_have_unit_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Devuan-style: the package ships a unit file, but init is sysvinit and runs the script.
    write(d, "/usr/lib/systemd/system/vsftpd.service", WANTED);
    write(
        d,
        "/etc/init.d/vsftpd",
        "#!/bin/sh\nDAEMON=/usr/sbin/vsftpd\n",
    );
    link(d, "/etc/rc2.d/S01vsftpd", "../init.d/vsftpd");
    write(d, "/usr/sbin/init", "\u{7f}ELF sysvinit");
    let facts = collect(&Root::new(d));
    assert_eq!(unit(&facts, "vsftpd", "sysv").enabled, "enabled");
    assert_eq!(
        unit(&facts, "vsftpd.service", "systemd").enabled,
        "disabled"
    );
    let (_, legacy, _) = findings(d);
    assert_eq!(legacy.status, Status::Fail);
    assert!(legacy.summary.contains("vsftpd"), "{}", legacy.summary);

    // The same tree booting systemd: the unit file wins and the script is ignored.
    std::fs::remove_file(d.join("usr/sbin/init")).unwrap();
    link(d, "/usr/sbin/init", "/lib/systemd/systemd");
    let facts = collect(&Root::new(d));
    assert!(
        !facts.units.iter().any(|u| u.source == "sysv"),
        "{:#?}",
        facts.units
    );
    let (_, legacy, _) = findings(d);
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");
}

/// A telnet server a vendor package starts through its own unit directory's `.wants` link, and
/// an FTP socket a drop-in of multi-user.target pulls in: `systemctl is-enabled` calls both
/// static, but both start at boot, so the check fails.
#[test]
fn vendor_wants_links_and_dropin_wants_start_units() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "/usr/lib/systemd/system/vendor-telnet.service",
        "[Service]\nExecStart=/bin/sh -c 'ulimit -n 64; exec /usr/sbin/in.telnetd -L /bin/login'\n",
    );
    link(
        d,
        "/usr/lib/systemd/system/multi-user.target.wants/vendor-telnet.service",
        "../vendor-telnet.service",
    );
    write(
        d,
        "/usr/lib/systemd/system/hl7-ftp.socket",
        "[Socket]\nListenStream=21\nAccept=yes\n",
    );
    write(
        d,
        "/usr/lib/systemd/system/hl7-ftp@.service",
        "[Service]\nExecStart=-/usr/sbin/in.ftpd\n",
    );
    write(
        d,
        "/etc/systemd/system/multi-user.target.d/hl7.conf",
        "[Unit]\nWants=hl7-ftp.socket\n",
    );
    let (facts, legacy, _) = findings(d);
    let telnet = unit(&facts.services, "vendor-telnet.service", "systemd");
    assert_eq!(
        (telnet.enabled.as_str(), telnet.exec.as_str()),
        ("static", "/usr/sbin/in.telnetd")
    );
    assert!(telnet.is_enabled());
    assert_eq!(legacy.status, Status::Fail, "{legacy:#?}");
    assert!(
        legacy.summary.contains("vendor-telnet.service")
            && legacy.summary.contains("hl7-ftp.socket"),
        "{}",
        legacy.summary
    );

    // Masking both (as `systemctl mask` does, in /etc) stops them again.
    link(d, "/etc/systemd/system/vendor-telnet.service", "/dev/null");
    link(d, "/run/systemd/system/hl7-ftp.socket", "/dev/null");
    let (facts, legacy, _) = findings(d);
    assert_eq!(
        unit(&facts.services, "hl7-ftp.socket", "systemd").enabled,
        "masked-runtime",
        "a runtime mask in the tree's /run counts, as for systemctl --root"
    );
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");
}

/// A drop-in that replaces ExecStart= of an allowed unit makes it run a legacy server.
#[test]
fn dropin_replacing_execstart_is_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "/usr/lib/systemd/system/hl7-bridge.service",
        "[Service]\nExecStart=/opt/hl7/bin/bridge\n[Install]\nWantedBy=multi-user.target\n",
    );
    link(
        d,
        "/etc/systemd/system/multi-user.target.wants/hl7-bridge.service",
        "/usr/lib/systemd/system/hl7-bridge.service",
    );
    write(
        d,
        "/etc/systemd/system/hl7-bridge.service.d/50-debug.conf",
        "[Service]\nExecStart=\nExecStart=/usr/sbin/in.tftpd -L -s /srv/tftp\n",
    );
    let (facts, legacy, _) = findings(d);
    assert_eq!(
        unit(&facts.services, "hl7-bridge.service", "systemd").exec,
        "/usr/sbin/in.tftpd"
    );
    assert_eq!(legacy.status, Status::Fail, "{legacy:#?}");
    // A drop-in of the same name in /etc masked by /dev/null hides the vendor's one.
    std::fs::remove_dir_all(d.join("etc/systemd/system/hl7-bridge.service.d")).unwrap();
    write(
        d,
        "/usr/lib/systemd/system/hl7-bridge.service.d/50-debug.conf",
        "[Service]\nExecStart=\nExecStart=/usr/sbin/in.tftpd\n",
    );
    link(
        d,
        "/etc/systemd/system/hl7-bridge.service.d/50-debug.conf",
        "/dev/null",
    );
    let (facts, legacy, _) = findings(d);
    assert_eq!(
        unit(&facts.services, "hl7-bridge.service", "systemd").exec,
        "/opt/hl7/bin/bridge"
    );
    assert_eq!(legacy.status, Status::Pass, "{legacy:#?}");
}

const TFTPD_STATUS: &str = "Package: tftpd-hpa\nStatus: STATE\nPriority: optional\nSection: net\nMaintainer: Ron Lee <ron@debian.org>\nArchitecture: amd64\nVersion: 5.2+20150808-1.4\nConffiles:\n /etc/init.d/tftpd-hpa 2f30fc1b0ab8cd8d3dab6d8d6e3fba8a\nDescription: HPA's tftp server\n";

/// dpkg states: half-configured, unpacked and `deinstall ok installed` packages still have their
/// programs; a removed-not-purged one (`config-files`) leaves an init script and rc links that
/// cannot start anything because the daemon is gone.
#[test]
fn dpkg_states_and_leftover_init_scripts() {
    let station = Path::new(FIXTURES).join("station/tree");
    let script = std::fs::read_to_string(station.join("etc/init.d/tftpd-hpa")).unwrap();
    // (state, daemon on disk, rc links made by the postinst, verdict). Without rc links the
    // script is only disabled, which fails while the package (its daemon) is installed.
    for (state, daemon, links, expect) in [
        ("install ok installed", true, true, Status::Fail),
        ("deinstall ok installed", true, false, Status::Fail),
        ("install ok half-configured", true, false, Status::Fail),
        ("install ok unpacked", true, false, Status::Fail),
        (
            "install reinstreq half-installed",
            true,
            false,
            Status::Fail,
        ),
        ("deinstall ok config-files", false, true, Status::Pass),
        ("purge ok not-installed", false, false, Status::Pass),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "/etc/init.d/tftpd-hpa", &script);
        for level in (2..=5).filter(|_| links) {
            link(
                d,
                &format!("/etc/rc{level}.d/S01tftpd-hpa"),
                "../init.d/tftpd-hpa",
            );
        }
        if daemon {
            write(d, "/usr/sbin/in.tftpd", "\x7fELF");
        }
        write(
            d,
            "/var/lib/dpkg/status",
            &TFTPD_STATUS.replace("STATE", state),
        );
        write(d, "/sbin/init", "sysvinit");
        let (facts, legacy, _) = findings(d);
        assert_eq!(legacy.status, expect, "{state}: {legacy:#?}");
        let tftp = unit(&facts.services, "tftpd-hpa", "sysv");
        if state.ends_with("config-files") {
            assert_eq!(tftp.enabled, "not-found", "{tftp:?}");
            assert!(tftp.note.contains("config-files"), "{}", tftp.note);
        }
    }
    // The daemon gone while dpkg says installed: not a leftover, still judged enabled.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "/etc/init.d/tftpd-hpa", &script);
    link(d, "/etc/rc2.d/S01tftpd-hpa", "../init.d/tftpd-hpa");
    write(
        d,
        "/var/lib/dpkg/status",
        &TFTPD_STATUS.replace("STATE", "install ok installed"),
    );
    let (facts, legacy, _) = findings(d);
    assert_eq!(
        unit(&facts.services, "tftpd-hpa", "sysv").enabled,
        "enabled"
    );
    assert_eq!(legacy.status, Status::Fail);
}
