#!/usr/bin/env bash
# modprobe / boot (media.usb_storage): the references are kmod's own modprobe (kmod 30 on
# Debian 12) and sh for the grub defaults.
#  - In a private mount namespace the case's modprobe.d directories are mounted over
#    /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d and /usr/lib/modprobe.d (= /lib),
#    so kmod applies its own directory order and same-name shadowing. The dry run
#    `modprobe -n -v -b usb:v0781p5567...ic08isc06ip50in00` is what udev asks for when a USB
#    mass-storage device is plugged in (blacklist applied), against a scratch module tree:
#    a stand-in usb-storage.ko (an object file with only the .modinfo of usb-storage: its name
#    and its USB mass-storage alias, built with gcc) indexed by the real depmod. It prints the
#    `install` command kmod would run instead of loading, or the insmod it would do, or
#    nothing when the blacklist stops it. `modprobe -n -v usb-storage` (explicit) is shown
#    alongside.
#  - grub-mkconfig's view of the kernel command line: sh sources the case's
#    /etc/default/grub then /etc/default/grub.d/*.cfg (in a network namespace, empty
#    environment) and prints "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT".
# Real verdict: pass when plugging a device in loads nothing (no insmod: blacklisted, or the
# install command kmod picks runs no modprobe/insmod), or the command line has
# module_blacklist=/modprobe.blacklist= naming usb_storage or usbcore.authorized_default=0;
# else fail. Ours: media.usb_storage from `stationward scan --root`.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
corpus="$ORACLE_TOP/tests/oracle/modprobe"
KVER=6.1.0-99-oracle
# A SanDisk Cruzer's modalias (bulk-only mass storage: class 08, subclass 06, protocol 50).
USB_MODALIAS=usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00

materialize() {
  local case="$1" dest="$2" path target
  rm -rf "$dest"
  mkdir -p "$dest"
  # A case may be links only (git keeps no empty directory).
  [ -d "$case/tree" ] && cp -a "$case/tree/." "$dest/"
  if [ -f "$case/links" ]; then
    while read -r path target; do
      [ -n "$path" ] || continue
      mkdir -p "$dest/$(dirname "$path")"
      ln -sfn "$target" "$dest/$path"
    done <"$case/links"
  fi
}

# kmod TREE MODDIR: "install CMD" / "insmod PATH" line(s) of the dry run, then a line
# "blacklisted" when kmod's configuration blacklists usb_storage.
kmod() {
  unshare -m -n bash -c '
    set -e
    tree=$1 moddir=$2 kver=$3
    mount --make-rprivate /
    mount -t tmpfs none /etc/modprobe.d
    mount -t tmpfs none /usr/lib/modprobe.d
    mount -t tmpfs none /run
    mount -t tmpfs none /usr/local/lib
    mkdir -p /run/modprobe.d /usr/local/lib/modprobe.d
    for d in etc/modprobe.d usr/lib/modprobe.d run/modprobe.d usr/local/lib/modprobe.d; do
      [ -d "$tree/$d" ] && cp -a "$tree/$d/." "/$d/"
    done
    echo "explicit: $(modprobe -n -v -d "$moddir" -S "$kver" usb-storage 2>&1 | head -1)"
    modprobe -n -v -b -d "$moddir" -S "$kver" "$4" 2>&1 || echo "error $?"
  ' _ "$1" "$2" "$KVER" "$USB_MODALIAS"
}

# cmdline TREE: the grub command line sh computes from the case's defaults.
cmdline() {
  unshare -n env -i PATH=/usr/bin:/bin sh -c '
    t=$1
    [ -f "$t/etc/default/grub" ] && . "$t/etc/default/grub"
    for x in "$t"/etc/default/grub.d/*.cfg; do [ -e "$x" ] && . "$x"; done
    echo "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"
  ' _ "$1" 2>/dev/null
}

if ! need unshare modprobe depmod gcc jq; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "needs unshare, modprobe, depmod, gcc and jq"; done
  exit 0
fi

moddir="$ORACLE_TMP/modules"
kdir="$moddir/lib/modules/$KVER/kernel/drivers/usb/storage"
mkdir -p "$kdir"
cat >"$ORACLE_TMP/modinfo.c" <<C
const char n[] __attribute__((section(".modinfo"))) = "name=usb_storage";
const char l[] __attribute__((section(".modinfo"))) = "license=GPL";
const char a[] __attribute__((section(".modinfo"))) = "alias=usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*";
const char v[] __attribute__((section(".modinfo"))) = "vermagic=$KVER SMP mod_unload";
C
if ! gcc -c -o "$kdir/usb-storage.ko" "$ORACLE_TMP/modinfo.c" || ! depmod -b "$moddir" "$KVER" 2>/dev/null; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "could not build the stand-in module tree"; done
  exit 0
fi

for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  materialize "$c" "$tree"
  out="$(kmod "$tree" "$moddir")"
  explicit="$(printf '%s\n' "$out" | sed -n 's/^explicit: //p')"
  hotplug="$(printf '%s\n' "$out" | grep -v '^explicit: ' | head -1)"
  if [[ "$hotplug" == error* || "$hotplug" == modprobe:* ]]; then
    no_oracle "$id" "modprobe -n -v -b failed: $hotplug"
    continue
  fi
  real=pass
  if [[ "$hotplug" == insmod* ]] || { [[ "$hotplug" == install* ]] && [[ "$hotplug" =~ (modprobe|insmod) ]]; }; then
    real=fail
  fi
  what="plug-in: ${hotplug:-nothing (blacklisted)}; explicit: $explicit"
  cl="$(cmdline "$tree")"
  for p in $cl; do
    case "$p" in
      module_blacklist=* | modprobe.blacklist=*)
        if [[ ",${p#*=}," =~ ,usb[_-]storage, ]]; then real=pass what+="; cmdline $p"; fi ;;
      usbcore.authorized_default=0) real=pass what+="; cmdline $p" ;;
    esac
  done
  report "$id" "$(ours "$tree" media.usb_storage --area supporting)" "$real" "$what"
done
