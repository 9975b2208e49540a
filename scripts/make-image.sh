#!/usr/bin/env bash
# Writes build/rustux.img: a GPT disk with one EFI System Partition holding build/esp (the
# kernel and its initrd), bootable as a plain disk (QEMU -drive, or dd to a USB stick).
# No root: sgdisk writes the partition table into a file, mtools formats and fills the
# partition at its byte offset (IMAGE@@OFFSET).
#   scripts/make-image.sh [ESP_DIR [IMAGE]]
set -euo pipefail
cd "$(dirname "$0")/.."
ESP=${1:-build/esp}
IMAGE=${2:-build/rustux.img}
START_SECTOR=2048              # 1 MiB: the usual alignment, room for the primary GPT
ESP_MIB=33                     # FAT32 needs >= 65525 clusters: 33 MiB of 512-byte clusters
export MTOOLS_SKIP_CHECK=1

for tool in sgdisk mformat mcopy mmd; do
    command -v "$tool" >/dev/null || { echo "make-image: $tool not found: install gdisk and mtools (make deps)" >&2; exit 1; }
done
# BOOTX64.EFI (x86_64) or BOOTAA64.EFI (aarch64: make kernel ARCH=aarch64).
if [ ! -f "$ESP/EFI/BOOT/BOOTX64.EFI" ] && [ ! -f "$ESP/EFI/BOOT/BOOTAA64.EFI" ]; then
    echo "make-image: $ESP/EFI/BOOT/ has neither BOOTX64.EFI nor BOOTAA64.EFI: run make kernel first" >&2
    exit 1
fi
start_ns=$(date +%s%N)
tmp="$(dirname "$IMAGE")/.$(basename "$IMAGE").$$"
trap 'rm -f "$tmp"' EXIT
esp_sectors=$((ESP_MIB * 2048))
# Primary GPT before the partition, backup GPT (33 sectors) in the last MiB.
truncate -s $(((START_SECTOR + esp_sectors + 2048) * 512)) "$tmp"
sgdisk --clear --new=1:$START_SECTOR:+${esp_sectors} --typecode=1:ef00 \
    --change-name=1:"EFI System Partition" "$tmp" >/dev/null
part="$tmp@@$((START_SECTOR * 512))"
mformat -i "$part" -F -c 1 -T "$esp_sectors" -h 64 -s 32 -H "$START_SECTOR" -v RUSTUX ::
( cd "$ESP" && find . -mindepth 1 -type d | sort ) | while read -r dir; do
    mmd -i "$part" "::/${dir#./}"
done
( cd "$ESP" && find . -type f | sort ) | while read -r file; do
    mcopy -i "$part" "$ESP/${file#./}" "::/${file#./}"
done
mv -f "$tmp" "$IMAGE"
trap - EXIT
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf 'make-image: %s (%s bytes: GPT, one %s MiB EFI System Partition from %s) in %d.%03ds\n' \
    "$IMAGE" "$(stat -c %s "$IMAGE")" "$ESP_MIB" "$ESP" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
