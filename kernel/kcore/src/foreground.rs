//! Who Ctrl-C reaches and what it does there. The kernel keeps one foreground process. A
//! process that makes itself the foreground (an interactive shell) *catches* Ctrl-C: the
//! key interrupts its read, sleep or wait, or the next one it makes, and never ends it. A
//! process the shell handed the foreground to (a command) is ended by Ctrl-C unless it is
//! blocked in a read or a sleep, which return EINTR instead.
//!
//! Without the catching rule, Ctrl-C during the shell's `wait` builtin, or in the moment
//! between a spawn and the shell handing the foreground to its child, ended the shell, and
//! with it the machine (init powers off when the shell exits).

/// The foreground process and whether it catches Ctrl-C. Kept as one word ([`pack`]) so an
/// interrupt never pairs one process's pid with another's flag.
///
/// [`pack`]: Foreground::pack
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Foreground {
    /// 0: none.
    pub pid: u32,
    pub catches: bool,
}

impl Foreground {
    pub const NONE: Foreground = Foreground {
        pid: 0,
        catches: false,
    };

    /// The foreground after process `caller` hands it to `pid`: taking it for itself is what
    /// a shell does, so that process catches Ctrl-C.
    pub const fn handed(caller: u32, pid: u32) -> Self {
        Self {
            pid,
            catches: pid == caller && pid != 0,
        }
    }

    pub const fn pack(self) -> u64 {
        self.pid as u64 | (self.catches as u64) << 32
    }

    pub const fn unpack(word: u64) -> Self {
        Self {
            pid: word as u32,
            catches: (word >> 32) & 1 == 1,
        }
    }
}

/// What the foreground process is doing when Ctrl-C comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Reading,
    Sleeping,
    Waiting,
    /// Running or runnable.
    Busy,
    /// A zombie, or no such process.
    Gone,
}

/// What Ctrl-C does to the foreground process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Make it runnable: the call it is blocked in returns EINTR.
    Wake,
    /// Mark it: its next read, sleep or wait returns EINTR at once.
    Pend,
    /// End it with status 130 (128 + SIGINT).
    End,
}

pub fn on_ctrl_c(fg: Foreground, activity: Activity) -> Action {
    match (activity, fg.catches) {
        (Activity::Gone, _) => Action::Nothing,
        (Activity::Reading | Activity::Sleeping, _) | (Activity::Waiting, true) => Action::Wake,
        (Activity::Busy, true) => Action::Pend,
        (Activity::Waiting | Activity::Busy, false) => Action::End,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Activity; 5] = [
        Activity::Reading,
        Activity::Sleeping,
        Activity::Waiting,
        Activity::Busy,
        Activity::Gone,
    ];

    #[test]
    fn a_process_that_takes_the_foreground_for_itself_catches_ctrl_c() {
        assert!(Foreground::handed(7, 7).catches);
        assert!(
            !Foreground::handed(7, 9).catches,
            "a shell handing it to its child"
        );
        assert!(
            !Foreground::handed(0, 0).catches,
            "no foreground catches nothing"
        );
    }

    #[test]
    fn ctrl_c_never_ends_a_process_that_catches_it() {
        let shell = Foreground {
            pid: 2,
            catches: true,
        };
        for activity in ALL {
            assert_ne!(on_ctrl_c(shell, activity), Action::End, "{activity:?}");
        }
        assert_eq!(
            on_ctrl_c(shell, Activity::Waiting),
            Action::Wake,
            "the wait builtin returns EINTR"
        );
        assert_eq!(
            on_ctrl_c(shell, Activity::Busy),
            Action::Pend,
            "its next call returns EINTR"
        );
    }

    #[test]
    fn ctrl_c_ends_a_busy_or_waiting_command_and_interrupts_a_blocked_one() {
        let command = Foreground {
            pid: 9,
            catches: false,
        };
        assert_eq!(on_ctrl_c(command, Activity::Busy), Action::End);
        assert_eq!(on_ctrl_c(command, Activity::Waiting), Action::End);
        assert_eq!(on_ctrl_c(command, Activity::Reading), Action::Wake);
        assert_eq!(on_ctrl_c(command, Activity::Sleeping), Action::Wake);
        assert_eq!(on_ctrl_c(command, Activity::Gone), Action::Nothing);
    }

    #[test]
    fn the_packed_word_keeps_pid_and_flag_together() {
        for fg in [
            Foreground::NONE,
            Foreground::handed(5, 5),
            Foreground::handed(5, u32::MAX),
        ] {
            assert_eq!(Foreground::unpack(fg.pack()), fg);
        }
    }
}
