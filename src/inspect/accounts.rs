//! Accounts facts. (Being written: see the inspection issue.)

use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsFacts {
    pub unknown: Unseen,
}

pub fn collect(_host: &dyn Host) -> AccountsFacts {
    let mut unknown = Unseen::new();
    unknown.insert("accounts".into(), "not inspected by this build".into());
    AccountsFacts { unknown }
}
