//! inetd (`/etc/inetd.conf`, `/etc/inetd.d/*`) and xinetd (`/etc/xinetd.conf`,
//! `/etc/xinetd.d/*`) configuration. Pure: text in, entries out.

/// One service line of inetd.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetdEntry {
    /// `telnet`, `ftp`, `shell`... (a `host:` prefix removed).
    pub service: String,
    pub socket_type: String,
    pub proto: String,
    pub user: String,
    /// The server path as written (`/usr/sbin/tcpd`, `internal`).
    pub server: String,
    /// The program that really serves: the argument after `tcpd`, else the server.
    pub program: String,
    /// 1-based line number.
    pub line: usize,
    /// Uncommented. Entries switched off by update-inetd (`#<off># ...`) are kept, disabled.
    pub enabled: bool,
}

/// Parses inetd.conf. Plain `#` comments are ignored, even when they look like an entry;
/// `#<off>#` lines (update-inetd's "disabled") are returned with `enabled: false`.
pub fn parse_inetd_conf(text: &str) -> Vec<InetdEntry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let (body, enabled) = if let Some(rest) = line.strip_prefix("#<off>#") {
            (rest.trim(), false)
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else {
            (line, true)
        };
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() < 6 {
            continue;
        }
        let service = fields[0].rsplit(':').next().unwrap_or(fields[0]);
        if service.is_empty() {
            continue;
        }
        let server = fields[5];
        let program = if server.rsplit('/').next() == Some("tcpd") {
            fields.get(6).copied().unwrap_or(server)
        } else {
            server
        };
        out.push(InetdEntry {
            service: service.to_string(),
            socket_type: fields[1].to_string(),
            proto: fields[2].to_string(),
            user: fields[4].to_string(),
            server: server.to_string(),
            program: program.to_string(),
            line: i + 1,
            enabled,
        });
    }
    out
}

/// One `service NAME { ... }` block of an xinetd file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XinetdService {
    pub name: String,
    /// `id =` (defaults to the name).
    pub id: String,
    /// `disable = yes|no`; None when the block has no disable line (then it is enabled).
    pub disable: Option<bool>,
    /// `server =`; empty for `type = INTERNAL` services.
    pub server: String,
    pub internal: bool,
    /// 1-based line of the `service` keyword.
    pub line: usize,
}

/// What one xinetd file says: services, the `defaults` lists, and includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XinetdFile {
    pub services: Vec<XinetdService>,
    /// `defaults { disabled = ... }`: service ids switched off.
    pub disabled: Vec<String>,
    /// `defaults { enabled = ... }`: when present, only these ids are on.
    pub enabled: Option<Vec<String>>,
    pub includedirs: Vec<String>,
    pub includes: Vec<String>,
}

impl XinetdFile {
    /// Folds another file's `defaults` and services into this one (includes share defaults).
    pub fn absorb(&mut self, other: XinetdFile) {
        self.services.extend(other.services);
        self.disabled.extend(other.disabled);
        if let Some(list) = other.enabled {
            self.enabled.get_or_insert_with(Vec::new).extend(list);
        }
    }

    /// Whether xinetd would offer `svc`, given the defaults collected so far.
    pub fn offers(&self, svc: &XinetdService) -> bool {
        let named = |list: &[String]| list.iter().any(|n| *n == svc.id || *n == svc.name);
        svc.disable != Some(true)
            && !named(&self.disabled)
            && self.enabled.as_ref().is_none_or(|l| named(l))
    }
}

enum Block {
    Outside,
    Defaults,
    Service(XinetdService),
}

/// Parses one xinetd configuration file. Unknown attributes are ignored; an unterminated
/// block still yields its service.
pub fn parse_xinetd(text: &str) -> XinetdFile {
    let mut file = XinetdFile::default();
    let mut block = Block::Outside;
    for (i, raw) in text.lines().enumerate() {
        let mut line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Block::Outside = block {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("service") => {
                    let name = words.next().unwrap_or("").trim_end_matches('{').to_string();
                    block = Block::Service(XinetdService {
                        id: name.clone(),
                        name,
                        line: i + 1,
                        ..XinetdService::default()
                    });
                }
                Some("defaults") => block = Block::Defaults,
                Some("includedir") => file.includedirs.extend(words.next().map(str::to_string)),
                Some("include") => file.includes.extend(words.next().map(str::to_string)),
                _ => {}
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix('{') {
            line = rest.trim();
            if line.is_empty() {
                continue;
            }
        }
        if line.starts_with('}') {
            if let Block::Service(svc) = std::mem::replace(&mut block, Block::Outside) {
                file.services.push(svc);
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, op) = match key.trim_end().strip_suffix(['+', '-']) {
            Some(k) => (k.trim(), key.trim_end().chars().last().unwrap_or('=')),
            None => (key.trim(), '='),
        };
        let value = value.trim();
        match &mut block {
            Block::Service(svc) => match key {
                "disable" => svc.disable = Some(value.eq_ignore_ascii_case("yes")),
                "server" => svc.server = value.split_whitespace().next().unwrap_or("").to_string(),
                "id" => svc.id = value.to_string(),
                "type" => {
                    svc.internal = value
                        .split_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("INTERNAL"));
                }
                _ => {}
            },
            Block::Defaults => {
                let names = value.split_whitespace().map(str::to_string);
                match (key, op) {
                    ("disabled", '-') => {
                        let drop: Vec<String> = names.collect();
                        file.disabled.retain(|n| !drop.contains(n));
                    }
                    ("disabled", _) => file.disabled.extend(names),
                    ("enabled", '-') => {
                        let drop: Vec<String> = names.collect();
                        if let Some(l) = file.enabled.as_mut() {
                            l.retain(|n| !drop.contains(n));
                        }
                    }
                    ("enabled", _) => file.enabled.get_or_insert_with(Vec::new).extend(names),
                    _ => {}
                }
            }
            Block::Outside => {}
        }
    }
    if let Block::Service(svc) = block {
        file.services.push(svc);
    }
    file
}

/// Whether xinetd reads a file of this name from an `includedir` (it skips names with a dot
/// or ending in `~`, such as editor backups and `.dpkg-old` files).
pub fn xinetd_reads(name: &str) -> bool {
    !name.contains('.') && !name.ends_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;

    const INETD_CONF: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/inetd.conf.update-inetd"
    ));
    const XINETD_CONF: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/xinetd.conf"
    ));
    const XINETD_TIME: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/xinetd.d/time"
    ));
    const XINETD_TELNET: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/xinetd.d/telnet"
    ));
    const XINETD_TFTP: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/xinetd.d/tftp"
    ));

    #[test]
    fn real_inetd_conf_from_update_inetd() {
        let entries = parse_inetd_conf(INETD_CONF);
        let on: Vec<&str> = entries
            .iter()
            .filter(|e| e.enabled)
            .map(|e| e.service.as_str())
            .collect();
        assert_eq!(on, vec!["telnet", "shell", "login", "talk", "finger"]);
        let telnet = entries.iter().find(|e| e.service == "telnet");
        assert_eq!(
            telnet.map(|e| (e.program.as_str(), e.line)),
            Some(("/usr/sbin/telnetd", 25))
        );
        let exec = entries.iter().find(|e| e.service == "exec");
        assert_eq!(
            exec.map(|e| (e.enabled, e.program.as_str())),
            Some((false, "/usr/sbin/in.rexecd"))
        );
        let talk = entries.iter().find(|e| e.service == "talk");
        assert_eq!(talk.map(|e| e.program.as_str()), Some("/usr/sbin/in.talkd"));
        // `#ntalk ...` and the commented internal services are plain comments.
        assert!(
            !entries
                .iter()
                .any(|e| e.service == "ntalk" || e.service == "echo")
        );
    }

    #[test]
    fn inetd_host_prefix_and_short_lines() {
        let e = parse_inetd_conf(
            "127.0.0.1:ftp stream tcp nowait root /usr/sbin/in.ftpd in.ftpd\n10.0.0.1:\ntelnet stream tcp\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].service, "ftp");
        assert_eq!(e[0].program, "/usr/sbin/in.ftpd");
    }

    #[test]
    fn inetd_hostile_input() {
        assert!(parse_inetd_conf("").is_empty());
        let e = parse_inetd_conf(
            "te\u{FFFD}net stream tcp nowait root /usr/sbin/tcpd\n:  a b c d e f\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].program, "/usr/sbin/tcpd", "tcpd without an argument");
        let big: String = (0..10_000)
            .map(|i| format!("svc{i} stream tcp nowait root /usr/sbin/x{i} x\n"))
            .collect();
        assert_eq!(parse_inetd_conf(&big).len(), 10_000);
    }

    #[test]
    fn real_xinetd_files() {
        let conf = parse_xinetd(XINETD_CONF);
        assert_eq!(conf.includedirs, vec!["/etc/xinetd.d"]);
        assert!(conf.services.is_empty());
        let time = parse_xinetd(XINETD_TIME);
        assert_eq!(time.services.len(), 2);
        assert!(
            time.services
                .iter()
                .all(|s| s.disable == Some(true) && s.internal)
        );
        assert_eq!(time.services[1].id, "time-dgram");
        assert!(!time.offers(&time.services[0]));

        let telnet = parse_xinetd(XINETD_TELNET);
        assert_eq!(telnet.services[0].server, "/usr/sbin/in.telnetd");
        assert_eq!(telnet.services[0].disable, Some(false));
        assert!(telnet.offers(&telnet.services[0]));
        let tftp = parse_xinetd(XINETD_TFTP);
        assert!(!tftp.offers(&tftp.services[0]));
    }

    #[test]
    fn xinetd_defaults_lists_and_missing_disable() {
        let mut conf = parse_xinetd(
            "defaults\n{\n disabled = telnet finger\n disabled -= finger\n}\nservice finger { \n server=/usr/sbin/in.fingerd\n}\n",
        );
        let svc = conf.services.clone();
        assert_eq!(svc.len(), 1);
        assert_eq!(svc[0].disable, None);
        assert!(
            conf.offers(&svc[0]),
            "no disable line and not in defaults' disabled list"
        );
        conf.absorb(parse_xinetd(
            "service telnet\n{\n server = /usr/sbin/in.telnetd\n}\n",
        ));
        assert!(
            !conf.offers(&conf.services[1]),
            "telnet is in defaults' disabled list"
        );
        let only =
            parse_xinetd("defaults\n{\nenabled = ftp\n}\nservice tftp\n{\ndisable = no\n}\n");
        assert!(!only.offers(&only.services[0]));
    }

    #[test]
    fn xinetd_hostile_input() {
        assert_eq!(parse_xinetd(""), XinetdFile::default());
        let f = parse_xinetd(
            "service telnet\n{\n disable \u{FFFD}= no\n server = /usr/sbin/in.telnetd -x\n junk line\n",
        );
        assert_eq!(
            f.services.len(),
            1,
            "unterminated block still yields its service"
        );
        assert_eq!(f.services[0].server, "/usr/sbin/in.telnetd");
        let big: String = (0..10_000)
            .map(|i| format!("service s{i}\n{{\ndisable = no\n}}\n"))
            .collect();
        assert_eq!(parse_xinetd(&big).services.len(), 10_000);
        assert!(xinetd_reads("telnet"));
        assert!(!xinetd_reads("telnet.dpkg-old") && !xinetd_reads("telnet~"));
    }
}
