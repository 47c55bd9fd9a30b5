#!/usr/bin/env bash
# firewalld: our firewall verdicts on an offline tree against firewalld's own code.
# For each case under tests/oracle/firewalld/ (overlaid on _base/: firewalld.service enabled,
# Debian's firewalld.conf and the stock zones and services the cases use, copied from the
# captured fixtures in tests/fixtures/firewall/firewalld/), if `systemctl --root TREE
# is-enabled firewalld.service` says enabled, fw/firewalld-load.py runs firewalld 1.3.3's core
# (python3-firewall, nftables backend; the daemon minus its D-Bus front end) in a fresh network
# namespace with the case's /etc/firewalld and /usr/lib/firewalld: zones, interfaces and
# sources bound to them, rich rules, and firewalld's own fallback to the stock configuration
# when it refuses the user's. Then the same real TCP/UDP probe over IPv4 and IPv6 as nft.sh
# (on eth0, the interface cases bind), and the same three comparisons per case.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
. "$ORACLE_TOP/scripts/oracle/fw/netns.bash"

corpus="$ORACLE_TOP/tests/oracle/firewalld"
cases=()
for d in "$corpus"/*/; do
  name="$(basename "$d")"
  case "$name" in _*) continue ;; esac
  cases+=("$name")
done

if ! fw_tools || ! /usr/bin/python3 -c 'import firewall.core.fw, nftables' 2>/dev/null; then
  for c in "${cases[@]}"; do no_oracle "$c" "needs python3-firewall, python3-nftables, ip, nft, unshare, systemctl and jq"; done
  exit 0
fi
fw_peer_up || { echo "firewalld.sh: cannot create the peer namespace" >&2; exit 1; }

for c in "${cases[@]}"; do
  tree="$ORACLE_TMP/$c"
  fw_prepare "$corpus/$c" "$corpus/_base" "$tree"
  fw_ours "$tree"
  if ! fw_station_up; then
    no_oracle "$c" "could not create the station namespace"
    continue
  fi
  enabled="$(systemctl --root "$tree" is-enabled firewalld.service 2>/dev/null)"
  if [ "$enabled" = enabled ]; then
    what="$(ip netns exec "$FW_NS" /usr/bin/python3 "$FW_HERE/firewalld-load.py" "$tree" 2>/dev/null | tail -n1)"
  else
    what="firewalld.service ${enabled:-not known}: nothing loaded"
  fi
  probe="$(fw_probe)"
  report "$c" "$OUR_DENY" "$(fw_deny_status "$probe")" "[$probe; $what] $(fw_case_why "$corpus/$c")"
  report "$c#active" "$OUR_ACTIVE" "$(fw_filters)" "[$what]"
  report "$c#live" "$(fw_ours_live)" "$(fw_deny_status "$probe")" "[our live scan of the loaded ruleset]"
done
