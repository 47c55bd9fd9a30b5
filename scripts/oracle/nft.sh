#!/usr/bin/env bash
# nftables: our firewall verdicts on an offline tree against the real nft.
# For each case under tests/oracle/nft/ (overlaid on tests/oracle/nft/_base/, which enables
# nftables.service): `systemctl --root TREE is-enabled nftables.service` says whether anything
# loads at boot; if so, the unit's `nft -f /etc/nftables.conf` loads the file into a fresh
# network namespace (with the tree's /etc mounted on /etc); `nft -c -f` says why a file is
# refused. Then a peer namespace makes real TCP and UDP connections over IPv4 and IPv6 to a
# port nothing in the corpus allows. Three comparisons per case:
#   <case>         firewall.default_deny_inbound: pass iff all four connections fail
#   <case>#active  firewall.active: pass iff the loaded ruleset filters anything
#   <case>#live    our live scan (inside the namespace) against the same connections
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
. "$ORACLE_TOP/scripts/oracle/fw/netns.bash"

corpus="$ORACLE_TOP/tests/oracle/nft"
cases=()
for d in "$corpus"/*/; do
  name="$(basename "$d")"
  case "$name" in _*) continue ;; esac
  cases+=("$name")
done

if ! fw_tools; then
  for c in "${cases[@]}"; do no_oracle "$c" "needs ip, nft, unshare, python3, systemctl and jq"; done
  exit 0
fi
fw_peer_up || { echo "nft.sh: cannot create the peer namespace" >&2; exit 1; }

for c in "${cases[@]}"; do
  tree="$ORACLE_TMP/$c"
  fw_prepare "$corpus/$c" "$corpus/_base" "$tree"
  fw_ours "$tree"
  if ! fw_station_up; then
    no_oracle "$c" "could not create the station namespace"
    continue
  fi
  what=""
  enabled="$(systemctl --root "$tree" is-enabled nftables.service 2>/dev/null)"
  if [ "$enabled" = enabled ]; then
    if err="$(fw_in_station "$tree" nft -c -f /etc/nftables.conf 2>&1)"; then
      fw_in_station "$tree" nft -f /etc/nftables.conf >/dev/null 2>&1
    else
      what="nft -c refuses it: $(printf '%s' "$err" | grep -m1 -i error | cut -c1-90)"
    fi
  else
    what="nftables.service ${enabled:-not known}: nothing loaded"
  fi
  probe="$(fw_probe)"
  report "$c" "$OUR_DENY" "$(fw_deny_status "$probe")" "[$probe${what:+; $what}] $(fw_case_why "$corpus/$c")"
  report "$c#active" "$OUR_ACTIVE" "$(fw_filters)" "${what:+[$what]}"
  report "$c#live" "$(fw_ours_live)" "$(fw_deny_status "$probe")" "[our live scan of the loaded ruleset]"
done
