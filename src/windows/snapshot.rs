//! The `stationward.windows-snapshot/1` format: a directory with `manifest.json` and one file
//! per source. This module is the contract (the native collector of part 2 writes it; the
//! analysis reads it on any OS). See `docs/windows-snapshot.md`.
//!
//! Every source file is an envelope `{ "source", "method", "collected_utc", "ok", "reason",
//! "data" }`. `data` keeps the property names of the Windows API or CIM class it came from
//! (PascalCase), so a collector can emit them as they are. Identifiers are SIDs, GUIDs and
//! numeric or enum-name values; display names are carried but never judged.

use super::de::{self, flag, flag_opt, int_opt, many, text, text_list};
use crate::fsread::{self, Follow};
use crate::host::sha256_hex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const SCHEMA: &str = "stationward.windows-snapshot/1";
pub const MANIFEST: &str = "manifest.json";
/// No source file is anywhere near this; a larger one is refused, not cut.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// The format has 16 sources; room for collectors that add raw files, but not unbounded.
pub const MAX_FILES: usize = 64;

/// The source files, their names and whether reading them needs an elevated administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceId {
    Os,
    Services,
    Listeners,
    Users,
    Groups,
    AccountPolicy,
    AuditPolicy,
    Firewall,
    Patches,
    Registry,
    Defender,
    AvProducts,
    Bitlocker,
    Programs,
    Eventlog,
    SshdConfig,
}

impl SourceId {
    pub const ALL: [SourceId; 16] = [
        SourceId::Os,
        SourceId::Services,
        SourceId::Listeners,
        SourceId::Users,
        SourceId::Groups,
        SourceId::AccountPolicy,
        SourceId::AuditPolicy,
        SourceId::Firewall,
        SourceId::Patches,
        SourceId::Registry,
        SourceId::Defender,
        SourceId::AvProducts,
        SourceId::Bitlocker,
        SourceId::Programs,
        SourceId::Eventlog,
        SourceId::SshdConfig,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            SourceId::Os => "os.json",
            SourceId::Services => "services.json",
            SourceId::Listeners => "listeners.json",
            SourceId::Users => "users.json",
            SourceId::Groups => "groups.json",
            SourceId::AccountPolicy => "account_policy.json",
            SourceId::AuditPolicy => "audit_policy.json",
            SourceId::Firewall => "firewall.json",
            SourceId::Patches => "patches.json",
            SourceId::Registry => "registry.json",
            SourceId::Defender => "defender.json",
            SourceId::AvProducts => "av_products.json",
            SourceId::Bitlocker => "bitlocker.json",
            SourceId::Programs => "programs.json",
            SourceId::Eventlog => "eventlog.json",
            SourceId::SshdConfig => "sshd_config",
        }
    }

    /// Sources Windows only gives an elevated administrator (secedit export, the audit
    /// policy API, BitLocker's WMI class). Without elevation they are never trusted.
    pub fn needs_elevation(self) -> bool {
        matches!(
            self,
            SourceId::AccountPolicy | SourceId::AuditPolicy | SourceId::Bitlocker
        )
    }
}

/// What went wrong with a snapshot as a whole: one line naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

impl SnapshotError {
    fn at(path: &Path, reason: impl Into<String>) -> SnapshotError {
        SnapshotError::File {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collector {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub collector: Collector,
    #[serde(default)]
    pub hostname: String,
    /// `10.0.19044.5011`: major.minor.build.UBR.
    pub os_build: String,
    #[serde(deserialize_with = "flag")]
    pub elevated: bool,
    /// BCP 47 tags (`de-DE`); recorded because display text is in these languages.
    pub system_locale: String,
    pub ui_locale: String,
    pub started_utc: String,
    pub finished_utc: String,
    /// File name → lower-case hex SHA-256 of its bytes.
    pub files: BTreeMap<String, String>,
}

/// A snapshot file as recorded in evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    pub sha256: String,
    /// How the collector obtained it (`cim:Win32_Service`, `api:NetUserEnum`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
}

/// One source as seen: its data, or why it could not be seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Seen<T> {
    Ok {
        file: FileRef,
        data: T,
    },
    Unseen {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<FileRef>,
        reason: String,
    },
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen::Unseen {
            file: None,
            reason: "not inspected".into(),
        }
    }
}

impl<T> Seen<T> {
    pub fn data(&self) -> Result<&T, &str> {
        match self {
            Seen::Ok { data, .. } => Ok(data),
            Seen::Unseen { reason, .. } => Err(reason),
        }
    }

    pub fn file(&self) -> Option<&FileRef> {
        match self {
            Seen::Ok { file, .. } => Some(file),
            Seen::Unseen { file, .. } => file.as_ref(),
        }
    }
}

// ---- data of each source -------------------------------------------------------------

/// `os.json`: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion` and `Win32_OperatingSystem`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OsInfo {
    #[serde(deserialize_with = "text")]
    pub computer_name: String,
    /// Display only (Windows 11 still says "Windows 10" here).
    #[serde(deserialize_with = "text")]
    pub product_name: String,
    /// `EnterpriseS` (LTSC), `IoTEnterpriseS`, `ServerStandard`...
    #[serde(rename = "EditionID", deserialize_with = "text")]
    pub edition_id: String,
    #[serde(deserialize_with = "text")]
    pub display_version: String,
    #[serde(deserialize_with = "text")]
    pub current_build: String,
    #[serde(rename = "UBR", deserialize_with = "int_opt")]
    pub ubr: Option<i64>,
    /// `Client`, `Server`, `Server Core`.
    #[serde(deserialize_with = "text")]
    pub installation_type: String,
    /// `Win32_OperatingSystem.OperatingSystemSKU` (191 = IoT Enterprise LTSC).
    #[serde(rename = "OperatingSystemSKU", deserialize_with = "int_opt")]
    pub sku: Option<i64>,
    /// `PROCESSOR_ARCHITECTURE` (`AMD64`), not the localized `OSArchitecture`.
    #[serde(deserialize_with = "text")]
    pub architecture: String,
    #[serde(deserialize_with = "text")]
    pub machine_guid: String,
    #[serde(deserialize_with = "text")]
    pub last_boot_up_time: String,
}

/// `services.json` items: `Win32_Service` (or SCM).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Service {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub display_name: String,
    /// `Running`, `Stopped`... (WMI value strings) or the SCM number (4 = running).
    #[serde(deserialize_with = "text")]
    pub state: String,
    /// `Auto`, `Manual`, `Disabled`, `Boot`, `System`, or the SCM number (2 = auto).
    #[serde(deserialize_with = "text")]
    pub start_mode: String,
    #[serde(deserialize_with = "flag_opt")]
    pub delayed_auto_start: Option<bool>,
    #[serde(deserialize_with = "text")]
    pub start_name: String,
    #[serde(deserialize_with = "text")]
    pub path_name: String,
    #[serde(deserialize_with = "int_opt")]
    pub process_id: Option<i64>,
}

impl Service {
    pub fn running(&self) -> bool {
        let s = self.state.trim();
        s.eq_ignore_ascii_case("running") || s == "4"
    }

    /// Starts by itself at boot (auto, delayed auto, boot or system driver).
    pub fn auto_start(&self) -> bool {
        let m = self.start_mode.trim().to_ascii_lowercase();
        matches!(
            m.as_str(),
            "auto" | "automatic" | "boot" | "system" | "0" | "1" | "2"
        )
    }

    pub fn disabled(&self) -> bool {
        let m = self.start_mode.trim().to_ascii_lowercase();
        m == "disabled" || m == "4"
    }

    pub fn describe(&self) -> String {
        format!(
            "{} (start {}, {})",
            self.name,
            if self.start_mode.is_empty() {
                "?"
            } else {
                &self.start_mode
            },
            if self.state.is_empty() {
                "?"
            } else {
                &self.state
            }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Endpoint {
    #[serde(deserialize_with = "text")]
    pub local_address: String,
    #[serde(deserialize_with = "int_opt")]
    pub local_port: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub owning_process: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Process {
    #[serde(deserialize_with = "int_opt")]
    pub process_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub executable_path: String,
}

/// `listeners.json`: `GetExtendedTcpTable` listeners, `GetExtendedUdpTable` endpoints, and the
/// processes that own them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Listeners {
    #[serde(deserialize_with = "many")]
    pub tcp: Vec<Endpoint>,
    #[serde(deserialize_with = "many")]
    pub udp: Vec<Endpoint>,
    #[serde(deserialize_with = "many")]
    pub processes: Vec<Process>,
}

/// `users.json` items: local accounts (`NetUserEnum` level 3 / `Win32_UserAccount` + ADSI
/// `UserFlags`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct User {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(rename = "SID", deserialize_with = "text")]
    pub sid: String,
    #[serde(deserialize_with = "flag_opt")]
    pub disabled: Option<bool>,
    /// `usri_flags` / ADSI `UserFlags` (0x2 disabled, 0x20 PASSWD_NOTREQD, 0x10000 never
    /// expires).
    #[serde(deserialize_with = "int_opt")]
    pub user_flags: Option<i64>,
    #[serde(deserialize_with = "flag_opt")]
    pub password_required: Option<bool>,
    #[serde(deserialize_with = "text")]
    pub last_logon: String,
}

pub const UF_ACCOUNTDISABLE: i64 = 0x2;
pub const UF_PASSWD_NOTREQD: i64 = 0x20;

impl User {
    /// Disabled by the `Disabled` property or the flag; None when neither was recorded.
    pub fn is_disabled(&self) -> Option<bool> {
        self.disabled
            .or_else(|| self.user_flags.map(|f| f & UF_ACCOUNTDISABLE != 0))
    }

    /// PASSWD_NOTREQD from the flags, else from `PasswordRequired`.
    pub fn password_not_required(&self) -> Option<bool> {
        self.user_flags
            .map(|f| f & UF_PASSWD_NOTREQD != 0)
            .or_else(|| self.password_required.map(|r| !r))
    }

    pub fn rid(&self) -> Option<u32> {
        rid(&self.sid)
    }
}

/// The last sub-authority of a SID (`…-500` → 500).
pub fn rid(sid: &str) -> Option<u32> {
    if !sid.starts_with("S-1-") {
        return None;
    }
    sid.rsplit('-').next()?.parse().ok()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Member {
    #[serde(rename = "SID", deserialize_with = "text")]
    pub sid: String,
    /// `DOMAIN\name` as resolved at collection time (display only).
    #[serde(deserialize_with = "text")]
    pub name: String,
}

/// `groups.json` items: members of well-known local groups, by SID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Group {
    #[serde(rename = "SID", deserialize_with = "text")]
    pub sid: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "many")]
    pub members: Vec<Member>,
}

/// `account_policy.json`: `[System Access]` of `secedit /export` (or `NetUserModalsGet`),
/// keys as secedit names them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccountPolicy {
    #[serde(deserialize_with = "int_opt")]
    pub minimum_password_length: Option<i64>,
    /// Days; -1 or 0 = never expires.
    #[serde(deserialize_with = "int_opt")]
    pub maximum_password_age: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub minimum_password_age: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub password_history_size: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub password_complexity: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub clear_text_password: Option<i64>,
    /// 0 = never locks out.
    #[serde(deserialize_with = "int_opt")]
    pub lockout_bad_count: Option<i64>,
    /// Minutes; -1 = until an administrator unlocks.
    #[serde(deserialize_with = "int_opt")]
    pub lockout_duration: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub reset_lockout_count: Option<i64>,
}

/// `audit_policy.json` items: `auditpol /backup` rows or `AuditQuerySystemPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuditSetting {
    /// Display name, in the system language: never judged.
    #[serde(deserialize_with = "text")]
    pub subcategory: String,
    #[serde(alias = "Subcategory GUID", deserialize_with = "text")]
    pub subcategory_guid: String,
    /// MS-GPAC Setting Value: bit 1 success, bit 2 failure (0 or 4: no auditing).
    #[serde(alias = "Setting Value", deserialize_with = "int_opt")]
    pub setting_value: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FwProfile {
    /// `Domain`, `Private`, `Public`.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// `GpoBoolean.ToString()`: `True`, `False`, `NotConfigured` (or a JSON boolean).
    #[serde(deserialize_with = "text")]
    pub enabled: String,
    /// `Block`, `Allow`, `NotConfigured` (enum names; numbers are refused as ambiguous,
    /// because COM and the registry number the actions in opposite ways).
    #[serde(deserialize_with = "text")]
    pub default_inbound_action: String,
    #[serde(deserialize_with = "text")]
    pub allow_local_firewall_rules: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FwRule {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub display_name: String,
    #[serde(deserialize_with = "text")]
    pub enabled: String,
    #[serde(deserialize_with = "text")]
    pub direction: String,
    #[serde(deserialize_with = "text")]
    pub action: String,
    /// `Any` or profile names.
    #[serde(deserialize_with = "text_list")]
    pub profile: Vec<String>,
    /// `TCP`, `UDP`, `Any`, or a protocol number.
    #[serde(deserialize_with = "text")]
    pub protocol: String,
    /// `Any`, ports and ranges (`49152-65535`), or keywords (`RPC`).
    #[serde(deserialize_with = "text_list")]
    pub local_port: Vec<String>,
    /// Program path or `Any`.
    #[serde(deserialize_with = "text")]
    pub program: String,
    #[serde(deserialize_with = "text")]
    pub service: String,
}

/// `firewall.json`: `Get-NetFirewallProfile -PolicyStore ActiveStore`, the current profile
/// types, and the enabled inbound rules of the ActiveStore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Firewall {
    #[serde(deserialize_with = "text_list")]
    pub current_profiles: Vec<String>,
    #[serde(deserialize_with = "many")]
    pub profiles: Vec<FwProfile>,
    #[serde(deserialize_with = "many")]
    pub rules: Vec<FwRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HotFix {
    #[serde(rename = "HotFixID", deserialize_with = "text")]
    pub hotfix_id: String,
    #[serde(deserialize_with = "text")]
    pub description: String,
    /// Raw: `/Date()/`, ISO, or culture-formatted (then unusable).
    #[serde(deserialize_with = "text")]
    pub installed_on: String,
}

/// Presence of the reboot-pending registry keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RebootKeys {
    /// `…\Component Based Servicing\RebootPending`
    #[serde(deserialize_with = "flag_opt")]
    pub cbs_reboot_pending: Option<bool>,
    /// `…\WindowsUpdate\Auto Update\RebootRequired`
    #[serde(deserialize_with = "flag_opt")]
    pub windows_update_reboot_required: Option<bool>,
    /// `Session Manager\PendingFileRenameOperations`: evidence only (false positives).
    #[serde(deserialize_with = "flag_opt")]
    pub pending_file_rename_operations: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PendingUpdate {
    #[serde(rename = "KB", deserialize_with = "text")]
    pub kb: String,
    #[serde(deserialize_with = "text")]
    pub title: String,
    /// WUA category GUIDs.
    #[serde(deserialize_with = "text_list")]
    pub categories: Vec<String>,
}

/// An offline Windows Update search (`IUpdateSearcher`, `Online = false`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateSearch {
    #[serde(deserialize_with = "flag")]
    pub ok: bool,
    #[serde(deserialize_with = "text")]
    pub reason: String,
    #[serde(deserialize_with = "text")]
    pub searched_utc: String,
    #[serde(deserialize_with = "many")]
    pub updates: Vec<PendingUpdate>,
}

/// `patches.json`: `Win32_QuickFixEngineering`, the reboot keys, and optionally a Windows
/// Update search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Patches {
    #[serde(deserialize_with = "many")]
    pub hot_fixes: Vec<HotFix>,
    pub reboot: RebootKeys,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_search: Option<UpdateSearch>,
}

/// `registry.json` items: one value of the fixed list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RegValue {
    /// `HKLM\SYSTEM\CurrentControlSet\Services\USBSTOR`
    #[serde(deserialize_with = "text")]
    pub path: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "flag")]
    pub exists: bool,
    #[serde(deserialize_with = "text")]
    pub r#type: String,
    pub data: Value,
}

/// `defender.json`: `MSFT_MpComputerStatus`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Defender {
    #[serde(rename = "AMServiceEnabled", deserialize_with = "flag_opt")]
    pub am_service_enabled: Option<bool>,
    #[serde(rename = "AntivirusEnabled", deserialize_with = "flag_opt")]
    pub antivirus_enabled: Option<bool>,
    #[serde(rename = "RealTimeProtectionEnabled", deserialize_with = "flag_opt")]
    pub real_time_protection_enabled: Option<bool>,
    /// `Normal`, `Passive Mode`, `EDR Block Mode`, `SxS Passive Mode`.
    #[serde(rename = "AMRunningMode", deserialize_with = "text")]
    pub am_running_mode: String,
    /// Days.
    #[serde(rename = "AntivirusSignatureAge", deserialize_with = "int_opt")]
    pub antivirus_signature_age: Option<i64>,
    #[serde(rename = "AntivirusSignatureLastUpdated", deserialize_with = "text")]
    pub antivirus_signature_last_updated: String,
    #[serde(rename = "IsTamperProtected", deserialize_with = "flag_opt")]
    pub is_tamper_protected: Option<bool>,
}

/// `av_products.json` items: `root\SecurityCenter2:AntiVirusProduct` (clients only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AvProduct {
    #[serde(deserialize_with = "text")]
    pub display_name: String,
    #[serde(deserialize_with = "int_opt")]
    pub product_state: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub path_to_signed_product_exe: String,
}

impl AvProduct {
    /// Byte 2 of productState: 0x10/0x11 = real-time scanning on.
    pub fn enabled(&self) -> Option<bool> {
        self.product_state
            .map(|s| matches!((s >> 8) & 0xFF, 0x10 | 0x11))
    }

    /// Byte 1: 0x00 = signatures up to date.
    pub fn up_to_date(&self) -> Option<bool> {
        self.product_state.map(|s| s.trailing_zeros() >= 8)
    }
}

/// `bitlocker.json` items: `Win32_EncryptableVolume` with its method results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Volume {
    #[serde(deserialize_with = "text")]
    pub drive_letter: String,
    /// `VolumeType`: 0 = operating-system volume, 1 = fixed data, 2 = removable.
    #[serde(deserialize_with = "int_opt")]
    pub volume_type: Option<i64>,
    /// `GetConversionStatus`: 0 fully decrypted, 1 fully encrypted, 2 encrypting,
    /// 3 decrypting, 4 encryption paused, 5 decryption paused.
    #[serde(deserialize_with = "int_opt")]
    pub conversion_status: Option<i64>,
    /// `GetProtectionStatus` (the method, not the cached property): 0 off, 1 on, 2 unknown.
    #[serde(deserialize_with = "int_opt")]
    pub protection_status: Option<i64>,
    #[serde(deserialize_with = "int_opt")]
    pub encryption_percentage: Option<i64>,
    /// `GetKeyProtectorType` values (1 TPM, 3 numerical password, 4 TPM+PIN...).
    #[serde(deserialize_with = "many")]
    pub key_protectors: Vec<i64>,
}

/// `programs.json` items: Uninstall keys (64- and 32-bit views).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Program {
    #[serde(deserialize_with = "text")]
    pub display_name: String,
    #[serde(deserialize_with = "text")]
    pub display_version: String,
    #[serde(deserialize_with = "text")]
    pub publisher: String,
    #[serde(deserialize_with = "text")]
    pub install_date: String,
}

/// `eventlog.json` items: `Get-WinEvent -ListLog` / `EvtGetLogInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EventLog {
    #[serde(deserialize_with = "text")]
    pub log_name: String,
    #[serde(deserialize_with = "flag_opt")]
    pub is_enabled: Option<bool>,
    #[serde(deserialize_with = "int_opt")]
    pub maximum_size_in_bytes: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub log_mode: String,
}

// ---- loading --------------------------------------------------------------------------

/// The sources of one snapshot, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sources {
    pub os: Seen<OsInfo>,
    pub services: Seen<Vec<Service>>,
    pub listeners: Seen<Listeners>,
    pub users: Seen<Vec<User>>,
    pub groups: Seen<Vec<Group>>,
    pub account_policy: Seen<AccountPolicy>,
    pub audit_policy: Seen<Vec<AuditSetting>>,
    pub firewall: Seen<Firewall>,
    pub patches: Seen<Patches>,
    pub registry: Seen<Vec<RegValue>>,
    pub defender: Seen<Defender>,
    pub av_products: Seen<Vec<AvProduct>>,
    pub bitlocker: Seen<Vec<Volume>>,
    pub programs: Seen<Vec<Program>>,
    pub eventlog: Seen<Vec<EventLog>>,
    /// The raw text of `%ProgramData%\ssh\sshd_config`.
    pub sshd_config: Seen<String>,
}

/// What identifies the snapshot in scans and records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// The directory as given on the command line.
    pub dir: String,
    pub schema: String,
    /// The computer name the manifest gives.
    #[serde(default)]
    pub hostname: String,
    /// SHA-256 of `manifest.json`, which pins every file's SHA-256: the snapshot's digest.
    pub manifest_sha256: String,
    pub collector: String,
    pub collector_version: String,
    pub elevated: bool,
    pub system_locale: String,
    pub ui_locale: String,
    pub started_utc: String,
    pub finished_utc: String,
    pub files: BTreeMap<String, String>,
}

impl SnapshotInfo {
    /// `sha256:<hex>`
    pub fn digest(&self) -> String {
        format!("sha256:{}", self.manifest_sha256)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub info: SnapshotInfo,
    pub sources: Sources,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    source: String,
    #[serde(default)]
    method: String,
    #[serde(deserialize_with = "flag")]
    ok: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    data: Value,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    fsread::read_small(path, MAX_FILE_BYTES, Follow::No)
        .map_err(|e| SnapshotError::at(path, e.to_string()))
}

/// Where a JSON error is, in words.
fn json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!(
            "truncated JSON (ends at line {} column {})",
            e.line(),
            e.column()
        )
    } else {
        e.to_string()
    }
}

impl Snapshot {
    /// Reads and validates the snapshot in `dir`. Any file that is missing, unreadable,
    /// malformed or whose SHA-256 differs from the manifest is an error naming that file.
    pub fn load(dir: &Path) -> Result<Snapshot, SnapshotError> {
        if !dir.is_dir() {
            return Err(SnapshotError::at(dir, "not a directory"));
        }
        let manifest_path = dir.join(MANIFEST);
        if !manifest_path.exists() {
            return Err(SnapshotError::at(
                &manifest_path,
                format!("missing: not a {SCHEMA} snapshot"),
            ));
        }
        let manifest_bytes = read_bytes(&manifest_path)?;
        let text =
            de::decode_text(&manifest_bytes).map_err(|e| SnapshotError::at(&manifest_path, e))?;
        let raw: Value = serde_json::from_str(&text)
            .map_err(|e| SnapshotError::at(&manifest_path, json_error(&e)))?;
        let schema = raw.get("schema").and_then(Value::as_str).unwrap_or("");
        if schema != SCHEMA {
            return Err(SnapshotError::at(
                &manifest_path,
                format!("schema is \"{schema}\", expected \"{SCHEMA}\""),
            ));
        }
        let manifest: Manifest = serde_json::from_value(raw)
            .map_err(|e| SnapshotError::at(&manifest_path, format!("bad manifest: {e}")))?;
        if manifest.files.len() > MAX_FILES {
            return Err(SnapshotError::at(
                &manifest_path,
                format!(
                    "lists {} files; a snapshot has at most {MAX_FILES}",
                    manifest.files.len()
                ),
            ));
        }
        for name in manifest.files.keys() {
            if name.is_empty()
                || name.chars().any(char::is_control)
                || name.contains(['/', '\\'])
                || name == "."
                || name == ".."
                || name == MANIFEST
            {
                return Err(SnapshotError::at(
                    &manifest_path,
                    format!("file name \"{name}\" is not a plain file name in the snapshot"),
                ));
            }
        }
        let info = SnapshotInfo {
            dir: dir.display().to_string(),
            schema: manifest.schema.clone(),
            hostname: manifest.hostname.clone(),
            manifest_sha256: sha256_hex(&manifest_bytes),
            collector: manifest.collector.name.clone(),
            collector_version: manifest.collector.version.clone(),
            elevated: manifest.elevated,
            system_locale: manifest.system_locale.clone(),
            ui_locale: manifest.ui_locale.clone(),
            started_utc: manifest.started_utc.clone(),
            finished_utc: manifest.finished_utc.clone(),
            files: manifest.files.clone(),
        };
        // Every listed file must be there and match, used or not: a snapshot is one piece.
        let mut texts: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (name, want) in &manifest.files {
            let path = dir.join(name);
            let bytes = read_bytes(&path)?;
            let have = sha256_hex(&bytes);
            if !have.eq_ignore_ascii_case(want.trim()) {
                return Err(SnapshotError::at(
                    &path,
                    format!(
                        "SHA-256 is {have}, the manifest says {want}: the file was changed after collection"
                    ),
                ));
            }
            let text = de::decode_text(&bytes).map_err(|e| SnapshotError::at(&path, e))?;
            texts.insert(name.clone(), (text, have));
        }
        let mut sources = Sources::default();
        let ctx = LoadCtx {
            dir,
            elevated: manifest.elevated,
            texts: &texts,
        };
        sources.os = ctx.source(SourceId::Os)?;
        sources.services = ctx.source(SourceId::Services)?;
        sources.listeners = ctx.source(SourceId::Listeners)?;
        sources.users = ctx.list(SourceId::Users)?;
        sources.groups = ctx.list(SourceId::Groups)?;
        // The JSON source, or the tool's own raw output beside it (`secedit /export`,
        // `auditpol /backup`), which a collector may keep byte for byte instead.
        sources.account_policy = match ctx.raw_text(SECPOL_INF) {
            Some(raw) if !texts.contains_key(SourceId::AccountPolicy.file_name()) => ctx
                .parse_raw(
                    raw,
                    "exec:secedit /export /areas SECURITYPOLICY",
                    parse_secpol,
                )?,
            _ => ctx.source(SourceId::AccountPolicy)?,
        };
        sources.audit_policy = match ctx.raw_text(AUDITPOL_CSV) {
            Some(raw) if !texts.contains_key(SourceId::AuditPolicy.file_name()) => {
                ctx.parse_raw(raw, "exec:auditpol /backup", parse_auditpol_csv)?
            }
            _ => ctx.list(SourceId::AuditPolicy)?,
        };
        sources.firewall = ctx.source(SourceId::Firewall)?;
        sources.patches = ctx.source(SourceId::Patches)?;
        sources.registry = ctx.list(SourceId::Registry)?;
        sources.defender = ctx.source(SourceId::Defender)?;
        sources.av_products = ctx.list(SourceId::AvProducts)?;
        sources.bitlocker = ctx.list(SourceId::Bitlocker)?;
        sources.programs = ctx.list(SourceId::Programs)?;
        sources.eventlog = ctx.list(SourceId::Eventlog)?;
        sources.sshd_config = ctx.raw(SourceId::SshdConfig);
        Ok(Snapshot { info, sources })
    }

    /// The path of a snapshot file as evidence names it.
    pub fn path_of(&self, name: &str) -> PathBuf {
        Path::new(&self.info.dir).join(name)
    }
}

struct LoadCtx<'a> {
    dir: &'a Path,
    elevated: bool,
    texts: &'a BTreeMap<String, (String, String)>,
}

impl LoadCtx<'_> {
    fn envelope(&self, id: SourceId) -> Result<Result<(FileRef, Value), Seen<()>>, SnapshotError> {
        let name = id.file_name();
        let path = self.dir.join(name);
        let Some((text, sha)) = self.texts.get(name) else {
            return Ok(Err(Seen::Unseen {
                file: None,
                reason: self.absent_reason(name),
            }));
        };
        let env: Envelope =
            serde_json::from_str(text).map_err(|e| SnapshotError::at(&path, json_error(&e)))?;
        let wanted = name.trim_end_matches(".json");
        if !env.source.is_empty() && env.source != wanted {
            return Err(SnapshotError::at(
                &path,
                format!("holds source \"{}\", expected \"{wanted}\"", env.source),
            ));
        }
        let file = FileRef {
            name: name.to_string(),
            sha256: sha.clone(),
            method: env.method.clone(),
        };
        if id.needs_elevation() && !self.elevated {
            return Ok(Err(Seen::Unseen {
                file: Some(file),
                reason: "not elevated".into(),
            }));
        }
        if !env.ok {
            let reason = env
                .reason
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| "the collector gave no reason".into());
            return Ok(Err(Seen::Unseen {
                file: Some(file),
                reason,
            }));
        }
        Ok(Ok((file, env.data)))
    }

    fn source<T: serde::de::DeserializeOwned>(
        &self,
        id: SourceId,
    ) -> Result<Seen<T>, SnapshotError> {
        match self.envelope(id)? {
            Err(unseen) => Ok(retype(unseen)),
            Ok((file, data)) => {
                let data = serde_json::from_value(data).map_err(|e| {
                    SnapshotError::at(&self.dir.join(id.file_name()), format!("bad data: {e}"))
                })?;
                Ok(Seen::Ok { file, data })
            }
        }
    }

    fn list<T: serde::de::DeserializeOwned>(
        &self,
        id: SourceId,
    ) -> Result<Seen<Vec<T>>, SnapshotError> {
        match self.envelope(id)? {
            Err(unseen) => Ok(retype(unseen)),
            Ok((file, data)) => {
                let data = de::many_value(data).map_err(|e| {
                    SnapshotError::at(&self.dir.join(id.file_name()), format!("bad data: {e}"))
                })?;
                Ok(Seen::Ok { file, data })
            }
        }
    }

    fn raw_text(&self, name: &'static str) -> Option<(&'static str, &str, &str)> {
        self.texts
            .get(name)
            .map(|(text, sha)| (name, text.as_str(), sha.as_str()))
    }

    /// A source given as the tool's raw output: admin-only sources stay untrusted without
    /// elevation; a parse error names the file.
    fn parse_raw<T>(
        &self,
        (name, text, sha): (&'static str, &str, &str),
        method: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Seen<T>, SnapshotError> {
        let file = FileRef {
            name: name.to_string(),
            sha256: sha.to_string(),
            method: method.to_string(),
        };
        if !self.elevated {
            return Ok(Seen::Unseen {
                file: Some(file),
                reason: "not elevated".into(),
            });
        }
        let data = parse(text).map_err(|e| SnapshotError::at(&self.dir.join(name), e))?;
        Ok(Seen::Ok { file, data })
    }

    /// A raw text file: present = seen; absent = the program is not installed.
    fn raw(&self, id: SourceId) -> Seen<String> {
        let name = id.file_name();
        match self.texts.get(name) {
            Some((text, sha)) => Seen::Ok {
                file: FileRef {
                    name: name.to_string(),
                    sha256: sha.clone(),
                    method: "file:%ProgramData%\\ssh\\sshd_config".into(),
                },
                data: text.clone(),
            },
            None => Seen::Unseen {
                file: None,
                reason: self.absent_reason(name),
            },
        }
    }

    /// Why a source is missing: not collected, or present but unverifiable.
    fn absent_reason(&self, name: &str) -> String {
        if std::fs::symlink_metadata(self.dir.join(name)).is_ok() {
            format!("{name} is not listed in {MANIFEST}, so it is not trusted")
        } else {
            format!("{name} is not in the snapshot")
        }
    }
}

/// `secedit /export` output (UTF-16LE INI), kept raw instead of `account_policy.json`.
pub const SECPOL_INF: &str = "secpol.inf";
/// `auditpol /backup` output (CSV), kept raw instead of `audit_policy.json`.
pub const AUDITPOL_CSV: &str = "auditpol.csv";

/// The `[System Access]` section of a `secedit /export` file. Keys are secedit's own names
/// (never translated); values are integers.
pub fn parse_secpol(text: &str) -> Result<AccountPolicy, String> {
    let mut section = String::new();
    let mut map = serde_json::Map::new();
    let mut saw_section = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            saw_section |= section.eq_ignore_ascii_case("System Access");
            continue;
        }
        if !section.eq_ignore_ascii_case("System Access") {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY = VALUE", i + 1));
        };
        let value = value.trim();
        // Quoted values (NewAdministratorName) are names, not policy numbers.
        if let Ok(n) = value.parse::<i64>() {
            map.insert(key.trim().to_string(), n.into());
        }
    }
    if !saw_section {
        return Err("no [System Access] section".into());
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
}

/// `auditpol /backup` CSV (MS-GPAC): the `Subcategory GUID` and `Setting Value` columns;
/// the translated names and inclusion strings are kept for display only.
pub fn parse_auditpol_csv(text: &str) -> Result<Vec<AuditSetting>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv(
        lines
            .next()
            .ok_or("empty file")?
            .trim_start_matches('\u{feff}'),
    );
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("no \"{name}\" column"))
    };
    let (guid, value, sub) = (
        col("Subcategory GUID")?,
        col("Setting Value")?,
        col("Subcategory")?,
    );
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells = split_csv(line);
        let cell = |n: usize| {
            cells
                .get(n)
                .map(|c| c.trim().to_string())
                .unwrap_or_default()
        };
        if cell(guid).is_empty() {
            // Rows for global settings (option and SACL lines) carry no subcategory.
            continue;
        }
        let v = cell(value);
        let setting_value =
            if v.is_empty() {
                None
            } else {
                Some(v.parse::<i64>().map_err(|_| {
                    format!("line {}: Setting Value \"{v}\" is not a number", i + 2)
                })?)
            };
        out.push(AuditSetting {
            subcategory: cell(sub),
            subcategory_guid: cell(guid),
            setting_value,
        });
    }
    Ok(out)
}

/// One CSV line: commas separate, double quotes group, `""` is a quote.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn retype<T>(s: Seen<()>) -> Seen<T> {
    match s {
        Seen::Unseen { file, reason } => Seen::Unseen { file, reason },
        Seen::Ok { file, .. } => Seen::Unseen {
            file: Some(file),
            reason: "internal: no data".into(),
        },
    }
}

/// Everything a Windows snapshot told us (kept in the scan JSON under `facts.windows`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowsFacts {
    pub snapshot: SnapshotInfo,
    pub sources: Sources,
}

impl From<Snapshot> for WindowsFacts {
    fn from(s: Snapshot) -> Self {
        WindowsFacts {
            snapshot: s.info,
            sources: s.sources,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secpol_system_access() {
        let text = "[Unicode]\nUnicode=yes\n[System Access]\nMinimumPasswordAge = 0\nMaximumPasswordAge = 42\nLockoutBadCount = 0\nNewAdministratorName = \"Verwalter\"\n[Privilege Rights]\nSeRemoteInteractiveLogonRight = *S-1-5-32-544\n";
        let p = parse_secpol(text).unwrap();
        assert_eq!(p.maximum_password_age, Some(42));
        assert_eq!(p.lockout_bad_count, Some(0));
        assert_eq!(p.lockout_duration, None);
        assert!(parse_secpol("[Unicode]\nUnicode=yes\n").is_err());
        assert!(parse_secpol("[System Access]\ngarbage\n").is_err());
    }

    #[test]
    fn auditpol_backup_csv() {
        let text = "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\n\
CS-ICU-01,System,Anmelden,{0CCE9215-69AE-11D9-BED3-505054503030},Erfolg und Fehler,,3\n\
CS-ICU-01,System,\"Name, with comma\",{0CCE9216-69AE-11D9-BED3-505054503030},Keine Überwachung,,0\n\
,,Option:CrashOnAuditFail,,Disabled,,0\n";
        let rows = parse_auditpol_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].setting_value, Some(3));
        assert_eq!(rows[1].subcategory, "Name, with comma");
        assert!(parse_auditpol_csv("a,b\n1,2\n").is_err());
        assert!(
            parse_auditpol_csv("Subcategory,Subcategory GUID,Setting Value\nx,{G},three\n")
                .is_err()
        );
    }
}
