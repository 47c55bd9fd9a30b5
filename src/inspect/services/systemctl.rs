//! Output of `systemctl list-units` and `systemctl list-unit-files` (no legend, plain). Pure.

/// The argv stationward runs for live unit state (only when systemd is PID 1).
pub const LIST_UNITS: &[&str] = &[
    "systemctl",
    "list-units",
    "--type=service,socket",
    "--all",
    "--no-legend",
    "--plain",
    "--no-pager",
];

/// The argv stationward runs to cross-check enablement with the running manager.
pub const LIST_UNIT_FILES: &[&str] = &[
    "systemctl",
    "list-unit-files",
    "--type=service,socket",
    "--no-legend",
    "--no-pager",
];

/// One row of `systemctl list-units`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedUnit {
    pub name: String,
    /// loaded | not-found | masked | bad-setting | error | ...
    pub load: String,
    /// active | inactive | failed | activating | deactivating | reloading | ...
    pub active: String,
    /// running | exited | dead | listening | ...
    pub sub: String,
    pub description: String,
}

/// One row of `systemctl list-unit-files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFileState {
    pub name: String,
    /// enabled | disabled | static | masked | alias | indirect | generated | ...
    pub state: String,
    /// The vendor preset (`-` or empty when none; absent before systemd 245).
    pub preset: String,
}

/// True for a name systemctl would print as a unit of a type we ask for.
fn is_unit_name(s: &str) -> bool {
    (s.ends_with(".service") || s.ends_with(".socket"))
        && s.len() > ".socket".len()
        && !s.contains('/')
}

/// Parses `systemctl list-units --no-legend --plain` (the `●` marker of failed units in
/// non-plain output is tolerated). Lines that do not look like a unit row are skipped.
pub fn parse_list_units(text: &str) -> Vec<LoadedUnit> {
    text.lines()
        .filter_map(|line| {
            let line = line
                .trim_start()
                .trim_start_matches(['●', '*'])
                .trim_start();
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            if !is_unit_name(name) {
                return None;
            }
            let (load, active, sub) = (fields.next()?, fields.next()?, fields.next()?);
            let description = fields.collect::<Vec<_>>().join(" ");
            Some(LoadedUnit {
                name: name.to_string(),
                load: load.to_string(),
                active: active.to_string(),
                sub: sub.to_string(),
                description,
            })
        })
        .collect()
}

/// Parses `systemctl list-unit-files --no-legend`: `UNIT STATE [PRESET]`.
pub fn parse_list_unit_files(text: &str) -> Vec<UnitFileState> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            if !is_unit_name(name) {
                return None;
            }
            let state = fields.next()?;
            if !state.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                return None;
            }
            Some(UnitFileState {
                name: name.to_string(),
                state: state.to_string(),
                preset: fields.next().unwrap_or("").to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN12_FILES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/systemctl/list-unit-files.debian12.txt"
    ));
    const STATION_FILES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/systemctl/list-unit-files.station-tree.txt"
    ));
    const DEBIAN12_UNITS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/systemctl/list-units.debian12-invented.txt"
    ));

    fn state<'a>(rows: &'a [UnitFileState], name: &str) -> Option<&'a str> {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| r.state.as_str())
    }

    #[test]
    fn real_list_unit_files() {
        let rows = parse_list_unit_files(DEBIAN12_FILES);
        assert_eq!(rows.len(), DEBIAN12_FILES.lines().count());
        assert_eq!(state(&rows, "getty@.service"), Some("enabled"));
        assert_eq!(state(&rows, "dbus.service"), Some("static"));
        assert_eq!(state(&rows, "cryptdisks.service"), Some("masked"));
        assert_eq!(state(&rows, "autovt@.service"), Some("alias"));
        assert_eq!(
            rows.iter()
                .find(|r| r.name == "nftables.service")
                .map(|r| r.preset.as_str()),
            Some("enabled")
        );

        let station = parse_list_unit_files(STATION_FILES);
        assert_eq!(state(&station, "telnet.socket"), Some("enabled"));
        assert_eq!(state(&station, "proftpd.service"), Some("masked"));
        assert_eq!(state(&station, "atftpd.service"), Some("indirect"));
    }

    #[test]
    fn invented_list_units() {
        let rows = parse_list_units(DEBIAN12_UNITS);
        let ssh = rows.iter().find(|r| r.name == "ssh.service");
        assert_eq!(
            ssh.map(|r| (r.load.as_str(), r.active.as_str(), r.sub.as_str())),
            Some(("loaded", "active", "running"))
        );
        assert_eq!(
            ssh.map(|r| r.description.as_str()),
            Some("OpenBSD Secure Shell server")
        );
        assert!(rows.iter().any(|r| r.load == "not-found"));
        assert!(rows.iter().any(|r| r.active == "failed"));
        assert!(rows.iter().any(|r| r.name == "getty@tty1.service"));
    }

    #[test]
    fn failed_marker_and_old_format() {
        let rows = parse_list_units("● vsftpd.service loaded failed failed vsftpd FTP server\n");
        assert_eq!(rows[0].name, "vsftpd.service");
        assert_eq!(rows[0].active, "failed");
        let files = parse_list_unit_files("ssh.service enabled\n");
        assert_eq!(files[0].preset, "");
    }

    #[test]
    fn hostile_input() {
        assert!(parse_list_units("").is_empty());
        assert!(parse_list_unit_files("").is_empty());
        let junk = "0 loaded units listed.\nUNIT LOAD ACTIVE SUB DESCRIPTION\nssh.service loaded\n\u{FFFD}.service loaded active running x\nfoo.target loaded active active Foo\n/etc/x.service a b c\n";
        let rows = parse_list_units(junk);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name, "\u{FFFD}.service");
        let files = parse_list_unit_files(
            "UNIT FILE STATE PRESET\n119 unit files listed.\nx.service ENABLED\ny.socket enabled enabled extra\n",
        );
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "y.socket");
        let big: String = (0..10_000)
            .map(|i| format!("u{i}.service loaded active running Unit {i}\n"))
            .collect();
        assert_eq!(parse_list_units(&big).len(), 10_000);
    }
}
