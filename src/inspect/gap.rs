//! What an area could not see, as closed sets: each area's `unknown` map is keyed by its own
//! enum, so a key a collector writes and the checks never read (or read and nothing writes)
//! is a compile error, not a check that passes on what it did not see.
//!
//! Each key serializes to the string the scan JSON has always used, and maps order by that
//! string, so reports are byte-identical to those keyed by strings.

/// Declares a closed set of "could not see" keys: the enum, its JSON string, string order
/// (as the old `BTreeMap<String, _>` had), and serde through the string.
macro_rules! gaps {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $var:ident => $key:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var,)+];

            /// The key as written in the scan JSON.
            pub const fn key(self) -> &'static str {
                match self {
                    $($name::$var => $key,)+
                }
            }

            pub fn from_key(key: &str) -> Option<$name> {
                match key {
                    $($key => Some($name::$var),)+
                    _ => None,
                }
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.key().cmp(other.key())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.key())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let key = String::deserialize(d)?;
                $name::from_key(&key).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unknown ", stringify!($name), " key {:?}"),
                        key
                    ))
                })
            }
        }
    };
}

gaps! {
    /// `FirewallFacts::unknown`.
    pub enum FirewallGap {
        /// A frontend's configuration or enablement link exists and could not be read.
        Frontends => "frontends",
        /// The ruleset (live or what loads at boot): every firewall check is unknown.
        Ruleset => "ruleset",
    }
}

gaps! {
    /// `NetworkFacts::unknown`.
    pub enum NetworkGap {
        /// Which process owns a listening socket.
        ListenerProcesses => "listener_processes",
        /// The listening sockets themselves.
        Listeners => "listeners",
    }
}

gaps! {
    /// `HostIdentity::unknown`.
    pub enum IdentityGap {
        Hostname => "hostname",
        Kernel => "kernel",
        MachineId => "machine_id",
        Os => "os",
    }
}

gaps! {
    /// `PatchesFacts::unknown`.
    pub enum PatchesGap {
        /// Installed kernels.
        Kernel => "kernel",
        /// When updates were last applied.
        LastUpgrade => "last_upgrade",
        /// A package log (or its directory) exists and could not be read: a later update may
        /// be recorded there.
        Logs => "logs",
        /// How old the package lists are.
        ListsAge => "lists_age",
        /// The operating system (for its support status).
        Os => "os",
        /// The support status of the operating system.
        OsLifecycle => "os_lifecycle",
        /// Installed packages.
        Packages => "packages",
        /// Pending updates.
        Pending => "pending",
        /// Pending updates, known only in part.
        PendingPartial => "pending_partial",
        /// Whether a reboot is pending.
        RebootRequired => "reboot_required",
        /// Pending security updates.
        Security => "security",
    }
}

gaps! {
    /// `SupportingFacts::unknown`.
    pub enum SupportingGap {
        /// /etc/default/grub or grub.d exists and could not be read.
        BootConfig => "boot_config",
    }
}

gaps! {
    /// `MacFacts::unknown`.
    pub enum MacGap {
        /// /sys/module/apparmor/parameters/enabled.
        ApparmorEnabled => "apparmor_enabled",
        /// /etc/apparmor.d, or its disable/ or force-complain/.
        ApparmorProfileDir => "apparmor_profile_dir",
        /// The loaded profiles on securityfs.
        ApparmorProfiles => "apparmor_profiles",
        /// The active security module list (details only).
        Lsm => "lsm",
        /// /etc/selinux/config.
        SelinuxConfig => "selinux_config",
        /// /sys/fs/selinux/enforce.
        SelinuxEnforce => "selinux_enforce",
    }
}

gaps! {
    /// `RemoteLogFacts::unknown`: configuration of a log forwarder that could not be read.
    pub enum RemoteLogGap {
        JournalUpload => "journal_upload",
        Rsyslog => "rsyslog",
        SyslogNg => "syslog_ng",
    }
}

gaps! {
    /// `RemoteToolFacts::unknown`.
    pub enum RemoteToolsGap {
        /// A remote-access tool's install path (or /opt) exists and could not be looked at.
        InstallPaths => "install_paths",
    }
}

gaps! {
    /// `PackageFacts::unknown`.
    pub enum PackagesGap {
        /// The installed package list.
        Packages => "packages",
    }
}

gaps! {
    /// `ProcessFacts::unknown`.
    pub enum ProcessesGap {
        /// The process list.
        Processes => "processes",
    }
}

gaps! {
    /// `TimeFacts::unknown`.
    pub enum TimeGap {
        /// A time daemon's configuration (its file, an include or a drop-in directory)
        /// exists and could not be read: its servers are not known.
        Config => "config",
        /// Whether the clock is synchronized now.
        Synchronized => "synchronized",
    }
}

gaps! {
    /// `StorageFacts::unknown`.
    pub enum StorageGap {
        /// /etc/crypttab.
        Crypttab => "crypttab",
        /// /etc/fstab (offline, the way to the root's device).
        Fstab => "fstab",
        /// The block devices under the root filesystem.
        Layers => "layers",
        /// The root filesystem itself.
        Root => "root",
    }
}

gaps! {
    /// `MalwareFacts::unknown`.
    pub enum MalwareGap {
        /// ClamAV's signature databases (shown in the details; the verdict rests on the
        /// scanner running).
        ClamavSignatures => "clamav_signatures",
    }
}

gaps! {
    /// `ServicesFacts::unknown`. Readers name these rather than strings: the checks once read
    /// "services", which nothing wrote, while "sysv", "inetd", "xinetd" and "units" were
    /// written and read by nothing (an unreadable /etc/inetd.conf passed
    /// `services.legacy_cleartext`).
    pub enum ServicesGap {
        /// /etc/systemd/system (what is enabled), or no init system found at all.
        Enablement => "enablement",
        /// A unit directory other than /etc/systemd/system.
        Units => "units",
        /// Whether units are running (systemctl).
        Active => "active",
        /// /etc/init.d and /etc/rc?.d.
        Sysv => "sysv",
        /// /etc/inetd.conf and /etc/inetd.d.
        Inetd => "inetd",
        /// /etc/xinetd.conf and /etc/xinetd.d.
        Xinetd => "xinetd",
    }
}

impl ServicesGap {
    /// Everything that decides what is enabled at boot.
    pub const ENABLEMENT: [ServicesGap; 5] = [
        ServicesGap::Enablement,
        ServicesGap::Units,
        ServicesGap::Sysv,
        ServicesGap::Inetd,
        ServicesGap::Xinetd,
    ];
}

gaps! {
    /// `AccountsFacts::unknown`: an accounts source that could not be read.
    pub enum AccountsGap {
        /// /etc/passwd.
        Passwd => "passwd",
        /// /etc/shadow (root only).
        Shadow => "shadow",
        /// /etc/group.
        Group => "group",
        /// /etc/shells.
        Shells => "shells",
        /// /etc/sudoers or a file it includes.
        Sudoers => "sudoers",
        /// login.defs, or a login.defs.d directory whose drop-ins could override any setting.
        LoginDefs => "login_defs",
        /// The PAM configuration (none of `PAM_FILES` read).
        Pam => "pam",
        /// /etc/security/faillock.conf.
        FaillockConf => "faillock_conf",
    }
}

/// As [`gaps!`], with one more variant that carries a path: its key is a fixed prefix and the
/// path (`sshd_env:/etc/sysconfig/sshd`), one entry per file not read.
macro_rules! gaps_with_path {
    ($(#[$m:meta])* pub enum $name:ident {
        $(#[$pm:meta])* $pvar:ident(path) => $prefix:literal;
        $($(#[$vm:meta])* $var:ident => $key:literal,)+
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var,)+
            $(#[$pm])* $pvar(String),
        }

        impl $name {
            /// The key as written in the scan JSON.
            pub fn key(&self) -> std::borrow::Cow<'static, str> {
                match self {
                    $($name::$var => std::borrow::Cow::Borrowed($key),)+
                    $name::$pvar(path) => std::borrow::Cow::Owned(format!("{}{path}", $prefix)),
                }
            }

            pub fn from_key(key: &str) -> Option<$name> {
                match key {
                    $($key => Some($name::$var),)+
                    _ => key
                        .strip_prefix($prefix)
                        .map(|path| $name::$pvar(path.to_string())),
                }
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.key().cmp(&other.key())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.key())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.key())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let key = String::deserialize(d)?;
                $name::from_key(&key).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unknown ", stringify!($name), " key {:?}"),
                        key
                    ))
                })
            }
        }
    };
}

gaps_with_path! {
    /// `SshFacts::unknown`.
    pub enum SshGap {
        /// A unit's EnvironmentFile (of a unit that may start sshd: recorded before knowing
        /// whether it does; the checks read `Units`, which holds those of sshd's own units).
        Env(path) => "sshd_env:";
        /// /usr/sbin/sshd or /usr/bin/sshd exists and could not be looked at.
        Binary => "sshd_binary",
        /// The main configuration file.
        Config => "sshd_config",
        /// A file or directory an Include names (or sshd would refuse the configuration).
        ConfigIncludes => "sshd_config_includes",
        /// An sshd unit file, drop-in, enablement link or EnvironmentFile, or /etc/default/ssh.
        Units => "sshd_units",
    }
}

gaps_with_path! {
    /// `AuditFacts::unknown`.
    pub enum AuditGap {
        /// An audit rules file or rules.d.
        Rules(path) => "audit_rules:";
        /// The rules loaded in the kernel (`auditctl -l`).
        Loaded => "audit_loaded",
        /// /sbin/auditd or /usr/sbin/auditd exists and could not be looked at.
        DaemonBinary => "daemon_binary",
    }
}

gaps_with_path! {
    /// `UsbStorageFacts::unknown`.
    pub enum UsbStorageGap {
        /// A modprobe.d file.
        Modprobe(path) => "modprobe:";
        /// Which modules are loaded (/sys/module).
        Loaded => "loaded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn keys_round_trip_and_order_as_their_strings() {
        for g in PatchesGap::ALL {
            assert_eq!(PatchesGap::from_key(g.key()), Some(*g));
        }
        let mut m: BTreeMap<PatchesGap, String> = BTreeMap::new();
        for g in PatchesGap::ALL.iter().rev() {
            m.insert(*g, String::new());
        }
        let keys: Vec<&str> = m.keys().map(|k| k.key()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        let json = serde_json::to_string(&m).unwrap_or_else(|e| panic!("{e}"));
        let back: BTreeMap<PatchesGap, String> =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, m);
        assert!(serde_json::from_str::<BTreeMap<MacGap, String>>(r#"{"nope":""}"#).is_err());
        let env = SshGap::Env("/etc/sysconfig/sshd".into());
        assert_eq!(env.key(), "sshd_env:/etc/sysconfig/sshd");
        assert_eq!(SshGap::from_key(&env.key()), Some(env));
        assert_eq!(SshGap::from_key("sshd_units"), Some(SshGap::Units));
    }

    /// Every key of the services and accounts sets reads back as itself, through `from_key`
    /// and through serde, and the JSON keeps the strings the scans have always had; a key
    /// outside the set is refused, not carried.
    #[test]
    fn services_and_accounts_keys_round_trip_and_refuse_strangers() {
        fn round_trip<K>(all: &[K], strings: &[&str], from_key: fn(&str) -> Option<K>)
        where
            K: Copy + Ord + std::fmt::Debug + std::fmt::Display,
            K: serde::Serialize + serde::de::DeserializeOwned,
        {
            let keys: Vec<String> = all.iter().map(ToString::to_string).collect();
            assert_eq!(keys, strings);
            for k in all {
                assert_eq!(from_key(&k.to_string()), Some(*k));
                let json = serde_json::to_string(k).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(json, format!("\"{k}\""));
                let back: K = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(back, *k);
            }
            let m: BTreeMap<K, String> = all.iter().map(|k| (*k, k.to_string())).collect();
            let json = serde_json::to_string(&m).unwrap_or_else(|e| panic!("{e}"));
            let mut sorted: Vec<&str> = strings.to_vec();
            sorted.sort_unstable();
            let expected: Vec<String> = sorted.iter().map(|s| format!("\"{s}\":\"{s}\"")).collect();
            assert_eq!(json, format!("{{{}}}", expected.join(",")));
            let back: BTreeMap<K, String> =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, m);
            assert_eq!(from_key("services"), None);
            assert!(serde_json::from_str::<K>(r#""services""#).is_err());
            assert!(serde_json::from_str::<BTreeMap<K, String>>(r#"{"services":""}"#).is_err());
        }
        round_trip(
            ServicesGap::ALL,
            &["enablement", "units", "active", "sysv", "inetd", "xinetd"],
            ServicesGap::from_key,
        );
        round_trip(
            AccountsGap::ALL,
            &[
                "passwd",
                "shadow",
                "group",
                "shells",
                "sudoers",
                "login_defs",
                "pam",
                "faillock_conf",
            ],
            AccountsGap::from_key,
        );
        // What decides enablement is every services key but whether units run now.
        let enablement: Vec<_> = ServicesGap::ALL
            .iter()
            .filter(|k| **k != ServicesGap::Active)
            .copied()
            .collect();
        assert_eq!(ServicesGap::ENABLEMENT.to_vec(), enablement);
    }
}
