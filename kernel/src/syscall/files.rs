//! Console and initrd file syscalls: write, read (fd 0 blocks for a line), open, close,
//! stat, readdir. File handles carry READ; the console's carry READ (0) or WRITE (1, 2).
use super::user_memory::{copy_from_user, copy_to_user};
use super::{user_path, EBADF, EFAULT, EINTR, EISDIR, EMFILE, ENOENT, ENOTDIR};
use crate::proc::vmo::{rights, Handle, Object};
use crate::proc::State;
use crate::sched::{self, SCHED};
use kcore::cpio::{Entry, Kind, LookupError};
use kcore::uaccess::MAX_PATH;

/// Copies the user's bytes in chunks to every console.
pub fn write_console(ptr: u64, len: u64) -> i64 {
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        if copy_from_user(&mut chunk[..n], ptr.wrapping_add(done)).is_err() {
            return -EFAULT;
        }
        crate::console::write(&chunk[..n]);
        done += n as u64;
    }
    len as i64
}

pub fn write(fd: u64, ptr: u64, len: u64) -> i64 {
    let console = SCHED.with(|s| {
        let p = s.current_proc();
        matches!(
            p.handles.get(fd, rights::WRITE).map(|h| &h.object),
            Some(Object::Console)
        )
    });
    if console {
        write_console(ptr, len)
    } else {
        -EBADF
    }
}

enum Source {
    Console,
    File,
}

pub fn read(fd: u64, ptr: u64, len: u64) -> i64 {
    let source = SCHED.with(|s| match s.current_proc().handles.get(fd, rights::READ) {
        Some(Handle {
            object: Object::Console,
            ..
        }) => Some(Source::Console),
        Some(Handle {
            object: Object::File { .. },
            ..
        }) => Some(Source::File),
        _ => None,
    });
    match source {
        Some(Source::Console) => read_console(ptr, len),
        Some(Source::File) => read_file(fd, ptr, len),
        None => -EBADF,
    }
}

/// Blocks until the line discipline has a line (or end of input), or Ctrl-C hits us.
fn read_console(ptr: u64, len: u64) -> i64 {
    if super::user_memory::check(ptr, len, true).is_err() {
        return -EFAULT;
    }
    let mut line = [0u8; 256];
    let want = (len as usize).min(line.len());
    loop {
        let interrupted = SCHED.with(|s| core::mem::take(&mut s.current_proc().interrupted));
        if interrupted {
            return -EINTR;
        }
        if let Some(n) = crate::console::try_read(&mut line[..want]) {
            return match copy_to_user(ptr, &line[..n]) {
                Ok(()) => n as i64,
                Err(_) => -EFAULT,
            };
        }
        sched::block(State::BlockedRead);
    }
}

fn read_file(fd: u64, ptr: u64, len: u64) -> i64 {
    let (data, pos) = SCHED.with(|s| match s.current_proc().handles.get(fd, rights::READ) {
        Some(Handle {
            object: Object::File { data, pos },
            ..
        }) => (*data, *pos),
        _ => (&[][..], 0),
    });
    let n = (data.len() - pos.min(data.len())).min(len as usize);
    if copy_to_user(ptr, &data[pos..pos + n]).is_err() {
        return -EFAULT;
    }
    SCHED.with(|s| {
        if let Some(Handle {
            object: Object::File { pos, .. },
            ..
        }) = s.current_proc().handles.get(fd, rights::READ)
        {
            *pos += n;
        }
    });
    n as i64
}

/// The initrd entry at the user's path.
pub fn lookup_user(ptr: u64, len: u64) -> Result<Entry<'static>, i64> {
    let mut buf = [0u8; MAX_PATH];
    let path = user_path(ptr, len, &mut buf)?;
    crate::initrd::lookup(path).ok_or(-ENOENT)
}

pub fn open(ptr: u64, len: u64) -> i64 {
    let entry = match lookup_user(ptr, len) {
        Ok(entry) => entry,
        Err(e) => return e,
    };
    if entry.kind == Kind::Dir {
        return -EISDIR;
    }
    let handle = Handle {
        object: Object::File {
            data: entry.data,
            pos: 0,
        },
        rights: rights::READ,
    };
    match SCHED.with(|s| s.current_proc().handles.add(handle)) {
        Some(fd) => fd as i64,
        None => -EMFILE,
    }
}

pub fn close(fd: u64) -> i64 {
    // Dropped outside the scheduler's state: a VMO's drop takes the PMM.
    let closed = SCHED.with(|s| s.current_proc().handles.close(fd));
    match closed {
        Some(handle) => {
            drop(handle);
            0
        }
        None => -EBADF,
    }
}

/// `Stat { size: u64, kind: u32, mode: u32 }` / `Dirent { size, kind, name_len, name[112] }`.
fn kind_code(entry: &Entry<'_>) -> u32 {
    match entry.kind {
        Kind::File => 1,
        Kind::Dir => 2,
    }
}

pub fn stat(ptr: u64, len: u64, out: u64) -> i64 {
    let entry = match lookup_user(ptr, len) {
        Ok(entry) => entry,
        Err(e) => return e,
    };
    let mut stat = [0u8; 16];
    stat[..8].copy_from_slice(&(entry.data.len() as u64).to_le_bytes());
    stat[8..12].copy_from_slice(&kind_code(&entry).to_le_bytes());
    stat[12..].copy_from_slice(&entry.mode.to_le_bytes());
    match copy_to_user(out, &stat) {
        Ok(()) => 0,
        Err(_) => -EFAULT,
    }
}

pub fn readdir(ptr: u64, len: u64, index: u64, out: u64) -> i64 {
    let mut buf = [0u8; MAX_PATH];
    let path = match user_path(ptr, len, &mut buf) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let entry = match crate::initrd::readdir(path, index as usize) {
        Ok(Some(entry)) => entry,
        Ok(None) => return 0,
        Err(LookupError::NotFound) => return -ENOENT,
        Err(LookupError::NotADirectory) => return -ENOTDIR,
    };
    let name = entry.name().as_bytes();
    let name_len = name.len().min(112);
    let mut dirent = [0u8; 128];
    dirent[..8].copy_from_slice(&(entry.data.len() as u64).to_le_bytes());
    dirent[8..12].copy_from_slice(&kind_code(&entry).to_le_bytes());
    dirent[12..16].copy_from_slice(&(name_len as u32).to_le_bytes());
    dirent[16..16 + name_len].copy_from_slice(&name[..name_len]);
    match copy_to_user(out, &dirent) {
        Ok(()) => 1,
        Err(_) => -EFAULT,
    }
}
