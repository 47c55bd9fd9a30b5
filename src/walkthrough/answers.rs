//! The answers file of a headless sign-off (`stationward attest --answers FILE`): one
//! `[[answer]]` table per assessed control; controls not listed stay NOT_ASSESSED.

use super::{Verdict, VerdictError, Walkthrough};
use crate::checklist::Checklist;
use crate::checks::Finding;
use crate::diagnostic::SourceError;
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub control: String,
    pub verdict: Verdict,
    pub note: String,
    /// Files to attach to the control as evidence, as written (a relative path is relative
    /// to the answers file's directory, see [`Answers::resolve`]), each with its position.
    pub attachments: Vec<(String, Range<usize>)>,
    /// Where the answer's control id sits in the file, for later errors.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub answers: Vec<Answer>,
    path: std::path::PathBuf,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    answer: Vec<RawAnswer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    control: Spanned<String>,
    verdict: Spanned<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    attachments: Vec<Spanned<String>>,
}

impl Answers {
    pub fn load(path: &Path) -> Result<Answers, SourceError> {
        let text = crate::input::read_text_file(path)?;
        Answers::parse(path, &text)
    }

    /// Parses and checks the file on its own: verdict words, duplicates. Control ids are
    /// checked against a checklist by `apply`.
    pub fn parse(path: &Path, text: &str) -> Result<Answers, SourceError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| SourceError::from_toml(path, text, &e))?;
        let err = |span: Range<usize>, msg: String| SourceError::at(path, text, Some(span), msg);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut answers = Vec::with_capacity(raw.answer.len());
        for a in raw.answer {
            let control = a.control.get_ref().trim().to_string();
            if control.is_empty() {
                return Err(err(
                    a.control.span(),
                    "answer has an empty control id".into(),
                ));
            }
            let verdict = match Verdict::parse(a.verdict.get_ref().trim()) {
                Some(Verdict::NotAssessed) | None => {
                    return Err(err(
                        a.verdict.span(),
                        format!(
                            "unknown verdict \"{}\" for {control} (expected PASSED, FAILED, WARNED or NOT_APPLICABLE)",
                            a.verdict.get_ref()
                        ),
                    ));
                }
                Some(v) => v,
            };
            if let Some(line) = seen.get(&control) {
                return Err(err(
                    a.control.span(),
                    format!("{control} is answered twice (first on line {line})"),
                ));
            }
            seen.insert(
                control.clone(),
                crate::diagnostic::line_col(text, a.control.span().start).0,
            );
            answers.push(Answer {
                control,
                verdict,
                note: a.note.trim().to_string(),
                attachments: a
                    .attachments
                    .iter()
                    .map(|p| (p.get_ref().clone(), p.span()))
                    .collect(),
                span: a.control.span(),
            });
        }
        Ok(Answers {
            answers,
            path: path.to_path_buf(),
            text: text.to_string(),
        })
    }

    /// Where an attachment path of this file points: relative paths are taken from the
    /// answers file's directory, so the file and its evidence can travel together.
    pub fn resolve(&self, written: &str) -> std::path::PathBuf {
        let p = Path::new(written);
        if p.is_absolute() {
            return p.to_path_buf();
        }
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// A one-line error at `span` of this file.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> SourceError {
        SourceError::at(&self.path, &self.text, Some(span), message)
    }

    /// Records every answer in `walkthrough`, by the same rules as the TUI: an unknown control
    /// or PASSED over a failing check without a note is an error at the answer's position.
    pub fn apply(
        &self,
        walkthrough: &mut Walkthrough,
        checklist: &Checklist,
        findings: &[Finding],
    ) -> Result<(), SourceError> {
        for a in &self.answers {
            let at =
                |msg: String| SourceError::at(&self.path, &self.text, Some(a.span.clone()), msg);
            if checklist.control(&a.control).is_none() {
                return Err(at(format!(
                    "no control \"{}\" in checklist {} {}",
                    a.control, checklist.id, checklist.version
                )));
            }
            walkthrough
                .set_note(&a.control, &a.note)
                .map_err(|e| at(e.to_string()))?;
            match walkthrough.set_verdict(checklist, &a.control, a.verdict, findings) {
                Ok(()) => {}
                Err(VerdictError::NeedsJustification { checks, .. }) => {
                    return Err(at(format!(
                        "{} is PASSED but {checks} fails or is unknown: add a note saying how it was verified",
                        a.control
                    )));
                }
                Err(e) => return Err(at(e.to_string())),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::walkthrough::HostKey;

    fn setup() -> (Checklist, Walkthrough) {
        let list = Checklist::builtin().unwrap();
        let host = HostKey {
            hostname: "h".into(),
            machine_id_hmac: String::new(),
            root: None,
        };
        let w = Walkthrough::new(&list, host);
        (list, w)
    }

    const GOOD: &str = r#"
[[answer]]
control = "ICS-03"
verdict = "FAILED"
note = "IPv6 not filtered; vendor ticket 4411 opened"

[[answer]]
control = "ICS-14"
verdict = "PASSED"
"#;

    #[test]
    fn answers_are_recorded_and_the_rest_stay_not_assessed() {
        let (list, mut w) = setup();
        let a = Answers::parse(Path::new("a.toml"), GOOD).unwrap();
        a.apply(&mut w, &list, &[]).unwrap();
        assert_eq!(w.control("ICS-03").unwrap().verdict, Verdict::Failed);
        assert_eq!(
            w.control("ICS-03").unwrap().note,
            "IPv6 not filtered; vendor ticket 4411 opened"
        );
        assert_eq!(w.control("ICS-14").unwrap().verdict, Verdict::Passed);
        assert_eq!(w.assessed(), 2);
    }

    #[test]
    fn bad_verdict_duplicate_and_unknown_control_are_positioned() {
        let p = Path::new("a.toml");
        let e =
            Answers::parse(p, "[[answer]]\ncontrol = \"ICS-01\"\nverdict = \"OK\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.toml:3:11: unknown verdict \"OK\" for ICS-01 (expected PASSED, FAILED, WARNED or NOT_APPLICABLE)"
        );
        let dup = "[[answer]]\ncontrol = \"ICS-01\"\nverdict = \"PASSED\"\n[[answer]]\ncontrol = \"ICS-01\"\nverdict = \"FAILED\"\n";
        assert_eq!(
            Answers::parse(p, dup).unwrap_err().to_string(),
            "a.toml:5:11: ICS-01 is answered twice (first on line 2)"
        );
        let (list, mut w) = setup();
        let unknown = Answers::parse(
            p,
            "[[answer]]\ncontrol = \"ICS-99\"\nverdict = \"PASSED\"\n",
        )
        .unwrap();
        assert_eq!(
            unknown.apply(&mut w, &list, &[]).unwrap_err().to_string(),
            "a.toml:2:11: no control \"ICS-99\" in checklist smdds-ics 1.0.0"
        );
    }

    #[test]
    fn passed_over_a_failing_check_needs_a_note() {
        let (list, mut w) = setup();
        let findings = vec![Finding::new(
            "firewall.default_deny_inbound",
            Status::Fail,
            "accept",
        )];
        let p = Path::new("a.toml");
        let bare = Answers::parse(
            p,
            "[[answer]]\ncontrol = \"ICS-03\"\nverdict = \"PASSED\"\n",
        )
        .unwrap();
        assert_eq!(
            bare.apply(&mut w, &list, &findings)
                .unwrap_err()
                .to_string(),
            "a.toml:2:11: ICS-03 is PASSED but firewall.default_deny_inbound fails or is unknown: add a note saying how it was verified"
        );
        let noted =
            Answers::parse(p, "[[answer]]\ncontrol = \"ICS-03\"\nverdict = \"PASSED\"\nnote = \"upstream firewall\"\n").unwrap();
        noted.apply(&mut w, &list, &findings).unwrap();
        assert_eq!(w.control("ICS-03").unwrap().verdict, Verdict::Passed);
    }

    #[test]
    fn passed_over_an_unknown_check_needs_a_note_as_in_the_tui() {
        let (list, mut w) = setup();
        let findings = vec![Finding::unknown(
            "accounts.lockout",
            "needs root to read /etc/security/faillock.conf",
        )];
        let bare = Answers::parse(
            Path::new("a.toml"),
            "[[answer]]\ncontrol = \"ICS-07\"\nverdict = \"PASSED\"\n",
        )
        .unwrap();
        assert_eq!(
            bare.apply(&mut w, &list, &findings)
                .unwrap_err()
                .to_string(),
            "a.toml:2:11: ICS-07 is PASSED but accounts.lockout fails or is unknown: add a note saying how it was verified"
        );
        assert_eq!(w.ready_to_sign(&list, &findings), Ok(()));
    }
}
