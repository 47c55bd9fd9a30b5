//! Checks over services facts. (Being written: see the inspection issue.)

use super::{CheckContext, Finding};
use crate::inspect::Facts;
use crate::policy::Policy;

pub fn evaluate(_facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    Vec::new()
}
