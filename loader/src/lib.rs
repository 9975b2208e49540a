//! The resident loader's pure logic, tested on the host (`cargo test`): the fw_cfg file
//! directory, the DMA access a read or write is, the UEFI device paths the loader builds, and
//! the ramfb config it writes again after a restore.
//! Everything that touches ports or firmware lives in the binary (main.rs).
#![cfg_attr(not(test), no_std)]

pub mod devpath;
pub mod fwcfg;
pub mod ramfb;
