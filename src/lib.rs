//! stationward: inspect a patient-monitoring central station or interface host, walk the
//! technician through the SMDDS interface-and-central-station controls, sign the result.

pub mod atomic;
pub mod attest;
pub mod catalogue;
pub mod checklist;
pub mod checks;
pub mod config;
pub mod date;
pub mod diagnostic;
pub mod digest;
pub mod dirs;
pub mod fsread;
pub mod glob;
pub mod host;
pub mod input;
pub mod inspect;
pub mod policy;
pub mod report;
pub mod scan;
pub mod session;
pub mod text;
pub mod tui;
pub mod walkthrough;
pub mod windows;
