#!/usr/bin/env bash
# Differential tests: our verdicts against the real programs that read the same configuration.
#
#   sudo scripts/oracle-diff.sh            # every area under scripts/oracle/
#   sudo scripts/oracle-diff.sh sshd nft   # some areas
#
# Each area script (scripts/oracle/<area>.sh) walks its corpus (tests/oracle/<area>/), asks
# stationward for its verdict (`scan --root CASE --format json`) and asks the real program
# (sshd -T, nft in a network namespace, sudo in a private mount namespace, ...) what it does
# with the same files, then prints one line per case:
#   agree     <area>/<case>  ours=<status> real=<status>  [what the real program said]
#   DISAGREE  <area>/<case>  ours=<status> real=<status>  [...]
#   NO-ORACLE <area>/<case>  <why the real program could not be asked>
# This script counts them, prints `N/M agree with the real programs` last, and exits non-zero
# on any disagreement or missing oracle. It needs root (namespaces, chroots) and never touches
# the machine's own configuration: every oracle runs in a scratch namespace or chroot.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/.." && pwd)"

if [ "$(id -u)" != 0 ]; then
  echo "oracle-diff: needs root (network and mount namespaces for the real programs)" >&2
  exit 2
fi
if [ -z "${STATIONWARD_BIN:-}" ]; then
  if [ -x "$top/target/release/stationward" ]; then
    STATIONWARD_BIN="$top/target/release/stationward"
  else
    (cd "$top" && cargo build --quiet --bin stationward) || exit 2
    STATIONWARD_BIN="$top/target/debug/stationward"
  fi
fi
export STATIONWARD_BIN ORACLE_TOP="$top"
scratch="$(mktemp -d /tmp/oracle-diff.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
export ORACLE_SCRATCH="$scratch"

areas=("$@")
if [ "${#areas[@]}" -eq 0 ]; then
  for f in "$here"/oracle/*.sh; do
    name="$(basename "$f" .sh)"
    [ "$name" = lib ] || areas+=("$name")
  done
fi

out="$scratch/results"
: >"$out"
for area in "${areas[@]}"; do
  script="$here/oracle/$area.sh"
  if [ ! -f "$script" ]; then
    echo "NO-ORACLE $area/*  no script $script" | tee -a "$out"
    continue
  fi
  mkdir -p "$scratch/$area"
  if ! ORACLE_AREA="$area" ORACLE_TMP="$scratch/$area" bash "$script" | tee -a "$out"; then
    echo "NO-ORACLE $area/*  $script exited non-zero" | tee -a "$out"
  fi
done

total=$(grep -cE '^(agree|DISAGREE|NO-ORACLE) ' "$out")
agree=$(grep -cE '^agree ' "$out")
echo "$agree/$total agree with the real programs"
[ "$total" -gt 0 ] && [ "$agree" -eq "$total" ]
