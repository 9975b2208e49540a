// Links every program at the Rustux user base (PML4 slot 32) with a fixed, non-PIE layout.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/../user.ld");
    // The initrd is read by the firmware before the kernel runs (~1 ms per KiB under TCG):
    // no symbols, and segments packed in the file rather than page-aligned (-n).
    println!("cargo:rustc-link-arg-bins=--strip-all");
    println!("cargo:rustc-link-arg-bins=-n");
    // PIC code (the target default) linked as a fixed-address executable: no run-time
    // relocations for the kernel's loader to apply.
    println!("cargo:rustc-link-arg-bins=--no-pie");
    println!("cargo:rerun-if-changed=../user.ld");
}
