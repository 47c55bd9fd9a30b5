#!/usr/bin/env bash
# sysctl: the reference is systemd-sysctl (systemd 252 on Debian 12), the program that applies
# sysctl.d at boot. Each case (tests/oracle/sysctl/<case>/) holds a tree overlay `tree/` (only
# sysctl.d directories and /etc/sysctl.conf) and an optional `links` file (`path target` per
# line, made as symlinks in the scratch copy). The case is applied by the real
# /usr/lib/systemd/systemd-sysctl chrooted into a scratch root inside a private mount AND
# network namespace (unshare -m -n): the host's /usr is bind-mounted, the sysctl.d
# directories and /etc are the case's. Only per-network-namespace keys (net.*) are allowed in
# the corpus, so nothing reaches the host's kernel; the values are read back from /proc/sys in
# that namespace and compared with the values `stationward scan --root` computes
# (facts.supporting.sysctl.configured; unset keys take the fresh namespace's value).
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
corpus="$ORACLE_TOP/tests/oracle/sysctl"
KEYS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.accept_redirects
  net.ipv6.conf.all.accept_redirects net.ipv4.conf.all.send_redirects
  net.ipv4.conf.all.accept_source_route net.ipv4.tcp_syncookies net.ipv4.conf.all.rp_filter)
SYSCTL_BIN=/usr/lib/systemd/systemd-sysctl

# materialize CASE DEST: the case's tree plus its symlinks, in a scratch directory.
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

# safe TREE: every assignment in the case is a net.* key (those are per network namespace).
safe() {
  ! find "$1" -type f -exec grep -hvE '^[[:space:]]*([#;].*)?$' {} + 2>/dev/null |
    grep '=' | grep -vE '^[[:space:]]*-?[[:space:]]*net[./][^=]*=' | grep -q .
}

# real TREE: KEY=VALUE lines after systemd-sysctl applied TREE in fresh namespaces.
real() {
  local tree="$1" root="$ORACLE_TMP/root"
  mkdir -p "$root"
  unshare -m -n bash -c '
    set -e
    root=$1 tree=$2 bin=$3; shift 3
    mount --make-rprivate /
    mount -t tmpfs none "$root"
    mkdir -p "$root"/{usr,proc,run,etc,dev}
    mount --rbind /dev "$root/dev"
    ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
    ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
    mount --rbind /usr "$root/usr"
    mount --make-rprivate "$root/usr"
    mount -t tmpfs none "$root/usr/lib/sysctl.d"
    mount -t tmpfs none "$root/usr/local"
    mkdir -p "$root/usr/local/lib/sysctl.d"
    [ -d "$tree/usr" ] && cp -a "$tree/usr/." "$root/usr/"
    [ -d "$tree/etc" ] && cp -a "$tree/etc/." "$root/etc/"
    [ -d "$tree/run" ] && cp -a "$tree/run/." "$root/run/"
    mount -t proc proc "$root/proc"
    chroot "$root" "$bin" >/dev/null 2>&1 || true
    for k in "$@"; do printf "%s=%s\n" "$k" "$(cat "$root/proc/sys/${k//.//}")"; done
  ' _ "$root" "$tree" "$SYSCTL_BIN" "${KEYS[@]}"
}

if ! need unshare chroot jq || [ ! -x "$SYSCTL_BIN" ]; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "needs unshare, chroot, jq and $SYSCTL_BIN"; done
  exit 0
fi

empty="$ORACLE_TMP/empty"
mkdir -p "$empty/etc"
baseline="$(real "$empty")"
base_of() { printf '%s\n' "$baseline" | sed -n "s/^$1=//p"; }

for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  materialize "$c" "$tree"
  if ! safe "$tree"; then
    no_oracle "$id" "the case assigns a key outside net.*: systemd-sysctl would change the host kernel"
    continue
  fi
  json="$("$STATIONWARD_BIN" scan --root "$tree" --format json --area supporting 2>/dev/null)"
  if [ -z "$json" ]; then
    report "$id" error real "stationward scan failed"
    continue
  fi
  got="$(real "$tree")" || { no_oracle "$id" "systemd-sysctl could not be run"; continue; }
  ours_v="" real_v=""
  for k in "${KEYS[@]}"; do
    b="$(base_of "$k")"
    o="$(printf '%s' "$json" | jq -r --arg k "$k" '.facts.supporting.sysctl.configured[$k].value // empty')"
    [ -n "$o" ] || o="$b"
    r="$(printf '%s\n' "$got" | sed -n "s/^$k=//p")"
    short="${k#net.}"
    if [ "$o" != "$b" ] || [ "$r" != "$b" ]; then
      ours_v+="$short=$o,"
      real_v+="$short=$r,"
    fi
  done
  ours_v="${ours_v%,}" real_v="${real_v%,}"
  report "$id" "${ours_v:-baseline}" "${real_v:-baseline}" "$(cat "$c/about" 2>/dev/null)"
done
