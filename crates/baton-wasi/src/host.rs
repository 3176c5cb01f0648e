//! The WASI preview1 calls themselves, as methods of [`WasiCtx`] working on a
//! bounds-checked view of guest memory and returning an errno on failure.
#![allow(clippy::too_many_arguments)]

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ctx::{Fd, Kind, WasiCtx};
use crate::mem::GuestMem;
use crate::path::{resolve, resolve_parent};
use crate::types::*;

type R = Result<(), Errno>;

fn filetype_of(ft: fs::FileType) -> u8 {
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else {
        #[cfg(unix)]
        {
            if ft.is_char_device() {
                return filetype::CHARACTER_DEVICE;
            }
            if ft.is_block_device() {
                return filetype::BLOCK_DEVICE;
            }
            if ft.is_socket() {
                return filetype::SOCKET_STREAM;
            }
        }
        filetype::UNKNOWN
    }
}

/// A `filestat` record.
struct Filestat {
    dev: u64,
    ino: u64,
    filetype: u8,
    nlink: u64,
    size: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

impl Filestat {
    fn from_meta(m: &fs::Metadata) -> Filestat {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| (s as u64).wrapping_mul(1_000_000_000).wrapping_add(n as u64);
            Filestat {
                dev: m.dev(),
                ino: m.ino(),
                filetype: filetype_of(m.file_type()),
                nlink: m.nlink(),
                size: m.size(),
                atim: ns(m.atime(), m.atime_nsec()),
                mtim: ns(m.mtime(), m.mtime_nsec()),
                ctim: ns(m.ctime(), m.ctime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let t = |t: std::io::Result<SystemTime>| {
                t.ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64)
            };
            Filestat {
                dev: 0,
                ino: 0,
                filetype: filetype_of(m.file_type()),
                nlink: 1,
                size: m.len(),
                atim: t(m.accessed()),
                mtim: t(m.modified()),
                ctim: t(m.created()),
            }
        }
    }

    fn write(&self, m: &mut GuestMem, ptr: u32) -> R {
        let mut buf = [0u8; FILESTAT_SIZE];
        buf[0..8].copy_from_slice(&self.dev.to_le_bytes());
        buf[8..16].copy_from_slice(&self.ino.to_le_bytes());
        buf[16] = self.filetype;
        buf[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        buf[32..40].copy_from_slice(&self.size.to_le_bytes());
        buf[40..48].copy_from_slice(&self.atim.to_le_bytes());
        buf[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        buf[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        m.write_bytes(ptr, &buf)
    }
}

/// The `FileTimes` a `*_set_times` call asks for.
fn file_times(atim: u64, mtim: u64, flags: u16) -> Result<FileTimes, Errno> {
    if (flags & fstflags::ATIM != 0 && flags & fstflags::ATIM_NOW != 0)
        || (flags & fstflags::MTIM != 0 && flags & fstflags::MTIM_NOW != 0)
    {
        return Err(Errno::INVAL);
    }
    let now = SystemTime::now();
    let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
    let mut t = FileTimes::new();
    if flags & fstflags::ATIM != 0 {
        t = t.set_accessed(at(atim));
    } else if flags & fstflags::ATIM_NOW != 0 {
        t = t.set_accessed(now);
    }
    if flags & fstflags::MTIM != 0 {
        t = t.set_modified(at(mtim));
    } else if flags & fstflags::MTIM_NOW != 0 {
        t = t.set_modified(now);
    }
    Ok(t)
}

fn set_times_at(path: &Path, times: FileTimes) -> R {
    let f = File::open(path).or_else(|_| OpenOptions::new().write(true).open(path))?;
    f.set_times(times)?;
    Ok(())
}

impl WasiCtx {
    fn fd(&mut self, fd: u32) -> Result<&mut Fd, Errno> {
        self.fds.get_mut(&fd).ok_or(Errno::BADF)
    }

    fn dir(&self, fd: u32) -> Result<&Path, Errno> {
        match &self.fds.get(&fd).ok_or(Errno::BADF)?.kind {
            Kind::Dir { host, .. } => Ok(host),
            _ => Err(Errno::NOTDIR),
        }
    }

    // ---- args, environment ----

    fn strings_get(list: &[Vec<u8>], m: &mut GuestMem, ptrs: u32, buf: u32) -> R {
        let mut off = 0u32;
        for (i, s) in list.iter().enumerate() {
            let at = buf.checked_add(off).ok_or(Errno::FAULT)?;
            m.write_u32(ptrs.checked_add(4 * i as u32).ok_or(Errno::FAULT)?, at)?;
            m.write_bytes(at, s)?;
            off = off.checked_add(s.len() as u32).ok_or(Errno::FAULT)?;
        }
        Ok(())
    }

    fn strings_sizes(list: &[Vec<u8>], m: &mut GuestMem, count: u32, size: u32) -> R {
        m.write_u32(count, list.len() as u32)?;
        m.write_u32(size, list.iter().map(|s| s.len() as u32).sum())
    }

    pub(crate) fn args_get(&mut self, m: &mut GuestMem, argv: u32, buf: u32) -> R {
        Self::strings_get(&self.args, m, argv, buf)
    }
    pub(crate) fn args_sizes_get(&mut self, m: &mut GuestMem, count: u32, size: u32) -> R {
        Self::strings_sizes(&self.args, m, count, size)
    }
    pub(crate) fn environ_get(&mut self, m: &mut GuestMem, env: u32, buf: u32) -> R {
        Self::strings_get(&self.env, m, env, buf)
    }
    pub(crate) fn environ_sizes_get(&mut self, m: &mut GuestMem, count: u32, size: u32) -> R {
        Self::strings_sizes(&self.env, m, count, size)
    }

    // ---- clocks, random, scheduling ----

    fn now(&self, id: u32) -> Result<u64, Errno> {
        match id {
            clockid::REALTIME => Ok(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)),
            // The CPU-time clocks are approximated by the monotonic clock.
            clockid::MONOTONIC | clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => {
                Ok(self.start.elapsed().as_nanos() as u64)
            }
            _ => Err(Errno::INVAL),
        }
    }

    pub(crate) fn clock_res_get(&mut self, m: &mut GuestMem, id: u32, out: u32) -> R {
        self.now(id)?;
        m.write_u64(out, 1_000)
    }
    pub(crate) fn clock_time_get(&mut self, m: &mut GuestMem, id: u32, _precision: u64, out: u32) -> R {
        let t = self.now(id)?;
        m.write_u64(out, t)
    }
    pub(crate) fn random_get(&mut self, m: &mut GuestMem, buf: u32, len: u32) -> R {
        let dst = m.slice_mut(buf, len)?;
        getrandom::fill(dst).map_err(|_| Errno::IO)
    }

    // ---- descriptors ----

    pub(crate) fn fd_close(&mut self, fd: u32) -> R {
        self.fds.remove(&fd).map(|_| ()).ok_or(Errno::BADF)
    }

    pub(crate) fn fd_renumber(&mut self, from: u32, to: u32) -> R {
        if !self.fds.contains_key(&from) || !self.fds.contains_key(&to) {
            return Err(Errno::BADF);
        }
        if from != to {
            let e = self.fds.remove(&from).ok_or(Errno::BADF)?;
            self.fds.insert(to, e);
        }
        Ok(())
    }

    pub(crate) fn fd_fdstat_get(&mut self, m: &mut GuestMem, fd: u32, out: u32) -> R {
        let e = self.fd(fd)?;
        let ft = match &e.kind {
            Kind::Stdio(..) => filetype::CHARACTER_DEVICE,
            Kind::File { file, .. } => filetype_of(file.metadata()?.file_type()),
            Kind::Dir { .. } => filetype::DIRECTORY,
        };
        let mut buf = [0u8; FDSTAT_SIZE];
        buf[0] = ft;
        buf[2..4].copy_from_slice(&e.flags.to_le_bytes());
        buf[8..16].copy_from_slice(&e.rights_base.to_le_bytes());
        buf[16..24].copy_from_slice(&e.rights_inheriting.to_le_bytes());
        m.write_bytes(out, &buf)
    }

    pub(crate) fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u16) -> R {
        let e = self.fd(fd)?;
        if flags & !(fdflags::APPEND | fdflags::DSYNC | fdflags::NONBLOCK | fdflags::RSYNC | fdflags::SYNC) != 0 {
            return Err(Errno::INVAL);
        }
        e.flags = flags;
        Ok(())
    }

    pub(crate) fn fd_fdstat_set_rights(&mut self, fd: u32, base: u64, inheriting: u64) -> R {
        let e = self.fd(fd)?;
        if base & !e.rights_base != 0 || inheriting & !e.rights_inheriting != 0 {
            return Err(Errno::NOTCAPABLE);
        }
        e.rights_base = base;
        e.rights_inheriting = inheriting;
        Ok(())
    }

    pub(crate) fn fd_filestat_get(&mut self, m: &mut GuestMem, fd: u32, out: u32) -> R {
        let st = match &self.fd(fd)?.kind {
            Kind::Stdio(..) => Filestat {
                dev: 0,
                ino: 0,
                filetype: filetype::CHARACTER_DEVICE,
                nlink: 1,
                size: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            },
            Kind::File { file, .. } => Filestat::from_meta(&file.metadata()?),
            Kind::Dir { host, .. } => Filestat::from_meta(&fs::metadata(host)?),
        };
        st.write(m, out)
    }

    pub(crate) fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> R {
        match &self.fd(fd)?.kind {
            Kind::File { file, write: true, .. } => Ok(file.set_len(size)?),
            Kind::File { .. } => Err(Errno::BADF),
            Kind::Dir { .. } => Err(Errno::ISDIR),
            Kind::Stdio(..) => Err(Errno::INVAL),
        }
    }

    pub(crate) fn fd_filestat_set_times(&mut self, fd: u32, atim: u64, mtim: u64, flags: u16) -> R {
        let times = file_times(atim, mtim, flags)?;
        match &self.fd(fd)?.kind {
            Kind::File { file, .. } => Ok(file.set_times(times)?),
            Kind::Dir { host, .. } => set_times_at(host, times),
            Kind::Stdio(..) => Err(Errno::NOTSUP),
        }
    }

    pub(crate) fn fd_read(&mut self, m: &mut GuestMem, fd: u32, iovs: u32, n: u32, out: u32) -> R {
        let iovs = m.iovecs(iovs, n)?;
        m.check(out, 4)?;
        let mut total = 0u32;
        match &mut self.fd(fd)?.kind {
            Kind::Stdio(s, stream) => {
                for (buf, len) in iovs {
                    let k = s.read(*stream, m.slice_mut(buf, len)?)?;
                    total += k as u32;
                    if k < len as usize {
                        break;
                    }
                }
            }
            Kind::File { file, read: true, .. } => {
                for (buf, len) in iovs {
                    let k = file.read(m.slice_mut(buf, len)?)?;
                    total += k as u32;
                    if k < len as usize {
                        break;
                    }
                }
            }
            Kind::File { .. } => return Err(Errno::BADF),
            Kind::Dir { .. } => return Err(Errno::ISDIR),
        }
        m.write_u32(out, total)
    }

    pub(crate) fn fd_pread(&mut self, m: &mut GuestMem, fd: u32, iovs: u32, n: u32, offset: u64, out: u32) -> R {
        let iovs = m.iovecs(iovs, n)?;
        m.check(out, 4)?;
        let mut total = 0u32;
        match &self.fd(fd)?.kind {
            Kind::File { file, read: true, .. } => {
                for (buf, len) in iovs {
                    let at = offset.checked_add(total as u64).ok_or(Errno::OVERFLOW)?;
                    let k = read_at(file, m.slice_mut(buf, len)?, at)?;
                    total += k as u32;
                    if k < len as usize {
                        break;
                    }
                }
            }
            Kind::File { .. } => return Err(Errno::BADF),
            Kind::Dir { .. } => return Err(Errno::ISDIR),
            Kind::Stdio(..) => return Err(Errno::SPIPE),
        }
        m.write_u32(out, total)
    }

    pub(crate) fn fd_write(&mut self, m: &mut GuestMem, fd: u32, iovs: u32, n: u32, out: u32) -> R {
        let iovs = m.iovecs(iovs, n)?;
        m.check(out, 4)?;
        let mut total = 0u32;
        let e = self.fd(fd)?;
        let append = e.flags & fdflags::APPEND != 0;
        match &mut e.kind {
            Kind::Stdio(s, stream) => {
                for (buf, len) in iovs {
                    total += s.write(*stream, m.slice(buf, len)?)? as u32;
                }
            }
            Kind::File { file, write: true, .. } => {
                if append {
                    file.seek(SeekFrom::End(0))?;
                }
                for (buf, len) in iovs {
                    file.write_all(m.slice(buf, len)?)?;
                    total += len;
                }
            }
            Kind::File { .. } => return Err(Errno::BADF),
            Kind::Dir { .. } => return Err(Errno::ISDIR),
        }
        m.write_u32(out, total)
    }

    pub(crate) fn fd_pwrite(&mut self, m: &mut GuestMem, fd: u32, iovs: u32, n: u32, offset: u64, out: u32) -> R {
        let iovs = m.iovecs(iovs, n)?;
        m.check(out, 4)?;
        let mut total = 0u32;
        match &self.fd(fd)?.kind {
            Kind::File { file, write: true, .. } => {
                for (buf, len) in iovs {
                    let at = offset.checked_add(total as u64).ok_or(Errno::OVERFLOW)?;
                    write_all_at(file, m.slice(buf, len)?, at)?;
                    total += len;
                }
            }
            Kind::File { .. } => return Err(Errno::BADF),
            Kind::Dir { .. } => return Err(Errno::ISDIR),
            Kind::Stdio(..) => return Err(Errno::SPIPE),
        }
        m.write_u32(out, total)
    }

    pub(crate) fn fd_seek(&mut self, m: &mut GuestMem, fd: u32, offset: i64, whence: u8, out: u32) -> R {
        m.check(out, 8)?;
        let pos = match whence {
            whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
            whence::CUR => SeekFrom::Current(offset),
            whence::END => SeekFrom::End(offset),
            _ => return Err(Errno::INVAL),
        };
        let new = match &mut self.fd(fd)?.kind {
            Kind::File { file, .. } => file.seek(pos)?,
            Kind::Stdio(..) => return Err(Errno::SPIPE),
            Kind::Dir { .. } => return Err(Errno::BADF),
        };
        m.write_u64(out, new)
    }

    pub(crate) fn fd_tell(&mut self, m: &mut GuestMem, fd: u32, out: u32) -> R {
        let pos = match &mut self.fd(fd)?.kind {
            Kind::File { file, .. } => file.stream_position()?,
            Kind::Stdio(..) => return Err(Errno::SPIPE),
            Kind::Dir { .. } => return Err(Errno::BADF),
        };
        m.write_u64(out, pos)
    }

    pub(crate) fn fd_sync(&mut self, fd: u32, data_only: bool) -> R {
        match &self.fd(fd)?.kind {
            Kind::File { file, .. } => {
                if data_only {
                    file.sync_data()?
                } else {
                    file.sync_all()?
                }
                Ok(())
            }
            Kind::Dir { .. } => Ok(()),
            Kind::Stdio(..) => Err(Errno::INVAL),
        }
    }

    pub(crate) fn fd_advise(&mut self, fd: u32, _offset: u64, _len: u64, advice: u8) -> R {
        if advice > 5 {
            return Err(Errno::INVAL);
        }
        match &self.fd(fd)?.kind {
            Kind::File { .. } => Ok(()),
            Kind::Dir { .. } => Err(Errno::BADF),
            Kind::Stdio(..) => Err(Errno::SPIPE),
        }
    }

    pub(crate) fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> R {
        match &self.fd(fd)?.kind {
            Kind::File { file, write: true, .. } => {
                let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
                if end > file.metadata()?.len() {
                    file.set_len(end)?;
                }
                Ok(())
            }
            Kind::File { .. } => Err(Errno::BADF),
            Kind::Dir { .. } => Err(Errno::ISDIR),
            Kind::Stdio(..) => Err(Errno::SPIPE),
        }
    }

    pub(crate) fn fd_prestat_get(&mut self, m: &mut GuestMem, fd: u32, out: u32) -> R {
        match &self.fd(fd)?.kind {
            Kind::Dir { guest_name: Some(name), .. } => {
                let len = name.len() as u32;
                m.write_u32(out, 0)?;
                m.write_u32(out + 4, len)
            }
            _ => Err(Errno::BADF),
        }
    }

    pub(crate) fn fd_prestat_dir_name(&mut self, m: &mut GuestMem, fd: u32, buf: u32, len: u32) -> R {
        match &self.fd(fd)?.kind {
            Kind::Dir { guest_name: Some(name), .. } => {
                if (len as usize) < name.len() {
                    return Err(Errno::NAMETOOLONG);
                }
                let name = name.clone();
                m.write_bytes(buf, name.as_bytes())
            }
            _ => Err(Errno::BADF),
        }
    }

    pub(crate) fn fd_readdir(&mut self, m: &mut GuestMem, fd: u32, buf: u32, len: u32, cookie: u64, out: u32) -> R {
        m.check(buf, len)?;
        m.check(out, 4)?;
        let host = self.dir(fd)?.to_path_buf();
        let own = fs::metadata(&host)?;
        let ino = |m: &fs::Metadata| {
            #[cfg(unix)]
            {
                std::os::unix::fs::MetadataExt::ino(m)
            }
            #[cfg(not(unix))]
            {
                let _ = m;
                0
            }
        };
        let mut entries: Vec<(Vec<u8>, u64, u8)> =
            vec![(b".".to_vec(), ino(&own), filetype::DIRECTORY), (b"..".to_vec(), ino(&own), filetype::DIRECTORY)];
        let mut rest = Vec::new();
        for ent in fs::read_dir(&host)? {
            let ent = ent?;
            let ft = ent.file_type()?;
            #[cfg(unix)]
            let d_ino = std::os::unix::fs::DirEntryExt::ino(&ent);
            #[cfg(not(unix))]
            let d_ino = 0;
            let name = ent.file_name().into_string().map_err(|_| Errno::ILSEQ)?;
            rest.push((name.into_bytes(), d_ino, filetype_of(ft)));
        }
        rest.sort();
        entries.extend(rest);

        let mut used = 0usize;
        let cap = len as usize;
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        let mut out_bytes = Vec::new();
        for (i, (name, d_ino, ft)) in entries.iter().enumerate().skip(start) {
            let mut rec = [0u8; DIRENT_HEADER_SIZE];
            rec[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            rec[8..16].copy_from_slice(&d_ino.to_le_bytes());
            rec[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
            rec[20] = *ft;
            for part in [&rec[..], &name[..]] {
                let take = part.len().min(cap - used);
                out_bytes.extend_from_slice(&part[..take]);
                used += take;
            }
            if used == cap {
                break;
            }
        }
        m.write_bytes(buf, &out_bytes)?;
        m.write_u32(out, used as u32)
    }

    // ---- paths ----

    pub(crate) fn path_open(
        &mut self,
        m: &mut GuestMem,
        dirfd: u32,
        lookup: u32,
        path: u32,
        path_len: u32,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
        out: u32,
    ) -> R {
        let path = m.read_str(path, path_len)?;
        m.check(out, 4)?;
        let dir = self.dir(dirfd)?;
        let follow = lookup & LOOKUP_SYMLINK_FOLLOW != 0;
        let host = resolve(dir, &path, follow)?;
        let creat = oflags & oflags::CREAT != 0;
        let excl = oflags & oflags::EXCL != 0;
        let want_dir = oflags & oflags::DIRECTORY != 0;
        let trunc = oflags & oflags::TRUNC != 0;
        let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
        let write = trunc
            || base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE | rights::FD_DATASYNC)
                != 0;
        if want_dir && creat {
            return Err(Errno::INVAL);
        }
        let meta = match fs::symlink_metadata(&host) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let kind = match meta {
            Some(_) if creat && excl => return Err(Errno::EXIST),
            Some(meta) if meta.file_type().is_symlink() => return Err(Errno::LOOP),
            Some(meta) if meta.is_dir() => {
                if write {
                    return Err(Errno::ISDIR);
                }
                Kind::Dir { host, guest_name: None }
            }
            Some(_) if want_dir => return Err(Errno::NOTDIR),
            None if !creat => return Err(Errno::NOENT),
            None if path.ends_with('/') => return Err(Errno::ISDIR),
            _ => {
                let mut opts = OpenOptions::new();
                opts.read(read || !write).write(write).truncate(trunc);
                if creat {
                    if write {
                        opts.create(true);
                    } else {
                        // `OpenOptions` will not create without write access: create first.
                        match OpenOptions::new().write(true).create_new(true).open(&host) {
                            Ok(_) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                let file = opts.open(&host)?;
                Kind::File { file, read, write }
            }
        };
        let (rights_base, rights_inheriting) = match &kind {
            Kind::Dir { .. } => (base & rights::DIRECTORY, inheriting),
            Kind::File { read, write, .. } => {
                let mut r = base & rights::FILE;
                if !read {
                    r &= !rights::FD_READ;
                }
                if !write {
                    r &= !(rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
                }
                (r, 0)
            }
            Kind::Stdio(..) => (0, 0),
        };
        let fd = self.alloc_fd().ok_or(Errno::MFILE)?;
        m.write_u32(out, fd)?;
        self.fds.insert(fd, Fd { kind, rights_base, rights_inheriting, flags: fdflags });
        Ok(())
    }

    pub(crate) fn path_create_directory(&mut self, m: &mut GuestMem, fd: u32, path: u32, len: u32) -> R {
        let path = m.read_str(path, len)?;
        let (parent, name) = resolve_parent(self.dir(fd)?, &path)?;
        Ok(fs::create_dir(parent.join(name))?)
    }

    pub(crate) fn path_remove_directory(&mut self, m: &mut GuestMem, fd: u32, path: u32, len: u32) -> R {
        let path = m.read_str(path, len)?;
        let (parent, name) = resolve_parent(self.dir(fd)?, &path)?;
        Ok(fs::remove_dir(parent.join(name))?)
    }

    pub(crate) fn path_unlink_file(&mut self, m: &mut GuestMem, fd: u32, path: u32, len: u32) -> R {
        let path = m.read_str(path, len)?;
        let (parent, name) = resolve_parent(self.dir(fd)?, &path)?;
        let target = parent.join(name);
        if path.ends_with('/') {
            return Err(if fs::symlink_metadata(&target)?.is_dir() { Errno::ISDIR } else { Errno::NOTDIR });
        }
        match fs::remove_file(&target) {
            Ok(()) => Ok(()),
            Err(e) if fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) => {
                let _ = e;
                Err(Errno::ISDIR)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn path_rename(
        &mut self,
        m: &mut GuestMem,
        fd: u32,
        old: u32,
        old_len: u32,
        new_fd: u32,
        new: u32,
        new_len: u32,
    ) -> R {
        let old = m.read_str(old, old_len)?;
        let new = m.read_str(new, new_len)?;
        let (op, on) = resolve_parent(self.dir(fd)?, &old)?;
        let (np, nn) = resolve_parent(self.dir(new_fd)?, &new)?;
        Ok(fs::rename(op.join(on), np.join(nn))?)
    }

    pub(crate) fn path_filestat_get(
        &mut self,
        m: &mut GuestMem,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        out: u32,
    ) -> R {
        let path = m.read_str(path, len)?;
        let host = resolve(self.dir(fd)?, &path, flags & LOOKUP_SYMLINK_FOLLOW != 0)?;
        let meta = fs::symlink_metadata(host)?;
        Filestat::from_meta(&meta).write(m, out)
    }

    pub(crate) fn path_filestat_set_times(
        &mut self,
        m: &mut GuestMem,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> R {
        let path = m.read_str(path, len)?;
        let times = file_times(atim, mtim, fst)?;
        let host = resolve(self.dir(fd)?, &path, flags & LOOKUP_SYMLINK_FOLLOW != 0)?;
        if fs::symlink_metadata(&host)?.file_type().is_symlink() {
            // Setting a symlink's own times needs `utimensat`; not offered.
            return Err(Errno::NOTSUP);
        }
        set_times_at(&host, times)
    }

    pub(crate) fn path_readlink(
        &mut self,
        m: &mut GuestMem,
        fd: u32,
        path: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> R {
        let path = m.read_str(path, len)?;
        m.check(out, 4)?;
        let (parent, name) = resolve_parent(self.dir(fd)?, &path)?;
        let target = fs::read_link(parent.join(name))?;
        let bytes = target.to_str().ok_or(Errno::ILSEQ)?.as_bytes();
        let n = bytes.len().min(buf_len as usize);
        m.write_bytes(buf, &bytes[..n])?;
        m.write_u32(out, n as u32)
    }

    pub(crate) fn path_symlink(
        &mut self,
        m: &mut GuestMem,
        old: u32,
        old_len: u32,
        fd: u32,
        new: u32,
        new_len: u32,
    ) -> R {
        let target = m.read_str(old, old_len)?;
        let new = m.read_str(new, new_len)?;
        if target.starts_with('/') || target.contains('\0') {
            return Err(Errno::NOTCAPABLE);
        }
        let (parent, name) = resolve_parent(self.dir(fd)?, &new)?;
        #[cfg(unix)]
        {
            Ok(std::os::unix::fs::symlink(target, parent.join(name))?)
        }
        #[cfg(not(unix))]
        {
            let _ = (parent, name);
            Err(Errno::NOTSUP)
        }
    }

    pub(crate) fn path_link(
        &mut self,
        m: &mut GuestMem,
        old_fd: u32,
        old_flags: u32,
        old: u32,
        old_len: u32,
        new_fd: u32,
        new: u32,
        new_len: u32,
    ) -> R {
        let old = m.read_str(old, old_len)?;
        let new = m.read_str(new, new_len)?;
        let src = if old_flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            resolve(self.dir(old_fd)?, &old, true)?
        } else {
            let (p, n) = resolve_parent(self.dir(old_fd)?, &old)?;
            p.join(n)
        };
        let (np, nn) = resolve_parent(self.dir(new_fd)?, &new)?;
        Ok(fs::hard_link(src, np.join(nn))?)
    }

    // ---- poll ----

    pub(crate) fn poll_oneoff(&mut self, m: &mut GuestMem, input: u32, output: u32, nsubs: u32, out: u32) -> R {
        if nsubs == 0 {
            return Err(Errno::INVAL);
        }
        let in_size = (nsubs as usize).checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::FAULT)?;
        let out_size = (nsubs as usize).checked_mul(EVENT_SIZE).ok_or(Errno::FAULT)?;
        m.slice(input, u32::try_from(in_size).map_err(|_| Errno::FAULT)?)?;
        m.slice(output, u32::try_from(out_size).map_err(|_| Errno::FAULT)?)?;
        m.check(out, 4)?;

        struct Ev {
            userdata: u64,
            error: u16,
            ty: u8,
            nbytes: u64,
        }
        let mut ready: Vec<Ev> = Vec::new();
        let mut clocks: Vec<(u64, u64)> = Vec::new(); // (userdata, relative timeout ns)
        for i in 0..nsubs {
            let s = input + i * SUBSCRIPTION_SIZE as u32;
            let userdata = m.read_u64(s)?;
            let tag = m.read_u8(s + 8)?;
            match tag {
                eventtype::CLOCK => {
                    let id = m.read_u32(s + 16)?;
                    let timeout = m.read_u64(s + 24)?;
                    let flags = m.read_u16(s + 40)?;
                    match self.now(id) {
                        Ok(now) => {
                            let rel = if flags & 1 != 0 { timeout.saturating_sub(now) } else { timeout };
                            clocks.push((userdata, rel));
                        }
                        Err(e) => ready.push(Ev { userdata, error: e.0, ty: tag, nbytes: 0 }),
                    }
                }
                eventtype::FD_READ | eventtype::FD_WRITE => {
                    let fd = m.read_u32(s + 16)?;
                    let (error, nbytes) = match self.fds.get_mut(&fd).map(|e| &mut e.kind) {
                        None => (Errno::BADF.0, 0),
                        Some(Kind::File { file, .. }) if tag == eventtype::FD_READ => {
                            let len = file.metadata().map_or(0, |m| m.len());
                            let pos = file.stream_position().unwrap_or(0);
                            (0, len.saturating_sub(pos))
                        }
                        Some(Kind::Dir { .. }) => (Errno::BADF.0, 0),
                        Some(_) => (0, if tag == eventtype::FD_READ { 1 } else { 0 }),
                    };
                    ready.push(Ev { userdata, error, ty: tag, nbytes });
                }
                _ => return Err(Errno::INVAL),
            }
        }
        if ready.is_empty() {
            // Only clocks: sleep until the earliest fires, then report every one due by then.
            let min = clocks.iter().map(|c| c.1).min().unwrap_or(0);
            if min > 0 {
                std::thread::sleep(Duration::from_nanos(min));
            }
            for (userdata, rel) in &clocks {
                if *rel <= min {
                    ready.push(Ev { userdata: *userdata, error: 0, ty: eventtype::CLOCK, nbytes: 0 });
                }
            }
        } else {
            for (userdata, rel) in &clocks {
                if *rel == 0 {
                    ready.push(Ev { userdata: *userdata, error: 0, ty: eventtype::CLOCK, nbytes: 0 });
                }
            }
        }
        for (i, ev) in ready.iter().enumerate() {
            let mut rec = [0u8; EVENT_SIZE];
            rec[0..8].copy_from_slice(&ev.userdata.to_le_bytes());
            rec[8..10].copy_from_slice(&ev.error.to_le_bytes());
            rec[10] = ev.ty;
            rec[16..24].copy_from_slice(&ev.nbytes.to_le_bytes());
            m.write_bytes(output + (i * EVENT_SIZE) as u32, &rec)?;
        }
        m.write_u32(out, ready.len() as u32)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}
#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}
#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}
#[cfg(not(unix))]
fn write_all_at(_file: &File, _buf: &[u8], _offset: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}
