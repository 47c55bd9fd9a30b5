//! Patches facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchesFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> PatchesFacts {
    let mut unknown = Unseen::new();
    unknown.insert("patches".into(), "not inspected by this build".into());
    PatchesFacts { unknown }
}
