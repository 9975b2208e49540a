#!/usr/bin/env bash
# The lab's other environments: Debian 13's QEMU and EDK2 in a root of their own, as a worker
# host of that distribution has them, and the lab's Secure Boot keys and VARS template.
# Cached between runs under $BOOTLAB_ENV_DIR (default ~/.cache/rustux-bootlab/env): a stamp
# written last marks a complete root, so a root left half-made by an interrupted run is redone.
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_DIR=$HOME/.cache/rustux-bootlab/env  # lab-inventory.yaml names these paths
MIRROR=${BOOTLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# trixie: QEMU 10.0 and EDK2 2025 (~40 s and ~385 MB from Debian's registry).
dir=$ENV_DIR/trixie
if [ ! -e "$dir/.complete" ]; then
    echo "install-envs: debootstrap trixie into $dir/root (about 40 s)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"  # debootstrap makes device nodes and chowns: root
    $SUDO rm -rf "$dir"
    mkdir -p "$dir"
    $SUDO debootstrap --variant=minbase --include=qemu-system-x86,ovmf trixie "$dir/root" "$MIRROR" > "$dir/debootstrap.log" 2>&1 \
        || { echo "install-envs: debootstrap failed, see $dir/debootstrap.log" >&2; exit 1; }
    # The root's QEMU run by the root's own loader, libraries, modules and data directory, in the
    # host's namespace (lab/environment.py says why not chroot). exec: QEMU keeps this pid.
    root=$dir/root
    cat > "$dir/qemu-system-x86_64" <<LAUNCHER
#!/bin/sh
export QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu
exec $root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path $root/usr/lib/x86_64-linux-gnu \\
    $root/usr/bin/qemu-system-x86_64 -L $root/usr/share/qemu "\$@"
LAUNCHER
    chmod +x "$dir/qemu-system-x86_64"
    touch "$dir/.complete"  # last: a root without it is redone
fi

"${VENV_PY:-.venv/bin/python}" -m rustux_bootlab.workers.secureboot_keys  # virt-fw-vars is in the venv
