#!/usr/bin/env bash
# dpkg package states (services.legacy_cleartext): the reference is dpkg itself,
# `dpkg-query --admindir TREE/var/lib/dpkg -W -f '${db:Status-Abbrev}'`, with
# `systemctl --root TREE is-enabled` for whether the package's unit is masked.
# Each case (tests/oracle/dpkg/<case>/) has `tree/` (a dpkg status database plus the package's
# init script, rc links, unit and daemon as they would be on disk in that state), optional
# `links`, `about`, and `packages`: `PACKAGE [UNIT]` per line, the legacy server packages of
# the case. A package whose files are on disk (dpkg status installed, unpacked,
# half-configured, half-installed, triggers-awaiting or triggers-pending: the second letter of
# the abbreviation is i, U, F, H, W or t) can be started unless its UNIT is masked: the real
# verdict is then fail. Removed-not-purged (`rc`) and purged packages leave nothing that can
# run: pass. Ours: services.legacy_cleartext from `stationward scan --root`.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
corpus="$ORACLE_TOP/tests/oracle/dpkg"

materialize() {
  local case="$1" dest="$2" path target
  rm -rf "$dest"
  mkdir -p "$dest"
  # A case may be links only (git keeps no empty directory).
  [ -d "$case/tree" ] && cp -a "$case/tree/." "$dest/"
  # Every case is a Debian 12 station, where the systemd package's unit directory exists even
  # when the case's package left no unit in it; git keeps no empty directory, so it is made
  # here. (Without any unit directory, init script or inetd configuration, stationward rightly
  # says it cannot see what is enabled: that is not what these cases are about.)
  mkdir -p "$dest/usr/lib/systemd/system"
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

if ! need dpkg-query systemctl jq; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "needs dpkg-query, systemctl and jq"; done
  exit 0
fi

for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  materialize "$c" "$tree"
  real=pass what=""
  while read -r pkg unit; do
    [ -n "$pkg" ] || continue
    abbrev="$(dpkg-query --admindir "$tree/var/lib/dpkg" -W -f '${db:Status-Abbrev}' "$pkg" 2>/dev/null)"
    [ -n "$abbrev" ] || abbrev="un"
    what+="$pkg=${abbrev// /} "
    case "${abbrev:1:1}" in
      i | U | F | H | W | t)
        state=""
        if [ -n "$unit" ]; then
          state="$(systemctl --root="$tree" is-enabled "$unit" 2>/dev/null)"
          what+="($unit $state) "
        fi
        [ "$state" = masked ] || real=fail
        ;;
    esac
  done <"$c/packages"
  report "$id" "$(ours "$tree" services.legacy_cleartext --area services)" "$real" "$what$(cat "$c/about" 2>/dev/null)"
done
