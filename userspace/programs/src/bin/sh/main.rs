//! `sh`: the Rustux shell. Interactive on the console (`sh`), or running a script
//! (`sh FILE`, stopping at the first failing command with its status, as init expects of
//! /etc/rc). Grammar in `parse.rs`. Builtins: echo, help, exit, wait, time. Other words
//! run `/bin/<word>` (or the path given); the foreground child gets Ctrl-C
//! (`set_foreground`), `&` runs a command in the background, `$?` is the last status.
#![no_std]
#![no_main]

mod parse;

use parse::{next_command, Command};
use programs::spawn_error;
use usys::fmt::{Buf, Show};
use usys::{
    clock_gettime, getpid, now_ns, set_foreground, spawn, wait, Errno, CLOCK_INPUT, MAX_ARGS,
};

const PROMPT: &[u8] = b"rustux$ ";
const SCRIPT_MAX: usize = 4096;
/// The status of a command Ctrl-C ended: 128 + SIGINT.
const INTERRUPTED: i32 = 130;
const BUILTINS: &str = "echo help exit wait time";

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let mut shell = Shell {
        status: 0,
        script: args.get(1).is_some(),
        line_read_ns: 0,
    };
    match args.get(1) {
        Some(path) => shell.script(path),
        None => shell.interactive(),
    }
}

struct Shell {
    /// `$?`.
    status: i32,
    script: bool,
    /// When the current line was read (for `time`).
    line_read_ns: u64,
}

enum Flow {
    Continue,
    Exit(i32),
}

impl Shell {
    fn interactive(&mut self) -> i32 {
        motd();
        usys::println!("[sh] ready: {} ms from kernel entry", now_ns() / 1_000_000);
        let _ = set_foreground(getpid());
        let mut line = [0u8; 256];
        loop {
            let _ = usys::write(usys::STDOUT, PROMPT);
            let n = match usys::read(usys::STDIN, &mut line) {
                Ok(0) => {
                    usys::println!("exit");
                    return self.status;
                }
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(err) => {
                    usys::eprintln!("sh: read: {err}");
                    return 1;
                }
            };
            self.line_read_ns = now_ns();
            if let Flow::Exit(status) = self.line(&line[..n]) {
                return status;
            }
        }
    }

    fn script(&mut self, path: &[u8]) -> i32 {
        let mut text = [0u8; SCRIPT_MAX];
        let len = match read_file(path, &mut text) {
            Ok(len) => len,
            Err(err) => {
                usys::eprintln!("sh: {}: {err}", Show(path));
                return 127;
            }
        };
        for line in text[..len].split(|&b| b == b'\n') {
            self.line_read_ns = now_ns();
            if let Flow::Exit(status) = self.line(line) {
                return status;
            }
        }
        self.status
    }

    fn line(&mut self, line: &[u8]) -> Flow {
        let mut pos = 0;
        let mut cmd = Command::new();
        loop {
            match next_command(line, &mut pos, self.status, &mut cmd) {
                Ok(false) => return Flow::Continue,
                Ok(true) if cmd.len() == 0 => continue,
                Ok(true) => {}
                Err(err) => {
                    usys::eprintln!("sh: {}", err.message());
                    self.status = 2;
                    return self.stop_on_failure();
                }
            }
            if let Flow::Exit(status) = self.command(&cmd, 0) {
                return Flow::Exit(status);
            }
            if let Flow::Exit(status) = self.stop_on_failure() {
                return Flow::Exit(status);
            }
        }
    }

    /// Scripts stop at the first failure, so a script's status says whether all of it ran.
    fn stop_on_failure(&self) -> Flow {
        match self.script && self.status != 0 {
            true => Flow::Exit(self.status),
            false => Flow::Continue,
        }
    }

    /// Runs the command's words from `from` on.
    fn command(&mut self, cmd: &Command, from: usize) -> Flow {
        let name = cmd.word(from);
        self.status = match name {
            b"echo" => echo(cmd, from + 1),
            b"help" => help(),
            b"exit" => {
                let status = match from + 1 < cmd.len() {
                    true => programs::parse_u64(cmd.word(from + 1)).map_or(2, |s| s as i32),
                    false => self.status,
                };
                return Flow::Exit(status);
            }
            b"wait" => wait_builtin(cmd, from + 1),
            b"time" if from + 1 < cmd.len() => return self.time(cmd, from + 1),
            _ => self.program(cmd, from),
        };
        Flow::Continue
    }

    fn program(&self, cmd: &Command, from: usize) -> i32 {
        let name = cmd.word(from);
        let mut path_buf = [0u8; programs::PATH_MAX];
        let path = match name.contains(&b'/') {
            true => name,
            false => match programs::join(&mut path_buf, b"/bin", name) {
                Some(path) => path,
                None => return 127,
            },
        };
        let mut argv = [&b""[..]; MAX_ARGS];
        let pid = match spawn(path, cmd.argv(from, &mut argv)) {
            Ok(pid) => pid,
            Err(err) => {
                usys::eprintln!("sh: {}: {}", Show(name), spawn_error(err));
                return if err == Errno::ENOENT { 127 } else { 126 };
            }
        };
        if cmd.background {
            usys::println!("[sh] {} started in the background as pid {pid}", Show(name));
            return 0;
        }
        let _ = set_foreground(pid);
        let status = wait(Some(pid)).map_or(1, |(_, status)| status);
        let _ = set_foreground(getpid());
        status
    }

    /// `time CMD...`: runs CMD, then prints how long since the Enter key that ended this
    /// line reached the kernel (its TSC, CLOCK_INPUT) and since the shell read the line.
    fn time(&mut self, cmd: &Command, from: usize) -> Flow {
        let key = clock_gettime(CLOCK_INPUT);
        let flow = self.command(cmd, from);
        let done = now_ns();
        let since_read = (done - self.line_read_ns) / 1000;
        match key {
            Ok(key) if key.as_ns() > 0 && key.as_ns() <= done => usys::println!(
                "[sh] round trip: {} us from key to command done ({} us from line read), status {}",
                (done - key.as_ns()) / 1000,
                since_read,
                self.status
            ),
            Ok(_) => usys::println!(
                "[sh] round trip: key time unknown (no line typed), {since_read} us from line read"
            ),
            Err(err) => usys::println!(
                "[sh] round trip: key time unavailable ({err}), {since_read} us from line read"
            ),
        }
        flow
    }
}

fn echo(cmd: &Command, from: usize) -> i32 {
    let mut line = Buf::<1100>::new();
    for i in from..cmd.len() {
        if i > from {
            line.push_bytes(b" ");
        }
        line.push_bytes(cmd.word(i));
    }
    line.push_bytes(b"\n");
    usys::write(usys::STDOUT, line.as_bytes()).map_or(1, |_| 0)
}

fn help() -> i32 {
    usys::println!("builtins: {BUILTINS}");
    usys::print!("programs:");
    let mut index = 0;
    while let Ok(Some(entry)) = usys::readdir(b"/bin", index) {
        usys::print!(" {}", Show(entry.name()));
        index += 1;
    }
    usys::println!();
    usys::println!(
        "syntax: CMD ARGS... [; CMD...] [&], $? = last status, 'quotes' \"quotes\", # comment"
    );
    0
}

/// `wait` reaps every background child; `wait PID` that one. Status: the last reaped, or
/// 130 when Ctrl-C ends the wait (the children go on in the background).
fn wait_builtin(cmd: &Command, from: usize) -> i32 {
    if from < cmd.len() {
        let Some(pid) = programs::parse_u64(cmd.word(from)) else {
            usys::eprintln!("usage: wait [PID]");
            return 2;
        };
        return match wait(Some(pid as u32)) {
            Ok((_, status)) => status,
            Err(Errno::EINTR) => INTERRUPTED,
            Err(err) => {
                usys::eprintln!("sh: wait {pid}: {err}");
                127
            }
        };
    }
    let mut status = 0;
    loop {
        match wait(None) {
            Ok((pid, s)) => {
                usys::println!("[sh] pid {pid} exited with status {s}");
                status = s;
            }
            Err(Errno::EINTR) => return INTERRUPTED,
            Err(_) => return status,
        }
    }
}

fn motd() {
    let mut text = [0u8; 1024];
    if let Ok(len) = read_file(b"/etc/motd", &mut text) {
        let _ = usys::write(usys::STDOUT, &text[..len]);
    }
}

/// Reads a whole initrd file into `buf`; what does not fit is cut.
fn read_file(path: &[u8], buf: &mut [u8]) -> usys::SysResult<usize> {
    let fd = usys::open(path)?;
    let mut len = 0;
    let result = loop {
        match usys::read(fd, &mut buf[len..]) {
            Ok(0) => break Ok(len),
            Ok(n) => len += n,
            Err(err) => break Err(err),
        }
        if len == buf.len() {
            break Ok(len);
        }
    };
    let _ = usys::close(fd);
    result
}
