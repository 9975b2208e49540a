use kcore::runqueue::{QueueError, RunQueue, SleepList};

#[test]
fn round_robin_order_and_requeue() {
    let mut q = RunQueue::<4>::new();
    for id in [2, 0, 3] {
        q.push(id).unwrap();
    }
    assert_eq!(q.pop(), Some(2));
    q.push(2).unwrap(); // the thread that ran goes to the back
    assert_eq!(q.iter().collect::<Vec<_>>(), [0, 3, 2]);
    assert_eq!(
        (q.pop(), q.pop(), q.pop(), q.pop()),
        (Some(0), Some(3), Some(2), None)
    );
    assert!(q.is_empty());
}

#[test]
fn refuses_duplicates_and_out_of_range() {
    let mut q = RunQueue::<2>::new();
    q.push(1).unwrap();
    assert_eq!(q.push(1), Err(QueueError::AlreadyQueued(1)));
    assert_eq!(q.push(2), Err(QueueError::OutOfRange(2)));
    q.push(0).unwrap();
    assert_eq!(q.len(), 2); // full, yet both distinct ids fit
}

#[test]
fn remove_keeps_the_others_in_order() {
    let mut q = RunQueue::<8>::new();
    for _ in 0..3 {
        // wrap the ring around a few times first
        q.push(7).unwrap();
        q.pop();
    }
    for id in [1, 4, 6, 2] {
        q.push(id).unwrap();
    }
    assert!(q.remove(4));
    assert!(!q.remove(4));
    assert!(!q.contains(4));
    assert_eq!(q.iter().collect::<Vec<_>>(), [1, 6, 2]);
    q.push(4).unwrap();
    assert_eq!(q.iter().collect::<Vec<_>>(), [1, 6, 2, 4]);
}

#[test]
fn matches_a_model_under_random_operations() {
    let mut q = RunQueue::<16>::new();
    let mut model: std::collections::VecDeque<usize> = Default::default();
    let mut seed = 0x1234_5678_u64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let id = (seed >> 8) as usize % 16;
        match seed % 3 {
            0 => assert_eq!(q.push(id).is_ok(), !model.contains(&id)),
            1 => assert_eq!(q.pop(), model.pop_front()),
            _ => {
                let was = model.iter().position(|&x| x == id).map(|i| model.remove(i));
                assert_eq!(q.remove(id), was.is_some());
            }
        }
        if !model.contains(&id) && seed % 3 == 0 {
            model.push_back(id);
        }
        assert_eq!(
            q.iter().collect::<Vec<_>>(),
            model.iter().copied().collect::<Vec<_>>()
        );
    }
}

#[test]
fn sleepers_wake_at_their_deadline_once() {
    let mut s = SleepList::<4>::new();
    s.sleep(1, 10).unwrap();
    s.sleep(3, 5).unwrap();
    s.sleep(0, 20).unwrap();
    assert!(s.expire(4).next().is_none());
    assert_eq!(s.expire(10).collect::<Vec<_>>(), [1, 3]);
    assert!(s.expire(10).next().is_none());
    assert!(s.cancel(0));
    assert!(!s.is_sleeping(0));
    assert!(s.expire(100).next().is_none());
    assert_eq!(s.sleep(4, 1), Err(QueueError::OutOfRange(4)));
}
