#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The Windows build of stationward, run under Wine, judges every Windows snapshot fixture
//! exactly as the Linux build does (`--snapshot DIR` works on every OS; only the path
//! separator in the snapshot's own path differs).
//!
//! `.ci/run` cross-builds `stationward.exe` (`cargo build --target x86_64-pc-windows-gnu`) and
//! names it in `STATIONWARD_WINDOWS_EXE`; this test then needs `wine` and mingw's gcc (for the
//! `bcryptprimitives.dll` shim that Debian 12's Wine lacks, see tests/support/wine/).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const CASES: &[&str] = &[
    "planted",
    "hardened",
    "de-DE",
    "not-elevated",
    "server",
    "shapes",
];

fn exe() -> PathBuf {
    let exe = std::env::var_os("STATIONWARD_WINDOWS_EXE").map(PathBuf::from);
    match exe {
        Some(p) if p.is_file() => p,
        other => panic!(
            "STATIONWARD_WINDOWS_EXE must name the cross-built stationward.exe (got {other:?}); \
             .ci/run builds it with `cargo build --target x86_64-pc-windows-gnu`"
        ),
    }
}

/// Builds the ProcessPrng shim into `dir` (see tests/support/wine/bcryptprimitives.c).
fn build_shim(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/wine");
    let status = Command::new("x86_64-w64-mingw32-gcc")
        .arg("-shared")
        .arg("-O2")
        .arg("-o")
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(src.join("bcryptprimitives.c"))
        .arg(src.join("bcryptprimitives.def"))
        .arg("-ladvapi32")
        .status()
        .expect("run mingw gcc");
    assert!(status.success(), "mingw gcc failed to build the shim");
}

/// The scan's JSON, with the snapshot's own path written the Linux way.
fn scan_json(cmd: &mut Command, case: &str) -> (i32, serde_json::Value) {
    let out = cmd.output().expect("run stationward");
    let text = String::from_utf8(out.stdout).expect("UTF-8 JSON");
    let text = text.replace(
        &format!("tests\\\\fixtures\\\\windows\\\\{case}"),
        &format!("tests/fixtures/windows/{case}"),
    );
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{case}: not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // The time of the run is the one field that differs by design.
    if let Some(o) = json.as_object_mut() {
        o.remove("scanned_at");
    }
    (out.status.code().unwrap_or(-1), json)
}

#[test]
#[ignore = "needs wine, mingw and STATIONWARD_WINDOWS_EXE"]
fn the_windows_build_judges_every_snapshot_as_the_linux_build_does() {
    support::require(&["wine", "x86_64-w64-mingw32-gcc"], false);
    let exe = exe();
    let tmp = tempfile::tempdir().expect("temp dir");
    build_shim(tmp.path());
    let config = tmp.path().join("config");
    let data = tmp.path().join("data");
    let root = env!("CARGO_MANIFEST_DIR");
    for case in CASES {
        let (lin_code, lin) = scan_json(
            Command::new(env!("CARGO_BIN_EXE_stationward"))
                .current_dir(root)
                .env("STATIONWARD_CONFIG_DIR", &config)
                .env("STATIONWARD_DATA_DIR", &data)
                .args(["scan", "--format", "json", "--snapshot"])
                .arg(format!("tests/fixtures/windows/{case}")),
            case,
        );
        let (win_code, win) = scan_json(
            Command::new("wine")
                .current_dir(root)
                .env("WINEDEBUG", "-all")
                .env("WINEPATH", tmp.path())
                .env("STATIONWARD_CONFIG_DIR", &config)
                .env("STATIONWARD_DATA_DIR", &data)
                .arg(&exe)
                .args(["scan", "--format", "json", "--snapshot"])
                .arg(format!("tests\\fixtures\\windows\\{case}")),
            case,
        );
        assert_eq!(win_code, lin_code, "{case}: exit codes differ");
        assert!(
            lin.get("findings")
                .is_some_and(|c| c.as_array().is_some_and(|a| !a.is_empty())),
            "{case}: the Linux scan has no findings"
        );
        if let Some(at) = first_difference(&win, &lin, String::new()) {
            panic!("{case}: the Windows build differs from the Linux build at {at}");
        }
    }
}

#[test]
#[ignore = "needs wine, mingw and STATIONWARD_WINDOWS_EXE"]
fn the_windows_build_refuses_to_judge_this_machine_as_if_it_were_linux() {
    support::require(&["wine", "x86_64-w64-mingw32-gcc"], false);
    let exe = exe();
    let tmp = tempfile::tempdir().expect("temp dir");
    build_shim(tmp.path());
    for args in [&["scan"][..], &["tui"][..]] {
        let out = Command::new("wine")
            .env("WINEDEBUG", "-all")
            .env("WINEPATH", tmp.path())
            .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
            .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
            .arg(&exe)
            .args(args)
            .output()
            .expect("run wine");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--snapshot DIR"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: printed a verdict");
    }
}

/// The JSON pointer of the first place where two values differ, with both values.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(v), Some(w)) => first_difference(v, w, format!("{at}/{k}")),
                (v, w) => Some(format!("{at}/{k}: {v:?} vs {w:?}")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}"))),
        _ => (a != b).then(|| format!("{at}: {a} vs {b}")),
    }
}
