//! Path resolution confined to a directory, in the manner of `openat2` with
//! `RESOLVE_BENEATH`: the guest path is walked one component at a time,
//! symlinks are expanded by us (never by the host kernel on an intermediate
//! component), and any step that would leave the starting directory (an
//! absolute path, a `..` too many, a symlink to an absolute path or one whose
//! target climbs out) fails with `ENOTCAPABLE`.
//!
//! The result is a host path whose every component except possibly the last
//! was checked to be a real directory. (The walk is not atomic with respect to
//! concurrent host-side renames; the guest alone cannot race it.)

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::types::Errno;

/// Maximum number of symlinks expanded in one resolution (Linux's limit).
const MAX_SYMLINKS: u32 = 40;

fn check_path(path: &str) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::NOENT);
    }
    if path.starts_with('/') {
        return Err(Errno::NOTCAPABLE);
    }
    if path.contains('\0') {
        return Err(Errno::INVAL);
    }
    Ok(())
}

fn host_path(base: &Path, stack: &[String]) -> PathBuf {
    let mut p = base.to_path_buf();
    p.extend(stack);
    p
}

/// Resolves `path` beneath the directory `base` (a symlink-free host path).
/// With `follow_final`, a symlink in the last position is expanded too (as is
/// one followed by a trailing slash). The last component need not exist.
pub(crate) fn resolve(base: &Path, path: &str, follow_final: bool) -> Result<PathBuf, Errno> {
    check_path(path)?;
    let must_be_dir = path.ends_with('/');
    let mut pending: VecDeque<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    let mut stack: Vec<String> = Vec::new();
    let mut links = 0;
    let mut last_exists = true;
    while let Some(comp) = pending.pop_front() {
        let is_last = pending.is_empty();
        match comp.as_str() {
            "." => {}
            ".." => {
                stack.pop().ok_or(Errno::NOTCAPABLE)?;
            }
            name => {
                let p = host_path(base, &stack).join(name);
                match fs::symlink_metadata(&p) {
                    Ok(m) if m.file_type().is_symlink() && (!is_last || follow_final || must_be_dir) => {
                        links += 1;
                        if links > MAX_SYMLINKS {
                            return Err(Errno::LOOP);
                        }
                        let target = fs::read_link(&p)?;
                        let target = target.to_str().ok_or(Errno::ILSEQ)?;
                        if target.starts_with('/') {
                            return Err(Errno::NOTCAPABLE);
                        }
                        for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                            pending.push_front(c.to_owned());
                        }
                    }
                    Ok(m) => {
                        if !is_last && !m.is_dir() && !m.file_type().is_symlink() {
                            return Err(Errno::NOTDIR);
                        }
                        stack.push(name.to_owned());
                    }
                    Err(e) if is_last && e.kind() == io::ErrorKind::NotFound => {
                        last_exists = false;
                        stack.push(name.to_owned());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    let out = host_path(base, &stack);
    if must_be_dir && last_exists {
        let m = fs::symlink_metadata(&out)?;
        if !m.is_dir() {
            return Err(Errno::NOTDIR);
        }
    }
    Ok(out)
}

/// Resolves all but the last component of `path` (following symlinks) and
/// returns the containing host directory and the final name, for operations
/// that create, remove or inspect the entry itself (mkdir, unlink, rename,
/// symlink, readlink). A final `.` or `..` is refused.
pub(crate) fn resolve_parent(base: &Path, path: &str) -> Result<(PathBuf, String), Errno> {
    check_path(path)?;
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(Errno::NOTCAPABLE);
    }
    let (parent, name) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    if name == "." || name == ".." {
        // Surface an escape first, then refuse the operation on `.`/`..`.
        resolve(base, trimmed, true)?;
        return Err(Errno::INVAL);
    }
    let dir = if parent.trim_matches('/').is_empty() { base.to_path_buf() } else { resolve(base, parent, true)? };
    let m = fs::metadata(&dir)?;
    if !m.is_dir() {
        return Err(Errno::NOTDIR);
    }
    Ok((dir, name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_beneath() {
        let tmp = std::env::temp_dir().join(format!("baton-wasi-path-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(tmp.join("root/sub")).unwrap();
        fs::write(tmp.join("secret"), b"x").unwrap();
        fs::write(tmp.join("root/file"), b"x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../secret", tmp.join("root/out")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", tmp.join("root/abs")).unwrap();
            std::os::unix::fs::symlink("sub/../file", tmp.join("root/in")).unwrap();
            std::os::unix::fs::symlink("loop", tmp.join("root/loop")).unwrap();
        }
        let base = fs::canonicalize(tmp.join("root")).unwrap();
        assert_eq!(resolve(&base, "file", true), Ok(base.join("file")));
        assert_eq!(resolve(&base, "sub/../file", true), Ok(base.join("file")));
        assert_eq!(resolve(&base, "./sub/./", true), Ok(base.join("sub")));
        assert_eq!(resolve(&base, "..", true), Err(Errno::NOTCAPABLE));
        assert_eq!(resolve(&base, "sub/../../secret", true), Err(Errno::NOTCAPABLE));
        assert_eq!(resolve(&base, "/etc/passwd", true), Err(Errno::NOTCAPABLE));
        assert_eq!(resolve(&base, "", true), Err(Errno::NOENT));
        assert_eq!(resolve(&base, "file/x", true), Err(Errno::NOTDIR));
        assert_eq!(resolve(&base, "missing/x", true), Err(Errno::NOENT));
        #[cfg(unix)]
        {
            assert_eq!(resolve(&base, "out", true), Err(Errno::NOTCAPABLE));
            assert_eq!(resolve(&base, "out", false), Ok(base.join("out")));
            assert_eq!(resolve(&base, "abs", true), Err(Errno::NOTCAPABLE));
            assert_eq!(resolve(&base, "in", true), Ok(base.join("file")));
            assert_eq!(resolve(&base, "loop", true), Err(Errno::LOOP));
            assert_eq!(resolve(&base, "out/x", false), Err(Errno::NOTCAPABLE));
        }
        assert_eq!(resolve_parent(&base, "sub/new"), Ok((base.join("sub"), "new".to_string())));
        assert_eq!(resolve_parent(&base, "../new"), Err(Errno::NOTCAPABLE));
        assert_eq!(resolve_parent(&base, ".."), Err(Errno::NOTCAPABLE));
        assert_eq!(resolve_parent(&base, "sub/.."), Err(Errno::INVAL));
        let _ = fs::remove_dir_all(&tmp);
    }
}
