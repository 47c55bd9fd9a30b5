#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is the failure report
//! TUI figures for the README: time from process start to the first frame, and the time to
//! render the Findings screen with 2,000 rows. `cargo bench --bench tui`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stationward::checklist::Checklist;
use stationward::checks::Area;
use stationward::inspect::identity::HostIdentity;
use stationward::policy::Policy;
use stationward::tui::action::{Action, Screen};
use stationward::tui::app::App;
use stationward::tui::tables::FactTable;
use stationward::tui::theme::Theme;
use stationward::walkthrough::{HostKey, Walkthrough};
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p95(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

fn render_findings_2000() {
    let checklist = Checklist::builtin().unwrap();
    let identity = HostIdentity {
        hostname: "bench".into(),
        ..HostIdentity::default()
    };
    let w = Walkthrough::new(&checklist, HostKey::of(&identity, None));
    let mut app = App::new(checklist, Policy::builtin().unwrap(), w, Area::ALL.to_vec());
    app.tables.push(FactTable {
        title: "Listeners",
        columns: vec!["proto", "address", "port", "pid", "process"],
        rows: (0..2000)
            .map(|i| {
                vec![
                    if i % 3 == 0 { "udp" } else { "tcp" }.to_string(),
                    format!("10.40.{}.{}", i / 250, i % 250),
                    (1024 + i).to_string(),
                    (300 + i).to_string(),
                    format!("daemon-{i}"),
                ]
            })
            .collect(),
        unseen: None,
        status: Vec::new(),
    });
    app.update(Action::GoTo(Screen::Findings));
    app.table_index = 0;
    app.update(Action::CycleSort); // sorted by a column: the slow path
    let theme = Theme::default_dark();
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut times = Vec::new();
        for i in 0..300 {
            app.table_row = i * 6 % 2000;
            let start = Instant::now();
            terminal
                .draw(|f| stationward::tui::ui::render(&app, &theme, f))
                .unwrap();
            times.push(start.elapsed());
        }
        println!(
            "findings frame, 2,000 rows, {w}x{h}: median {:.2} ms, p95 {:.2} ms (target < 5 ms)",
            median(times.clone()).as_secs_f64() * 1e3,
            p95(times).as_secs_f64() * 1e3
        );
    }
}

fn first_frame() {
    if Command::new("script").arg("--version").output().is_err() {
        println!(
            "first frame: skipped, `script` (util-linux) is not installed to provide a terminal"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "bench\n").unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12\"\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_stationward");
    let run = |cmd: &str| {
        let start = Instant::now();
        let status = Command::new("script")
            .args(["-qec", cmd, "/dev/null"])
            .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
            .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
            .env("STATIONWARD_BENCH_FIRST_FRAME", "1")
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stdout)
        );
        start.elapsed()
    };
    let base: Vec<Duration> = (0..15).map(|_| run("true")).collect();
    let tui = format!("{bin} tui --root {}", root.display());
    let full: Vec<Duration> = (0..15).map(|_| run(&tui)).collect();
    let (b, f) = (median(base), median(full));
    println!(
        "process start to first frame (tui --root, resumed walkthrough): at most {:.1} ms median \
         (the whole run under a pty wrapper, start to exit after the first frame; the wrapper \
         alone takes {:.1} ms, so the tool's own share is about {:.1} ms; target < 100 ms)",
        f.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        f.saturating_sub(b).as_secs_f64() * 1e3
    );
}

fn main() {
    // `cargo test` also runs bench targets with --bench absent; only measure under cargo bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    render_findings_2000();
    first_frame();
}
