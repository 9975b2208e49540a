#!/usr/bin/env bash
# Installs what the lab needs on a Debian 12 machine: Debian packages (only the
# missing ones, so a warm machine pays nothing) and the Python venv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    rustc-web cargo-web rust-web-src lld-19      # UEFI/none targets via -Zbuild-std
    rust-web-clippy                               # cargo clippy: make test-kernel lints the kernel
    qemu-system-x86 ovmf                          # QEMU targets and their firmware
    qemu-system-arm qemu-efi-aarch64              # aarch64 QEMU targets (virt) and AAVMF
    mtools dosfstools                             # ESP images without root
    gdisk                                         # sgdisk: the GPT of make image
    openipmi ipmitool dnsmasq-base iproute2       # virtual boards (BMC, PXE)
    libvirt-daemon-system libvirt-clients python3-libvirt   # the Redfish virtual board (sushy-emulator's own venv, made on first use)
    xorriso ser2net pdudaemon                     # virtual media ISOs; consoles over RFC 2217; PDU outlets
    openssh-server                                # a real sshd on loopback for the USB-over-SFTP tests
    postgresql-15                                 # the masters' shared database (harness/cluster)
    iptables                                      # the host lab's packet filters (harness/hostfirewall.py)
    chromium                                      # headless browser for the dashboard's tests
    debootstrap                                   # the Debian 13 environment's root (install-envs.sh)
    u-boot-qemu                                   # U-Boot's UEFI: the q35-uboot target
    sbsigntool                                    # sbsign: the kernel signed for the Secure Boot lanes
    grub-efi-amd64-bin grub-common                # a real boot loader: the terminal and screen tests
    kbd console-setup                             # Linux console fonts (/usr/share/consolefonts) the screen reader knows
    python3-venv git make
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -e "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    # compat mode: a plain .pth to the checkout, so packages created later import too
    .venv/bin/pip install -q -e '.[test]' --config-settings editable_mode=compat
    rm -f .venv/.installed-* && touch "$stamp"
fi

# The other environments (Debian 13's QEMU and EDK2) and the lab's Secure Boot keys: cached.
scripts/install-envs.sh
# sushy-emulator (the Redfish virtual board's BMC) in its own venv beside Debian's python3-libvirt
.venv/bin/python -m rustux_bootlab.workers.vboard.redfishbmc >/dev/null
