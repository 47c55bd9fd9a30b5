use super::*;
use crate::inspect::packages::parse_dpkg_status;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/patches/",
            $name
        ))
    };
}

const APT_LIST: &str = fixture!("apt-list-upgradable.txt");
const APT_GET_S: &str = fixture!("apt-get-s-dist-upgrade.txt");

fn at(s: &str) -> Option<i64> {
    crate::date::parse_rfc3339_utc(s)
}

#[test]
fn apt_list_real_output() {
    let l = parse_apt_list_upgradable(APT_LIST);
    assert_eq!(l.skipped, 0);
    // Every line but the "Listing..." header.
    assert_eq!(l.updates.len(), APT_LIST.lines().count() - 1);
    assert_eq!(l.updates.len(), 132);
    assert_eq!(l.updates.iter().filter(|u| u.security).count(), 81);
    let krb = l.updates.iter().find(|u| u.name == "krb5-locales");
    assert_eq!(
        krb.map(|u| (
            u.installed.as_str(),
            u.candidate.as_str(),
            u.arch.as_str(),
            u.security,
            u.origins.len()
        )),
        Some(("1.20.1-2+deb12u3", "1.20.1-2+deb12u5", "all", true, 2))
    );
    let ssh = l.updates.iter().find(|u| u.name == "openssh-client");
    assert_eq!(ssh.map(|u| u.security), Some(false));
}

#[test]
fn apt_get_simulate_agrees_with_apt_list() {
    let sim = parse_apt_get_simulate(APT_GET_S);
    let list = parse_apt_list_upgradable(APT_LIST);
    assert_eq!(sim.skipped, 0);
    assert_eq!(
        sim.updates.len(),
        APT_GET_S.lines().filter(|l| l.starts_with("Inst ")).count()
    );
    let key = |u: &PendingUpdate| {
        (
            u.name.clone(),
            u.installed.clone(),
            u.candidate.clone(),
            u.security,
        )
    };
    let mut a: Vec<_> = sim.updates.iter().map(key).collect();
    let mut b: Vec<_> = list.updates.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(
        a, b,
        "apt-get -s and apt list disagree on this machine's capture"
    );
    let jq = sim.updates.iter().find(|u| u.name == "jq");
    assert_eq!(
        jq.map(|u| u.origins.clone()),
        Some(vec!["Debian-Security:12/oldstable-security".to_string()])
    );
}

#[test]
fn apt_get_simulate_skips_new_installs_and_reads_arch() {
    let text = "Inst linux-image-6.1.0-29-amd64 (6.1.123-1 Debian-Security:12/oldstable-security [amd64])\n\
                Inst libc6:i386 [2.36-9+deb12u9] (2.36-9+deb12u10 Debian:12.10/stable [i386])\n\
                Conf libc6:i386 (2.36-9+deb12u10 Debian:12.10/stable [i386])\n\
                Inst broken [1.0] (\n";
    let l = parse_apt_get_simulate(text);
    assert_eq!(l.updates.len(), 1);
    assert_eq!(l.updates[0].name, "libc6");
    assert_eq!(l.updates[0].arch, "i386");
    assert_eq!(l.skipped, 1);
}

#[test]
fn apt_list_ubuntu_invented() {
    let l = parse_apt_list_upgradable(fixture!("apt-list-upgradable-ubuntu.txt"));
    assert_eq!(l.updates.len(), 5);
    let sec: Vec<&str> = l
        .updates
        .iter()
        .filter(|u| u.security)
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(sec, vec!["libssl3", "openssl", "libc6"]);
}

#[test]
fn apt_list_hostile_input() {
    assert_eq!(parse_apt_list_upgradable(""), UpdateListing::default());
    let text = "Listing... Done\n\
                WARNING: apt does not have a stable CLI interface.\n\
                bash/stable 5.2.15-2+b13 amd64 [upgradable from: 5.2.15-2+b8]\n\
                bash/stable 5.2.15-2+b13 amd64 [upgradable fr\n\
                zlib1g/stable 1:1.2.13 amd64 extra [upgradable from: 1:1.2.12]\n\
                nosuite 1.0 amd64 [upgradable from: 0.9]\n\
                /stable 1.0 amd64 [upgradable from: 0.9]\n\
                caf\u{FFFD}/stable-security 1.0\u{FFFD} amd64 [upgradable from: 0.9]\n\
                # comment-ish junk\n";
    let l = parse_apt_list_upgradable(text);
    assert_eq!(l.updates.len(), 2);
    assert_eq!(l.updates[1].name, "caf\u{FFFD}");
    assert!(l.updates[1].security);
    assert_eq!(l.skipped, 5);
    let big: String = (0..10_000)
        .map(|i| format!("pkg{i}/stable-security 1.{i} amd64 [upgradable from: 1.0]\n"))
        .collect();
    let l = parse_apt_list_upgradable(&big);
    assert_eq!(l.updates.len(), 10_000);
    assert!(l.updates.iter().all(|u| u.security));
}

#[test]
fn history_log_real() {
    let s = parse_apt_history(fixture!("history.log"));
    assert_eq!(s.newest_upgrade, at("2026-09-22T04:48:20Z"));
    assert_eq!(s.oldest_entry, at("2025-06-24T14:36:25Z"));
    assert_eq!(parse_apt_history(""), LogSummary::default());
    let junk = "Start-Date: 2026-13-01  00:00:00\nUpgrade: a (1, 2)\n\nStart-Date: 2026-01-02\nUpgrade: b\n\nStart-Date: 2026-01-03  01:02:03\nUpgrade: \n\n\u{FFFD}";
    let s = parse_apt_history(junk);
    assert_eq!(s.newest_upgrade, None);
    assert_eq!(s.oldest_entry, at("2026-01-03T01:02:03Z"));
}

#[test]
fn dpkg_log_real() {
    let s = parse_dpkg_log(fixture!("dpkg.log"));
    assert_eq!(s.newest_upgrade, at("2026-09-22T04:51:17Z"));
    assert_eq!(s.oldest_entry, at("2025-06-24T14:36:25Z"));
    let mut both = parse_apt_history(fixture!("history.log"));
    both.merge(s);
    assert_eq!(both.newest_upgrade, at("2026-09-22T04:51:17Z"));
    let junk = "2026-01-01 00:00:0\u{FFFD} upgrade x 1 2\n2026-01-02\nnot a date upgrade\n2026-01-05 10:00:00 install y <none> 1\n";
    let s = parse_dpkg_log(junk);
    assert_eq!(
        (s.newest_upgrade, s.oldest_entry),
        (None, at("2026-01-05T10:00:00Z"))
    );
    let big: String = (0..10_000)
        .map(|i| format!("2026-01-01 00:00:{:02} upgrade p{i} 1 2\n", i % 60))
        .collect();
    assert_eq!(
        parse_dpkg_log(&big).newest_upgrade,
        at("2026-01-01T00:00:59Z")
    );
}

#[test]
fn dnf_check_update_invented() {
    let l = parse_dnf_check_update(fixture!("dnf-check-update.txt"));
    assert_eq!(l.skipped, 0);
    let names: Vec<&str> = l.updates.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "kernel",
            "kernel-core",
            "kernel-modules",
            "openssl",
            "openssl-libs",
            "python3-setuptools-wheel",
            "tzdata",
            "NetworkManager-initscripts-updown",
            "vim-minimal"
        ]
    );
    let nm = &l.updates[7];
    assert_eq!(
        (nm.arch.as_str(), nm.candidate.as_str()),
        ("noarch", "1:1.46.0-8.el9_4")
    );
    assert_eq!(parse_dnf_check_update("\n\n").updates.len(), 0);
    let hostile = parse_dnf_check_update(
        "lonely.x86_64\nbash.x86_64 5.1 baseos\nx.y 1-2 r extra\n\u{FFFD}.x86_64 1-1 baseos\n",
    );
    assert_eq!(hostile.updates.len(), 1);
    assert_eq!(hostile.skipped, 3);
}

#[test]
fn dnf_updateinfo_invented() {
    let a = parse_dnf_updateinfo(fixture!("dnf-updateinfo-security.txt"));
    assert_eq!(a.len(), 5);
    assert_eq!(
        (a[1].name.as_str(), a[1].arch.as_str()),
        ("kernel-core", "x86_64")
    );
    assert_eq!(
        (a[3].name.as_str(), a[3].advisory.as_str()),
        ("openssl", "RHSA-2024:2447")
    );
    assert!(parse_dnf_updateinfo("RHSA-1 Moderate/Bugfix x-1-1.x86_64\ngarbage\nA B\n").is_empty());
}

#[test]
fn dnf_rpm_log_invented() {
    let s = parse_dnf_rpm_log(fixture!("dnf.rpm.log"));
    assert_eq!(s.newest_upgrade, at("2024-05-13T14:07:41Z"));
    assert_eq!(s.oldest_entry, at("2024-04-02T09:12:44Z"));
    assert_eq!(
        dnf_time("2024-05-20T08:00:00+0200"),
        at("2024-05-20T06:00:00Z")
    );
    assert_eq!(
        dnf_time("2024-05-20T08:00:00-05:30"),
        at("2024-05-20T13:30:00Z")
    );
    assert_eq!(dnf_time("2024-05-20T08:00:00Z"), at("2024-05-20T08:00:00Z"));
    assert_eq!(dnf_time("2024-05-20T08:00:00+02"), None);
    assert_eq!(dnf_time("2024-05-20 08:00:00"), None);
}

#[test]
fn reboot_pkgs() {
    assert_eq!(
        parse_reboot_required_pkgs(fixture!("reboot-required.pkgs")),
        vec!["linux-image-6.1.0-29-amd64", "libc6"]
    );
    assert!(parse_reboot_required_pkgs("\n\n").is_empty());
}

fn pkg(name: &str, version: &str, arch: &str) -> InstalledPackage {
    InstalledPackage {
        name: name.into(),
        version: version.into(),
        arch: arch.into(),
        source: String::new(),
    }
}

#[test]
fn kernel_names_and_build() {
    assert_eq!(
        debian_kernel_release("linux-image-6.1.0-28-amd64"),
        Some("6.1.0-28-amd64")
    );
    assert_eq!(
        debian_kernel_release("linux-image-unsigned-5.15.0-91-generic"),
        Some("5.15.0-91-generic")
    );
    assert_eq!(debian_kernel_release("linux-image-amd64"), None);
    assert_eq!(
        debian_kernel_release("linux-image-6.1.0-28-amd64-dbg"),
        None
    );
    assert_eq!(debian_kernel_release("linux-headers-6.1.0-28-amd64"), None);
    let pv = "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)\n";
    assert_eq!(debian_running_build(pv), Some("6.1.119-1"));
    assert_eq!(
        debian_running_build("Linux version 6.18.44-fc-v669 (builder@sandboxing) #1 SMP @0"),
        None
    );
}

#[test]
fn kernel_debian_cases() {
    let installed = vec![
        pkg("linux-image-6.1.0-27-amd64", "6.1.115-1", "amd64"),
        pkg("linux-image-6.1.0-28-amd64", "6.1.119-1", "amd64"),
        pkg("linux-image-amd64", "6.1.119-1", "amd64"),
    ];
    let k = kernel_status("6.1.0-27-amd64", &installed, "apt", "");
    assert_eq!(k.outdated, Some(true));
    assert_eq!(k.newest_package, "linux-image-6.1.0-28-amd64");
    let k = kernel_status(
        "6.1.0-28-amd64",
        &installed,
        "apt",
        "... Debian 6.1.119-1 (2024-11-22)",
    );
    assert_eq!(k.outdated, Some(false));
    assert_eq!(k.running_build, "6.1.119-1");
    // Same ABI name, upgraded in place after boot.
    let k = kernel_status(
        "6.1.0-28-amd64",
        &installed,
        "apt",
        "... Debian 6.1.112-1 (2024-10-01)",
    );
    assert_eq!(k.outdated, Some(true));
    let k = kernel_status("6.18.44-fc-v669", &installed, "apt", "");
    assert_eq!(k.outdated, None);
    assert!(k.note.contains("does not come from an installed package"));
    let k = kernel_status("6.18.44-fc-v669", &[pkg("bash", "5.2", "amd64")], "apt", "");
    assert_eq!((k.outdated, k.newest_package.as_str()), (None, ""));
}

#[test]
fn kernel_rhel_cases() {
    let installed = vec![
        pkg("kernel-core", "5.14.0-362.24.1.el9_3", "x86_64"),
        pkg("kernel-core", "5.14.0-427.13.1.el9_4", "x86_64"),
        pkg("kernel", "5.14.0-427.13.1.el9_4", "x86_64"),
    ];
    let k = kernel_status("5.14.0-362.24.1.el9_3.x86_64", &installed, "dnf", "");
    assert_eq!(k.outdated, Some(true));
    assert_eq!(k.newest_version, "5.14.0-427.13.1.el9_4");
    let k = kernel_status("5.14.0-427.13.1.el9_4.x86_64", &installed, "dnf", "");
    assert_eq!(k.outdated, Some(false));
}

fn debian_identity(kernel: &str) -> HostIdentity {
    HostIdentity {
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        os_id: "debian".into(),
        os_version_id: "12".into(),
        kernel: kernel.into(),
        ..HostIdentity::default()
    }
}

fn fixture_index() -> AvailableIndex {
    let mut idx = AvailableIndex::default();
    let lists = [
        (
            fixture!("lists/deb.debian.org_debian_dists_bookworm_InRelease"),
            fixture!("lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"),
        ),
        (
            fixture!("lists/deb.debian.org_debian_dists_bookworm-updates_InRelease"),
            fixture!(
                "lists/deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages"
            ),
        ),
        (
            fixture!("lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease"),
            fixture!(
                "lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages"
            ),
        ),
    ];
    for (release, packages) in lists {
        let r = aptlists::parse_release(release);
        idx.add(
            aptlists::parse_packages(packages, false),
            &r.suite,
            r.is_security(),
            r.not_automatic,
        );
    }
    idx
}

#[test]
fn offline_pending_from_real_lists() {
    let installed = parse_dpkg_status(fixture!("dpkg-status"));
    let pending = pending_from_index(&fixture_index(), &installed);
    let find = |n: &str| pending.iter().find(|p| p.name == n);
    // Agrees with what apt list said on the same machine for these packages.
    let list = parse_apt_list_upgradable(APT_LIST);
    for p in &pending {
        let live = list.updates.iter().find(|u| u.name == p.name);
        assert_eq!(
            live.map(|u| u.candidate.as_str()),
            Some(p.candidate.as_str()),
            "{}",
            p.name
        );
    }
    assert_eq!(
        find("openssl").map(|p| (p.candidate.as_str(), p.security)),
        Some(("3.0.22-1~deb12u2", true))
    );
    assert_eq!(find("bash").map(|p| p.security), Some(false));
    // The point release superseded a security fix: still a security update.
    let ssh = find("openssh-client");
    assert_eq!(ssh.map(|p| p.security), Some(true));
    assert!(ssh.is_some_and(|p| {
        p.security_via
            .contains("oldstable-security 1:9.2p1-2+deb12u9")
    }));
    assert!(find("zlib1g").is_none(), "up to date");
}

#[test]
fn complete_adds_lifecycle_kernel_and_offline_pending() {
    let mut f = PatchesFacts {
        manager: "apt".into(),
        offline_index: Some(fixture_index()),
        reboot_flag: Some(false),
        ..PatchesFacts::default()
    };
    let packages = PackageFacts {
        manager: "dpkg".into(),
        installed: parse_dpkg_status(fixture!("dpkg-status")),
        unknown: Unseen::new(),
    };
    complete(&mut f, &debian_identity("6.18.44-fc-v669"), &packages);
    assert!(!f.pending.is_empty());
    assert_eq!(
        f.os_lifecycle.as_ref().map(|l| l.name.as_str()),
        Some("Debian 12 (bookworm)")
    );
    // No kernel package installed: the flag decides.
    assert_eq!(f.reboot_required, Some(false));
    assert!(f.kernel.as_ref().is_some_and(|k| k.outdated.is_none()));

    let mut g = PatchesFacts {
        manager: "apt".into(),
        reboot_flag: Some(false),
        ..PatchesFacts::default()
    };
    let mut with_kernels = packages.clone();
    with_kernels
        .installed
        .push(pkg("linux-image-6.1.0-27-amd64", "6.1.115-1", "amd64"));
    with_kernels
        .installed
        .push(pkg("linux-image-6.1.0-28-amd64", "6.1.119-1", "amd64"));
    complete(&mut g, &debian_identity("6.1.0-27-amd64"), &with_kernels);
    assert_eq!(g.reboot_required, Some(true));
    assert!(g.reboot_reasons[0].contains("linux-image-6.1.0-28-amd64"));

    let mut h = PatchesFacts::default();
    let unknown_os = HostIdentity {
        os_id: "plan9".into(),
        os_version_id: "4".into(),
        ..HostIdentity::default()
    };
    complete(&mut h, &unknown_os, &PackageFacts::default());
    assert!(h.os_lifecycle.is_none());
    assert!(
        h.unknown
            .get(&PatchesGap::OsLifecycle)
            .is_some_and(|w| w.contains("not in the shipped end-of-life table"))
    );
    assert!(h.unknown.contains_key(&PatchesGap::Kernel));
}

#[test]
fn live_security_supplement_marks_superseded_fix() {
    let mut f = PatchesFacts {
        pending: parse_apt_list_upgradable(APT_LIST).updates,
        ..PatchesFacts::default()
    };
    let read = ListsRead {
        index: fixture_index(),
        security_complete: true,
        ..ListsRead::default()
    };
    mark_superseded_security(&mut f, &read);
    assert_eq!(f.pending.iter().filter(|u| u.security).count(), 82);
    assert!(f.notes.is_empty());
    let mut g = PatchesFacts {
        pending: parse_apt_list_upgradable(APT_LIST).updates,
        ..PatchesFacts::default()
    };
    mark_superseded_security(&mut g, &ListsRead::default());
    assert_eq!(g.pending.iter().filter(|u| u.security).count(), 81);
    assert!(g.notes[0].contains("superseded"));
}
