//! WASI preview1 constants and record layouts (from the `wasi_snapshot_preview1` witx).
//!
//! Only what the host side needs: errno values, file types, flag bits and the
//! byte offsets of the records the guest passes by pointer.

use std::fmt;
use std::io;

/// A WASI errno value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub u16);

#[allow(missing_docs)]
impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {}", self.0)
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return from_os_errno(code);
        }
        use io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::NOENT,
            K::PermissionDenied => Errno::ACCES,
            K::AlreadyExists => Errno::EXIST,
            K::InvalidInput => Errno::INVAL,
            K::InvalidData => Errno::ILSEQ,
            K::BrokenPipe => Errno::PIPE,
            K::WouldBlock => Errno::AGAIN,
            K::Interrupted => Errno::INTR,
            K::Unsupported => Errno::NOTSUP,
            K::OutOfMemory => Errno::NOMEM,
            _ => Errno::IO,
        }
    }
}

/// Maps a host `errno` to the WASI one.
#[cfg(unix)]
fn from_os_errno(code: i32) -> Errno {
    // WASI numbers errno values alphabetically; the host's are whatever libc says.
    const TABLE: &[(i32, u16)] = &[
        (libc::E2BIG, 1),
        (libc::EACCES, 2),
        (libc::EADDRINUSE, 3),
        (libc::EADDRNOTAVAIL, 4),
        (libc::EAFNOSUPPORT, 5),
        (libc::EAGAIN, 6),
        (libc::EALREADY, 7),
        (libc::EBADF, 8),
        (libc::EBADMSG, 9),
        (libc::EBUSY, 10),
        (libc::ECANCELED, 11),
        (libc::ECHILD, 12),
        (libc::ECONNABORTED, 13),
        (libc::ECONNREFUSED, 14),
        (libc::ECONNRESET, 15),
        (libc::EDEADLK, 16),
        (libc::EDESTADDRREQ, 17),
        (libc::EDOM, 18),
        (libc::EDQUOT, 19),
        (libc::EEXIST, 20),
        (libc::EFAULT, 21),
        (libc::EFBIG, 22),
        (libc::EHOSTUNREACH, 23),
        (libc::EIDRM, 24),
        (libc::EILSEQ, 25),
        (libc::EINPROGRESS, 26),
        (libc::EINTR, 27),
        (libc::EINVAL, 28),
        (libc::EIO, 29),
        (libc::EISCONN, 30),
        (libc::EISDIR, 31),
        (libc::ELOOP, 32),
        (libc::EMFILE, 33),
        (libc::EMLINK, 34),
        (libc::EMSGSIZE, 35),
        (libc::EMULTIHOP, 36),
        (libc::ENAMETOOLONG, 37),
        (libc::ENETDOWN, 38),
        (libc::ENETRESET, 39),
        (libc::ENETUNREACH, 40),
        (libc::ENFILE, 41),
        (libc::ENOBUFS, 42),
        (libc::ENODEV, 43),
        (libc::ENOENT, 44),
        (libc::ENOEXEC, 45),
        (libc::ENOLCK, 46),
        (libc::ENOLINK, 47),
        (libc::ENOMEM, 48),
        (libc::ENOMSG, 49),
        (libc::ENOPROTOOPT, 50),
        (libc::ENOSPC, 51),
        (libc::ENOSYS, 52),
        (libc::ENOTCONN, 53),
        (libc::ENOTDIR, 54),
        (libc::ENOTEMPTY, 55),
        (libc::ENOTRECOVERABLE, 56),
        (libc::ENOTSOCK, 57),
        (libc::ENOTSUP, 58),
        (libc::EOPNOTSUPP, 58),
        (libc::ENOTTY, 59),
        (libc::ENXIO, 60),
        (libc::EOVERFLOW, 61),
        (libc::EOWNERDEAD, 62),
        (libc::EPERM, 63),
        (libc::EPIPE, 64),
        (libc::EPROTO, 65),
        (libc::EPROTONOSUPPORT, 66),
        (libc::EPROTOTYPE, 67),
        (libc::ERANGE, 68),
        (libc::EROFS, 69),
        (libc::ESPIPE, 70),
        (libc::ESRCH, 71),
        (libc::ESTALE, 72),
        (libc::ETIMEDOUT, 73),
        (libc::ETXTBSY, 74),
        (libc::EXDEV, 75),
    ];
    TABLE.iter().find(|(h, _)| *h == code).map_or(Errno::IO, |(_, w)| Errno(*w))
}

#[cfg(not(unix))]
fn from_os_errno(_code: i32) -> Errno {
    Errno::IO
}

/// `filetype` values.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SYMBOLIC_LINK: u8 = 7;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const SOCKET_STREAM: u8 = 6;
}

/// `fdflags` bits.
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// `oflags` bits.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
}

/// `lookupflags` bits.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits.
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `rights` bits.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;

    /// Rights that make sense on a regular file.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Rights that make sense on a directory.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// Rights of the standard streams.
    pub const STDIO: u64 = FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
}

/// Clock ids.
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `whence` values.
pub mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `eventtype` values.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// Record sizes.
pub const FDSTAT_SIZE: usize = 24;
pub const FILESTAT_SIZE: usize = 64;
pub const DIRENT_HEADER_SIZE: usize = 24;
pub const SUBSCRIPTION_SIZE: usize = 48;
pub const EVENT_SIZE: usize = 32;
pub const IOVEC_SIZE: usize = 8;
