//! Services facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicesFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> ServicesFacts {
    let mut unknown = Unseen::new();
    unknown.insert("services".into(), "not inspected by this build".into());
    ServicesFacts { unknown }
}
