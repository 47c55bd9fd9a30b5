//! `media.usb_storage`: USB mass storage is blacklisted or cannot be loaded (CONTROLS.md).

use super::evidence;
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::UsbStorageGap;
use crate::inspect::supporting::media::{
    InstallEffect, MODPROBE_DIRS, ModprobeRule, ModuleState, effective_install,
};
use crate::policy::Policy;

const ID: &str = "media.usb_storage";

/// Kernel parameters that stop usb-storage or all USB devices, with their origins.
fn boot_blocks(facts: &Facts) -> Vec<String> {
    let boot = &facts.supporting.boot;
    let mut out = Vec::new();
    for key in ["module_blacklist", "modprobe.blacklist"] {
        for (p, origin) in boot.find(key) {
            let list = p.split_once('=').map_or("", |(_, v)| v);
            if list
                .split(',')
                .any(|m| m.replace('-', "_") == "usb_storage")
            {
                out.push(format!("{p} ({origin})"));
            }
        }
    }
    for (p, origin) in boot.find("usbcore.authorized_default") {
        if p.ends_with("=0") {
            out.push(format!(
                "{p} ({origin}): new USB devices are not authorised"
            ));
        }
    }
    out
}

pub fn evaluate(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let u = &facts.supporting.usb_storage;
    let mut subjects: Vec<&str> = MODPROBE_DIRS.to_vec();
    subjects.extend(u.files.iter().map(String::as_str));
    subjects.extend([
        "/proc/cmdline",
        "/etc/default/grub",
        "/proc/sys/kernel/modules_disabled",
    ]);
    let ev = evidence(facts, &subjects, false);
    let rules_for =
        |m: &str| -> Vec<&ModprobeRule> { u.rules.iter().filter(|r| r.module == m).collect() };
    let usb = rules_for("usb_storage");
    // kmod runs only the first `install` line of a module; later ones change nothing.
    let first_install = effective_install(&u.rules, "usb_storage");
    let blocked: Vec<&ModprobeRule> = first_install
        .filter(|r| r.blocks_loading())
        .into_iter()
        .collect();
    let install_unknown =
        first_install.filter(|r| r.install_effect() == Some(InstallEffect::Unknown));
    // CONTROLS.md: "usb-storage blacklisted or `install ... /bin/false`": either one passes.
    let blacklist = usb.iter().find(|r| r.kind == "blacklist");
    let mut boot = boot_blocks(facts);
    if u.modules_disabled == Some(true) && u.usb_storage == Some(ModuleState::NotLoaded) {
        boot.push("kernel.modules_disabled = 1 (no module can be loaded until reboot)".into());
    }
    let mut details: Vec<String> = u
        .rules
        .iter()
        .map(|r| match r.kind.as_str() {
            "install" if effective_install(&u.rules, &r.module) != Some(r) => format!(
                "install {} {} ({}): ignored, kmod runs only the first install line",
                r.module, r.command, r.origin
            ),
            "install" => format!("install {} {} ({})", r.module, r.command, r.origin),
            _ => format!("{} {} ({})", r.kind, r.module, r.origin),
        })
        .collect();
    details.extend(boot.iter().map(|b| format!("kernel parameter {b}")));
    // Offline the reason is "/sys/module is not visible (offline image)"; live, the error.
    let unseen = u
        .unknown
        .get(&UsbStorageGap::Loaded)
        .map_or("not observed", String::as_str);
    let state = |s: Option<ModuleState>| match s {
        Some(ModuleState::Loaded) => "loaded now",
        Some(ModuleState::BuiltIn) => "built into the kernel",
        Some(ModuleState::NotLoaded) => "not loaded",
        None => unseen,
    };
    details.push(if u.usb_storage.is_none() && u.uas.is_none() {
        format!("loaded modules: {unseen}")
    } else {
        format!(
            "usb_storage: {}; uas: {}",
            state(u.usb_storage),
            state(u.uas)
        )
    });
    if !u.uas.is_some_and(|s| s == ModuleState::NotLoaded) || !rules_for("uas").is_empty() {
        details.push(
            "uas (USB Attached SCSI) needs usb_storage, so disabling usb_storage stops it too"
                .into(),
        );
    }
    let loaded = u.usb_storage == Some(ModuleState::Loaded);
    let unreadable: Vec<String> = u
        .unknown
        .iter()
        .filter(|(k, _)| matches!(k, UsbStorageGap::Modprobe(_)))
        .map(|(_, v)| v.clone())
        .collect();
    let f = if u.usb_storage == Some(ModuleState::BuiltIn) && boot.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            "usb-storage is built into the kernel: modprobe rules cannot disable it",
        )
    } else if !blocked.is_empty() || !boot.is_empty() || blacklist.is_some() {
        let how = if let Some(r) = blocked.first() {
            format!("install {} {} at {}", r.module, r.command, r.origin)
        } else if !boot.is_empty() {
            boot.join(", ")
        } else if let Some(r) = blacklist {
            details.push(
                "a blacklist stops usb-storage loading automatically when a device is plugged in; `install usb-storage /bin/false` would also stop explicit loading (modprobe usb-storage)"
                    .into(),
            );
            format!("blacklist {} at {}", r.module, r.origin)
        } else {
            String::new()
        };
        if loaded {
            Finding::new(
                ID,
                Status::Warn,
                format!("usb-storage is disabled ({how}) but is loaded now: reboot or unload it"),
            )
        } else {
            Finding::new(
                ID,
                Status::Pass,
                if blocked.is_empty() && boot.is_empty() {
                    format!(
                        "usb-storage is blacklisted ({how}): USB mass storage is not loaded when a device is plugged in"
                    )
                } else {
                    format!("USB mass storage cannot be loaded ({how})")
                },
            )
        }
    } else if let Some(r) = install_unknown {
        Finding::unknown(
            ID,
            format!(
                "usb-storage loading runs `{}` ({}): whether that loads the module could not be told",
                r.command, r.origin
            ),
        )
    } else if !unreadable.is_empty() {
        Finding::unknown(
            ID,
            format!(
                "could not read every modprobe.d file: {}",
                unreadable.join("; ")
            ),
        )
    } else {
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "USB mass storage is not disabled{}",
                if loaded {
                    " and the usb-storage module is loaded now"
                } else {
                    ""
                }
            ),
        )
    };
    vec![f.with_details(details).with_evidence(ev)]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::media::parse_modprobe;

    fn run(f: &Facts) -> Finding {
        let out = evaluate(
            f,
            &Policy::builtin().unwrap_or_else(|e| panic!("{e}")),
            &ctx(true),
        );
        only(&out, ID).clone()
    }

    fn with(rules: &str, state: Option<ModuleState>) -> Facts {
        let mut f = live(&[], &[], &[]);
        f.supporting.usb_storage.rules = parse_modprobe("/etc/modprobe.d/usb.conf", rules);
        f.supporting.usb_storage.usb_storage = state;
        f
    }

    #[test]
    fn only_the_first_install_line_counts() {
        // A later blocking line does not undo an earlier one that loads the module.
        let r = run(&with(
            "install usb-storage /sbin/modprobe --ignore-install usb-storage\ninstall usb_storage /bin/false\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_eq!(r.status, Status::Fail, "{r:#?}");
        assert!(
            r.details
                .iter()
                .any(|d| d.contains("/bin/false") && d.contains("ignored")),
            "{:?}",
            r.details
        );
        // The first line blocks: a later loading line is ignored.
        let r = run(&with(
            "install usb_storage /bin/echo usb-storage is disabled\ninstall usb-storage /sbin/modprobe --ignore-install usb-storage\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_eq!(r.status, Status::Pass, "{r:#?}");
        // A vendor script: cannot tell.
        let r = run(&with(
            "install usb-storage /opt/vendor/usb-policy\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_eq!(r.status, Status::Unknown, "{r:#?}");
        // ... unless a blacklist settles it.
        let r = run(&with(
            "install usb-storage /opt/vendor/usb-policy\nblacklist usb-storage\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_eq!(r.status, Status::Pass, "{r:#?}");
    }

    #[test]
    fn install_false_passes_unless_loaded() {
        let r = run(&with(
            "install usb-storage /bin/false\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("/etc/modprobe.d/usb.conf:1"));
        assert_status(
            &run(&with(
                "install usb_storage /bin/true\n",
                Some(ModuleState::Loaded),
            )),
            Status::Warn,
        );
    }

    #[test]
    fn blacklist_passes_nothing_fails_builtin_fails() {
        // CONTROLS.md: a blacklist alone satisfies the check; the details say what an
        // `install ... /bin/false` line would add.
        let r = run(&with(
            "blacklist usb-storage\n",
            Some(ModuleState::NotLoaded),
        ));
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("blacklist"), "{}", r.summary);
        assert!(
            r.details
                .iter()
                .any(|d| d.contains("install usb-storage /bin/false") && d.contains("explicit")),
            "{:?}",
            r.details
        );
        // Blacklisted but loaded now: still a warning (unchanged).
        assert_status(
            &run(&with("blacklist usb-storage\n", Some(ModuleState::Loaded))),
            Status::Warn,
        );
        // This build machine: no rules, module not loaded.
        assert_status(&run(&with("", Some(ModuleState::NotLoaded))), Status::Fail);
        assert_status(
            &run(&with(
                "install usb-storage /bin/false\n",
                Some(ModuleState::BuiltIn),
            )),
            Status::Fail,
        );
    }

    #[test]
    fn kernel_module_blacklist_passes() {
        let mut f = with("", Some(ModuleState::NotLoaded));
        f.supporting.boot.running = Some(vec![
            "quiet".into(),
            "module_blacklist=firewire_ohci,usb-storage".into(),
        ]);
        assert_status(&run(&f), Status::Pass);
    }
}
