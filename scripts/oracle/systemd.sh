#!/usr/bin/env bash
# systemd enablement: two real programs are the reference.
#  - `systemctl --root=TREE is-enabled UNIT` for the state word (enabled, static, masked...)
#    that stationward reports in facts.services.units[].enabled;
#  - the manager itself, `systemd --test --system --unit=multi-user.target` (run as nobody, as
#    it refuses root, in a private mount namespace where the case's unit directories are
#    mounted over /etc/systemd/system, /run/systemd/system and a copy of the host's
#    /usr/lib/systemd/system), whose dump of the initial boot transaction says which units
#    really start ("Action: UNIT -> start").
# Each case (tests/oracle/systemd/<case>/) has `tree/`, optional `links` (`path target` per
# line), `about`, and `units`: one unit per line. A bare unit runs a legacy cleartext server
# by construction of the case (for shell wrappers, what `sh -c 'exec ...'` runs); a unit
# followed by `exec` is legacy only when the command line the manager dumps for its
# ExecStart= (drop-ins applied by systemd itself) starts a legacy server program. The real
# verdict for services.legacy_cleartext is fail when a legacy unit is in the boot transaction,
# else pass; ours is the check's status from `stationward scan --root`. Each line also
# compares our state word with `systemctl --root is-enabled`.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
corpus="$ORACLE_TOP/tests/oracle/systemd"
SYSTEMD_BIN=/usr/lib/systemd/systemd

materialize() {
  local case="$1" dest="$2" path target
  rm -rf "$dest"
  mkdir -p "$dest"
  # A case may be links only (git keeps no empty directory).
  [ -d "$case/tree" ] && cp -a "$case/tree/." "$dest/"
  # A running system has /dev/null; without it `systemctl --root` cannot resolve a mask.
  mkdir -p "$dest/dev"
  mknod -m 666 "$dest/dev/null" c 1 3
  if [ -f "$case/links" ]; then
    while read -r path target; do
      [ -n "$path" ] || continue
      mkdir -p "$dest/$(dirname "$path")"
      ln -sfn "$target" "$dest/$path"
    done <"$case/links"
  fi
}

LEGACY_PROGRAMS='^(in\.)?(telnetd|rshd|rlogind|rexecd|ftpd|proftpd|tftpd|fingerd|talkd|ntalkd)$|^(vsftpd|pure-ftpd|atftpd|bftpd|inetutils-.*d)$'

# transaction TREE BASE: the manager's dump of the boot transaction (systemd --test).
transaction() {
  unshare -m bash -c '
    set -e
    tree=$1 base=$2 bin=$3
    mount --make-rprivate /
    mount -t tmpfs -o mode=0755 none /usr/lib/systemd/system
    cp -a "$base/." /usr/lib/systemd/system/
    [ -d "$tree/usr/lib/systemd/system" ] && cp -a "$tree/usr/lib/systemd/system/." /usr/lib/systemd/system/
    mount -t tmpfs -o mode=0755 none /etc/systemd
    mkdir -p /etc/systemd/system
    [ -d "$tree/etc/systemd" ] && cp -a "$tree/etc/systemd/." /etc/systemd/
    mkdir -p /run/systemd
    mount -t tmpfs -o mode=0755 none /run/systemd
    mkdir -p /run/systemd/system
    [ -d "$tree/run/systemd" ] && cp -a "$tree/run/systemd/." /run/systemd/
    setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --test --system --no-pager \
      --unit=multi-user.target 2>/dev/null
  ' _ "$1" "$2" "$SYSTEMD_BIN"
}

if ! need unshare setpriv systemctl jq || [ ! -x "$SYSTEMD_BIN" ]; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "needs unshare, setpriv, systemctl, jq and $SYSTEMD_BIN"; done
  exit 0
fi

base="$ORACLE_TMP/base-units"
mkdir -p "$base"
cp -a /usr/lib/systemd/system/. "$base/"
chmod 755 "$ORACLE_TMP"

for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  materialize "$c" "$tree"
  chmod -R a+rX "$tree"
  dump="$ORACLE_TMP/$id.dump"
  transaction "$tree" "$base" >"$dump"
  started="$(sed -n 's/^[[:space:]]*Action: \(.*\) -> start$/\1/p' "$dump")"
  if [ -z "$started" ]; then
    no_oracle "$id" "systemd --test printed no boot transaction"
    continue
  fi
  json="$("$STATIONWARD_BIN" scan --root "$tree" --format json --area services 2>/dev/null)"
  ours_v="$(printf '%s' "$json" | jq -r '[.findings[] | select(.check == "services.legacy_cleartext") | .status] | first // "error"' 2>/dev/null)"
  real_v=pass
  ours_s="" real_s=""
  while read -r unit mode; do
    [ -n "$unit" ] || continue
    if printf '%s\n' "$started" | grep -qxF "$unit"; then
      if [ "$mode" = exec ]; then
        cmd="$(awk -v u="$unit" '
          $0 ~ /^\t-> Unit / { inside = ($0 == "\t-> Unit " u ":") }
          inside && /-> ExecStart:/ { want = 1; next }
          inside && want && /Command Line:/ { sub(/^.*Command Line: /, ""); print; exit }' "$dump")"
        prog="$(basename "${cmd%% *}" 2>/dev/null)"
        if [[ "$prog" =~ $LEGACY_PROGRAMS ]]; then real_v=fail; fi
      else
        real_v=fail
      fi
    fi
    st="$(systemctl --root="$tree" is-enabled "$unit" 2>/dev/null)"
    [ -n "$st" ] || st="not-found"
    ou="$(printf '%s' "$json" | jq -r --arg u "$unit" '[.facts.services.units[] | select(.name == $u and .source == "systemd") | .enabled] | first // "not-found"' 2>/dev/null)"
    ours_s+=" $unit:$ou" real_s+=" $unit:$st"
  done <"$c/units"
  report "$id" "$ours_v${ours_s// /,}" "$real_v${real_s// /,}" "$(cat "$c/about" 2>/dev/null)"
done
