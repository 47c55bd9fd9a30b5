#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! `stationward tui --snapshot DIR` in tmux: the walkthrough opens on the Windows station the
//! snapshot describes, shows its findings, and records a verdict keyed to the snapshot.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "win"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "win", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {needle:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn tui_walks_a_windows_snapshot() {
    support::require(&["tmux"], false);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/windows/planted");
    let command = format!(
        "exec env STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui --snapshot {}",
        data.display(),
        tmp.path().join("config").display(),
        env!("CARGO_BIN_EXE_stationward"),
        snapshot.display()
    );
    let tmux = Tmux {
        socket: format!("sw-win-{}", std::process::id()),
    };
    let out = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "win",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screen = tmux.wait_for("Inspection finished");
    assert!(screen.contains("CS-ICU-01"), "{screen}");
    assert!(screen.contains("Windows snapshot sha256:"), "{screen}");
    // ICS-06 shows the Windows-only account checks with their findings.
    tmux.keys(&["Tab"]);
    for _ in 0..5 {
        tmux.keys(&["Down"]);
    }
    let screen = tmux.wait_for("ICS-06");
    assert!(screen.contains("ICS-06"), "{screen}");
    // Record a verdict and quit; the walkthrough is keyed to the snapshot directory.
    tmux.keys(&["2", "q", "q"]);
    std::thread::sleep(Duration::from_millis(500));
    let dir = data.join("walkthroughs");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let w: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let text = w.to_string();
    assert!(text.contains("CS-ICU-01"), "{text}");
    assert!(text.contains("tests/fixtures/windows/planted"), "{text}");
    assert!(
        w["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["verdict"] != "NOT_ASSESSED"),
        "{text}"
    );

    // The draft summary finds the same walkthrough from the snapshot.
    let out = Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(["summary", "--draft", "--snapshot"])
        .arg(&snapshot)
        .env("STATIONWARD_DATA_DIR", &data)
        .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(summary.contains("DRAFT"), "{summary}");
    assert!(
        summary.contains("Windows 10 Enterprise LTSB 2016"),
        "{summary}"
    );
}
