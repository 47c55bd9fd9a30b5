//! OpenSSH server configuration: /etc/ssh/sshd_config with `Include` expanded, sshd's
//! first-value-wins rule, and `Match` blocks kept apart; or `sshd -T` on a live host as root.

use super::{expand_glob, origin};
use crate::host::Host;
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
const SSHD_T_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_INCLUDE_DEPTH: usize = 16;

/// Keywords the checks read. Others are parsed but not kept, to keep the facts readable.
pub const KEPT: &[&str] = &[
    "permitrootlogin",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "usepam",
    "authenticationmethods",
    "permitemptypasswords",
    "pubkeyauthentication",
];

/// One directive line of an sshd configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshdDirective {
    /// Lower-case keyword, aliases folded (`challengeresponseauthentication` →
    /// `kbdinteractiveauthentication`).
    pub keyword: String,
    pub args: Vec<String>,
    /// `file:line`
    pub origin: String,
}

/// A setting and where it came from (`file:line`, `sshd -T`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshSetting {
    pub value: String,
    pub origin: String,
}

/// A `Match` block and the settings it changes for the connections it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshMatchBlock {
    /// The criteria as written, e.g. `User vendor Address 10.0.0.0/8`.
    pub criteria: String,
    pub origin: String,
    pub settings: BTreeMap<String, SshSetting>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshFacts {
    /// Whether /usr/sbin/sshd (or /usr/bin/sshd) exists.
    pub sshd_binary: bool,
    /// Whether /etc/ssh/sshd_config exists.
    pub config_present: bool,
    /// Every configuration file read, main file first, includes in sshd's order.
    pub config_files: Vec<String>,
    /// "sshd -T" (effective configuration from sshd itself) or "files".
    pub source: String,
    /// Global settings explicitly set (keywords lower-case; defaults are not filled in).
    pub settings: BTreeMap<String, SshSetting>,
    pub match_blocks: Vec<SshMatchBlock>,
    pub unknown: Unseen,
}

impl SshFacts {
    pub fn get(&self, key: &str) -> Option<&SshSetting> {
        self.settings.get(key)
    }
}

/// Splits one configuration line into keyword and arguments (`Key value`, `Key=value`,
/// double-quoted arguments, `#` starting a comment at a token boundary). None for blanks.
pub fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (key, rest) = match line.find(|c: char| c.is_whitespace() || c == '=') {
        Some(i) => (&line[..i], &line[i..]),
        None => (line, ""),
    };
    // One `=` with optional whitespace around it may separate keyword and value.
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut quoted = false;
    for c in rest.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_token = true;
            }
            '#' if !quoted && !in_token => break,
            c if c.is_whitespace() && !quoted => {
                if in_token {
                    args.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            c => {
                cur.push(c);
                in_token = true;
            }
        }
    }
    if in_token {
        args.push(cur);
    }
    Some((key.to_ascii_lowercase(), args))
}

fn fold_alias(keyword: String) -> String {
    match keyword.as_str() {
        "challengeresponseauthentication" => "kbdinteractiveauthentication".to_string(),
        _ => keyword,
    }
}

/// Parses one file's directives in order, `Include` left in place for `expand_includes`.
pub fn parse_sshd_config(path: &str, text: &str) -> Vec<SshdDirective> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (keyword, args) = split_line(line)?;
            Some(SshdDirective {
                keyword: fold_alias(keyword),
                args,
                origin: origin(path, i + 1),
            })
        })
        .collect()
}

/// A directive with the `Match` block it sits in (`None`: global).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedDirective {
    pub directive: SshdDirective,
    /// Index into the match list returned with it.
    pub block: Option<usize>,
}

/// Returns the files an include pattern names, as (path, text or why it could not be read).
pub type IncludeReader<'a> = dyn FnMut(&str) -> Vec<(String, Result<String, String>)> + 'a;

/// The configuration with every `Include` expanded in place. `read(pattern)` returns the files
/// an include pattern names, as (path, text), in sshd's (sorted) order. A `Match` begun in an
/// included file ends with that file, as in sshd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpandedConfig {
    pub directives: Vec<ScopedDirective>,
    /// (criteria, origin) of each Match block.
    pub blocks: Vec<(String, String)>,
    pub files: Vec<String>,
    /// Include patterns that matched nothing or could not be read.
    pub problems: Vec<String>,
}

pub fn expand_includes(
    main_path: &str,
    main_text: &str,
    read: &mut IncludeReader<'_>,
) -> ExpandedConfig {
    let mut out = ExpandedConfig::default();
    out.files.push(main_path.to_string());
    expand_into(main_path, main_text, None, 0, read, &mut out);
    out
}

fn expand_into(
    path: &str,
    text: &str,
    inherited: Option<usize>,
    depth: usize,
    read: &mut IncludeReader<'_>,
    out: &mut ExpandedConfig,
) {
    let mut block = inherited;
    for d in parse_sshd_config(path, text) {
        match d.keyword.as_str() {
            "match" => {
                let criteria = d.args.join(" ");
                if criteria.eq_ignore_ascii_case("all") {
                    block = None; // `Match all` returns to global scope
                } else {
                    out.blocks.push((criteria, d.origin.clone()));
                    block = Some(out.blocks.len() - 1);
                }
            }
            "include" => {
                if depth >= MAX_INCLUDE_DEPTH {
                    out.problems
                        .push(format!("{}: includes nested too deeply", d.origin));
                    continue;
                }
                for arg in &d.args {
                    let pattern = if arg.starts_with('/') {
                        arg.clone()
                    } else {
                        format!("/etc/ssh/{arg}")
                    };
                    for (file, text) in read(&pattern) {
                        match text {
                            Ok(text) => {
                                out.files.push(file.clone());
                                expand_into(&file, &text, block, depth + 1, read, out);
                            }
                            Err(why) => out.problems.push(format!("{}: {why}", d.origin)),
                        }
                    }
                }
            }
            _ => out.directives.push(ScopedDirective {
                directive: d,
                block,
            }),
        }
    }
}

/// sshd's rule: the first value obtained for a keyword wins, globally and within each Match
/// block. Returns the global settings and the Match blocks (only keywords in `KEPT`).
pub fn effective(cfg: &ExpandedConfig) -> (BTreeMap<String, SshSetting>, Vec<SshMatchBlock>) {
    let mut global = BTreeMap::new();
    let mut blocks: Vec<SshMatchBlock> = cfg
        .blocks
        .iter()
        .map(|(criteria, origin)| SshMatchBlock {
            criteria: criteria.clone(),
            origin: origin.clone(),
            settings: BTreeMap::new(),
        })
        .collect();
    for sd in &cfg.directives {
        let d = &sd.directive;
        if !KEPT.contains(&d.keyword.as_str()) {
            continue;
        }
        let setting = SshSetting {
            value: d.args.join(" ").to_ascii_lowercase(),
            origin: d.origin.clone(),
        };
        let map = match sd.block.and_then(|i| blocks.get_mut(i)) {
            Some(b) => &mut b.settings,
            None => &mut global,
        };
        map.entry(d.keyword.clone()).or_insert(setting);
    }
    blocks.retain(|b| !b.settings.is_empty());
    (global, blocks)
}

/// Parses `sshd -T` output (`keyword value` per line, keywords lower-case).
pub fn parse_sshd_t(text: &str) -> BTreeMap<String, SshSetting> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once(' ') else {
            continue;
        };
        let k = fold_alias(k.to_ascii_lowercase());
        if KEPT.contains(&k.as_str()) {
            out.entry(k).or_insert(SshSetting {
                value: v.trim().to_ascii_lowercase(),
                origin: "sshd -T".into(),
            });
        }
    }
    out
}

pub fn collect(host: &dyn Host) -> SshFacts {
    let mut facts = SshFacts {
        sshd_binary: host.metadata("/usr/sbin/sshd").is_ok()
            || host.metadata("/usr/bin/sshd").is_ok(),
        ..SshFacts::default()
    };
    let main = match host.read(SSHD_CONFIG) {
        Ok(f) => f,
        Err(e) => {
            if !e.is_not_found() {
                facts.config_present = true;
            }
            facts.unknown.insert("sshd_config".into(), e.to_string());
            return facts;
        }
    };
    facts.config_present = true;
    let mut read = |pattern: &str| -> Vec<(String, Result<String, String>)> {
        expand_glob(host, pattern)
            .into_iter()
            .filter_map(|p| match host.read(&p) {
                Ok(f) => Some((p, Ok(f.text))),
                Err(e) if e.is_not_found() => None,
                Err(e) => Some((p, Err(e.to_string()))),
            })
            .collect()
    };
    let cfg = expand_includes(SSHD_CONFIG, &main.text, &mut read);
    let (global, blocks) = effective(&cfg);
    facts.config_files = cfg.files.clone();
    if !cfg.problems.is_empty() {
        facts
            .unknown
            .insert("sshd_config_includes".into(), cfg.problems.join("; "));
    }
    facts.settings = global;
    facts.match_blocks = blocks;
    facts.source = "files".into();
    // The effective global configuration from sshd itself, when we may ask it (needs root to
    // read the host keys; never on an offline tree).
    if is_live(host) && host.privileged() && facts.sshd_binary {
        let program = if host.metadata("/usr/sbin/sshd").is_ok() {
            "/usr/sbin/sshd"
        } else {
            "/usr/bin/sshd"
        };
        let run = host.run(&[program, "-T"], SSHD_T_TIMEOUT);
        if run.unusable_reason().is_none() && run.exited_with(&[0]) {
            let t = parse_sshd_t(&run.stdout);
            if t.contains_key("permitrootlogin") && t.contains_key("passwordauthentication") {
                facts.settings = t;
                facts.source = "sshd -T".into();
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/debian12_sshd_config"
    ));
    const HARDENED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/hardened_sshd_config"
    ));
    const DROPIN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/vendor_match.conf"
    ));
    const SSHD_T: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/sshd_T_debian12.stdout"
    ));

    fn no_includes(_: &str) -> Vec<(String, Result<String, String>)> {
        Vec::new()
    }

    #[test]
    fn split_line_forms() {
        assert_eq!(
            split_line("PermitRootLogin no"),
            Some(("permitrootlogin".into(), vec!["no".into()]))
        );
        assert_eq!(
            split_line("  PasswordAuthentication=yes"),
            Some(("passwordauthentication".into(), vec!["yes".into()]))
        );
        assert_eq!(
            split_line("Key = v # comment"),
            Some(("key".into(), vec!["v".into()]))
        );
        assert_eq!(
            split_line("Banner \"/etc/my banner\""),
            Some(("banner".into(), vec!["/etc/my banner".into()]))
        );
        assert_eq!(split_line("# PermitRootLogin yes"), None);
        assert_eq!(split_line("   "), None);
        assert_eq!(split_line("UsePAM"), Some(("usepam".into(), vec![])));
    }

    #[test]
    fn debian_default_sets_nothing_about_root_or_passwords() {
        let cfg = expand_includes(SSHD_CONFIG, DEBIAN, &mut no_includes);
        let (g, m) = effective(&cfg);
        assert!(m.is_empty());
        assert!(!g.contains_key("permitrootlogin"));
        assert!(!g.contains_key("passwordauthentication"));
        assert_eq!(g["kbdinteractiveauthentication"].value, "no");
        assert_eq!(g["usepam"].value, "yes");
        assert_eq!(g["usepam"].origin, "/etc/ssh/sshd_config:85");
    }

    #[test]
    fn first_value_wins_and_includes_come_first() {
        let mut read = |p: &str| {
            assert_eq!(p, "/etc/ssh/sshd_config.d/*.conf");
            vec![(
                "/etc/ssh/sshd_config.d/50-vendor.conf".to_string(),
                Ok(DROPIN.to_string()),
            )]
        };
        let cfg = expand_includes(SSHD_CONFIG, HARDENED, &mut read);
        assert_eq!(cfg.files.len(), 2);
        let (g, m) = effective(&cfg);
        // The drop-in is included at the top, so its global value wins over the main file's.
        assert_eq!(g["permitrootlogin"].value, "prohibit-password");
        assert_eq!(
            g["permitrootlogin"].origin,
            "/etc/ssh/sshd_config.d/50-vendor.conf:3"
        );
        assert_eq!(g["passwordauthentication"].value, "no");
        // The Match block in the drop-in ends with that file.
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].criteria, "User vendorsvc Address 10.20.0.0/16");
        assert_eq!(m[0].settings["passwordauthentication"].value, "yes");
        assert_eq!(m[1].criteria, "Group sftponly");
        assert!(!m[1].settings.contains_key("permitrootlogin"));
    }

    #[test]
    fn match_all_returns_to_global_and_aliases_fold() {
        let text = "Match User a\nPasswordAuthentication yes\nMatch all\nPasswordAuthentication no\nChallengeResponseAuthentication yes\n";
        let (g, m) = effective(&expand_includes("/x", text, &mut no_includes));
        assert_eq!(g["passwordauthentication"].value, "no");
        assert_eq!(g["kbdinteractiveauthentication"].value, "yes");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn include_loops_stop() {
        let mut read = |p: &str| vec![(p.to_string(), Ok("Include /etc/ssh/loop\n".to_string()))];
        let cfg = expand_includes("/etc/ssh/loop", "Include loop\n", &mut read);
        assert!(!cfg.problems.is_empty());
        let mut read_err = |p: &str| vec![(p.to_string(), Err("needs root".to_string()))];
        let cfg = expand_includes("/x", "Include a.conf\n", &mut read_err);
        assert_eq!(cfg.problems, vec!["/x:1: needs root".to_string()]);
    }

    #[test]
    fn sshd_t_output() {
        let t = parse_sshd_t(SSHD_T);
        assert_eq!(t["permitrootlogin"].value, "without-password");
        assert_eq!(t["passwordauthentication"].value, "yes");
        assert_eq!(t["kbdinteractiveauthentication"].value, "no");
        assert_eq!(t["usepam"].value, "yes");
    }

    #[test]
    fn hostile_input() {
        assert!(parse_sshd_config("/x", "").is_empty());
        let weird = "PermitRootLogin \u{FFFD}yes extra fields\nPasswordAuth\n\"unterminated\n#\n";
        let d = parse_sshd_config("/x", weird);
        assert_eq!(d[0].args, vec!["\u{FFFD}yes", "extra", "fields"]);
        let big = "X11Forwarding no\n".repeat(10_000) + "PermitRootLogin yes\n";
        let (g, _) = effective(&expand_includes("/x", &big, &mut no_includes));
        assert_eq!(g["permitrootlogin"].origin, "/x:10001");
    }
}
