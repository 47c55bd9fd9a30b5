//! /etc/passwd, /etc/shadow and /etc/group: pure parsers, and what a password field means.
//!
//! Parsers never fail: a line that cannot be read (too few fields, a non-numeric UID) is left
//! out and described in `skipped` as `path:line: reason`, so a check can say what it ignored.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

/// What the password field allows, as `pam_unix` would see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordState {
    /// A hash is present and not locked: the account can log in with a password.
    Set,
    /// The field is empty: no password is asked (with `nullok`) or none can be given.
    Empty,
    /// Starts with `!` or `*` (or cannot be a hash): no password login.
    Locked,
    /// Not seen (shadow unreadable, or no usable shadow line).
    #[default]
    Unknown,
}

impl PasswordState {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordState::Set => "set",
            PasswordState::Empty => "empty",
            PasswordState::Locked => "locked",
            PasswordState::Unknown => "unknown",
        }
    }
}

/// A shadow day count (days since 1970-01-01, or a span of days), or unset (an empty field):
/// an `Option<i64>` in 8 bytes instead of 16, because a station's 500,000 accounts carry six
/// each. `i64::MIN` stands for unset, so that one value cannot be held: the parser reports it
/// as out of range (shadow-utils' own range is far smaller). JSON: a number or `null`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Days(i64);

impl Days {
    pub const UNSET: Days = Days(i64::MIN);

    pub fn get(self) -> Option<i64> {
        (self != Days::UNSET).then_some(self.0)
    }
}

impl Default for Days {
    fn default() -> Days {
        Days::UNSET
    }
}

impl From<Option<i64>> for Days {
    fn from(v: Option<i64>) -> Days {
        v.map_or(Days::UNSET, Days)
    }
}

impl PartialEq<Option<i64>> for Days {
    fn eq(&self, other: &Option<i64>) -> bool {
        self.get() == *other
    }
}

impl std::fmt::Debug for Days {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl Serialize for Days {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Days, D::Error> {
        Option::<i64>::deserialize(d).map(Days::from)
    }
}

/// The crypt(5) scheme of a password hash (JSON: its name, e.g. `sha512`, `gost-yescrypt`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum HashScheme {
    Yescrypt,
    GostYescrypt,
    Scrypt,
    Bcrypt,
    Sha512,
    Sha256,
    Sha1,
    SunMd5,
    Md5,
    Bsdi,
    Des,
    /// No hash at all (an empty or bare lock field).
    None,
    /// A hash of a form none of these has, or not seen.
    #[default]
    Unknown,
}

impl HashScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            HashScheme::Yescrypt => "yescrypt",
            HashScheme::GostYescrypt => "gost-yescrypt",
            HashScheme::Scrypt => "scrypt",
            HashScheme::Bcrypt => "bcrypt",
            HashScheme::Sha512 => "sha512",
            HashScheme::Sha256 => "sha256",
            HashScheme::Sha1 => "sha1",
            HashScheme::SunMd5 => "sun-md5",
            HashScheme::Md5 => "md5",
            HashScheme::Bsdi => "bsdi",
            HashScheme::Des => "des",
            HashScheme::None => "none",
            HashScheme::Unknown => "unknown",
        }
    }

    /// Must not be used for new or existing passwords.
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            HashScheme::Des | HashScheme::Bsdi | HashScheme::Md5 | HashScheme::SunMd5
        )
    }

    /// Accepted by the check.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            HashScheme::Yescrypt
                | HashScheme::GostYescrypt
                | HashScheme::Scrypt
                | HashScheme::Bcrypt
                | HashScheme::Sha512
                | HashScheme::Sha256
        )
    }
}

impl std::fmt::Display for HashScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for HashScheme {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Where an account's password field was read (JSON: `shadow`, `passwd`, or empty when it was
/// not seen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordSource {
    #[default]
    #[serde(rename = "")]
    Unseen,
    /// /etc/shadow (the passwd field was `x`).
    Shadow,
    /// /etc/passwd itself holds the hash or the lock.
    Passwd,
}

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    /// The second field: `x` (see shadow), empty, a lock marker or (rarely) a hash.
    pub password_field: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: Cow<'static, str>,
    /// 1-based line number.
    pub line: usize,
}

/// One line of /etc/shadow. Day counts are days since 1970-01-01 or day spans; `None` when
/// the field is empty (or was not a number: then `skipped` says so).
/// Borrowed from the file's text: 500,000 entries with their own strings were over 100 MB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry<'a> {
    pub name: &'a str,
    pub hash: &'a str,
    pub last_change: Days,
    pub min_days: Days,
    pub max_days: Days,
    pub warn_days: Days,
    pub inactive_days: Days,
    pub expire: Days,
    pub line: usize,
}

/// One line of /etc/group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    /// Supplementary members as listed (users whose primary group this is are not listed here).
    pub members: Vec<String>,
    pub line: usize,
}

/// Lines kept and lines left out (`path:line: reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub entries: Vec<T>,
    pub skipped: Vec<String>,
}

/// NIS compat lines (`+user`, `-@netgroup`, `+`) name accounts held elsewhere.
fn is_nis_compat(line: &str) -> bool {
    line.starts_with('+') || line.starts_with('-')
}

/// A numeric ID field the way glibc's nss_files reads it (strtoul, base 10, then a range
/// check): leading white space and one `+` or `-` sign are accepted, then digits only up to
/// the field's end; `-0` is 0, any other negative value and anything above 4294967295 make
/// the line invalid. Checked against `getent passwd` with glibc 2.36.
pub fn glibc_id(field: &str) -> Option<u32> {
    let s = field.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(0);
    }
    if negative {
        return None;
    }
    trimmed.parse::<u32>().ok()
}

/// Leading white space glibc skips before a line (a line that is then empty or starts with
/// `#` is ignored).
fn glibc_line(raw: &str) -> &str {
    raw.trim_start_matches([' ', '\t', '\x0b', '\x0c', '\r'])
}

pub fn parse_passwd(path: &str, text: &str) -> Parsed<PasswdEntry> {
    let mut skipped = Vec::new();
    let entries = passwd_entries(path, text, &mut skipped).collect();
    Parsed { entries, skipped }
}

/// The entries of /etc/passwd one at a time, lines left out described in `skipped` as they
/// pass: the collector joins each entry as it comes, so 500,000 accounts are never held as
/// parsed entries and as joined accounts at once.
pub fn passwd_entries<'a>(
    path: &'a str,
    text: &'a str,
    skipped: &'a mut Vec<String>,
) -> impl Iterator<Item = PasswdEntry> + 'a {
    text.lines()
        .enumerate()
        .filter_map(move |(i, raw)| passwd_line(path, i + 1, raw, skipped))
}

/// The fields of a line, as many as `buf` holds, without a heap allocation for each of
/// 500,000 lines (a `Vec` per line was a tenth of the accounts' time).
fn first_fields<'s, 'a>(
    buf: &'s mut [&'a str],
    parts: impl Iterator<Item = &'a str>,
) -> &'s [&'a str] {
    let mut n = 0;
    for (slot, field) in buf.iter_mut().zip(parts) {
        *slot = field;
        n += 1;
    }
    &buf[..n]
}

fn passwd_line(
    path: &str,
    line: usize,
    raw: &str,
    skipped: &mut Vec<String>,
) -> Option<PasswdEntry> {
    {
        let raw = glibc_line(raw);
        if raw.is_empty() || raw.starts_with('#') {
            return None;
        }
        if is_nis_compat(raw) {
            skipped.push(format!("{path}:{line}: NIS compat entry, accounts held in a directory service are not inspected"));
            return None;
        }
        // glibc: name, password, UID and GID are needed; missing GECOS, home and shell are
        // empty; the shell is the rest of the line, colons included.
        let mut buf = [""; 7];
        let fields = first_fields(&mut buf, raw.splitn(7, ':'));
        if fields.len() < 4 {
            skipped.push(format!(
                "{path}:{line}: too few fields ({} of 7; glibc needs at least 4)",
                fields.len()
            ));
            return None;
        }
        if fields[0].is_empty() {
            skipped.push(format!("{path}:{line}: empty user name"));
            return None;
        }
        let Some(uid) = glibc_id(fields[2]) else {
            skipped.push(format!(
                "{path}:{line}: UID {:?} is not a number glibc accepts (line ignored, as glibc does)",
                fields[2]
            ));
            return None;
        };
        let Some(gid) = glibc_id(fields[3]) else {
            skipped.push(format!(
                "{path}:{line}: GID {:?} is not a number glibc accepts (line ignored, as glibc does)",
                fields[3]
            ));
            return None;
        };
        if fields.len() < 7 {
            skipped.push(format!(
                "{path}:{line}: only {} of 7 fields; glibc reads the missing ones as empty",
                fields.len()
            ));
        }
        let shell = fields.get(6).copied().unwrap_or_default();
        if shell.contains(':') {
            skipped.push(format!(
                "{path}:{line}: extra fields after the shell; glibc reads them as part of the shell"
            ));
        }
        Some(PasswdEntry {
            name: fields[0].to_string(),
            password_field: fields[1].to_string(),
            uid,
            gid,
            gecos: fields.get(4).copied().unwrap_or_default().to_string(),
            home: fields.get(5).copied().unwrap_or_default().to_string(),
            shell: shared_shell(shell),
            line,
        })
    }
}

/// /etc/shadow, kept as its lines sorted by account name, each parsed again when it is
/// looked up: 500,000 parsed entries were 44 MB at a scan's peak; their lines as slices were
/// 12 MB, as offsets into the text 6 MB.
#[derive(Debug, Clone, Default)]
pub struct ShadowTable<'a> {
    text: &'a str,
    /// The first entry of each name only, sorted by name.
    sorted: Vec<ShadowLine>,
}

/// Where a line of /etc/shadow is in its text (the file is capped far below 4 GiB).
#[derive(Debug, Clone, Copy)]
struct ShadowLine {
    start: u32,
    len: u32,
    /// The length of the name (the first field): the sort and every lookup compare names,
    /// and finding the colon again in each comparison was a quarter of the accounts' time.
    name_len: u32,
    number: u32,
}

impl ShadowLine {
    fn in_text(self, text: &str) -> &str {
        let start = self.start as usize;
        text.get(start..start + self.len as usize)
            .unwrap_or_default()
    }

    fn name(self, text: &str) -> &str {
        let start = self.start as usize;
        text.get(start..start + self.name_len as usize)
            .unwrap_or_default()
    }
}

impl<'a> ShadowTable<'a> {
    fn raw(&self, l: ShadowLine) -> &'a str {
        l.in_text(self.text)
    }

    /// The entry for `name` (the first one in the file, as getspnam(3) finds it).
    pub fn get(&self, name: &str) -> Option<ShadowEntry<'a>> {
        let i = self.sorted.partition_point(|l| l.name(self.text) < name);
        let l = *self.sorted.get(i)?;
        if l.name(self.text) != name {
            return None;
        }
        shadow_line("", l.number as usize, self.raw(l), None)
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

fn shadow_name(raw: &str) -> &str {
    raw.split(':').next().unwrap_or_default()
}

/// One line of /etc/shadow; `notes` (when given) receives why it was left out or which field
/// was read as unset.
fn shadow_line<'a>(
    path: &str,
    line: usize,
    raw: &'a str,
    mut notes: Option<&mut Vec<String>>,
) -> Option<ShadowEntry<'a>> {
    let mut note = |text: String| {
        if let Some(n) = notes.as_mut() {
            n.push(text);
        }
    };
    if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
        return None;
    }
    if is_nis_compat(raw) {
        note(format!("{path}:{line}: NIS compat entry ignored"));
        return None;
    }
    // The ninth field (reserved) and anything after it are not read.
    let mut buf = [""; 9];
    let fields = first_fields(&mut buf, raw.split(':'));
    if fields.len() < 2 {
        note(format!(
            "{path}:{line}: too few fields ({} of 9)",
            fields.len()
        ));
        return None;
    }
    if fields[0].is_empty() {
        note(format!("{path}:{line}: empty user name"));
        return None;
    }
    const NAMES: [&str; 6] = [
        "last change",
        "minimum age",
        "maximum age",
        "warning period",
        "inactivity period",
        "expiry date",
    ];
    let mut numbers = [Days::UNSET; 6];
    for (k, slot) in numbers.iter_mut().enumerate() {
        let Some(field) = fields.get(k + 2).map(|f| f.trim()) else {
            break;
        };
        if field.is_empty() {
            continue;
        }
        match field.parse::<i64>() {
            Ok(n) if n != i64::MIN => *slot = Days(n),
            Ok(_) => note(format!(
                "{path}:{line}: {} {field:?} of {} is out of range (treated as unset)",
                NAMES[k], fields[0]
            )),
            Err(_) => note(format!(
                "{path}:{line}: {} {field:?} of {} is not a number (treated as unset)",
                NAMES[k], fields[0]
            )),
        }
    }
    Some(ShadowEntry {
        name: fields[0],
        hash: fields[1],
        last_change: numbers[0],
        min_days: numbers[1],
        max_days: numbers[2],
        warn_days: numbers[3],
        inactive_days: numbers[4],
        expire: numbers[5],
        line,
    })
}

/// Indexes /etc/shadow: the lines that hold an entry, the first of each name, and the notes
/// on every line left out or read in part, in file order.
pub fn index_shadow<'a>(path: &str, text: &'a str) -> (ShadowTable<'a>, Vec<String>) {
    // Notes tagged with their line (and whether they say the line is a second entry), to be
    // put back in file order.
    let mut notes: Vec<(u32, bool, String)> = Vec::new();
    let mut line_notes: Vec<String> = Vec::new();
    let mut sorted: Vec<ShadowLine> = Vec::new();
    // Offsets and line numbers past 4 billion cannot occur: the file is capped far below.
    let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let base = text.as_ptr() as usize;
    for (i, raw) in text.lines().enumerate() {
        if shadow_line(path, i + 1, raw, Some(&mut line_notes)).is_some() {
            sorted.push(ShadowLine {
                start: small(raw.as_ptr() as usize - base),
                len: small(raw.len()),
                name_len: small(shadow_name(raw).len()),
                number: small(i + 1),
            });
        }
        notes.extend(line_notes.drain(..).map(|n| (small(i + 1), false, n)));
    }
    sorted.shrink_to_fit();
    let name_of = |l: &ShadowLine| l.name(text);
    // By name, then line: the first entry of each name leads its run. A sort, not a set of
    // names seen: hashing 500,000 names was a tenth of the accounts' time.
    sorted.sort_unstable_by(|a, b| name_of(a).cmp(name_of(b)).then(a.number.cmp(&b.number)));
    let mut second: Vec<u32> = Vec::new();
    sorted.dedup_by(|later, first| {
        let same = name_of(later) == name_of(first);
        if same {
            second.push(later.number);
            notes.push((
                later.number,
                true,
                format!(
                    "{path}:{}: second entry for {} ignored (the first one counts)",
                    later.number,
                    name_of(later)
                ),
            ));
        }
        same
    });
    // A second entry is not read further: drop what its fields were noted for.
    second.sort_unstable();
    notes.retain(|(line, dup, _)| *dup || second.binary_search(line).is_err());
    notes.sort_by_key(|(line, _, _)| *line);
    (
        ShadowTable { text, sorted },
        notes.into_iter().map(|(_, _, n)| n).collect(),
    )
}

/// Every entry of /etc/shadow in file order (the first of each name), with the notes.
pub fn parse_shadow<'a>(path: &str, text: &'a str) -> Parsed<ShadowEntry<'a>> {
    let (table, skipped) = index_shadow(path, text);
    let mut entries: Vec<ShadowEntry<'a>> = table
        .sorted
        .iter()
        .filter_map(|l| shadow_line(path, l.number as usize, table.raw(*l), None))
        .collect();
    entries.sort_by_key(|e| e.line);
    Parsed { entries, skipped }
}

pub fn parse_group(path: &str, text: &str) -> Parsed<GroupEntry> {
    let mut out = Parsed {
        entries: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = glibc_line(raw);
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        if is_nis_compat(raw) {
            out.skipped
                .push(format!("{path}:{line}: NIS compat entry ignored"));
            continue;
        }
        // The member list is the rest of the line, as glibc reads it.
        let mut buf = [""; 4];
        let fields = first_fields(&mut buf, raw.splitn(4, ':'));
        if fields.len() < 3 || fields[0].is_empty() {
            out.skipped.push(format!(
                "{path}:{line}: too few fields ({} of 4)",
                fields.len()
            ));
            continue;
        }
        let Some(gid) = glibc_id(fields[2]) else {
            out.skipped.push(format!(
                "{path}:{line}: GID {:?} is not a number glibc accepts (line ignored, as glibc does)",
                fields[2]
            ));
            continue;
        };
        let members = fields
            .get(3)
            .map(|m| {
                m.split(',')
                    // glibc drops white space before a member name, not after it.
                    .map(str::trim_start)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.entries.push(GroupEntry {
            name: fields[0].to_string(),
            gid,
            members,
            line,
        });
    }
    out
}

/// Password state and hash scheme of a password field (from shadow, or from passwd when it
/// holds the hash itself).
pub fn classify_password(field: &str) -> (PasswordState, HashScheme) {
    if field.is_empty() {
        return (PasswordState::Empty, HashScheme::None);
    }
    if let Some(rest) = field.strip_prefix(['!', '*']) {
        // `!hash` (usermod -L) keeps the old hash: report its scheme; `!`, `*`, `!!`, `!*` none.
        let rest = rest.trim_start_matches(['!', '*']);
        let scheme = if rest.is_empty() {
            HashScheme::None
        } else {
            hash_scheme(rest)
        };
        return (PasswordState::Locked, scheme);
    }
    (PasswordState::Set, hash_scheme(field))
}

/// The crypt(5) scheme of a hash: yescrypt, gost-yescrypt, scrypt, bcrypt, sha512, sha256,
/// sha1, sun-md5, md5, bsdi, des, or unknown.
pub fn hash_scheme(hash: &str) -> HashScheme {
    const PREFIXES: [(&str, HashScheme); 10] = [
        ("$y$", HashScheme::Yescrypt),
        ("$gy$", HashScheme::GostYescrypt),
        ("$7$", HashScheme::Scrypt),
        ("$2b$", HashScheme::Bcrypt),
        ("$2a$", HashScheme::Bcrypt),
        ("$2y$", HashScheme::Bcrypt),
        ("$6$", HashScheme::Sha512),
        ("$5$", HashScheme::Sha256),
        ("$sha1$", HashScheme::Sha1),
        ("$1$", HashScheme::Md5),
    ];
    if let Some((_, scheme)) = PREFIXES.iter().find(|(p, _)| hash.starts_with(p)) {
        return *scheme;
    }
    if hash.starts_with("$2x$") {
        return HashScheme::Bcrypt;
    }
    if hash.starts_with("$md5") {
        return HashScheme::SunMd5;
    }
    let crypt64 = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
    };
    if hash.len() == 20 && hash.starts_with('_') && crypt64(&hash[1..]) {
        return HashScheme::Bsdi;
    }
    if hash.len() == 13 && crypt64(hash) {
        return HashScheme::Des;
    }
    HashScheme::Unknown
}

/// Whether a shell lets the account run commands after a login. An empty field means /bin/sh.
/// Anything not known to refuse a session counts (sshd and login do not consult /etc/shells).
/// A shell most accounts share is not copied per account (500,000 accounts with
/// /usr/sbin/nologin were 16 MB of copies).
pub fn shared_shell(shell: &str) -> Cow<'static, str> {
    const COMMON: [&str; 12] = [
        "/usr/sbin/nologin",
        "/sbin/nologin",
        "/usr/bin/nologin",
        "/bin/false",
        "/usr/bin/false",
        "/bin/sh",
        "/bin/bash",
        "/usr/bin/bash",
        "/bin/zsh",
        "/usr/bin/zsh",
        "/bin/sync",
        "",
    ];
    match COMMON.iter().find(|c| **c == shell) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(shell.to_string()),
    }
}

pub fn is_login_shell(shell: &str) -> bool {
    let shell = shell.trim();
    if shell.is_empty() {
        return true;
    }
    let base = shell.rsplit('/').next().unwrap_or(shell);
    !(base.ends_with("nologin")
        || matches!(
            base,
            "false" | "true" | "sync" | "shutdown" | "halt" | "poweroff" | "reboot"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/passwd"
    ));
    const SHADOW: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/shadow"
    ));
    const GROUP: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/group"
    ));
    const BAD_PASSWD: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/misconfigured/etc/passwd"
    ));
    const BAD_SHADOW: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/misconfigured/etc/shadow"
    ));

    #[test]
    fn real_debian_passwd() {
        let p = parse_passwd("/etc/passwd", PASSWD);
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        assert_eq!(p.entries.len(), 24);
        let root = &p.entries[0];
        assert_eq!(
            (root.name.as_str(), root.uid, root.gid, root.shell.as_ref()),
            ("root", 0, 0, "/bin/bash")
        );
        let pg = p
            .entries
            .iter()
            .find(|e| e.name == "postgres")
            .map(|e| (e.uid, e.shell.clone()));
        assert_eq!(pg, Some((101, "/bin/bash".into())));
        assert_eq!(p.entries.iter().filter(|e| e.uid == 0).count(), 1);
    }

    #[test]
    fn real_debian_shadow_and_group() {
        let s = parse_shadow("/etc/shadow", SHADOW);
        assert!(s.skipped.is_empty(), "{:?}", s.skipped);
        assert_eq!(s.entries.len(), 24);
        assert_eq!(s.entries[0].max_days, Some(99999));
        let cloud = s.entries.iter().find(|e| e.name == "cloudsdk");
        assert_eq!(
            cloud.map(|e| classify_password(e.hash).1),
            Some(HashScheme::Yescrypt)
        );
        let net = s.entries.iter().find(|e| e.name == "systemd-network");
        assert_eq!(
            net.map(|e| (e.last_change.get(), e.max_days.get())),
            Some((Some(20263), None))
        );

        let g = parse_group("/etc/group", GROUP);
        assert!(g.skipped.is_empty());
        let ssl = g.entries.iter().find(|e| e.name == "ssl-cert");
        assert_eq!(
            ssl.map(|e| e.members.clone()),
            Some(vec!["postgres".to_string()])
        );
        let sudo = g.entries.iter().find(|e| e.name == "sudo");
        assert_eq!(sudo.map(|e| (e.gid, e.members.len())), Some((27, 0)));
    }

    #[test]
    fn garbage_lines_are_skipped_and_reported() {
        let p = parse_passwd("/etc/passwd", BAD_PASSWD);
        assert!(p.entries.iter().any(|e| e.name == "toor" && e.uid == 0));
        assert!(!p.entries.iter().any(|e| e.name == "bad"));
        assert!(
            p.skipped.iter().any(|s| s.contains("too few fields")),
            "{:?}",
            p.skipped
        );
        assert!(
            p.skipped.iter().any(|s| s.contains("UID \"notanumber\"")),
            "{:?}",
            p.skipped
        );
        let s = parse_shadow("/etc/shadow", BAD_SHADOW);
        assert!(
            s.skipped.iter().any(|l| l.contains("too few fields")),
            "{:?}",
            s.skipped
        );
    }

    #[test]
    fn hostile_passwd_input() {
        let text = "root:x:0:0:root:/root:/bin/bash:extra:more\n\
                    :x:5:5::/:/bin/sh\n\
                    trunc:x:1\n\
                    neg:x:-1:0::/:/bin/sh\n\
                    big:x:99999999999:0::/:/bin/sh\n\
                    # comment:x:0:0::/:/bin/sh\n\
                    +@netgroup::::::\n\
                    u\u{FFFD}ser:x:1000:1000:\u{FFFD}:/home/u:/bin/bash\n\
                    \n";
        let p = parse_passwd("/etc/passwd", text);
        let names: Vec<&str> = p.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["root", "u\u{FFFD}ser"]);
        // glibc reads everything after the sixth colon as the shell (getent shows it so).
        assert_eq!(p.entries[0].shell, "/bin/bash:extra:more");
        assert_eq!(p.skipped.len(), 6, "{:?}", p.skipped);
        assert!(parse_passwd("/etc/passwd", "").entries.is_empty());
    }

    #[test]
    fn ids_the_way_glibc_reads_them() {
        // Each verdict checked with `getent passwd` (glibc 2.36) on a bind-mounted passwd.
        for (field, want) in [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("-00", Some(0)),
            ("+0", Some(0)),
            (" 0", Some(0)),
            ("\t0", Some(0)),
            (" +0", Some(0)),
            ("000", Some(0)),
            ("4294967295", Some(u32::MAX)),
            ("1000", Some(1000)),
            ("", None),
            ("-1", None),
            ("- 0", None),
            ("--0", None),
            ("+-0", None),
            ("0x10", None),
            ("0abc", None),
            ("0 ", None),
            ("4294967296", None),
            ("-4294967296", None),
        ] {
            assert_eq!(glibc_id(field), want, "{field:?}");
        }
        let p = parse_passwd(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\nminus0:x:-0:0::/:/bin/sh\n  lead:x:+0:0::/:/bin/sh\nfew:x:0:0\nnogid:x:0\n",
        );
        let got: Vec<(&str, u32, &str)> = p
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.uid, e.shell.as_ref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("root", 0, "/bin/bash"),
                ("minus0", 0, "/bin/sh"),
                ("lead", 0, "/bin/sh"),
                ("few", 0, "")
            ]
        );
        let g = parse_group(
            "/etc/group",
            "g1:x:-0:alice\ng3:x:6\ng5:x:8: carol , dave\n",
        );
        assert_eq!(g.entries[0].gid, 0);
        assert!(g.entries[1].members.is_empty());
        assert_eq!(g.entries[2].members, vec!["carol ", "dave"]);
    }

    #[test]
    fn hostile_shadow_and_group_input() {
        let text = "a:$6$x$y:abc:0:99999:7:::\nb\nc::19000\na:$1$dup:1:2:3:4:::\n:x:1\n";
        let s = parse_shadow("/etc/shadow", text);
        assert_eq!(s.entries.len(), 2);
        assert_eq!(s.entries[0].last_change, None);
        assert_eq!(s.entries[0].max_days, Some(99999));
        assert_eq!(s.entries[1].hash, "");
        assert_eq!(s.entries[1].max_days, None);
        assert_eq!(s.skipped.len(), 4, "{:?}", s.skipped);

        let g = parse_group(
            "/etc/group",
            "sudo:x:27:a, b,,c\nwheel:x:ten:\nshort\nadm:x:4\n",
        );
        assert_eq!(g.entries.len(), 2);
        assert_eq!(g.entries[0].members, vec!["a", "b", "c"]);
        assert!(g.entries[1].members.is_empty());
        assert_eq!(g.skipped.len(), 2);
    }

    #[test]
    fn ten_thousand_lines() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!(
                "user{i}:x:{}:100::/home/user{i}:/bin/bash\n",
                1000 + i
            ));
        }
        assert_eq!(parse_passwd("/etc/passwd", &text).entries.len(), 10_000);
        let shadow: String = (0..10_000)
            .map(|i| format!("user{i}:!:19000:0:99999:7:::\n"))
            .collect();
        assert_eq!(parse_shadow("/etc/shadow", &shadow).entries.len(), 10_000);
    }

    #[test]
    fn the_shadow_table_finds_the_first_entry_of_a_name() {
        let text =
            "zed:!:1::::::\nbob:$6$x:19000:0:90:7:::\n# c\nbob:*:1::::::\nann:x:abc::::::\n:x:1\n";
        let (table, notes) = index_shadow("/etc/shadow", text);
        assert_eq!(table.len(), 3);
        let bob = table.get("bob").unwrap();
        assert_eq!(
            (bob.hash, bob.max_days.get(), bob.line),
            ("$6$x", Some(90), 2)
        );
        assert_eq!(table.get("ann").map(|e| e.last_change), Some(Days::UNSET));
        assert!(table.get("carol").is_none() && table.get("").is_none());
        // Notes in file order: the second bob, ann's last change, the empty name.
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("/etc/shadow:4: second entry for bob"));
        assert!(notes[1].starts_with("/etc/shadow:5: last change \"abc\""));
        assert!(notes[2].starts_with("/etc/shadow:6: empty user name"));
        let parsed = parse_shadow("/etc/shadow", text);
        let names: Vec<&str> = parsed.entries.iter().map(|e| e.name).collect();
        assert_eq!(names, ["zed", "bob", "ann"]);
        assert_eq!(parsed.skipped, notes);
    }

    #[test]
    fn password_states_and_schemes() {
        let c = |f: &str| {
            let (s, h) = classify_password(f);
            (s, h.as_str())
        };
        assert_eq!(c(""), (PasswordState::Empty, "none"));
        assert_eq!(c("!"), (PasswordState::Locked, "none"));
        assert_eq!(c("!!"), (PasswordState::Locked, "none"));
        assert_eq!(c("*"), (PasswordState::Locked, "none"));
        assert_eq!(c("!*"), (PasswordState::Locked, "none"));
        assert_eq!(c("!$1$ab$cd"), (PasswordState::Locked, "md5"));
        assert_eq!(c("$y$j9T$salt$hash"), (PasswordState::Set, "yescrypt"));
        assert_eq!(c("$6$salt$hash"), (PasswordState::Set, "sha512"));
        assert_eq!(c("$5$salt$hash"), (PasswordState::Set, "sha256"));
        assert_eq!(c("$2b$12$abc"), (PasswordState::Set, "bcrypt"));
        assert_eq!(c("$1$salt$hash"), (PasswordState::Set, "md5"));
        assert_eq!(c("abCDefGHijKL."), (PasswordState::Set, "des"));
        assert_eq!(c("_J9..abcdEFGHijklMNOP"), (PasswordState::Set, "unknown"));
        assert_eq!(c("_J9..abcdEFGHijklMNO"), (PasswordState::Set, "bsdi"));
        assert_eq!(c("x"), (PasswordState::Set, "unknown"));
        assert_eq!(c("\u{FFFD}\u{FFFD}"), (PasswordState::Set, "unknown"));
        assert!(HashScheme::Des.is_weak() && HashScheme::Md5.is_weak());
        assert!(!HashScheme::Yescrypt.is_weak());
        assert!(HashScheme::Sha512.is_strong() && !HashScheme::Unknown.is_strong());
        // JSON names are the crypt(5) names.
        for (scheme, name) in [
            (HashScheme::GostYescrypt, "gost-yescrypt"),
            (HashScheme::SunMd5, "sun-md5"),
            (HashScheme::None, "none"),
        ] {
            assert_eq!(serde_json::to_value(scheme).unwrap(), name);
            assert_eq!(scheme.as_str(), name);
        }
    }

    #[test]
    fn login_shells() {
        for s in [
            "/bin/bash",
            "/bin/sh",
            "",
            "/usr/bin/tmux",
            "/usr/bin/python3",
        ] {
            assert!(is_login_shell(s), "{s}");
        }
        for s in [
            "/usr/sbin/nologin",
            "/sbin/nologin",
            "/bin/false",
            "/bin/sync",
            "/sbin/halt",
            "/usr/bin/true",
        ] {
            assert!(!is_login_shell(s), "{s}");
        }
    }
}
