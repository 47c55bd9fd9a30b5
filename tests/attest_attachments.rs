#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Attachments (issue 14) through the real binary: a PNG and a PDF attached by an answers
//! file are copied into `evidence/sha256/<hex>`, named in the control's statement entry and in
//! the subject list, re-hashed by `verify` (a tampered copy is named), and listed with their
//! digests in every summary format. A FIFO, a device and a file over the limit are refused
//! with one line naming the file, and nothing is copied.

mod support;

use assert_cmd::Command;
use stationward::attest::{dsse, sha256_hex};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const PASS: &str = "correct horse battery";

/// A 1x1 PNG (invented: generated for this test, not a captured photo).
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
/// The start of a PDF (invented: only the header matters to the media type).
pub const PDF: &[u8] =
    b"%PDF-1.4\n% MDS2 form, vendor rev 2024-03 (invented test content)\n%%EOF\n";

fn sw(data: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap();
    c.env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("no-config"))
        .env("STATIONWARD_PASSPHRASE", PASS)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn debian12() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/debian12")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A data directory with alice's key.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    sw(&data)
        .args([
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "16",
        ])
        .assert()
        .success();
    (tmp, data)
}

fn answers(dir: &Path, attachments: &[&str]) -> PathBuf {
    let list: Vec<String> = attachments.iter().map(|a| format!("{a:?}")).collect();
    let p = dir.join("answers.toml");
    fs::write(
        &p,
        format!(
            "[[answer]]\ncontrol = \"ICS-01\"\nverdict = \"PASSED\"\nnote = \"MDS2 and port locks checked\"\nattachments = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    p
}

fn attest(data: &Path, answers: &Path) -> std::process::Output {
    sw(data)
        .arg("attest")
        .arg("--answers")
        .arg(answers)
        .args(["--operator", "alice", "--root"])
        .arg(debian12())
        .output()
        .unwrap()
}

/// Files in the evidence store (no temporary leftovers either).
fn evidence_files(data: &Path) -> Vec<String> {
    let dir = data.join("evidence/sha256");
    let mut names: Vec<String> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn statement(data: &Path, seq: u64) -> serde_json::Value {
    let bytes = fs::read(data.join(format!("ledger/{seq:06}.dsse.json"))).unwrap();
    let opened = dsse::open(&bytes).unwrap();
    serde_json::from_slice(&opened.payload).unwrap()
}

#[test]
fn a_png_and_a_pdf_attached_by_answers_file_sign_verify_and_are_summarized() {
    let (tmp, data) = setup();
    let inbox = tmp.path().join("binder");
    fs::create_dir_all(&inbox).unwrap();
    fs::write(inbox.join("port-locks.png"), PNG).unwrap();
    fs::write(inbox.join("mds2.pdf"), PDF).unwrap();
    // A name that is markup: escaped in the HTML, never interpreted.
    fs::write(
        inbox.join("acl<script>.txt"),
        "permit tcp any host 10.0.0.7 eq 2575\n",
    )
    .unwrap();
    // Relative to the answers file's directory.
    let answers = answers(
        tmp.path(),
        &[
            "binder/port-locks.png",
            "binder/mds2.pdf",
            "binder/acl<script>.txt",
        ],
    );
    let o = attest(&data, &answers);
    assert!(o.status.success(), "{}", all(&o));
    let out = stdout(&o);
    let (png_hex, pdf_hex) = (sha256_hex(PNG), sha256_hex(PDF));
    assert!(
        out.contains(&format!(
            "attached  ICS-01/port-locks.png (image/png, {} bytes) sha256 {png_hex}",
            PNG.len()
        )),
        "{out}"
    );
    assert!(
        out.contains("attached  ICS-01/mds2.pdf (application/pdf"),
        "{out}"
    );

    // Copied, content-addressed, byte for byte.
    assert_eq!(
        fs::read(data.join("evidence/sha256").join(&png_hex)).unwrap(),
        PNG
    );
    assert_eq!(
        fs::read(data.join("evidence/sha256").join(&pdf_hex)).unwrap(),
        PDF
    );
    assert!(
        !evidence_files(&data).iter().any(|n| n.starts_with('.')),
        "{:?}",
        evidence_files(&data)
    );

    // The control's entry and the subject list name both.
    let st = statement(&data, 1);
    let control = st["predicate"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ICS-01")
        .unwrap()
        .clone();
    assert_eq!(
        control["attachments"].as_array().unwrap()[..2],
        serde_json::json!([
            {"name": "port-locks.png", "mediaType": "image/png", "size": PNG.len(), "sha256": png_hex},
            {"name": "mds2.pdf", "mediaType": "application/pdf", "size": PDF.len(), "sha256": pdf_hex},
        ])
        .as_array()
        .unwrap()[..]
    );
    assert_eq!(control["attachments"][2]["mediaType"], "text/plain");
    let subjects: Vec<(String, String)> = st["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["digest"]["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(subjects.contains(&("ICS-01/port-locks.png".into(), png_hex.clone())));
    assert!(subjects.contains(&("ICS-01/mds2.pdf".into(), pdf_hex.clone())));

    sw(&data).arg("verify").assert().success();

    // Every summary format lists both with their digests; the HTML embeds nothing.
    let text = stdout(&sw(&data).args(["summary", "--latest"]).output().unwrap());
    assert!(text.contains("ATTACHMENTS"), "{text}");
    assert!(
        text.contains(&format!(
            "    ICS-01: port-locks.png (image/png, {} bytes)",
            PNG.len()
        )),
        "{text}"
    );
    assert!(text.contains(&format!("SHA-256 {png_hex}")), "{text}");
    assert!(text.contains(&format!("SHA-256 {pdf_hex}")), "{text}");
    let md = stdout(
        &sw(&data)
            .args(["summary", "--latest", "--format", "markdown"])
            .output()
            .unwrap(),
    );
    assert!(
        md.contains(&format!(
            "| `ICS-01` | mds2.pdf | application/pdf | {} | `{pdf_hex}` |",
            PDF.len()
        )),
        "{md}"
    );
    let html = stdout(
        &sw(&data)
            .args(["summary", "--latest", "--format", "html"])
            .output()
            .unwrap(),
    );
    assert!(html.contains(&png_hex) && html.contains(&pdf_hex), "{html}");
    assert!(
        html.contains("<td>port-locks.png</td><td>image/png</td>"),
        "{html}"
    );
    assert!(
        !html.contains("<img") && !html.contains("data:image"),
        "{html}"
    );
    assert!(
        html.contains("<td>acl&lt;script&gt;.txt</td><td>text/plain</td>"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");

    // The auditor's check by hand: the stored file hashes to the statement's digest.
    let stored = fs::read(data.join("evidence/sha256").join(&pdf_hex)).unwrap();
    assert_eq!(sha256_hex(&stored), pdf_hex);

    // Tampering with the stored PNG: verify fails and names the attachment.
    let path = data.join("evidence/sha256").join(&png_hex);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let mut altered = PNG.to_vec();
    altered[20] ^= 1;
    fs::write(&path, altered).unwrap();
    let o = sw(&data).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "evidence \"ICS-01/port-locks.png\" (evidence/sha256/{png_hex}) was altered"
        )),
        "{out}"
    );
}

#[test]
fn a_fifo_a_device_and_a_file_over_the_limit_are_refused_and_nothing_is_copied() {
    let (tmp, data) = setup();
    let fifo = tmp.path().join("camera.fifo");
    // coreutils, as the fsread tests use.
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = tmp.path().join("scan.pdf");
    let f = fs::File::create(&big).unwrap();
    // Sparse: the size is what is checked, before a byte is read.
    f.set_len(stationward::walkthrough::MAX_ATTACHMENT_BYTES + 1)
        .unwrap();
    drop(f);
    let before = evidence_files(&data);
    for (path, needle) in [
        (
            fifo.to_str().unwrap(),
            "is a FIFO, not a regular file; only regular files are attached".to_string(),
        ),
        (
            "/dev/null",
            "is a character device, not a regular file".to_string(),
        ),
        (
            big.to_str().unwrap(),
            format!(
                "is {} bytes, larger than the {}-byte limit per attached file",
                stationward::walkthrough::MAX_ATTACHMENT_BYTES + 1,
                stationward::walkthrough::MAX_ATTACHMENT_BYTES
            ),
        ),
    ] {
        let answers = answers(tmp.path(), &[path]);
        let start = std::time::Instant::now();
        let o = attest(&data, &answers);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(o.status.code(), Some(2), "{path}: {}", all(&o));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        // One line: the answers file and position, the file, the reason.
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("answers.toml:5:"), "{err}");
        assert!(
            err.contains(&format!("{path}: cannot attach to ICS-01: {needle}")),
            "{err}"
        );
        assert_eq!(evidence_files(&data), before, "{path}");
        assert!(
            !data.join("ledger").exists(),
            "{path}: a record was written"
        );
    }
}

#[test]
fn the_same_file_twice_and_a_missing_file_are_refused_with_a_position() {
    let (tmp, data) = setup();
    fs::write(tmp.path().join("a.png"), PNG).unwrap();
    fs::write(tmp.path().join("b.png"), PNG).unwrap();
    let o = attest(&data, &answers(tmp.path(), &["a.png", "b.png"]));
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        all(&o).contains("ICS-01 already has this file attached (as \"a.png\")"),
        "{}",
        all(&o)
    );
    let o = attest(&data, &answers(tmp.path(), &["nowhere.pdf"]));
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        all(&o).contains("nowhere.pdf: cannot attach to ICS-01: no such file"),
        "{}",
        all(&o)
    );
}

/// Anyone who can write the data directory can plant a link in it: a `ledger/` or
/// `evidence/sha256/` that is a symbolic link to somewhere else is refused, and nothing is
/// written there (the tool writes only inside its data directory).
#[test]
fn a_data_subdirectory_that_is_a_link_is_refused_and_nothing_lands_outside() {
    for planted in ["ledger", "evidence", "evidence/sha256"] {
        let (tmp, data) = setup();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        let link = data.join(planted);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let png = tmp.path().join("diagram.png");
        fs::write(&png, PNG).unwrap();
        let out = attest(&data, &answers(tmp.path(), &[png.to_str().unwrap()]));
        let text = all(&out);
        assert_ne!(out.status.code(), Some(0), "{planted}: {text}");
        assert!(text.contains("symbolic link"), "{planted}: {text}");
        assert_eq!(
            fs::read_dir(&outside).unwrap().count(),
            0,
            "{planted}: something was written outside the data directory"
        );
    }
}
