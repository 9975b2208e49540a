//! The initrd format: a cpio "newc" archive (magic `070701`, or `070702` whose checksum
//! field is ignored), validated completely by [`Archive::parse`] before the kernel trusts any
//! of it, then read in place without allocating.
//!
//! Each record is a 110-byte ASCII header (magic + 13 eight-digit hex fields), the name with
//! its NUL (header + name padded to 4 bytes), then the data (padded to 4 bytes). The record
//! named `TRAILER!!!` ends the archive; only zero padding may follow it.
//!
//! What a valid archive guarantees (so lookups need no further checks):
//! - names are relative paths (`bin/sh`, never `/bin/sh`) of UTF-8 components that are not
//!   empty, `.` or `..`, at most [`MAX_NAME`] bytes;
//! - entries are regular files or directories, each name appears once, and every entry's
//!   parent directory is an earlier directory entry (so `readdir` sees the whole tree);
//! - at most [`MAX_ENTRIES`] entries, every size inside the archive.
//!
//! Paths given to [`Archive::lookup`] and [`Archive::readdir`] are absolute (`/bin/sh`, `/`).

use core::fmt;

/// Header length: 6 bytes of magic and 13 fields of 8 hex digits.
pub const HEADER_LEN: usize = 110;
/// Longest name accepted, without its NUL.
pub const MAX_NAME: usize = 255;
/// Most entries accepted (validation compares names pairwise).
pub const MAX_ENTRIES: usize = 256;
const TRAILER: &str = "TRAILER!!!";
const MODE_TYPE: u32 = 0o170_000;
const MODE_FILE: u32 = 0o100_000;
const MODE_DIR: u32 = 0o040_000;

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// One archive member, borrowed from the archive bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Relative path as stored (`bin/sh`); the root directory is `""`.
    pub path: &'a str,
    pub kind: Kind,
    /// Permission bits (`mode & 0o7777`).
    pub mode: u32,
    /// File contents; empty for directories.
    pub data: &'a [u8],
}

impl<'a> Entry<'a> {
    /// Last path component (`sh` for `bin/sh`).
    pub fn name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// Why an archive was refused; `offset` is where the bad record (or field) starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioError {
    /// The archive ends inside a header, a name or a file's data.
    Truncated {
        offset: usize,
        needed: usize,
    },
    BadMagic {
        offset: usize,
    },
    /// A header field is not 8 hex digits; `field` is its index (0 = ino .. 12 = check).
    BadHex {
        offset: usize,
        field: usize,
    },
    /// A file claims more data than the archive has left.
    AbsurdSize {
        offset: usize,
        size: u64,
    },
    /// Name size zero, above [`MAX_NAME`] + 1, or the name lacks its NUL.
    BadNameSize {
        offset: usize,
        size: u64,
    },
    /// Not UTF-8, absolute, or with an empty, `.` or `..` component.
    BadName {
        offset: usize,
    },
    /// Neither a regular file nor a directory (symlink, device, ...), or a directory with data.
    BadType {
        offset: usize,
        mode: u32,
    },
    Duplicate {
        offset: usize,
    },
    /// The entry's parent directory is not an earlier entry of the archive.
    NoParent {
        offset: usize,
    },
    TooManyEntries {
        offset: usize,
    },
    /// No `TRAILER!!!` record.
    NoTrailer {
        offset: usize,
    },
    /// Non-zero bytes after the trailer.
    TrailingData {
        offset: usize,
    },
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { offset, needed } => {
                write!(
                    f,
                    "truncated: record at offset {offset} needs {needed} more bytes"
                )
            }
            Self::BadMagic { offset } => write!(f, "bad magic at offset {offset} (want 070701)"),
            Self::BadHex { offset, field } => {
                write!(f, "header field {field} is not hex at offset {offset}")
            }
            Self::AbsurdSize { offset, size } => {
                write!(
                    f,
                    "file size {size} past the end of the archive at offset {offset}"
                )
            }
            Self::BadNameSize { offset, size } => {
                write!(f, "bad name size {size} at offset {offset}")
            }
            Self::BadName { offset } => write!(
                f,
                "bad name at offset {offset} (absolute, empty, '.' or '..' component, or not UTF-8)"
            ),
            Self::BadType { offset, mode } => {
                write!(f, "unsupported entry mode {mode:#o} at offset {offset}")
            }
            Self::Duplicate { offset } => write!(f, "duplicate name at offset {offset}"),
            Self::NoParent { offset } => {
                write!(
                    f,
                    "entry at offset {offset} has no parent directory entry before it"
                )
            }
            Self::TooManyEntries { offset } => {
                write!(f, "more than {MAX_ENTRIES} entries at offset {offset}")
            }
            Self::NoTrailer { offset } => {
                write!(f, "no TRAILER!!! record (ends at offset {offset})")
            }
            Self::TrailingData { offset } => {
                write!(f, "non-zero data after the trailer at offset {offset}")
            }
        }
    }
}

/// A validated archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Archive<'a> {
    data: &'a [u8],
    entries: usize,
    files: usize,
    file_bytes: usize,
}

impl<'a> Archive<'a> {
    /// Validates the whole archive (see the module docs for what that guarantees).
    pub fn parse(data: &'a [u8]) -> Result<Self, CpioError> {
        let mut archive = Archive {
            data,
            entries: 0,
            files: 0,
            file_bytes: 0,
        };
        let mut offset = 0;
        loop {
            let (entry, next) = match read_record(data, offset)? {
                Record::Entry(entry, next) => (entry, next),
                Record::Trailer(end) => {
                    if let Some(i) = data[end..].iter().position(|&b| b != 0) {
                        return Err(CpioError::TrailingData { offset: end + i });
                    }
                    return Ok(archive);
                }
            };
            if archive.entries == MAX_ENTRIES {
                return Err(CpioError::TooManyEntries { offset });
            }
            let mut has_parent = parent(entry.path).is_empty();
            for earlier in archive.iter().take(archive.entries) {
                if earlier.path == entry.path {
                    return Err(CpioError::Duplicate { offset });
                }
                has_parent |= earlier.kind == Kind::Dir && earlier.path == parent(entry.path);
            }
            if !has_parent {
                return Err(CpioError::NoParent { offset });
            }
            archive.entries += 1;
            if entry.kind == Kind::File {
                archive.files += 1;
                archive.file_bytes += entry.data.len();
            }
            offset = next;
        }
    }

    /// Number of entries (files and directories).
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Number of regular files.
    pub fn files(&self) -> usize {
        self.files
    }

    /// Total size of the files' contents.
    pub fn file_bytes(&self) -> usize {
        self.file_bytes
    }

    /// Size of the archive itself.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Every entry in archive order (the implicit root directory is not one).
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            data: self.data,
            offset: 0,
        }
    }

    /// The entry at absolute `path`; `/` is the root directory.
    pub fn lookup(&self, path: &str) -> Option<Entry<'a>> {
        let relative = relative(path)?;
        if relative.is_empty() {
            return Some(Entry {
                path: "",
                kind: Kind::Dir,
                mode: 0o755,
                data: &[],
            });
        }
        self.iter().find(|entry| entry.path == relative)
    }

    /// The `index`-th entry directly inside the directory at absolute `path`.
    pub fn readdir(&self, path: &str, index: usize) -> Result<Option<Entry<'a>>, LookupError> {
        let dir = self.lookup(path).ok_or(LookupError::NotFound)?;
        if dir.kind != Kind::Dir {
            return Err(LookupError::NotADirectory);
        }
        Ok(self
            .iter()
            .filter(|entry| parent(entry.path) == dir.path)
            .nth(index))
    }
}

/// Why a lookup in a valid archive failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    NotFound,
    NotADirectory,
}

/// Entries of a validated archive, in order.
pub struct Iter<'a> {
    data: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        match read_record(self.data, self.offset) {
            Ok(Record::Entry(entry, next)) => {
                self.offset = next;
                Some(entry)
            }
            _ => None,
        }
    }
}

enum Record<'a> {
    Entry(Entry<'a>, usize),
    /// The trailer, and the offset just past it.
    Trailer(usize),
}

fn read_record(data: &[u8], offset: usize) -> Result<Record<'_>, CpioError> {
    let header = take(data, offset, HEADER_LEN).map_err(|needed| match offset == data.len() {
        true => CpioError::NoTrailer { offset },
        false => CpioError::Truncated { offset, needed },
    })?;
    if &header[..5] != b"07070" || !matches!(header[5], b'1' | b'2') {
        return Err(CpioError::BadMagic { offset });
    }
    let field = |index: usize| -> Result<u32, CpioError> {
        let start = 6 + 8 * index;
        hex(&header[start..start + 8]).ok_or(CpioError::BadHex {
            offset: offset + start,
            field: index,
        })
    };
    let mode = field(1)?;
    let size = field(6)? as usize;
    let name_size = field(11)? as usize;
    for index in [0, 2, 3, 4, 5, 7, 8, 9, 10, 12] {
        field(index)?;
    }
    if name_size == 0 || name_size > MAX_NAME + 1 {
        return Err(CpioError::BadNameSize {
            offset,
            size: name_size as u64,
        });
    }
    let name_at = offset + HEADER_LEN;
    let name =
        take(data, name_at, name_size).map_err(|needed| CpioError::Truncated { offset, needed })?;
    let (name, nul) = name.split_at(name_size - 1);
    if nul != [0] || name.contains(&0) {
        return Err(CpioError::BadNameSize {
            offset,
            size: name_size as u64,
        });
    }
    let name = core::str::from_utf8(name).map_err(|_| CpioError::BadName { offset })?;
    let data_at = align4(name_at + name_size);
    if name == TRAILER {
        return Ok(Record::Trailer(data_at.min(data.len())));
    }
    if !valid_path(name) {
        return Err(CpioError::BadName { offset });
    }
    if data_at > data.len() || size > data.len() - data_at {
        return Err(CpioError::AbsurdSize {
            offset,
            size: size as u64,
        });
    }
    let kind = match mode & MODE_TYPE {
        MODE_FILE => Kind::File,
        MODE_DIR if size == 0 => Kind::Dir,
        _ => return Err(CpioError::BadType { offset, mode }),
    };
    let entry = Entry {
        path: name,
        kind,
        mode: mode & 0o7777,
        data: &data[data_at..data_at + size],
    };
    Ok(Record::Entry(entry, align4(data_at + size).min(data.len())))
}

/// `len` bytes at `at`, or how many are missing.
fn take(data: &[u8], at: usize, len: usize) -> Result<&[u8], usize> {
    match data.get(at..at.saturating_add(len)) {
        Some(bytes) => Ok(bytes),
        None => Err(at.saturating_add(len) - data.len()),
    }
}

fn hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = (digit as char).to_digit(16)?;
        Some(value << 4 | nibble)
    })
}

fn align4(offset: usize) -> usize {
    offset.saturating_add(3) & !3
}

fn valid_path(path: &str) -> bool {
    path.split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// The parent of a relative path (`bin` for `bin/sh`, `""` for `bin`).
fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |slash| &path[..slash])
}

/// An absolute path made relative (`/bin/sh` -> `bin/sh`, `/` -> ``); a trailing slash is
/// allowed. None for relative paths or ones a valid archive cannot hold.
fn relative(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    (rest.is_empty() || valid_path(rest)).then_some(rest)
}
