//! `storage.encryption`: the root filesystem lies on a dm-crypt/LUKS volume.

use super::evidence;
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::StorageGap;
use crate::policy::Policy;

const ID: &str = "storage.encryption";

pub fn evaluate(facts: &Facts, _policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let s = &facts.supporting.storage;
    let ev = evidence(
        facts,
        &[
            "/proc/self/mountinfo",
            "/proc/mounts",
            "/sys/class/block/",
            "/sys/block/",
            "/etc/fstab",
            "/etc/crypttab",
        ],
        false,
    );
    let mut details: Vec<String> = Vec::new();
    if let Some(r) = &s.root {
        details.push(format!(
            "root filesystem: {} ({}{})",
            r.source,
            r.fstype,
            if r.devno.is_empty() {
                String::new()
            } else {
                format!(", device {}", r.devno)
            }
        ));
    }
    for l in &s.layers {
        let mut line = format!("{}{}", "  ".repeat(l.depth), l.name);
        if !l.dm_name.is_empty() {
            line.push_str(&format!(" = /dev/mapper/{}", l.dm_name));
        }
        if !l.dm_uuid.is_empty() {
            let kind = l.dm_uuid.split('-').take(2).collect::<Vec<_>>().join("-");
            line.push_str(&format!(" [{kind}]"));
        }
        details.push(line);
    }
    if let Some(e) = &s.fstab_root {
        details.push(format!("fstab: {} on / ({})", e.source, e.origin));
    }
    if let Some(ct) = &s.crypttab {
        details.extend(
            ct.iter()
                .map(|c| format!("crypttab: {} from {} ({})", c.name, c.device, c.origin)),
        );
    }
    let f = if ctx.live { observed(s) } else { configured(s) };
    vec![f.with_details(details).with_evidence(ev)]
}

fn observed(s: &crate::inspect::supporting::storage::StorageFacts) -> Finding {
    if let Some(why) = s
        .unknown
        .get(&StorageGap::Root)
        .or_else(|| s.unknown.get(&StorageGap::Layers))
    {
        return Finding::unknown(ID, why.clone());
    }
    let Some(root) = &s.root else {
        return Finding::unknown(ID, "the root filesystem was not found");
    };
    match s.layers.iter().find(|l| l.is_crypt()) {
        Some(l) => Finding::new(
            ID,
            Status::Pass,
            format!(
                "Root filesystem is on an encrypted (dm-crypt{}) volume: {}",
                if l.dm_uuid.starts_with("CRYPT-LUKS") {
                    "/LUKS"
                } else {
                    ""
                },
                if l.dm_name.is_empty() {
                    l.name.clone()
                } else {
                    format!("/dev/mapper/{}", l.dm_name)
                }
            ),
        ),
        None => Finding::new(
            ID,
            Status::Fail,
            format!(
                "Root filesystem ({}) is not on an encrypted volume",
                root.source
            ),
        ),
    }
}

fn configured(s: &crate::inspect::supporting::storage::StorageFacts) -> Finding {
    let Some(root) = &s.fstab_root else {
        if let Some(why) = s.unknown.get(&StorageGap::Fstab) {
            return Finding::unknown(
                ID,
                format!("offline image: could not read /etc/fstab: {why}"),
            );
        }
        return Finding::unknown(ID, "offline image: /etc/fstab has no entry for / to follow");
    };
    let crypt: Vec<&str> = s
        .crypttab
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    if let Some(why) = s.unknown.get(&StorageGap::Crypttab) {
        return Finding::unknown(ID, format!("could not read /etc/crypttab: {why}"));
    }
    let mapper = root.source.strip_prefix("/dev/mapper/");
    match mapper {
        Some(name) if crypt.contains(&name) => Finding::new(
            ID,
            Status::Pass,
            format!(
                "Root is mounted from encrypted volume {name} listed in /etc/crypttab (offline image: configured, not observed)"
            ),
        ),
        Some(name) if !crypt.is_empty() => Finding::new(
            ID,
            Status::Pass,
            format!(
                "Root is on {name}, a mapped volume, and /etc/crypttab opens {} beneath it (offline image: configured, not observed)",
                crypt.join(", ")
            ),
        ),
        _ if crypt.is_empty() => Finding::new(
            ID,
            Status::Fail,
            format!(
                "No encrypted volume is configured (no /etc/crypttab entries); root is {}",
                root.source
            ),
        ),
        _ => Finding::unknown(
            ID,
            format!(
                "offline image: root is mounted as {}, and whether it lies on the crypttab volume(s) {} cannot be told from files",
                root.source,
                crypt.join(", ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::storage::{
        BlockLayer, RootMount, StorageFacts, parse_crypttab, parse_fstab_root, parse_mountinfo_root,
    };

    fn run(s: StorageFacts, live: bool) -> Finding {
        let mut f = if live {
            super::super::testkit::live(&[], &[], &[])
        } else {
            offline(&[])
        };
        f.supporting.storage = s;
        let out = evaluate(
            &f,
            &Policy::builtin().unwrap_or_else(|e| panic!("{e}")),
            &ctx(live),
        );
        only(&out, ID).clone()
    }

    fn layer(name: &str, dm_name: &str, uuid: &str, depth: usize) -> BlockLayer {
        BlockLayer {
            name: name.into(),
            dm_name: dm_name.into(),
            dm_uuid: uuid.into(),
            depth,
        }
    }

    #[test]
    fn lvm_on_luks_passes() {
        let s = StorageFacts {
            root: Some(RootMount {
                source: "/dev/mapper/station--vg-root".into(),
                fstype: "ext4".into(),
                devno: "254:1".into(),
            }),
            layers: vec![
                layer("dm-1", "station--vg-root", "LVM-abc", 0),
                layer(
                    "dm-0",
                    "nvme0n1p3_crypt",
                    "CRYPT-LUKS2-5a1b6f3e8d2c4b7a9e0f1c2d3e4f5a6b-nvme0n1p3_crypt",
                    1,
                ),
                layer("nvme0n1p3", "", "", 2),
            ],
            ..StorageFacts::default()
        };
        let r = run(s, true);
        assert_status(&r, Status::Pass);
        assert!(
            r.summary.contains("/dev/mapper/nvme0n1p3_crypt"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn this_vm_plain_disk_fails_and_container_is_unknown() {
        let mi = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supporting/storage/debian12_vm_mountinfo"
        ));
        let s = StorageFacts {
            root: parse_mountinfo_root(mi),
            layers: vec![layer("vda", "", "", 0)],
            ..StorageFacts::default()
        };
        assert_status(&run(s, true), Status::Fail);
        let mut c = StorageFacts::default();
        c.unknown.insert(StorageGap::Layers, "the root filesystem is overlay from overlay (container or network root): its disk cannot be seen from here".into());
        let r = run(c, true);
        assert_status(&r, Status::Unknown);
        assert!(r.summary.contains("container"));
    }

    #[test]
    fn offline_fstab_and_crypttab() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supporting/storage/"
        );
        let fstab = std::fs::read_to_string(format!("{dir}luks_lvm_fstab")).unwrap_or_default();
        let crypttab =
            std::fs::read_to_string(format!("{dir}luks_lvm_crypttab")).unwrap_or_default();
        let s = StorageFacts {
            fstab_root: parse_fstab_root("/etc/fstab", &fstab),
            crypttab: Some(parse_crypttab("/etc/crypttab", &crypttab)),
            ..StorageFacts::default()
        };
        let r = run(s.clone(), false);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("configured, not observed"));
        let plain = StorageFacts {
            crypttab: None,
            ..s.clone()
        };
        assert_status(&run(plain, false), Status::Fail);
        let by_uuid = StorageFacts {
            fstab_root: parse_fstab_root("/etc/fstab", "UUID=1234 / ext4 defaults 0 1\n"),
            ..s
        };
        assert_status(&run(by_uuid, false), Status::Unknown);
        assert_status(&run(StorageFacts::default(), false), Status::Unknown);
    }
}
