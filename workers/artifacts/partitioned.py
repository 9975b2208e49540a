"""A FAT image inside an MBR partition table, for firmware that boots only partitions.

U-Boot's distro boot scans `scsi 0:1`, the first partition: a bare FAT image (what OVMF boots)
gets "No partition table - scsi 0" and U-Boot's prompt. The disk is the 1 MiB-aligned MBR and
one EFI System partition (type 0xEF) holding the image's bytes: a copy per boot (a few MiB).
"""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

SECTOR = 512
START_LBA = 2048  # 1 MiB: the alignment partitioning tools use
ESP_TYPE = 0xEF


def partitioned_disk(fat: Path, out: Path) -> Path:
    """`out`: an MBR disk whose one partition is `fat`'s bytes."""
    sectors = -(-fat.stat().st_size // SECTOR)
    # status, CHS first (unused: LBA), type, CHS last, first LBA, sectors
    entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", ESP_TYPE, b"\xfe\xff\xff", START_LBA, sectors)
    mbr = bytearray(SECTOR)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with out.open("wb") as disk, fat.open("rb") as src:
        disk.write(mbr)
        disk.seek(START_LBA * SECTOR)
        shutil.copyfileobj(src, disk)
        disk.truncate((START_LBA + sectors) * SECTOR)
    return out
