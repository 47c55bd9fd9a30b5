//! systemd unit files (`*.service`, `*.socket`): the few settings that decide enablement and
//! what a unit runs. Pure: text in, [`UnitFile`] out.

/// What stationward needs from one unit file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFile {
    pub description: String,
    /// The program of the first `ExecStart=` (prefixes like `-` and `@` removed).
    pub exec: String,
    /// `[Install]` `WantedBy=`, `RequiredBy=`, `UpheldBy=`: targets that enabling links it into.
    pub wanted_by: Vec<String>,
    /// `[Install]` `Alias=`.
    pub alias: Vec<String>,
    /// `[Install]` `Also=`.
    pub also: Vec<String>,
    /// `[Install]` `DefaultInstance=` (templates).
    pub default_instance: String,
    /// `[Socket]` `Accept=yes`: each connection starts an instance of `<name>@.service`.
    pub accept: bool,
    /// `[Socket]` `Service=`.
    pub service: String,
    /// `[Socket]` `Listen*=` values.
    pub listen: Vec<String>,
}

impl UnitFile {
    /// True when `[Install]` says how to enable the unit (otherwise systemd calls it static
    /// or, with only `Also=`, indirect).
    pub fn has_install_targets(&self) -> bool {
        !self.wanted_by.is_empty() || !self.alias.is_empty()
    }
}

/// Parses a unit file. Unknown sections and keys are ignored; comments (`#`, `;`) and
/// backslash continuations are honoured; an empty assignment resets a list as systemd does.
pub fn parse_unit_file(text: &str) -> UnitFile {
    let mut unit = UnitFile::default();
    let mut section = String::new();
    for line in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            section = rest.split(']').next().unwrap_or("").trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match (section.as_str(), key) {
            ("Unit", "Description") => unit.description = value.to_string(),
            ("Service", "ExecStart") if unit.exec.is_empty() => unit.exec = exec_program(value),
            ("Install", "WantedBy" | "RequiredBy" | "UpheldBy") => {
                set_list(&mut unit.wanted_by, value)
            }
            ("Install", "Alias") => set_list(&mut unit.alias, value),
            ("Install", "Also") => set_list(&mut unit.also, value),
            ("Install", "DefaultInstance") => unit.default_instance = value.to_string(),
            ("Socket", "Accept") => unit.accept = matches!(value, "yes" | "true" | "on" | "1"),
            ("Socket", "Service") => unit.service = value.to_string(),
            ("Socket", k) if k.starts_with("Listen") => set_list(&mut unit.listen, value),
            _ => {}
        }
    }
    unit
}

/// Joins lines ending in a backslash with the next one.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let trimmed = raw.trim_end();
        let is_comment =
            pending.is_empty() && matches!(trimmed.trim_start().chars().next(), Some('#' | ';'));
        if !is_comment && let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        out.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

fn set_list(list: &mut Vec<String>, value: &str) {
    if value.is_empty() {
        list.clear();
    } else {
        list.extend(value.split_whitespace().map(str::to_string));
    }
}

/// The program of an `ExecStart=` value: special prefixes (`-@:+!`) dropped, quotes removed.
pub fn exec_program(value: &str) -> String {
    let v = value
        .trim_start_matches(['-', '@', ':', '+', '!'])
        .trim_start();
    let first = if let Some(rest) = v.strip_prefix('"') {
        rest.split('"').next().unwrap_or("")
    } else if let Some(rest) = v.strip_prefix('\'') {
        rest.split('\'').next().unwrap_or("")
    } else {
        v.split_whitespace().next().unwrap_or("")
    };
    first.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/services/station/tree/",
                $name
            ))
        };
    }

    #[test]
    fn real_debian_units() {
        let u = parse_unit_file(fixture!("usr/lib/systemd/system/systemd-timesyncd.service"));
        assert_eq!(u.exec, "/lib/systemd/systemd-timesyncd");
        assert_eq!(u.wanted_by, vec!["sysinit.target"]);
        assert_eq!(u.alias, vec!["dbus-org.freedesktop.timesync1.service"]);
        assert!(u.has_install_targets());

        let g = parse_unit_file(fixture!("usr/lib/systemd/system/getty@.service"));
        assert_eq!(g.default_instance, "tty1");
        assert!(g.exec.ends_with("agetty"), "{}", g.exec);

        let a = parse_unit_file(fixture!("usr/lib/systemd/system/atftpd.service"));
        assert_eq!(a.exec, "/usr/sbin/in.tftpd");
        assert_eq!(a.also, vec!["atftpd.socket"]);
        assert!(!a.has_install_targets());

        let s = parse_unit_file(fixture!("usr/lib/systemd/system/proftpd.socket"));
        assert!(s.accept);
        assert_eq!(s.listen, vec!["21"]);

        let d = parse_unit_file(fixture!("usr/lib/systemd/system/dbus.service"));
        assert!(
            !d.has_install_targets() && d.also.is_empty(),
            "dbus.service is static"
        );

        let p = parse_unit_file(fixture!("usr/lib/systemd/system/proftpd@.service"));
        assert_eq!(p.exec, "/usr/sbin/in.proftpd");
    }

    #[test]
    fn continuations_resets_and_comments() {
        let text = "[Unit]\nDescription=x\n[Install]\nWantedBy=a.target \\\n  b.target\n# WantedBy=c.target\n; Alias=z.service\nAlias=y.service\nAlias=\nAlso=q.socket\n";
        let u = parse_unit_file(text);
        assert_eq!(u.wanted_by, vec!["a.target", "b.target"]);
        assert!(u.alias.is_empty());
        assert_eq!(u.also, vec!["q.socket"]);
    }

    #[test]
    fn exec_prefixes_and_quotes() {
        assert_eq!(
            exec_program("-/usr/sbin/in.telnetd"),
            "/usr/sbin/in.telnetd"
        );
        assert_eq!(exec_program("!!@/bin/sh sh -c x"), "/bin/sh");
        assert_eq!(exec_program("\"/opt/my app/bin\" --x"), "/opt/my app/bin");
        assert_eq!(exec_program(""), "");
        let u = parse_unit_file("[Service]\nExecStart=\nExecStart=/usr/bin/second\n");
        assert_eq!(u.exec, "/usr/bin/second");
    }

    #[test]
    fn hostile_input() {
        assert_eq!(parse_unit_file(""), UnitFile::default());
        let garbage = "[Install\nWantedBy\n=\n[Service]\nExecStart=/usr/sbin/\u{FFFD}d\u{FFFD} -x\n[Install]\nWantedBy=multi-user.target extra junk\nAlias=a.service \\";
        let u = parse_unit_file(garbage);
        assert_eq!(u.exec, "/usr/sbin/\u{FFFD}d\u{FFFD}");
        assert_eq!(u.wanted_by, vec!["multi-user.target", "extra", "junk"]);
        assert_eq!(u.alias, vec!["a.service"]);
        let mut big = String::from("[Install]\n");
        for i in 0..10_000 {
            big.push_str(&format!("WantedBy=t{i}.target\n"));
        }
        assert_eq!(parse_unit_file(&big).wanted_by.len(), 10_000);
    }
}
