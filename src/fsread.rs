//! Reading a file that may be hostile: regular files only, size checked before reading,
//! never blocking.
//!
//! Every reader of untrusted bytes (host files, offline trees, captures, ledgers, keys, the
//! tool's own input files) goes through here. A FIFO, a device or a socket is refused in
//! milliseconds instead of hanging the tool; `/dev/zero` or a huge file is refused or cut at a
//! cap the caller chooses instead of growing memory without bound.
//!
//! How: the file is opened with `O_NONBLOCK | O_NOCTTY` (so opening a FIFO with no writer
//! returns at once), then `fstat` on the open descriptor decides — never a `stat` of the path
//! followed by an `open`, which a swap in between would defeat.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Whether a symlink as the final component may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Follow a final symlink (the tool's own input files given on the command line).
    Yes,
    /// Refuse a final symlink (`O_NOFOLLOW`): paths already resolved inside an offline tree,
    /// ledger records, keys.
    No,
}

/// What to do with a file larger than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    /// Refuse it with [`ReadError::TooLarge`].
    Refuse,
    /// Read the first `cap` bytes and say so in [`Bytes::truncated`]; the caller must make
    /// whatever depended on the tail `unknown`, never pass.
    Truncate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    /// A FIFO, device, socket or directory.
    #[error("is a {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("is a symbolic link, which is not followed here")]
    Symlink,
    #[error("is {size} bytes, larger than the {cap}-byte limit for this kind of file")]
    TooLarge { size: u64, cap: u64 },
    #[error("{0}")]
    Io(String),
}

impl ReadError {
    pub fn from_io(e: &std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            std::io::ErrorKind::IsADirectory => ReadError::NotRegular("directory"),
            _ if is_eloop(e) => ReadError::Symlink,
            _ => ReadError::Io(e.to_string()),
        }
    }
}

#[cfg(unix)]
fn is_eloop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_eloop(_: &std::io::Error) -> bool {
    false
}

/// Bytes read from a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bytes {
    pub bytes: Vec<u8>,
    /// The file's size when it was opened.
    pub size: u64,
    /// Only the first `cap` bytes were read (see [`Oversize::Truncate`]).
    pub truncated: bool,
}

/// Opens `path` for reading without blocking and checks that it is a regular file.
/// Returns the file and its size.
pub fn open_regular(path: &Path, follow: Follow) -> Result<(File, u64), ReadError> {
    let file = open_nonblocking(path, follow)?;
    let meta = file.metadata().map_err(|e| ReadError::from_io(&e))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ReadError::NotRegular(kind_name(&ft)));
    }
    Ok((file, meta.len()))
}

/// Reads a regular file, at most `cap` bytes.
pub fn read_regular(
    path: &Path,
    cap: u64,
    follow: Follow,
    oversize: Oversize,
) -> Result<Bytes, ReadError> {
    let (file, size) = open_regular(path, follow)?;
    if size > cap && oversize == Oversize::Refuse {
        return Err(ReadError::TooLarge { size, cap });
    }
    // The size can change under us (a growing log): read at most cap + 1 and decide on what
    // was actually read.
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(cap)).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::from_io(&e))?;
    let over = bytes.len() as u64 > cap;
    if over {
        if oversize == Oversize::Refuse {
            return Err(ReadError::TooLarge {
                size: bytes.len() as u64,
                cap,
            });
        }
        bytes.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    }
    Ok(Bytes {
        bytes,
        size,
        truncated: over,
    })
}

/// Reads a whole regular file of at most `cap` bytes, refusing anything larger: the common
/// case for ledgers, keys and the tool's input files.
pub fn read_small(path: &Path, cap: u64, follow: Follow) -> Result<Vec<u8>, ReadError> {
    read_regular(path, cap, follow, Oversize::Refuse).map(|b| b.bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path, follow: Follow) -> Result<File, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if follow == Follow::No {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| ReadError::from_io(&e))
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path, follow: Follow) -> Result<File, ReadError> {
    if follow == Follow::No {
        let meta = std::fs::symlink_metadata(path).map_err(|e| ReadError::from_io(&e))?;
        if meta.file_type().is_symlink() {
            return Err(ReadError::Symlink);
        }
    }
    File::open(path).map_err(|e| ReadError::from_io(&e))
}

fn kind_name(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
    }
    if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

/// Sets the Unix permission bits a new file is created with. Elsewhere (Windows) files take
/// the data directory's inherited ACL, which is the platform's way of saying who may read them.
pub fn with_mode(opts: &mut std::fs::OpenOptions, mode: u32) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    opts
}

/// Makes a path's Unix permission bits exact (the umask may have narrowed them); a no-op where
/// there are no such bits.
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// A file's Unix permission bits, or `None` where the platform has none.
pub fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"hello").unwrap();
        let b = read_regular(&p, 10, Follow::No, Oversize::Refuse).unwrap();
        assert_eq!(b.bytes, b"hello");
        assert!(!b.truncated);
    }

    #[test]
    fn refuses_or_truncates_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(
            read_regular(&p, 4, Follow::Yes, Oversize::Refuse),
            Err(ReadError::TooLarge { size: 10, cap: 4 })
        );
        let b = read_regular(&p, 4, Follow::Yes, Oversize::Truncate).unwrap();
        assert_eq!(b.bytes, b"0123");
        assert!(b.truncated);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo failed");
        let t = Instant::now();
        let err = read_regular(&p, 10, Follow::Yes, Oversize::Refuse).unwrap_err();
        assert_eq!(err, ReadError::NotRegular("FIFO"));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_and_directories_are_refused() {
        assert_eq!(
            read_regular(Path::new("/dev/zero"), 10, Follow::Yes, Oversize::Truncate),
            Err(ReadError::NotRegular("character device"))
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_regular(dir.path(), 10, Follow::Yes, Oversize::Refuse),
            Err(ReadError::NotRegular("directory"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_final_symlink_is_refused_without_follow() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(
            read_regular(&link, 10, Follow::No, Oversize::Refuse),
            Err(ReadError::Symlink)
        );
        assert_eq!(
            read_regular(&link, 10, Follow::Yes, Oversize::Refuse)
                .unwrap()
                .bytes,
            b"x"
        );
    }
}
