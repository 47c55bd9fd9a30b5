#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Control characters from the host (hostname), the technician (notes) and the data
//! directory (file names) never reach the terminal raw through attest, verify or summary.

use std::path::Path;
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(args)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("config"))
        .env("STATIONWARD_PASSPHRASE", "correct horse battery")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_clean(what: &str, o: &Output) {
    let text = all(o);
    for raw in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "{what}: raw {raw:?} reached the terminal:\n{text}"
        );
    }
}

#[test]
fn hostnames_notes_and_file_names_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // The inspected tree: a copy of the Debian fixture whose hostname carries an OSC title
    // sequence and a bidi override.
    let root = tmp.path().join("root");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/debian12"))
        .arg(&root)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::fs::write(
        root.join("etc/hostname"),
        "cs\x1b]0;pwned\x07icu\u{202e}01\n",
    )
    .unwrap();
    let answers = tmp.path().join("answers.toml");
    std::fs::write(
        &answers,
        "[[answer]]\ncontrol = \"ICS-03\"\nverdict = \"FAILED\"\nnote = \"ticket \\u001b[2J4411\\u009b31m\"\n",
    )
    .unwrap();
    let o = run(
        &data,
        &[
            "key",
            "generate",
            "--operator",
            "tech",
            "--kdf-rounds",
            "16",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let o = run(
        &data,
        &[
            "attest",
            "--answers",
            answers.to_str().unwrap(),
            "--operator",
            "tech",
            "--root",
            root.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    assert_clean("attest", &o);
    assert!(all(&o).contains("cs\\x1b]0;pwned\\x07icu"), "{}", all(&o));

    for format in ["text", "markdown"] {
        let o = run(&data, &["summary", "--latest", "--format", format]);
        assert!(o.status.success(), "{}", all(&o));
        assert_clean(format, &o);
        assert!(all(&o).contains("2J4411"), "{format}: {}", all(&o));
    }

    // A file name with control characters in the ledger directory.
    std::fs::write(data.join("ledger").join("evil\x1b[2J\x07name"), b"x").unwrap();
    let o = run(&data, &["verify"]);
    assert_clean("verify", &o);
    assert!(all(&o).contains("evil\\x1b[2J\\x07name"), "{}", all(&o));
    // And in a path given on the command line.
    let o = run(&data, &["verify", "/nonexistent/\x1b]0;x\x07"]);
    assert_eq!(o.status.code(), Some(2));
    assert_clean("verify PATH", &o);
}
