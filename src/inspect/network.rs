//! Network facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> NetworkFacts {
    let mut unknown = Unseen::new();
    unknown.insert("network".into(), "not inspected by this build".into());
    NetworkFacts { unknown }
}
