//! Controls loaded from TOML checklists, validated on load with positioned errors.

use crate::checks::{self, Area, Severity};
use crate::diagnostic::SourceError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The catalogue shipped inside the binary, so the tool works with nothing installed beside it.
pub const BUILTIN_SMDDS: &str = include_str!("../checklists/smdds-ics.toml");
pub const BUILTIN_SMDDS_NAME: &str = "checklists/smdds-ics.toml";

/// How a control is assessed, as recorded in attestations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Method {
    Test,
    Examine,
    Interview,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Test => "TEST",
            Method::Examine => "EXAMINE",
            Method::Interview => "INTERVIEW",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub area: Area,
    pub severity: Severity,
    pub method: Method,
    pub objective: String,
    pub rationale: String,
    pub checks: Vec<String>,
    pub steps: Vec<String>,
    pub evidence: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub version: String,
    pub source: String,
    pub controls: Vec<Control>,
    /// SHA-256 of the file bytes, so a record names exactly the text that was walked.
    pub digest: String,
    /// Where it was loaded from (a path, or the built-in name).
    pub origin: PathBuf,
}

impl Checklist {
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The built-in SMDDS catalogue.
    pub fn builtin() -> Result<Checklist, SourceError> {
        parse(Path::new(BUILTIN_SMDDS_NAME), BUILTIN_SMDDS)
    }

    pub fn load(path: &Path) -> Result<Checklist, SourceError> {
        let text = crate::input::read_text_file(path)?;
        parse(path, &text)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    checklist: RawMeta,
    #[serde(default)]
    control: Vec<Spanned<RawControl>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: Spanned<String>,
    title: Spanned<String>,
    version: Spanned<String>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: Spanned<String>,
    area: Spanned<String>,
    severity: Spanned<String>,
    #[serde(default)]
    method: Option<Spanned<String>>,
    objective: Spanned<String>,
    rationale: Spanned<String>,
    #[serde(default)]
    checks: Vec<Spanned<String>>,
    steps: Spanned<Vec<Spanned<String>>>,
    evidence: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    references: Vec<Spanned<String>>,
}

/// Parses and validates a checklist. Pure: `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Checklist, SourceError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| SourceError::from_toml(path, text, &e))?;
    let err =
        |span: std::ops::Range<usize>, msg: String| SourceError::at(path, text, Some(span), msg);

    let meta = &raw.checklist;
    for (name, field) in [
        ("id", &meta.id),
        ("title", &meta.title),
        ("version", &meta.version),
        ("source", &meta.source),
    ] {
        if field.get_ref().trim().is_empty() {
            return Err(err(field.span(), format!("checklist {name} is empty")));
        }
    }
    if raw.control.is_empty() {
        let end = Some(text.len()..text.len());
        return Err(SourceError::at(
            path,
            text,
            end,
            "checklist has no [[control]] entries",
        ));
    }

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut controls = Vec::with_capacity(raw.control.len());
    for spanned in raw.control {
        let c = spanned.into_inner();
        let id = c.id.get_ref().trim().to_string();
        if id.is_empty() {
            return Err(err(c.id.span(), "control id is empty".into()));
        }
        if let Some(first_line) = seen.get(&id) {
            return Err(err(
                c.id.span(),
                format!("duplicate control id \"{id}\" (first defined on line {first_line})"),
            ));
        }
        seen.insert(
            id.clone(),
            crate::diagnostic::line_col(text, c.id.span().start).0,
        );

        for (name, field) in [
            ("title", &c.title),
            ("objective", &c.objective),
            ("rationale", &c.rationale),
        ] {
            if field.get_ref().trim().is_empty() {
                return Err(err(field.span(), format!("empty {name} in control {id}")));
            }
        }
        for (name, list) in [("steps", &c.steps), ("evidence", &c.evidence)] {
            if list.get_ref().is_empty() {
                return Err(err(list.span(), format!("empty {name} in control {id}")));
            }
            if let Some(blank) = list
                .get_ref()
                .iter()
                .find(|s| s.get_ref().trim().is_empty())
            {
                return Err(err(
                    blank.span(),
                    format!("blank entry in {name} of control {id}"),
                ));
            }
        }

        let area = Area::parse(c.area.get_ref()).ok_or_else(|| {
            err(
                c.area.span(),
                format!(
                    "unknown area \"{}\" in control {id} (expected one of: {})",
                    c.area.get_ref(),
                    Area::ALL.map(Area::as_str).join(", ")
                ),
            )
        })?;
        let severity = parse_severity(c.severity.get_ref()).ok_or_else(|| {
            err(
                c.severity.span(),
                format!(
                    "unknown severity \"{}\" in control {id} (expected low, medium, high or critical)",
                    c.severity.get_ref()
                ),
            )
        })?;
        let method = match &c.method {
            None => Method::Examine,
            Some(m) => parse_method(m.get_ref()).ok_or_else(|| {
                err(
                    m.span(),
                    format!("unknown method \"{}\" in control {id} (expected TEST, EXAMINE or INTERVIEW)", m.get_ref()),
                )
            })?,
        };
        let mut check_ids = Vec::with_capacity(c.checks.len());
        for check in &c.checks {
            if checks::find(check.get_ref()).is_none() {
                return Err(err(
                    check.span(),
                    format!("unknown check id \"{}\" in control {id}", check.get_ref()),
                ));
            }
            check_ids.push(check.get_ref().clone());
        }

        controls.push(Control {
            id,
            title: c.title.into_inner().trim().to_string(),
            area,
            severity,
            method,
            objective: c.objective.into_inner().trim().to_string(),
            rationale: c.rationale.into_inner().trim().to_string(),
            checks: check_ids,
            steps: strings(c.steps.into_inner()),
            evidence: strings(c.evidence.into_inner()),
            references: strings(c.references),
        });
    }

    Ok(Checklist {
        id: raw.checklist.id.into_inner().trim().to_string(),
        title: raw.checklist.title.into_inner().trim().to_string(),
        version: raw.checklist.version.into_inner().trim().to_string(),
        source: raw.checklist.source.into_inner().trim().to_string(),
        controls,
        digest: hex_sha256(text.as_bytes()),
        origin: path.to_path_buf(),
    })
}

fn strings(list: Vec<Spanned<String>>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.into_inner().trim().to_string())
        .collect()
}

pub fn parse_severity(s: &str) -> Option<Severity> {
    match s {
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

fn parse_method(s: &str) -> Option<Method> {
    match s {
        "TEST" => Some(Method::Test),
        "EXAMINE" => Some(Method::Examine),
        "INTERVIEW" => Some(Method::Interview),
        _ => None,
    }
}

/// Lower-case hex SHA-256 (see [`crate::digest`]).
pub use crate::digest::sha256_hex as hex_sha256;

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[checklist]
id = "t"
title = "T"
version = "1"
source = "test"

[[control]]
id = "X-1"
title = "Firewall"
area = "firewall"
severity = "high"
objective = "o"
rationale = "r"
checks = ["firewall.active"]
steps = ["look"]
evidence = ["paste"]
"#;

    #[test]
    fn minimal_checklist_parses_with_defaults() {
        let c = parse(Path::new("t.toml"), MINIMAL).map_err(|e| e.to_string());
        let c = c
            .as_ref()
            .map(|c| (c.controls.len(), c.controls[0].method, c.digest.len()));
        assert_eq!(c, Ok((1, Method::Examine, 64)));
    }

    #[test]
    fn unknown_check_is_positioned() {
        let text = MINIMAL.replace("\"firewall.active\"", "\"firewall.bogus\"");
        let e = parse(Path::new("x.toml"), &text)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("x.toml:15:11: unknown check id \"firewall.bogus\" in control X-1")
        );
    }

    #[test]
    fn builtin_catalogue_is_valid() {
        let c = Checklist::builtin().map_err(|e| e.to_string());
        assert_eq!(c.as_ref().map(|c| c.controls.len()), Ok(15));
    }
}

pub mod render;
