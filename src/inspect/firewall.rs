//! Firewall facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FirewallFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> FirewallFacts {
    let mut unknown = Unseen::new();
    unknown.insert("firewall".into(), "not inspected by this build".into());
    FirewallFacts { unknown }
}
