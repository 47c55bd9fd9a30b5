//! systemd unit files (`*.service`, `*.socket`): the few settings that decide enablement and
//! what a unit runs. Pure: text in, [`UnitFile`] out.

/// What stationward needs from one unit file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFile {
    pub description: String,
    /// The program the unit runs: the first `ExecStart=` left after the last empty
    /// `ExecStart=` (which resets the list, as in a drop-in that replaces the command), with
    /// prefixes like `-` and `@` removed and shell wrappers (`sh -c '... exec /usr/sbin/x'`)
    /// seen through.
    pub exec: String,
    /// `[Unit]` `Wants=`, `Requires=`, `Upholds=`, `BindsTo=`: units started along with this one.
    pub wants: Vec<String>,
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
    let mut execs: Vec<String> = Vec::new();
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
            ("Service", "ExecStart") => set_list_whole(&mut execs, value),
            ("Unit", "Wants" | "Requires" | "Upholds" | "BindsTo") => {
                set_list(&mut unit.wants, value);
            }
            ("Install", "WantedBy" | "RequiredBy" | "UpheldBy") => {
                set_list(&mut unit.wanted_by, value);
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
    unit.exec = execs.first().map(|v| exec_program(v)).unwrap_or_default();
    unit
}

/// A list setting whose every assignment is one entry (`ExecStart=`); empty resets it.
fn set_list_whole(list: &mut Vec<String>, value: &str) {
    if value.is_empty() {
        list.clear();
    } else {
        list.push(value.to_string());
    }
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

/// The program of an `ExecStart=` value: special prefixes (`-@:+!`) dropped, quotes removed,
/// and wrappers seen through: `env [VAR=x] prog`, `nice`/`nohup`/`setsid`/`stdbuf` and
/// `sh -c '...'` (the program after the script's `exec`, else its last command's program).
pub fn exec_program(value: &str) -> String {
    let prefix_len = value.len() - value.trim_start_matches(['-', '@', ':', '+', '!']).len();
    let v = value[prefix_len..].trim_start();
    let mut words = shell_words(v);
    // `@`: the second word is the argv[0] passed to the program, not an argument.
    if value[..prefix_len].contains('@') && words.len() > 1 {
        words.remove(1);
    }
    program_of(&words, 0)
}

/// The program a command line runs, looking through wrappers (bounded depth: hostile input).
fn program_of(words: &[String], depth: usize) -> String {
    const WRAPPERS: &[&str] = &["env", "nice", "nohup", "setsid", "stdbuf", "ionice", "chrt"];
    const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "ksh", "zsh", "busybox"];
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let base = w.rsplit('/').next().unwrap_or(w);
        if depth < 4 && i + 1 < words.len() && SHELLS.contains(&base) {
            // `sh [options] -c SCRIPT`: the script decides.
            let mut j = i + 1;
            while j < words.len() && words[j].starts_with('-') && words[j] != "-c" {
                j += 1;
            }
            if j + 1 < words.len() && words[j] == "-c" {
                let inner = script_program(&words[j + 1], depth + 1);
                if !inner.is_empty() {
                    return inner;
                }
            }
            return w.clone();
        }
        if WRAPPERS.contains(&base) || (w.contains('=') && !w.starts_with('/') && i > 0) {
            // Skip the wrapper, its options and `VAR=value` words.
            i += 1;
            while i < words.len()
                && (words[i].starts_with('-')
                    || (words[i].contains('=') && !words[i].starts_with('/'))
                    || words[i].chars().all(|c| c.is_ascii_digit()))
            {
                i += 1;
            }
            continue;
        }
        return w.clone();
    }
    words.first().cloned().unwrap_or_default()
}

/// The program a `sh -c` script runs: what follows its last `exec`, else its last command.
fn script_program(script: &str, depth: usize) -> String {
    let mut last = String::new();
    let mut exec_target = String::new();
    for command in script.split([';', '\n', '&', '|']) {
        let words = shell_words(command.trim());
        let mut k = 0;
        while k < words.len() && words[k].contains('=') && !words[k].starts_with('/') {
            k += 1;
        }
        let Some(first) = words.get(k) else {
            continue;
        };
        if matches!(
            first.as_str(),
            "if" | "then"
                | "else"
                | "fi"
                | "do"
                | "done"
                | "test"
                | "["
                | "true"
                | ":"
                | "cd"
                | "echo"
                | "export"
                | "set"
                | "umask"
                | "ulimit"
                | "sleep"
                | "while"
                | "for"
                | "trap"
        ) {
            continue;
        }
        if first == "exec" {
            let rest = &words[k + 1..];
            let p = program_of(rest, depth);
            if !p.is_empty() {
                exec_target = p;
            }
            continue;
        }
        last = program_of(&words[k..], depth);
    }
    if exec_target.is_empty() {
        last
    } else {
        exec_target
    }
}

/// Splits a command line into words the way systemd (and sh, for simple scripts) quote them.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
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
        // `@`: the second word is argv[0]; the shell's script decides what runs.
        assert_eq!(exec_program("!!@/bin/sh sh -c x"), "x");
        assert_eq!(exec_program("/bin/sh"), "/bin/sh");
        assert_eq!(exec_program("\"/opt/my app/bin\" --x"), "/opt/my app/bin");
        assert_eq!(exec_program(""), "");
        let u = parse_unit_file("[Service]\nExecStart=\nExecStart=/usr/bin/second\n");
        assert_eq!(u.exec, "/usr/bin/second");
    }

    #[test]
    fn wrappers_are_seen_through() {
        assert_eq!(
            exec_program("/bin/sh -c 'test -f /etc/x && exec /usr/sbin/in.telnetd -debug 23'"),
            "/usr/sbin/in.telnetd"
        );
        assert_eq!(
            exec_program("/usr/bin/env LANG=C /usr/sbin/vsftpd /etc/vsftpd.conf"),
            "/usr/sbin/vsftpd"
        );
        assert_eq!(
            exec_program("/bin/bash -e -c \"cd /opt; FOO=1 /usr/sbin/in.tftpd -l\""),
            "/usr/sbin/in.tftpd"
        );
        assert_eq!(
            exec_program("/usr/bin/nice -n 5 /bin/sh -c 'exec nohup /usr/sbin/in.fingerd'"),
            "/usr/sbin/in.fingerd"
        );
        assert_eq!(exec_program("/bin/sh -c ''"), "/bin/sh");
        assert_eq!(exec_program("/bin/sh /opt/start.sh"), "/bin/sh");
        let deep = "/bin/sh -c \"sh -c 'sh -c \\\"sh -c sh\\\"'\"";
        assert!(!exec_program(deep).is_empty());
    }

    #[test]
    fn dropin_style_resets_and_wants() {
        let u = parse_unit_file(
            "[Unit]\nWants=a.service\n[Service]\nExecStart=/usr/sbin/sshd -D\n[Service]\nExecStart=\nExecStart=/usr/sbin/in.telnetd\n[Unit]\nRequires=b.socket c.service\n",
        );
        assert_eq!(u.exec, "/usr/sbin/in.telnetd");
        assert_eq!(u.wants, vec!["a.service", "b.socket", "c.service"]);
        let two = parse_unit_file("[Service]\nExecStart=/bin/first\nExecStart=/bin/second\n");
        assert_eq!(two.exec, "/bin/first");
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
