//! stationward: inspect a patient-monitoring central station or interface host, walk the
//! technician through the SMDDS interface-and-central-station controls, sign the result.

pub mod checklist;
pub mod checks;
pub mod date;
pub mod diagnostic;
pub mod input;
pub mod policy;
pub mod config;
pub mod dirs;
pub mod text;
pub mod host;
pub mod inspect;
pub mod scan;
