//! The scheduler's queues, pure: a FIFO run queue of thread ids (round-robin: the thread
//! that ran goes to the back) with O(1) membership, and a sleep list woken by deadline.
//! Capacity is fixed so the kernel never allocates while switching.

/// A thread's index in the kernel's thread table.
pub type ThreadId = usize;

/// FIFO of runnable threads; each id at most once.
pub struct RunQueue<const N: usize> {
    slots: [ThreadId; N],
    head: usize,
    len: usize,
    queued: [bool; N],
}

/// Why a push was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The id is not below the queue's capacity.
    OutOfRange(ThreadId),
    /// The id is queued already (a thread runs once per round).
    AlreadyQueued(ThreadId),
}

impl<const N: usize> RunQueue<N> {
    pub const fn new() -> Self {
        Self {
            slots: [0; N],
            head: 0,
            len: 0,
            queued: [false; N],
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, id: ThreadId) -> bool {
        id < N && self.queued[id]
    }

    /// Appends `id` at the back.
    pub fn push(&mut self, id: ThreadId) -> Result<(), QueueError> {
        if id >= N {
            return Err(QueueError::OutOfRange(id));
        }
        if self.queued[id] {
            return Err(QueueError::AlreadyQueued(id));
        }
        // At most N distinct ids are queued, so there is always room here.
        self.slots[(self.head + self.len) % N] = id;
        self.len += 1;
        self.queued[id] = true;
        Ok(())
    }

    /// The thread that runs next.
    pub fn pop(&mut self) -> Option<ThreadId> {
        if self.len == 0 {
            return None;
        }
        let id = self.slots[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        self.queued[id] = false;
        Some(id)
    }

    /// Takes `id` out wherever it is (a killed thread); false if it was not queued.
    pub fn remove(&mut self, id: ThreadId) -> bool {
        if !self.contains(id) {
            return false;
        }
        let mut kept = 0;
        for i in 0..self.len {
            let other = self.slots[(self.head + i) % N];
            if other != id {
                self.slots[(self.head + kept) % N] = other;
                kept += 1;
            }
        }
        self.len = kept;
        self.queued[id] = false;
        true
    }

    /// Queued ids, front first.
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        (0..self.len).map(move |i| self.slots[(self.head + i) % N])
    }
}

impl<const N: usize> Default for RunQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Sleeping threads with their wake-up tick.
pub struct SleepList<const N: usize> {
    deadline: [Option<u64>; N],
}

impl<const N: usize> SleepList<N> {
    pub const fn new() -> Self {
        Self {
            deadline: [None; N],
        }
    }

    /// `id` sleeps until tick `until` (replacing an earlier deadline).
    pub fn sleep(&mut self, id: ThreadId, until: u64) -> Result<(), QueueError> {
        let slot = self
            .deadline
            .get_mut(id)
            .ok_or(QueueError::OutOfRange(id))?;
        *slot = Some(until);
        Ok(())
    }

    /// Forgets `id`'s deadline (woken early, or killed); true if it slept.
    pub fn cancel(&mut self, id: ThreadId) -> bool {
        self.deadline.get_mut(id).and_then(Option::take).is_some()
    }

    pub fn is_sleeping(&self, id: ThreadId) -> bool {
        self.deadline.get(id).is_some_and(Option::is_some)
    }

    /// Removes and returns, lowest id first, every thread whose deadline is `<= now`.
    pub fn expire(&mut self, now: u64) -> impl Iterator<Item = ThreadId> + '_ {
        self.deadline
            .iter_mut()
            .enumerate()
            .filter_map(move |(id, d)| match *d {
                Some(t) if t <= now => {
                    *d = None;
                    Some(id)
                }
                _ => None,
            })
    }
}

impl<const N: usize> Default for SleepList<N> {
    fn default() -> Self {
        Self::new()
    }
}
