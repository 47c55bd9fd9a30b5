//! Disk encryption under the root filesystem: the block-device stack from sysfs on a live host
//! (dm-crypt/LUKS layers have a dm uuid starting `CRYPT-`), /etc/fstab and /etc/crypttab
//! offline.

use super::origin;
use crate::host::Host;
use crate::inspect::Unseen;
use crate::inspect::gap::StorageGap;
use serde::{Deserialize, Serialize};

/// The root filesystem as mounted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootMount {
    /// Mount source, e.g. `/dev/mapper/vg-root`, `overlay`.
    pub source: String,
    pub fstype: String,
    /// `major:minor` from mountinfo (empty when read from /proc/mounts).
    pub devno: String,
}

/// One device in the stack under the root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockLayer {
    /// Kernel name (`dm-0`, `nvme0n1p3`).
    pub name: String,
    /// Device-mapper name (`sda3_crypt`), when a dm device.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dm_name: String,
    /// Device-mapper uuid (`CRYPT-LUKS2-...`, `LVM-...`), when a dm device.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dm_uuid: String,
    /// Depth below the root filesystem's device (0 = the device itself).
    pub depth: usize,
}

impl BlockLayer {
    pub fn is_crypt(&self) -> bool {
        self.dm_uuid.starts_with("CRYPT-")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FstabEntry {
    pub source: String,
    pub mount_point: String,
    pub fstype: String,
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrypttabEntry {
    pub name: String,
    pub device: String,
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageFacts {
    /// The running root filesystem (live only).
    pub root: Option<RootMount>,
    /// The device stack under it, walked through /sys/class/block/*/slaves.
    pub layers: Vec<BlockLayer>,
    /// The root entry of /etc/fstab.
    pub fstab_root: Option<FstabEntry>,
    /// /etc/crypttab entries; `None` when the file does not exist.
    pub crypttab: Option<Vec<CrypttabEntry>>,
    pub unknown: Unseen<StorageGap>,
}

/// The entry mounted on `/` last in /proc/self/mountinfo (the one in effect).
pub fn parse_mountinfo_root(text: &str) -> Option<RootMount> {
    let mut found = None;
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let l: Vec<&str> = left.split_whitespace().collect();
        let r: Vec<&str> = right.split_whitespace().collect();
        if l.len() < 5 || r.len() < 2 || l[4] != "/" {
            continue;
        }
        found = Some(RootMount {
            source: unescape_octal(r[1]),
            fstype: r[0].to_string(),
            devno: l[2].to_string(),
        });
    }
    found
}

/// The entry mounted on `/` last in /proc/mounts (fallback when mountinfo is unreadable).
pub fn parse_mounts_root(text: &str) -> Option<RootMount> {
    let mut found = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 3 && f[1] == "/" {
            found = Some(RootMount {
                source: unescape_octal(f[0]),
                fstype: f[2].to_string(),
                devno: String::new(),
            });
        }
    }
    found
}

/// mount tables escape space, tab, newline and backslash as `\040` etc.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            out.push(u8::try_from(v).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `/` entry of /etc/fstab.
pub fn parse_fstab_root(path: &str, text: &str) -> Option<FstabEntry> {
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 3 && f[1] == "/" {
            found = Some(FstabEntry {
                source: unescape_octal(f[0]),
                mount_point: "/".into(),
                fstype: f[2].to_string(),
                origin: origin(path, i + 1),
            });
        }
    }
    found
}

/// crypttab(5): `name device [keyfile [options]]`.
pub fn parse_crypttab(path: &str, text: &str) -> Vec<CrypttabEntry> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let mut f = line.split_whitespace();
            let (name, device) = (f.next()?, f.next()?);
            Some(CrypttabEntry {
                name: name.to_string(),
                device: device.to_string(),
                origin: origin(path, i + 1),
            })
        })
        .collect()
}

/// Filesystems that have no block device of their own here (containers, network roots).
pub fn is_virtual_root(m: &RootMount) -> bool {
    let fs = m.fstype.as_str();
    matches!(
        fs,
        "overlay"
            | "aufs"
            | "tmpfs"
            | "rootfs"
            | "9p"
            | "virtiofs"
            | "nfs"
            | "nfs4"
            | "cifs"
            | "ramfs"
            | "squashfs"
    ) || fs.starts_with("fuse")
        || !m.source.starts_with("/dev/")
}

fn read_trimmed(host: &dyn Host, path: &str) -> Option<String> {
    host.read(path).ok().map(|t| t.text.trim().to_string())
}

/// The kernel name of the root's device: via /sys/dev/block/MAJ:MIN, else the mount source
/// (`/dev/dm-1`, `/dev/sda2`, or a `/dev/mapper/` name matched against dm names).
fn root_device_name(host: &dyn Host, root: &RootMount) -> Option<String> {
    if !root.devno.is_empty()
        && !root.devno.starts_with("0:")
        && let Ok(link) = host.read_link(&format!("/sys/dev/block/{}", root.devno))
        && let Some(name) = link.rsplit('/').next().filter(|n| !n.is_empty())
    {
        return Some(name.to_string());
    }
    if let Some(mapper) = root.source.strip_prefix("/dev/mapper/") {
        for dm in host
            .read_dir("/sys/block")
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.starts_with("dm-"))
        {
            if read_trimmed(host, &format!("/sys/block/{dm}/dm/name")).as_deref() == Some(mapper) {
                return Some(dm);
            }
        }
        return None;
    }
    let name = root.source.strip_prefix("/dev/")?;
    host.metadata(&format!("/sys/class/block/{name}"))
        .is_ok()
        .then(|| name.to_string())
}

/// Walks the device and everything beneath it (slaves), breadth first, at most 32 layers.
fn walk_layers(host: &dyn Host, top: &str) -> Vec<BlockLayer> {
    let mut out: Vec<BlockLayer> = Vec::new();
    let mut queue = std::collections::VecDeque::from([(top.to_string(), 0usize)]);
    while let Some((name, depth)) = queue.pop_front() {
        if out.len() >= 32 || out.iter().any(|l| l.name == name) {
            continue;
        }
        let base = format!("/sys/class/block/{name}");
        let layer = BlockLayer {
            dm_name: read_trimmed(host, &format!("{base}/dm/name")).unwrap_or_default(),
            dm_uuid: read_trimmed(host, &format!("{base}/dm/uuid")).unwrap_or_default(),
            name: name.clone(),
            depth,
        };
        out.push(layer);
        let mut below = host.read_dir(&format!("{base}/slaves")).unwrap_or_default();
        // A partition has no slaves of its own; its disk does not matter for encryption.
        below.sort();
        queue.extend(below.into_iter().map(|n| (n, depth + 1)));
    }
    out
}

pub fn collect(host: &dyn Host) -> StorageFacts {
    let mut f = StorageFacts::default();
    if crate::inspect::is_live(host) {
        f.root = host
            .read("/proc/self/mountinfo")
            .ok()
            .and_then(|t| parse_mountinfo_root(&t.text))
            .or_else(|| {
                host.read("/proc/mounts")
                    .ok()
                    .and_then(|t| parse_mounts_root(&t.text))
            });
        match &f.root {
            None => {
                f.unknown.insert(
                    StorageGap::Root,
                    "could not find / in /proc/self/mountinfo or /proc/mounts".into(),
                );
            }
            Some(root) if is_virtual_root(root) => {
                f.unknown.insert(
                    StorageGap::Layers,
                    format!(
                        "the root filesystem is {} from {} (container or network root): its disk cannot be seen from here",
                        root.fstype, root.source
                    ),
                );
            }
            Some(root) => match root_device_name(host, root) {
                Some(dev) => f.layers = walk_layers(host, &dev),
                None => {
                    f.unknown.insert(
                        StorageGap::Layers,
                        format!("could not find {} in /sys/class/block", root.source),
                    );
                }
            },
        }
    }
    match host.read("/etc/fstab") {
        Ok(t) => f.fstab_root = parse_fstab_root("/etc/fstab", &t.text),
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            f.unknown.insert(StorageGap::Fstab, e.to_string());
        }
    }
    match host.read("/etc/crypttab") {
        Ok(t) => f.crypttab = Some(parse_crypttab("/etc/crypttab", &t.text)),
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            f.unknown.insert(StorageGap::Crypttab, e.to_string());
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/supporting/storage/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn mountinfo_root_of_this_vm() {
        let r = parse_mountinfo_root(&fixture("debian12_vm_mountinfo"));
        assert_eq!(
            r,
            Some(RootMount {
                source: "/dev/vda".into(),
                fstype: "ext4".into(),
                devno: "254:0".into()
            })
        );
        let m = parse_mounts_root(&fixture("debian12_vm_mounts"));
        assert_eq!(m.map(|m| m.source), Some("/dev/vda".into()));
    }

    #[test]
    fn docker_overlay_root_is_virtual() {
        let r = parse_mountinfo_root(&fixture("docker_overlay_mountinfo"));
        let r = r.as_ref();
        assert_eq!(r.map(|r| r.fstype.as_str()), Some("overlay"));
        assert!(r.is_some_and(is_virtual_root));
    }

    #[test]
    fn fstab_and_crypttab() {
        let root = parse_fstab_root("/etc/fstab", &fixture("luks_lvm_fstab"));
        assert_eq!(
            root.as_ref().map(|r| r.source.as_str()),
            Some("/dev/mapper/station--vg-root")
        );
        let ct = parse_crypttab("/etc/crypttab", &fixture("luks_lvm_crypttab"));
        assert_eq!(ct.len(), 1);
        assert_eq!(ct[0].name, "nvme0n1p3_crypt");
        assert_eq!(
            parse_fstab_root("/etc/fstab", "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n"),
            None
        );
    }

    #[test]
    fn hostile_mount_tables() {
        assert_eq!(parse_mountinfo_root(""), None);
        assert_eq!(parse_mountinfo_root("1 2 3\n - \n\u{FFFD}"), None);
        assert_eq!(parse_mounts_root("/dev/sda1 /\n"), None);
        assert_eq!(unescape_octal("a\\040b\\"), "a b\\");
        let big = "27 1 8:2 / / rw - ext4 /dev/sda2 rw\n".repeat(10_000);
        assert!(parse_mountinfo_root(&big).is_some());
    }
}
