//! The numbers, error codes and structures of the Rustux syscall ABI, exactly as the kernel
//! defines them (kernel/README.md has the same table).

/// Syscall numbers (`rax`).
pub mod nr {
    pub const DEBUG_WRITE: u64 = 0;
    pub const WRITE: u64 = 1;
    pub const EXIT: u64 = 2;
    pub const CLOCK_GETTIME: u64 = 3;
    pub const GETPID: u64 = 4;
    pub const YIELD: u64 = 5;
    pub const SLEEP_MS: u64 = 6;
    pub const SPAWN: u64 = 7;
    pub const WAIT: u64 = 8;
    pub const READ: u64 = 9;
    pub const OPEN: u64 = 10;
    pub const CLOSE: u64 = 11;
    pub const STAT: u64 = 12;
    pub const READDIR: u64 = 13;
    pub const MMAP: u64 = 14;
    pub const MUNMAP: u64 = 15;
    pub const POWEROFF: u64 = 16;
    pub const PROCINFO: u64 = 17;
    pub const DMESG: u64 = 18;
    pub const SET_FOREGROUND: u64 = 19;
}

/// Console file descriptors; files opened from the initrd get fd >= 3.
pub const STDIN: u64 = 0;
pub const STDOUT: u64 = 1;
pub const STDERR: u64 = 2;

/// Clocks for `clock_gettime`: both real clocks count nanoseconds from kernel entry (TSC).
pub const CLOCK_REALTIME: u64 = 0;
pub const CLOCK_MONOTONIC: u64 = 1;
/// When the line discipline last finished a line (the Enter key's interrupt); zero before.
pub const CLOCK_INPUT: u64 = 2;

/// `mmap` protections.
pub const PROT_READ: u64 = 1;
pub const PROT_WRITE: u64 = 2;

/// `wait` for any child.
pub const ANY_CHILD: u64 = u64::MAX;
/// `spawn` limits: argument count and total argument bytes.
pub const MAX_ARGS: usize = 16;
pub const MAX_ARG_BYTES: usize = 1024;

/// Exit statuses the kernel gives a process it kills (128 + a signal-like number).
pub const STATUS_SEGV: i32 = 139;
pub const STATUS_ILL: i32 = 132;
pub const STATUS_FPE: i32 = 136;
pub const STATUS_INTERRUPTED: i32 = 130;

/// A positive error number; syscalls return it negated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i64);

impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ENOENT: Errno = Errno(2);
    pub const EINTR: Errno = Errno(4);
    pub const EIO: Errno = Errno(5);
    pub const ENOEXEC: Errno = Errno(8);
    pub const EBADF: Errno = Errno(9);
    pub const ECHILD: Errno = Errno(10);
    pub const ENOMEM: Errno = Errno(12);
    pub const EFAULT: Errno = Errno(14);
    pub const ENOTDIR: Errno = Errno(20);
    pub const EISDIR: Errno = Errno(21);
    pub const EINVAL: Errno = Errno(22);
    pub const EMFILE: Errno = Errno(24);
    pub const ENOSYS: Errno = Errno(38);

    /// The errno's symbolic name, for messages.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            4 => "EINTR",
            5 => "EIO",
            8 => "ENOEXEC",
            9 => "EBADF",
            10 => "ECHILD",
            12 => "ENOMEM",
            14 => "EFAULT",
            20 => "ENOTDIR",
            21 => "EISDIR",
            22 => "EINVAL",
            24 => "EMFILE",
            38 => "ENOSYS",
            _ => "E?",
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

pub type SysResult<T> = Result<T, Errno>;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

impl Timespec {
    pub fn as_ns(&self) -> u64 {
        self.sec as u64 * 1_000_000_000 + self.nsec as u64
    }
}

/// `stat`'s answer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Stat {
    pub size: u64,
    pub kind: u32,
    pub mode: u32,
}

pub const KIND_FILE: u32 = 1;
pub const KIND_DIR: u32 = 2;

/// One directory entry from `readdir`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Dirent {
    pub size: u64,
    pub kind: u32,
    pub name_len: u32,
    pub name: [u8; 112],
}

impl Default for Dirent {
    fn default() -> Self {
        Dirent {
            size: 0,
            kind: 0,
            name_len: 0,
            name: [0; 112],
        }
    }
}

impl Dirent {
    pub fn name(&self) -> &[u8] {
        &self.name[..(self.name_len as usize).min(self.name.len())]
    }
}

/// One process from `procinfo` (for `ps`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub state: u32,
    pub _pad: u32,
    pub ticks: u64,
    pub name: [u8; 32],
}

impl ProcInfo {
    /// The name up to its first NUL.
    pub fn name(&self) -> &[u8] {
        let end = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.name.len());
        &self.name[..end]
    }

    pub fn state_name(&self) -> &'static str {
        match self.state {
            0 => "running",
            1 => "runnable",
            2 => "blocked",
            3 => "sleeping",
            4 => "zombie",
            _ => "?",
        }
    }
}

/// How argv travels: an array of (pointer, length) pairs, never NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawArg {
    pub ptr: u64,
    pub len: u64,
}
