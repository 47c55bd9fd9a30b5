//! A typed, tolerant view of scan JSON (`stationward.scan/v1`) for comparing scans written by
//! this or another version of the tool. Only the contract fields `diff` compares are read;
//! every field tolerates what an older or newer writer may have put there (a missing field,
//! a number where text was expected, a list that is not one), so a comparison degrades to a
//! note, never to an error.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Text as the writer put it: a string, or a number or boolean spelled out; else empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => String::new(),
        }))
    }
}

/// A string only; anything else reads as empty (names and times that must be text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Str(pub String);

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Str(match Value::deserialize(d)? {
            Value::String(s) => s,
            _ => String::new(),
        }))
    }
}

/// An unsigned number, or `None` for anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count(pub Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Count(Value::deserialize(d)?.as_u64()))
    }
}

/// A boolean; anything else is false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag(Value::deserialize(d)?.as_bool().unwrap_or(false)))
    }
}

/// A unit's `enabled`: systemctl's word (`enabled`, `enabled-runtime` count) or, from older
/// writers, a boolean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enabled(pub bool);

impl<'de> Deserialize<'de> for Enabled {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Enabled(match Value::deserialize(d)? {
            Value::Bool(b) => b,
            Value::String(s) => matches!(s.as_str(), "enabled" | "enabled-runtime"),
            _ => false,
        }))
    }
}

/// A list of `T`: `None` when absent or not a list (the comparison says so); an item that is
/// not an object of the expected shape reads as `T::default()`, as the field-by-field reading
/// this replaces did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct List<T>(pub Option<Vec<T>>);

impl<'de, T: Default + serde::de::DeserializeOwned> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(List(match Value::deserialize(d)? {
            Value::Array(items) => Some(
                items
                    .into_iter()
                    .map(|v| serde_json::from_value(v).unwrap_or_default())
                    .collect(),
            ),
            _ => None,
        }))
    }
}

/// An object of `T`; anything else reads as `T::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Obj<T>(pub T);

impl<'de, T: Default + serde::de::DeserializeOwned> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Obj(match Value::deserialize(d)? {
            v @ Value::Object(_) => serde_json::from_value(v).unwrap_or_default(),
            _ => T::default(),
        }))
    }
}

/// A finding's waiver: present (an object) and not expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActiveWaiver(pub bool);

impl<'de> Deserialize<'de> for ActiveWaiver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ActiveWaiver(match Value::deserialize(d)? {
            Value::Object(w) => !w.get("expired").and_then(Value::as_bool).unwrap_or(false),
            _ => false,
        }))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScanView {
    pub host: Obj<HostView>,
    pub scanned_at: Str,
    pub facts: Obj<FactsView>,
    pub findings: List<FindingView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HostView {
    pub hostname: Str,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FactsView {
    pub network: Obj<NetworkView>,
    pub services: Obj<ServicesView>,
    pub accounts: Obj<AccountsView>,
    pub patches: Obj<PatchesView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NetworkView {
    pub listeners: List<ListenerView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListenerView {
    pub proto: Text,
    pub address: Text,
    pub port: Count,
    pub process: Text,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServicesView {
    pub units: List<UnitView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UnitView {
    pub name: Text,
    pub enabled: Enabled,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccountsView {
    pub users: List<UserView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserView {
    pub name: Text,
    pub uid: Count,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PatchesView {
    pub pending: List<PendingView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PendingView {
    pub name: Text,
    pub installed: Text,
    pub candidate: Text,
    pub security: Flag,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FindingView {
    pub check: Text,
    pub status: Text,
    pub waiver: ActiveWaiver,
}

impl ScanView {
    /// Reads the view out of a parsed scan; anything unexpected reads as absent or empty.
    pub fn of(scan: &Value) -> ScanView {
        match scan {
            Value::Object(_) => ScanView::deserialize(scan).unwrap_or_default(),
            _ => ScanView::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_tolerates_what_another_writer_put_there() {
        let v: Value = serde_json::json!({
            "host": {"hostname": 7},
            "scanned_at": "2026-01-01T00:00:00Z",
            "facts": {
                "network": {"listeners": [
                    {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
                    {"proto": 6, "port": "x"},
                    "not an object"
                ]},
                "services": {"units": [{"name": "a", "enabled": true}, {"name": "b", "enabled": "enabled-runtime"}, {"name": "c", "enabled": "static"}]},
                "accounts": {"users": "not a list"},
                "patches": 3
            },
            "findings": [{"check": "x", "status": "fail", "waiver": {"expired": true}}, {"check": "y", "status": "pass", "waiver": {}}]
        });
        let s = ScanView::of(&v);
        assert_eq!(s.host.0.hostname.0, "");
        assert_eq!(s.scanned_at.0, "2026-01-01T00:00:00Z");
        let l = s.facts.0.network.0.listeners.0.unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!((l[0].port.0, l[0].process.0.as_str()), (Some(22), "sshd"));
        assert_eq!((l[1].proto.0.as_str(), l[1].port.0), ("6", None));
        assert_eq!(l[2].proto.0, "");
        let u = s.facts.0.services.0.units.0.unwrap();
        assert_eq!(
            u.iter().map(|u| u.enabled.0).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert!(s.facts.0.accounts.0.users.0.is_none());
        assert!(s.facts.0.patches.0.pending.0.is_none());
        let f = s.findings.0.unwrap();
        assert_eq!((f[0].waiver.0, f[1].waiver.0), (false, true));
        assert!(ScanView::of(&Value::Null).findings.0.is_none());
    }
}
