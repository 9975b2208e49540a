#[path = "paging/sim.rs"]
#[allow(dead_code)]
mod sim;

use kcore::paging::{flags, AddressSpace, PhysMemory};
use kcore::uaccess::{
    argv_array_bytes, argv_layout, check_path_len, check_range, parse_argv, UserError, USER_END,
};
use sim::SimMemory;

const BASE: u64 = 0x0000_1000_0000_0000;

/// A kernel PML4 with slot 0 mapped (supervisor) and a process mapping three user pages:
/// BASE writable, BASE+4K read-only, BASE+8K writable; BASE+12K unmapped.
fn space() -> (SimMemory, u64) {
    let mut mem = SimMemory::new();
    let kernel = kcore::paging::new_table(&mut mem).unwrap();
    kcore::paging::map_identity(&mut mem, kernel, 0, 1 << 30, flags::WRITABLE).unwrap();
    let mut space = AddressSpace::new(&mut mem, kernel).unwrap();
    for (i, f) in [flags::WRITABLE, 0, flags::WRITABLE]
        .into_iter()
        .enumerate()
    {
        let frame = mem.alloc_frame().unwrap();
        space
            .map_user_page(&mut mem, BASE + i as u64 * 4096, frame, f)
            .unwrap();
    }
    (mem, space.pml4())
}

#[test]
fn mapped_user_ranges_pass() {
    let (mem, pml4) = space();
    assert_eq!(check_range(&mem, pml4, BASE, 4096, true), Ok(()));
    assert_eq!(check_range(&mem, pml4, BASE + 100, 8000, false), Ok(()));
    assert_eq!(check_range(&mem, pml4, BASE + 4096, 4096, false), Ok(()));
    assert_eq!(
        check_range(&mem, pml4, 0xdead, 0, true),
        Ok(()),
        "empty range"
    );
}

#[test]
fn writes_to_read_only_pages_fault() {
    let (mem, pml4) = space();
    assert_eq!(
        check_range(&mem, pml4, BASE + 4000, 200, true),
        Err(UserError::Fault(BASE + 4096))
    );
}

#[test]
fn unmapped_kernel_wrapping_and_noncanonical_fault() {
    let (mem, pml4) = space();
    assert_eq!(
        check_range(&mem, pml4, BASE + 8192, 4097, false),
        Err(UserError::Fault(BASE + 12288))
    );
    // The kernel's identity map is present in the process but supervisor-only.
    assert_eq!(
        check_range(&mem, pml4, 0x1000, 8, false),
        Err(UserError::Fault(0x1000))
    );
    assert!(check_range(&mem, pml4, u64::MAX - 4, 16, false).is_err());
    assert!(check_range(&mem, pml4, USER_END - 8, 16, false).is_err());
    assert!(check_range(&mem, pml4, 0xffff_8000_0000_0000, 8, false).is_err());
}

#[test]
fn path_lengths() {
    assert_eq!(check_path_len(0), Err(UserError::TooLong));
    assert_eq!(check_path_len(7), Ok(7));
    assert_eq!(check_path_len(256), Ok(256));
    assert_eq!(check_path_len(257), Err(UserError::TooLong));
}

fn argv_bytes(entries: &[(u64, u64)]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|&(p, l)| p.to_le_bytes().into_iter().chain(l.to_le_bytes()))
        .collect()
}

#[test]
fn argv_limits() {
    assert_eq!(argv_array_bytes(16), Ok(256));
    assert_eq!(argv_array_bytes(17), Err(UserError::TooLong));
    assert_eq!(argv_array_bytes(u64::MAX), Err(UserError::TooLong));
    let (args, argc) = parse_argv(&argv_bytes(&[(BASE, 3), (BASE + 3, 1021)])).unwrap();
    assert_eq!((argc, args[1].ptr, args[1].len), (2, BASE + 3, 1021));
    assert_eq!(
        parse_argv(&argv_bytes(&[(BASE, 1000), (BASE, 25)])).map(|r| r.1),
        Err(UserError::TooLong)
    );
    assert_eq!(
        parse_argv(&argv_bytes(&[(0, u64::MAX), (0, 2)])).map(|r| r.1),
        Err(UserError::TooLong)
    );
    assert_eq!(parse_argv(&[0; 15]).map(|r| r.1), Err(UserError::TooLong));
}

#[test]
fn argv_layout_is_aligned_and_below_the_top() {
    let top = 0x1000_4000_0000;
    let (array, rsp, ptrs) = argv_layout(top, &[4, 5, 0]);
    assert_eq!(ptrs[..3], [top - 4, top - 9, top - 9]);
    assert_eq!(array % 16, 0);
    assert!(array + 3 * 16 <= top - 9);
    assert_eq!(rsp % 16, 8);
    assert_eq!(rsp, array - 8);
}
