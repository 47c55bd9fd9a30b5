//! Services facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

/// One service as the init system knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUnit {
    /// `ssh.service` for systemd; the script or service name for sysv/inetd/xinetd.
    pub name: String,
    /// enabled | disabled | masked | static | indirect | alias | generated | unknown
    pub enabled: String,
    /// active | inactive | failed | unknown (unknown when systemd is not running or offline)
    pub active: String,
    /// systemd | sysv | inetd | xinetd
    pub source: String,
}

impl ServiceUnit {
    pub fn is_enabled(&self) -> bool {
        self.enabled == "enabled"
    }

    pub fn is_active(&self) -> bool {
        self.active == "active"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicesFacts {
    pub units: Vec<ServiceUnit>,
    /// Whether systemd is PID 1 on the inspected system (live state then comes from systemctl).
    pub systemd_running: bool,
    pub unknown: Unseen,
}

impl ServicesFacts {
    /// The unit named `name`, with or without the `.service` suffix.
    pub fn unit(&self, name: &str) -> Option<&ServiceUnit> {
        let bare = name.strip_suffix(".service").unwrap_or(name);
        self.units
            .iter()
            .find(|u| u.name == name || u.name.strip_suffix(".service").unwrap_or(&u.name) == bare)
    }
}

pub fn collect(_host: &dyn Host) -> ServicesFacts {
    let mut unknown = Unseen::new();
    unknown.insert("services".into(), "not inspected by this build".into());
    ServicesFacts {
        unknown,
        ..ServicesFacts::default()
    }
}
