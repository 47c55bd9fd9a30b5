#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! End to end: the real binary in tmux on an offline tree. Walk three controls, quit, resume;
//! then kill -9 in the middle of typing a note and check nothing before the last key is lost.
//!
//! Uses `STATIONWARD_E2E_BIN` when set (CI points it at the release build), else the test build.

mod support;

use std::path::{Path, PathBuf};
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

    fn start(&self, command: &str) {
        self.start_at(command, 100, 30);
    }

    fn start_at(&self, command: &str, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.cmd(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w,
            "-y",
            &h,
            command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "e2e", k]);
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    fn literal(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(200));
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

    /// Waits until the session has ended (the program quit), so the next one can start.
    fn wait_gone(&self) {
        let start = Instant::now();
        while self.cmd(&["has-session", "-t", "e2e"]).status.success() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "still running:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pane_pid(&self) -> u32 {
        let out = self.cmd(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn binary() -> PathBuf {
    std::env::var_os("STATIONWARD_E2E_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_stationward")),
        PathBuf::from,
    )
}

fn make_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/hostname"), "icu-cs-07\n").unwrap();
    std::fs::write(
        dir.join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("etc/machine-id"),
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0\n",
    )
    .unwrap();
}

fn walkthrough_json(data: &Path) -> serde_json::Value {
    let dir = data.join("walkthroughs");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn verdicts(w: &serde_json::Value) -> Vec<(String, String)> {
    w["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] != "NOT_ASSESSED")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn walk_quit_resume_and_survive_kill_9() {
    support::require(&["tmux"], false);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let data = tmp.path().join("data");
    make_tree(&root);
    // `exec`, so the pane's process is stationward itself (kill -9 must hit it, not a shell).
    let command = format!(
        "exec env STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui --root {}",
        data.display(),
        tmp.path().join("config").display(),
        binary().display(),
        root.display()
    );
    let tmux = Tmux {
        socket: format!("sw-e2e-{}", std::process::id()),
    };

    // First session: three controls, a note, quit from the top.
    tmux.start(&command);
    tmux.wait_for("Inspection finished");
    tmux.keys(&["Enter", "2", "n", "3", "n", "e"]);
    tmux.literal("IPv6 open; vendor ticket 4411");
    // q on the Overview asks before quitting an unsigned walkthrough: y.
    tmux.keys(&["Escape", "4", "q", "q", "y"]);
    tmux.wait_gone();
    let w = walkthrough_json(&data);
    assert_eq!(
        verdicts(&w),
        [
            ("ICS-01".into(), "FAILED".into()),
            ("ICS-02".into(), "WARNED".into()),
            ("ICS-03".into(), "NOT_APPLICABLE".into())
        ]
    );
    assert_eq!(w["controls"][2]["note"], "IPv6 open; vendor ticket 4411");

    // Second session resumes and shows what was recorded.
    tmux.start(&command);
    tmux.wait_for("Inspection finished");
    let screen = tmux.wait_for("Resumed the walkthrough");
    assert!(screen.contains("3 of 15 controls assessed"), "{screen}");
    tmux.keys(&["Tab"]);
    let screen = tmux.wait_for("Controls 3/15");
    assert!(
        screen.contains("✘ ICS-01") && screen.contains("! ICS-02") && screen.contains("– ICS-03"),
        "{screen}"
    );

    // The list opens on the first open control, ICS-04. kill -9 while typing its note:
    // every key before the kill is on disk. (FAILED: its checks are unknown on this tree, so
    // PASSED would wait for a justification before it is recorded.)
    tmux.keys(&["2", "e"]);
    tmux.literal("partial note");
    let pid = tmux.pane_pid();
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let w = walkthrough_json(&data);
    let ics04 = &w["controls"][3];
    assert_eq!(ics04["note"], "partial note", "{ics04}");
    assert_eq!(ics04["verdict"], "FAILED", "{ics04}");

    tmux.start(&command);
    let screen = tmux.wait_for("Resumed the walkthrough");
    assert!(screen.contains("4 of 15 controls assessed"), "{screen}");

    // The terminal disappears under it (tmux gone, as with a dropped SSH session): the
    // process must notice, save and exit, not linger or spin.
    tmux.keys(&["Tab", "4"]);
    let pid = tmux.pane_pid();
    let _ = tmux.cmd(&["kill-server"]);
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "stationward {pid} still running after its terminal closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let w = walkthrough_json(&data);
    assert_eq!(
        w["controls"][4]["verdict"], "NOT_APPLICABLE",
        "the last key before the hang-up is saved"
    );
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
}

/// Pastes as a terminal does with bracketed paste on (`paste-buffer -p`).
fn paste(tmux: &Tmux, text: &str) {
    tmux.cmd(&["set-buffer", "--", text]);
    tmux.cmd(&["paste-buffer", "-p", "-t", "e2e"]);
    std::thread::sleep(Duration::from_millis(300));
}

/// Verdicts and notes as saved.
fn recorded(data: &Path) -> Vec<(String, String, String)> {
    walkthrough_json(data)["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
                c["note"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn pasted_text_and_keys_under_help_change_nothing_at_80x24() {
    support::require(&["tmux"], false);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let data = tmp.path().join("data");
    make_tree(&root);
    let command = format!(
        "exec env STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui --root {}",
        data.display(),
        tmp.path().join("config").display(),
        binary().display(),
        root.display()
    );
    let tmux = Tmux {
        socket: format!("sw-e2e-paste-{}", std::process::id()),
    };
    tmux.start_at(&command, 80, 24);
    tmux.wait_for("Inspection finished");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Controls 0/15");
    // A walkthrough has been written at start; nothing is assessed.
    let before = recorded(&data);
    assert!(
        before
            .iter()
            .all(|(_, v, n)| v == "NOT_ASSESSED" && n.is_empty())
    );

    // Pasted on the Controls screen: digits, `n`, `e` must not act as keys.
    paste(&tmux, "see ticket 4n2 e");
    let screen = tmux.wait_for("Paste ignored");
    assert!(!screen.contains("Note —"), "no editor opened:\n{screen}");
    assert!(screen.contains("Controls 0/15"), "{screen}");

    // With help open, verdict keys, the note key and Tab do nothing underneath.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys —");
    tmux.keys(&["2", "e", "1", "4", "n", "Tab", "PageDown", "j"]);
    let screen = tmux.screen();
    assert!(screen.contains("Keys —"), "help is still open:\n{screen}");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("Controls 0/15");
    assert!(
        !screen.contains("Keys —") && !screen.contains("Note —"),
        "{screen}"
    );
    assert_eq!(recorded(&data), before, "nothing changed");

    // Esc never quits; the process is still there.
    tmux.keys(&["Escape", "Escape"]);
    tmux.wait_for("Controls 0/15");

    // Into the note editor a paste is text, kept whole, however long: 8 KiB of log lines
    // arrive as one paste (once, the input stalled past 1 KiB) and are saved with the note.
    tmux.keys(&["e"]);
    tmux.wait_for("Note —");
    paste(&tmux, "see ticket 4n2 e");
    let log: String = (0..160)
        .map(|i| format!("\n{i:03} vitals-gw: HL7 ACK timeout on port 2575, retry 3/3 ..."))
        .collect();
    assert!(log.len() >= 8 * 1024, "{}", log.len());
    let start = Instant::now();
    paste(&tmux, &log);
    tmux.keys(&["Escape"]);
    let want = format!("see ticket 4n2 e{log}");
    while recorded(&data)[0].2 != want {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the long paste did not arrive whole:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = recorded(&data);
    assert_eq!(after[0].1, "NOT_ASSESSED");
    assert!(after[1..].iter().eq(before[1..].iter()));

    // q goes back, then asks; y quits.
    tmux.keys(&["q", "q"]);
    tmux.wait_for("Quit?");
    let pid = tmux.pane_pid();
    tmux.keys(&["y"]);
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still running after y"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn key_made_on_sign_off_signs_after_the_review_and_the_screens_turn_read_only() {
    support::require(&["tmux"], false);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let data = tmp.path().join("data");
    make_tree(&root);
    let command = format!(
        "exec env STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui --root {}",
        data.display(),
        tmp.path().join("config").display(),
        binary().display(),
        root.display()
    );
    let tmux = Tmux {
        socket: format!("sw-e2e-sign-{}", std::process::id()),
    };
    tmux.start_at(&command, 120, 40);
    tmux.wait_for("Inspection finished");
    tmux.keys(&["s", "Enter"]);
    tmux.wait_for("press k to make one");
    assert!(
        !tmux.screen().contains("Passphrase:"),
        "no key: no passphrase"
    );

    tmux.keys(&["k"]);
    tmux.literal("tech.one");
    tmux.keys(&["Enter"]);
    tmux.literal("correct horse");
    tmux.keys(&["Enter"]);
    tmux.literal("correct horse");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Key made for tech.one");
    assert!(data.join("keys/tech.one").is_file());

    // Enter shows the review first; y goes on to the operator, then the passphrase.
    tmux.keys(&["Enter"]);
    let review = tmux.wait_for("Review before signing");
    assert!(review.contains("15 of 15 controls are open"), "{review}");
    assert!(review.contains("checks are unknown"), "{review}");
    tmux.keys(&["y", "Enter"]);
    tmux.wait_for("Passphrase:");
    tmux.literal("correct horse");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Signed and added to the ledger");
    for want in [
        "000001.dsse.json",
        "Ledger head: 1",
        "Key fingerprint: SHA256:",
        "SIGNED",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    assert!(!screen.contains("Enter sign"), "{screen}");
    tmux.keys(&["Tab", "Tab"]);
    let screen = tmux.wait_for("Signed: read-only");
    assert!(!screen.contains("1 pass"), "{screen}");

    // The ledger verifies with the real binary.
    let out = Command::new(binary())
        .env("STATIONWARD_DATA_DIR", &data)
        .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
        .arg("verify")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fake firewall programs first on PATH: `iptables-save` and `ip6tables-save` start a child
/// that sleeps and record its PID; `nft` fails at once (so the iptables pair is what the
/// inspection runs).
fn hanging_firewall_tools(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let pids = dir.join("pids");
    for (name, script) in [
        (
            "iptables-save",
            format!(
                "#!/bin/sh\nsleep 60 &\necho $! >> {}\nwait\n",
                pids.display()
            ),
        ),
        (
            "ip6tables-save",
            format!(
                "#!/bin/sh\nsleep 60 &\necho $! >> {}\nwait\n",
                pids.display()
            ),
        ),
        (
            "nft",
            "#!/bin/sh\necho 'nft: broken' >&2\nexit 1\n".to_string(),
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, script).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// PIDs from `file` whose process still runs (not a zombie).
fn still_running(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|pid| {
            pid.parse::<u32>()
                .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists() && !is_zombie(p))
        })
        .map(String::from)
        .collect()
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn quitting_during_the_inspection_kills_its_commands() {
    support::require(&["tmux"], false);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bin = tmp.path().join("bin");
    let path = hanging_firewall_tools(&bin);
    // The live host: only there does the inspection run commands.
    let command = format!(
        "exec env PATH={path} STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui",
        data.display(),
        tmp.path().join("config").display(),
        binary().display(),
    );
    let tmux = Tmux {
        socket: format!("sw-e2e-quit-{}", std::process::id()),
    };
    tmux.start_at(&command, 100, 30);
    let pids = bin.join("pids");
    let start = Instant::now();
    while still_running(&pids).len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the firewall commands never started:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = tmux.screen();
    assert!(
        !screen.contains("Inspection finished"),
        "still inspecting:\n{screen}"
    );
    let pid = tmux.pane_pid();
    tmux.keys(&["C-c"]);
    let quit = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        assert!(
            quit.elapsed() < Duration::from_secs(5),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nothing the inspection started outlives the walkthrough.
    std::thread::sleep(Duration::from_millis(300));
    let left = still_running(&pids);
    assert!(left.is_empty(), "left running after quitting: {left:?}");
}

#[test]
#[ignore = "needs tmux (run by CI with --include-ignored)"]
fn attach_a_png_and_a_pdf_sign_then_a_second_operator_countersigns() {
    support::require(&["tmux", "mkfifo"], false);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let data = tmp.path().join("data");
    make_tree(&root);
    let run = |args: &[&str]| {
        Command::new(binary())
            .env("STATIONWARD_DATA_DIR", &data)
            .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
            .env("STATIONWARD_PASSPHRASE", "correct horse battery")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    for op in ["alice", "bob"] {
        let o = run(&["key", "generate", "--operator", op, "--kdf-rounds", "16"]);
        assert!(o.status.success(), "{o:?}");
    }
    // Invented files: a 1x1 PNG's signature and a PDF header are what the media type reads.
    let inbox = tmp.path().join("binder");
    std::fs::create_dir_all(&inbox).unwrap();
    let png = inbox.join("port-locks.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR invented").unwrap();
    let pdf = inbox.join("mds2.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% invented MDS2 form\n%%EOF\n").unwrap();
    let extra = inbox.join("wrong-file.txt");
    std::fs::write(&extra, "not this one\n").unwrap();
    let fifo = inbox.join("camera.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let command = format!(
        "exec env STATIONWARD_DATA_DIR={} STATIONWARD_CONFIG_DIR={} NO_COLOR=1 {} tui --root {}",
        data.display(),
        tmp.path().join("config").display(),
        binary().display(),
        root.display()
    );
    let tmux = Tmux {
        socket: format!("sw-e2e-attach-{}", std::process::id()),
    };
    tmux.start_at(&command, 120, 40);
    tmux.wait_for("Inspection finished");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Controls 0/15");
    for (file, shown) in [
        (&png, "attached port-locks.png (image/png"),
        (&pdf, "attached mds2.pdf (application/pdf"),
        (&extra, "attached wrong-file.txt (text/plain"),
    ] {
        tmux.keys(&["a"]);
        tmux.wait_for("Attach a file");
        tmux.literal(&file.display().to_string());
        tmux.keys(&["Enter"]);
        tmux.wait_for(shown);
    }
    // A FIFO is refused at once, and the TUI is still live.
    tmux.keys(&["a"]);
    tmux.wait_for("Attach a file");
    tmux.literal(&fifo.display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("is a FIFO, not a regular file");
    // The list, then the wrong file removed before signing.
    let screen = tmux.wait_for("3. wrong-file.txt");
    assert!(
        screen.contains("1. port-locks.png · image/png") && screen.contains("2. mds2.pdf"),
        "{screen}"
    );
    tmux.keys(&["d"]);
    tmux.wait_for("Remove attachment number");
    tmux.literal("3");
    tmux.keys(&["Enter"]);
    tmux.wait_for("removed attachment 3 (wrong-file.txt)");
    let w = walkthrough_json(&data);
    let names: Vec<&str> = w["controls"][0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["port-locks.png", "mds2.pdf"]);
    tmux.keys(&["4"]);

    // Sign as alice.
    tmux.keys(&["s", "Enter"]);
    tmux.wait_for("Review before signing");
    tmux.keys(&["y"]);
    tmux.wait_for("Operator:");
    tmux.keys(&["C-u"]);
    tmux.literal("alice");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Passphrase:");
    tmux.literal("correct horse battery");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Signed and added to the ledger");

    // Alice cannot countersign her own record; bob can.
    for (who, expect) in [
        ("alice", "signed by \"alice\" and a countersignature must"),
        ("bob", "Countersigned: APPROVED 000001.dsse.json by bob"),
    ] {
        tmux.keys(&["c"]);
        tmux.wait_for("Reviewer:");
        tmux.literal(who);
        tmux.keys(&["Enter"]);
        tmux.wait_for("Note:");
        tmux.literal("reviewed on site");
        tmux.keys(&["Enter"]);
        tmux.wait_for("Countersign: APPROVED");
        tmux.literal("correct horse battery");
        tmux.keys(&["Enter"]);
        tmux.wait_for(expect);
    }
    tmux.keys(&["q", "q"]);
    tmux.wait_gone();

    let o = run(&["verify"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{out}");
    assert!(out.contains("000001.dsse.json  APPROVED by bob"), "{out}");
    let o = run(&["summary", "--latest"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{text}");
    for want in [
        "ICS-01: port-locks.png (image/png",
        "ICS-01: mds2.pdf (application/pdf",
        "Supervisor  APPROVED by bob, countersignature 000002.dsse.json",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(!text.contains("wrong-file.txt"), "{text}");
}
