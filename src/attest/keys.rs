//! Operator keys: one encrypted OpenSSH Ed25519 key per technician in `<data dir>/keys/`, its
//! `.pub`, and a line in `<data dir>/allowed_signers`.

use super::NAMESPACE;
use super::allowed_signers::AllowedSigners;
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{Algorithm, Cipher, HashAlg, Kdf, LineEnding, PrivateKey, PublicKey};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use zeroize::Zeroizing;

/// bcrypt-pbkdf rounds for keys that `stationward key generate` writes: four times
/// `ssh-keygen`'s default of 16 (`ssh-keygen -a 64`), about one second per unlock on a small
/// PC. Signing unlocks the key once per sign-off, so the cost is paid rarely.
pub const DEFAULT_KDF_ROUNDS: u32 = 64;

/// Fewest rounds `key generate --kdf-rounds` accepts (ssh-keygen's default).
pub const MIN_KDF_ROUNDS: u32 = 16;

/// Most bcrypt-pbkdf rounds accepted in a key (`key generate --kdf-rounds`, `key import`,
/// and any key loaded to sign): far above any sane setting (64 takes about a second), low
/// enough that a planted key cannot hang a sign-off for hours.
pub const MAX_KDF_ROUNDS: u32 = 1024;

/// Largest key, public key or passphrase file read.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Shortest passphrase `key generate` accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Environment variable holding a passphrase for automation.
pub const PASSPHRASE_ENV: &str = "STATIONWARD_PASSPHRASE";

/// Environment variable holding the new key's passphrase for `key rotate`.
pub const NEW_PASSPHRASE_ENV: &str = "STATIONWARD_NEW_PASSPHRASE";

/// Longest operator id.
pub const MAX_OPERATOR_CHARS: usize = 64;

/// A technician's id: the key file name and the `allowed_signers` principal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperatorId(String);

impl OperatorId {
    /// Letters, digits and `. _ - @ +`, 1 to 64 characters, not starting with `.` or `-`.
    pub fn parse(id: &str) -> Result<OperatorId, KeyError> {
        let invalid = |reason: &'static str| KeyError::InvalidOperator {
            id: id.to_string(),
            reason,
        };
        if id.is_empty() {
            return Err(invalid("it is empty"));
        }
        if id.chars().count() > MAX_OPERATOR_CHARS {
            return Err(invalid("it is longer than 64 characters"));
        }
        if id.chars().any(char::is_whitespace) {
            return Err(invalid("it contains whitespace"));
        }
        if id.contains('/') {
            return Err(invalid("it contains '/'"));
        }
        if id.starts_with('.') || id.starts_with('-') {
            return Err(invalid("it starts with '.' or '-'"));
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
        {
            return Err(invalid("only letters, digits and . _ - @ + are allowed"));
        }
        Ok(OperatorId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OperatorId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OperatorId::parse(s)
    }
}

/// Why a key operation failed; every variant names the file or the id concerned.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid operator id \"{id}\": {reason}")]
    InvalidOperator { id: String, reason: &'static str },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: a key for operator \"{operator}\" already exists (refusing to overwrite)", path.display())]
    Exists { path: PathBuf, operator: String },
    #[error(
        "no key for operator \"{operator}\" ({} does not exist); run `stationward key generate --operator {operator}`",
        path.display()
    )]
    NotFound { path: PathBuf, operator: String },
    #[error(
        "{}: readable by group or others (mode {mode:04o}); refusing to use it, run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error(
        "{}: private key is not protected by a passphrase; refusing to use it (add one with `ssh-keygen -p -f {}`)",
        path.display(),
        path.display()
    )]
    Unencrypted { path: PathBuf },
    #[error("{}: {algorithm} key; stationward signs with ssh-ed25519 keys only", path.display())]
    WrongAlgorithm { path: PathBuf, algorithm: String },
    #[error("{}: not an OpenSSH private key: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
    #[error("{}: wrong passphrase", path.display())]
    WrongPassphrase { path: PathBuf },
    #[error("{}: {reason}", path.display())]
    Mismatch { path: PathBuf, reason: String },
    #[error("passphrase refused: {reason}")]
    WeakPassphrase { reason: String },
    #[error("no passphrase: {reason}")]
    NoPassphrase { reason: String },
    #[error("cannot sign: {reason}")]
    Sign { reason: String },
    #[error("{0}")]
    AllowedSigners(#[from] crate::diagnostic::SourceError),
    #[error("{}: cannot read: {reason}", path.display())]
    Unreadable {
        path: PathBuf,
        reason: crate::fsread::ReadError,
    },
    #[error("{}: bcrypt-pbkdf with {rounds} rounds; {reason}", path.display())]
    KdfRounds {
        path: PathBuf,
        rounds: u32,
        reason: String,
    },
    #[error(
        "this key is already registered to operator \"{other}\" ({where_}); one key per technician, refusing to register it for \"{operator}\""
    )]
    RegisteredToOther {
        operator: String,
        other: String,
        where_: String,
    },
}

fn unreadable(path: &Path) -> impl FnOnce(crate::fsread::ReadError) -> KeyError + '_ {
    move |reason| KeyError::Unreadable {
        path: path.to_path_buf(),
        reason,
    }
}

/// Reads a key or passphrase file: regular, at most [`MAX_KEY_FILE_BYTES`], never blocking;
/// returns the bytes and the file's permission bits (checked on the open file).
fn read_secret_file(
    path: &Path,
    follow: crate::fsread::Follow,
) -> Result<(Zeroizing<Vec<u8>>, u32), KeyError> {
    use std::io::Read;
    let (file, size) = crate::fsread::open_regular(path, follow).map_err(unreadable(path))?;
    // Where there are no Unix bits (Windows) there is nothing for the group/other check to
    // find: the file takes the data directory's ACL.
    let mode = crate::fsread::mode_of(&file.metadata().map_err(io_error(path))?).unwrap_or(0o600);
    let too_large = |size| KeyError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::fsread::ReadError::TooLarge {
            size,
            cap: MAX_KEY_FILE_BYTES,
        },
    };
    if size > MAX_KEY_FILE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok((bytes, mode))
}

/// The text of a file that may be absent (`None`), read safely.
fn read_optional_text(path: &Path) -> Result<Option<String>, KeyError> {
    match crate::fsread::read_small(
        path,
        super::allowed_signers::MAX_FILE_BYTES,
        crate::fsread::Follow::Yes,
    ) {
        Ok(b) => String::from_utf8(b)
            .map(Some)
            .map_err(|_| KeyError::Unreadable {
                path: path.to_path_buf(),
                reason: crate::fsread::ReadError::Io("not UTF-8 text".into()),
            }),
        Err(crate::fsread::ReadError::NotFound) => Ok(None),
        Err(e) => Err(unreadable(path)(e)),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Output format of `key export-pub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyFormat {
    /// `ssh-ed25519 AAAA... operator`
    OpenSsh,
    /// PEM `SubjectPublicKeyInfo`, for `openssl pkeyutl -verify -pubin -rawin`.
    Pem,
}

/// One operator's key as `key list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub operator: OperatorId,
    /// `SHA256:...` (the DSSE keyid).
    pub fingerprint: String,
    pub private_key: PathBuf,
    pub public_key: PathBuf,
    /// True when a private key file sits beside the `.pub`.
    pub has_private_key: bool,
    /// bcrypt rounds of the private key, when it is encrypted with bcrypt-pbkdf.
    pub kdf_rounds: Option<u32>,
    /// True when `allowed_signers` lists this key for this operator.
    pub allowed: bool,
    /// Other operators holding the same key (their `.pub`, or a line of `allowed_signers`):
    /// one key under two names defeats the two-person rule, so `key list` flags it.
    pub shared_with: Vec<String>,
}

/// The key files of one data directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    data_dir: PathBuf,
}

impl KeyStore {
    pub fn new(data_dir: &Path) -> KeyStore {
        KeyStore {
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    pub fn private_key_path(&self, operator: &OperatorId) -> PathBuf {
        self.keys_dir().join(operator.as_str())
    }

    pub fn public_key_path(&self, operator: &OperatorId) -> PathBuf {
        self.keys_dir().join(format!("{operator}.pub"))
    }

    pub fn allowed_signers_path(&self) -> PathBuf {
        allowed_signers_path(&self.data_dir)
    }

    /// Generates an encrypted Ed25519 key (bcrypt-pbkdf with `rounds`, aes256-ctr), writes it
    /// with mode 0600, writes the `.pub`, and adds the operator to `allowed_signers`.
    pub fn generate(
        &self,
        operator: &OperatorId,
        passphrase: &str,
        rounds: u32,
    ) -> Result<KeyInfo, KeyError> {
        check_new_passphrase(passphrase)?;
        self.refuse_existing(operator)?;
        let encrypted = new_encrypted_key(operator, passphrase, rounds)?;
        let text = encrypted
            .to_openssh(LineEnding::LF)
            .map_err(|e| sign_error(&e))?;
        self.install(operator, text.as_bytes(), encrypted.public_key())?;
        self.info(operator)
    }

    /// Replaces the operator's key with a new one (after the ledger recorded the rotation):
    /// the old files are kept as `<id>.retired-<unix time>` and `<id>.pub.retired-<unix
    /// time>`, the new key is written as `generate` does and listed in `allowed_signers`.
    pub fn replace(
        &self,
        operator: &OperatorId,
        encrypted: &PrivateKey,
        at: i64,
    ) -> Result<KeyInfo, KeyError> {
        let text = encrypted
            .to_openssh(LineEnding::LF)
            .map_err(|e| sign_error(&e))?;
        let dir = self.keys_dir();
        for path in [
            self.private_key_path(operator),
            self.public_key_path(operator),
        ] {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let retired = dir.join(format!("{name}.retired-{at}"));
            fs::rename(&path, &retired).map_err(io_error(&path))?;
        }
        self.install(operator, text.as_bytes(), encrypted.public_key())?;
        self.info(operator)
    }
}

/// A fresh Ed25519 key for `operator`, encrypted with `passphrase` (bcrypt-pbkdf with
/// `rounds`, aes256-ctr). The passphrase must meet [`MIN_PASSPHRASE_CHARS`].
pub fn new_encrypted_key(
    operator: &OperatorId,
    passphrase: &str,
    rounds: u32,
) -> Result<PrivateKey, KeyError> {
    check_new_passphrase(passphrase)?;
    {
        let mut rng = rand_core::OsRng;
        let keypair = Ed25519Keypair::random(&mut rng);
        let plain = PrivateKey::new(KeypairData::Ed25519(keypair), operator.as_str())
            .map_err(|e| sign_error(&e))?;
        let mut salt = vec![0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rng, &mut salt);
        let checkint = rand_core::RngCore::next_u32(&mut rng);
        let encrypted = plain
            .encrypt_with(
                Cipher::Aes256Ctr,
                Kdf::Bcrypt {
                    salt,
                    rounds: rounds.max(1),
                },
                checkint,
                passphrase.as_bytes(),
            )
            .map_err(|e| sign_error(&e))?;
        drop(plain);
        Ok(encrypted)
    }
}

impl KeyStore {
    /// Imports an existing OpenSSH Ed25519 private key (e.g. from `ssh-keygen -t ed25519`). The
    /// key must be encrypted, and `passphrase` must open it; the file is copied as it is.
    pub fn import(
        &self,
        file: &Path,
        operator: &OperatorId,
        passphrase: &str,
    ) -> Result<KeyInfo, KeyError> {
        self.refuse_existing(operator)?;
        let (key, bytes) = read_private_key(file, crate::fsread::Follow::Yes)?;
        // What `key generate` requires of a key, an imported key meets too.
        check_new_passphrase(passphrase)?;
        if let Kdf::Bcrypt { rounds, .. } = key.kdf()
            && *rounds < MIN_KDF_ROUNDS
        {
            return Err(KeyError::KdfRounds {
                path: file.to_path_buf(),
                rounds: *rounds,
                reason: format!(
                    "at least {MIN_KDF_ROUNDS} are required (re-encrypt with `ssh-keygen -p -a 64 -f {}`)",
                    file.display()
                ),
            });
        }
        self.refuse_registered_elsewhere(operator, key.public_key())?;
        let decrypted = decrypt(file, &key, passphrase)?;
        drop(decrypted);
        self.install(operator, &bytes, key.public_key())?;
        self.info(operator)
    }

    /// Every operator with a `.pub` in the keys directory, sorted by id.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let dir = self.keys_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir)(e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(".pub")
                && let Ok(id) = OperatorId::parse(id)
            {
                ids.push(id);
            }
        }
        ids.sort();
        let mut infos = ids
            .iter()
            .map(|id| self.info(id))
            .collect::<Result<Vec<_>, _>>()?;
        let signers = read_optional_text(&self.allowed_signers_path())
            .ok()
            .flatten()
            .and_then(|t| AllowedSigners::parse(&self.allowed_signers_path(), &t).ok());
        let keys: Vec<(String, PublicKey)> = ids
            .iter()
            .filter_map(|id| Some((id.to_string(), self.public_key(id).ok()?)))
            .collect();
        for info in &mut infos {
            let Some((_, key)) = keys.iter().find(|(op, _)| op == info.operator.as_str()) else {
                continue;
            };
            let mut others: Vec<String> = keys
                .iter()
                .filter(|(op, k)| op != info.operator.as_str() && k.key_data() == key.key_data())
                .map(|(op, _)| op.clone())
                .collect();
            if let Some(s) = &signers {
                for line in s.for_key(key.key_data()) {
                    // Every other name the line gives the key (a pattern such as `*` too).
                    others.extend(
                        line.principals
                            .iter()
                            .filter(|p| !p.starts_with('!') && p.as_str() != info.operator.as_str())
                            .cloned(),
                    );
                }
            }
            others.sort();
            others.dedup();
            info.shared_with = others;
        }
        Ok(infos)
    }

    /// The operator's public key, from its `.pub` file.
    pub fn public_key(&self, operator: &OperatorId) -> Result<PublicKey, KeyError> {
        let path = self.public_key_path(operator);
        let text =
            match crate::fsread::read_small(&path, MAX_KEY_FILE_BYTES, crate::fsread::Follow::No) {
                Ok(t) => String::from_utf8_lossy(&t).into_owned(),
                Err(crate::fsread::ReadError::NotFound) => {
                    return Err(KeyError::NotFound {
                        path,
                        operator: operator.to_string(),
                    });
                }
                Err(e) => return Err(unreadable(&path)(e)),
            };
        let key = PublicKey::from_openssh(text.trim()).map_err(|e| KeyError::Parse {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(KeyError::WrongAlgorithm {
                path,
                algorithm: key.algorithm().to_string(),
            });
        }
        Ok(key)
    }

    /// The operator's public key as an OpenSSH line or a PEM `SubjectPublicKeyInfo`.
    pub fn export_public(
        &self,
        operator: &OperatorId,
        format: PublicKeyFormat,
    ) -> Result<String, KeyError> {
        let key = self.public_key(operator)?;
        let path = self.public_key_path(operator);
        match format {
            PublicKeyFormat::OpenSsh => {
                let mut key = key;
                key.set_comment(operator.as_str());
                key.to_openssh()
                    .map(|s| s + "\n")
                    .map_err(|e| KeyError::Parse {
                        path,
                        reason: e.to_string(),
                    })
            }
            PublicKeyFormat::Pem => ed25519_pem(&key).ok_or(KeyError::WrongAlgorithm {
                path,
                algorithm: key.algorithm().to_string(),
            }),
        }
    }

    /// Loads the operator's private key and opens it with `passphrase`. Refuses a key file
    /// readable by group or others, an unencrypted key, and a key that does not match its
    /// `.pub`.
    pub fn load_signer(&self, operator: &OperatorId, passphrase: &str) -> Result<Signer, KeyError> {
        let path = self.private_key_path(operator);
        if !path.exists() {
            return Err(KeyError::NotFound {
                path,
                operator: operator.to_string(),
            });
        }
        let (key, _) = read_private_key(&path, crate::fsread::Follow::No)?;
        if let Ok(public) = self.public_key(operator)
            && public.key_data() != key.public_key().key_data()
        {
            return Err(KeyError::Mismatch {
                path: self.public_key_path(operator),
                reason: format!("does not match the private key {}", path.display()),
            });
        }
        let decrypted = decrypt(&path, &key, passphrase)?;
        Signer::from_private_key(operator.clone(), decrypted)
    }

    /// Adds `operator key` to `allowed_signers` unless the same key is already listed for that
    /// principal. Returns whether a line was added.
    pub fn trust(&self, operator: &OperatorId, key: &PublicKey) -> Result<bool, KeyError> {
        let path = self.allowed_signers_path();
        fs::create_dir_all(&self.data_dir).map_err(io_error(&self.data_dir))?;
        let existing = read_optional_text(&path)?.unwrap_or_default();
        let signers = AllowedSigners::parse(&path, &existing)?;
        if signers.lists(key.key_data(), operator.as_str()) {
            return Ok(false);
        }
        let mut plain = key.clone();
        plain.set_comment("");
        let encoded = plain.to_openssh().map_err(|e| sign_error(&e))?;
        let mut line = String::new();
        if !existing.is_empty() && !existing.ends_with('\n') {
            line.push('\n');
        }
        line.push_str(operator.as_str());
        line.push_str(" namespaces=\"");
        line.push_str(NAMESPACE);
        line.push_str("\" ");
        line.push_str(encoded.trim());
        line.push('\n');
        let mut file =
            crate::fsread::with_mode(OpenOptions::new().append(true).create(true), 0o644)
                .open(&path)
                .map_err(io_error(&path))?;
        file.write_all(line.as_bytes()).map_err(io_error(&path))?;
        file.sync_all().map_err(io_error(&path))?;
        Ok(true)
    }

    /// Refuses a key that `allowed_signers` or another operator's `.pub` already gives to
    /// someone else.
    fn refuse_registered_elsewhere(
        &self,
        operator: &OperatorId,
        key: &PublicKey,
    ) -> Result<(), KeyError> {
        let path = self.allowed_signers_path();
        if let Some(text) = read_optional_text(&path)? {
            let signers = AllowedSigners::parse(&path, &text)?;
            for line in signers.for_key(key.key_data()) {
                if let Some(other) = line.principals.iter().find(|p| *p != operator.as_str()) {
                    return Err(KeyError::RegisteredToOther {
                        operator: operator.to_string(),
                        other: other.clone(),
                        where_: format!("{} line {}", path.display(), line.line),
                    });
                }
            }
        }
        for info in self.list()? {
            if info.operator != *operator
                && self
                    .public_key(&info.operator)
                    .is_ok_and(|k| k.key_data() == key.key_data())
            {
                return Err(KeyError::RegisteredToOther {
                    operator: operator.to_string(),
                    other: info.operator.to_string(),
                    where_: info.public_key.display().to_string(),
                });
            }
        }
        Ok(())
    }

    fn refuse_existing(&self, operator: &OperatorId) -> Result<(), KeyError> {
        for path in [
            self.private_key_path(operator),
            self.public_key_path(operator),
        ] {
            if path.exists() {
                return Err(KeyError::Exists {
                    path,
                    operator: operator.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Writes the private key (0600, never over an existing file), the `.pub`, and the
    /// `allowed_signers` line.
    fn install(
        &self,
        operator: &OperatorId,
        private_bytes: &[u8],
        public: &PublicKey,
    ) -> Result<(), KeyError> {
        let dir = self.keys_dir();
        crate::atomic::create_data_subdir(&self.data_dir, &dir).map_err(io_error(&dir))?;
        crate::fsread::set_mode(&dir, 0o700).map_err(io_error(&dir))?;
        let private_path = self.private_key_path(operator);
        write_new(&private_path, private_bytes, 0o600)?;
        let mut public = public.clone();
        public.set_comment(operator.as_str());
        let line = public.to_openssh().map_err(|e| sign_error(&e))? + "\n";
        let public_path = self.public_key_path(operator);
        if let Err(e) = write_new(&public_path, line.as_bytes(), 0o644) {
            let _ = fs::remove_file(&private_path);
            return Err(e);
        }
        self.trust(operator, &public)?;
        Ok(())
    }

    fn info(&self, operator: &OperatorId) -> Result<KeyInfo, KeyError> {
        let public = self.public_key(operator)?;
        let private_path = self.private_key_path(operator);
        let kdf_rounds = read_secret_file(&private_path, crate::fsread::Follow::No)
            .ok()
            .map(|(b, _)| b)
            .and_then(|b| PrivateKey::from_openssh(b).ok())
            .and_then(|k| match k.kdf() {
                Kdf::Bcrypt { rounds, .. } => Some(*rounds),
                _ => None,
            });
        let allowed = read_optional_text(&self.allowed_signers_path())
            .ok()
            .flatten()
            .and_then(|t| AllowedSigners::parse(&self.allowed_signers_path(), &t).ok())
            .is_some_and(|s| s.lists(public.key_data(), operator.as_str()));
        Ok(KeyInfo {
            operator: operator.clone(),
            fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
            has_private_key: private_path.is_file(),
            private_key: private_path,
            public_key: self.public_key_path(operator),
            kdf_rounds,
            allowed,
            shared_with: Vec::new(),
        })
    }
}

/// `<data dir>/allowed_signers`.
pub fn allowed_signers_path(data_dir: &Path) -> PathBuf {
    data_dir.join("allowed_signers")
}

fn sign_error(e: &ssh_key::Error) -> KeyError {
    KeyError::Sign {
        reason: e.to_string(),
    }
}

/// Creates `path` (never over an existing file) with exactly `mode`: written whole to a
/// temporary file and linked into place, so a crash never leaves half a key.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let tmp = crate::atomic::temporary_for(path);
    crate::atomic::write(
        path,
        &tmp,
        bytes,
        crate::atomic::Place::NoReplace,
        Some(mode),
    )
    .map_err(|e| {
        if e.is_exists() && e.path == path {
            KeyError::Exists {
                path: path.to_path_buf(),
                operator: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            }
        } else {
            io_error(&e.path)(e.source)
        }
    })
}

/// Reads and parses a private key file after checking that neither group nor others can read
/// it, and that it holds an encrypted Ed25519 key.
fn read_private_key(
    path: &Path,
    follow: crate::fsread::Follow,
) -> Result<(PrivateKey, Zeroizing<Vec<u8>>), KeyError> {
    let (bytes, mode) = read_secret_file(path, follow)?;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let key = PrivateKey::from_openssh(&*bytes).map_err(|e| KeyError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(KeyError::WrongAlgorithm {
            path: path.to_path_buf(),
            algorithm: key.algorithm().to_string(),
        });
    }
    if !key.is_encrypted() {
        return Err(KeyError::Unencrypted {
            path: path.to_path_buf(),
        });
    }
    // Decrypting costs time in proportion to the rounds: refuse an absurd count before.
    if let Kdf::Bcrypt { rounds, .. } = key.kdf()
        && *rounds > MAX_KDF_ROUNDS
    {
        return Err(KeyError::KdfRounds {
            path: path.to_path_buf(),
            rounds: *rounds,
            reason: format!("more than {MAX_KDF_ROUNDS} is refused (unlocking would take hours)"),
        });
    }
    Ok((key, bytes))
}

fn decrypt(path: &Path, key: &PrivateKey, passphrase: &str) -> Result<PrivateKey, KeyError> {
    key.decrypt(passphrase.as_bytes()).map_err(|e| match e {
        ssh_key::Error::Crypto | ssh_key::Error::Encoding(_) | ssh_key::Error::FormatEncoding => {
            KeyError::WrongPassphrase {
                path: path.to_path_buf(),
            }
        }
        other => KeyError::Parse {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

fn check_new_passphrase(passphrase: &str) -> Result<(), KeyError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyError::WeakPassphrase {
            reason: format!("use at least {MIN_PASSPHRASE_CHARS} characters"),
        });
    }
    Ok(())
}

/// PEM `SubjectPublicKeyInfo` (RFC 8410) of an Ed25519 key; `None` for other algorithms or
/// bytes that are not a curve point.
pub fn ed25519_pem(key: &PublicKey) -> Option<String> {
    use ed25519_dalek::pkcs8::{EncodePublicKey, spki::der::pem::LineEnding};
    let raw = key.key_data().ed25519()?;
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&raw.0).ok()?;
    verifying.to_public_key_pem(LineEnding::LF).ok()
}

/// `SHA256:...`, the OpenSSH fingerprint used as DSSE keyid.
pub fn keyid(key: &ssh_key::public::KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// A decrypted operator key, ready to sign. Secret material is zeroized on drop.
pub struct Signer {
    operator: OperatorId,
    key: PrivateKey,
    keyid: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("operator", &self.operator)
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Wraps an already decrypted Ed25519 key (what [`KeyStore::load_signer`] returns). Tests
    /// and tools that hold a key in memory use this directly.
    pub fn from_private_key(operator: OperatorId, key: PrivateKey) -> Result<Signer, KeyError> {
        if key.is_encrypted() {
            return Err(KeyError::Sign {
                reason: format!("the key for \"{operator}\" is still encrypted"),
            });
        }
        if key.key_data().ed25519().is_none() {
            return Err(KeyError::Sign {
                reason: format!(
                    "the key for \"{operator}\" is {}, not ssh-ed25519",
                    key.algorithm()
                ),
            });
        }
        let keyid = keyid(key.public_key().key_data());
        Ok(Signer {
            operator,
            key,
            keyid,
        })
    }

    /// A fresh random key held only in memory (for tests and benchmarks); trust it with
    /// [`KeyStore::trust`] for its records to verify.
    pub fn generate_in_memory(operator: OperatorId) -> Result<Signer, KeyError> {
        let keypair = Ed25519Keypair::random(&mut rand_core::OsRng);
        let key = PrivateKey::new(KeypairData::Ed25519(keypair), operator.as_str())
            .map_err(|e| sign_error(&e))?;
        Signer::from_private_key(operator, key)
    }

    pub fn operator(&self) -> &OperatorId {
        &self.operator
    }

    /// `SHA256:<fingerprint>`, the DSSE keyid.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The Ed25519 verifying key.
    pub fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        let raw = self
            .key
            .public_key()
            .key_data()
            .ed25519()
            .ok_or_else(|| KeyError::Sign {
                reason: "not an ed25519 key".to_string(),
            })?;
        ed25519_dalek::VerifyingKey::from_bytes(&raw.0).map_err(|e| KeyError::Sign {
            reason: e.to_string(),
        })
    }

    /// A raw Ed25519 signature over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> Result<[u8; 64], KeyError> {
        use ed25519_dalek::Signer as _;
        let KeypairData::Ed25519(pair) = self.key.key_data() else {
            return Err(KeyError::Sign {
                reason: "not an ed25519 key".to_string(),
            });
        };
        let signing = ed25519_dalek::SigningKey::from(&pair.private);
        Ok(signing.sign(message).to_bytes())
    }

    /// An armored SSHSIG over `message` in the stationward namespace (SHA-512, as ssh-keygen).
    pub fn sign_sshsig(&self, message: &[u8]) -> Result<String, KeyError> {
        let sig = self
            .key
            .sign(NAMESPACE, HashAlg::Sha512, message)
            .map_err(|e| sign_error(&e))?;
        sig.to_pem(LineEnding::LF).map_err(|e| sign_error(&e))
    }
}

/// Where a passphrase comes from, in order: `file` (its first line), then the
/// `STATIONWARD_PASSPHRASE` environment variable, then a prompt on the terminal (asked twice
/// when `confirm`) when standard input is one.
pub fn obtain_passphrase(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, KeyError> {
    obtain_passphrase_from(file, PASSPHRASE_ENV, prompt, confirm)
}

/// As [`obtain_passphrase`], with the environment variable `env` in place of
/// [`PASSPHRASE_ENV`].
pub fn obtain_passphrase_from(
    file: Option<&Path>,
    env: &str,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, KeyError> {
    if let Some(path) = file {
        return read_passphrase_file(path);
    }
    if let Some(value) = std::env::var_os(env) {
        let value = Zeroizing::new(value.into_string().map_err(|_| KeyError::NoPassphrase {
            reason: format!("{env} is not valid UTF-8"),
        })?);
        if value.is_empty() {
            return Err(KeyError::NoPassphrase {
                reason: format!("{env} is empty"),
            });
        }
        return Ok(value);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(KeyError::NoPassphrase {
            reason: format!(
                "standard input is not a terminal to prompt on; use --passphrase-file FILE or {env}"
            ),
        });
    }
    let no_tty = |e: io::Error| KeyError::NoPassphrase {
        reason: format!("cannot prompt ({e}); use --passphrase-file FILE or {env}"),
    };
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_tty)?);
    if confirm {
        let second =
            Zeroizing::new(rpassword::prompt_password("Repeat passphrase: ").map_err(no_tty)?);
        if *first != *second {
            return Err(KeyError::NoPassphrase {
                reason: "the two passphrases differ".to_string(),
            });
        }
    }
    if first.is_empty() {
        return Err(KeyError::NoPassphrase {
            reason: "empty passphrase".to_string(),
        });
    }
    Ok(first)
}

/// The first line of a passphrase file (without its line ending). The file must not be
/// readable by group or others.
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let (bytes, mode) = read_secret_file(path, crate::fsread::Follow::Yes)?;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::NoPassphrase {
        reason: format!("{}: not valid UTF-8", path.display()),
    })?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(KeyError::NoPassphrase {
            reason: format!("{}: the first line is empty", path.display()),
        });
    }
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_ids() {
        for ok in ["alice", "j.smith", "tech-01", "a_b", "x@site+1", "Z"] {
            assert!(OperatorId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a b", "a/b", ".hidden", "-x", "a,b", "a*", "tab\t", "é", "a\"b",
        ] {
            assert!(OperatorId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(OperatorId::parse(&"a".repeat(65)).is_err());
        let e = OperatorId::parse("a b").unwrap_err().to_string();
        assert!(e.contains("whitespace"), "{e}");
    }

    #[test]
    fn pem_of_ed25519_key() {
        let signer = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
        let pem = ed25519_pem(signer.public_key()).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(signer.keyid().starts_with("SHA256:"));
        assert!(!format!("{signer:?}").contains("private"));
    }

    #[test]
    fn raw_signature_verifies() {
        use ed25519_dalek::Verifier as _;
        let signer = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
        let sig = signer.sign_raw(b"msg").unwrap();
        let vk = signer.verifying_key().unwrap();
        assert!(
            vk.verify(b"msg", &ed25519_dalek::Signature::from_bytes(&sig))
                .is_ok()
        );
        assert!(
            vk.verify(b"msh", &ed25519_dalek::Signature::from_bytes(&sig))
                .is_err()
        );
    }
}
