//! Supporting facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupportingFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> SupportingFacts {
    let mut unknown = Unseen::new();
    unknown.insert("supporting".into(), "not inspected by this build".into());
    SupportingFacts { unknown }
}
