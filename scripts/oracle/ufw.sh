#!/usr/bin/env bash
# ufw: our firewall verdicts on an offline tree against the real ufw-init.
# For each case under tests/oracle/ufw/ (overlaid on _base/: ufw.service enabled, ENABLED=yes
# and Debian's packaged ufw rule files), if `systemctl --root TREE is-enabled ufw.service` says
# enabled, the unit's own `/lib/ufw/ufw-init start quiet` runs in a fresh network namespace
# with the tree's /etc mounted on /etc: it reads ufw.conf, /etc/default/ufw, before/after/user
# rules exactly as at boot. Then the same real TCP/UDP probe over IPv4 and IPv6 as nft.sh, and
# the same three comparisons per case.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
. "$ORACLE_TOP/scripts/oracle/fw/netns.bash"

corpus="$ORACLE_TOP/tests/oracle/ufw"
cases=()
for d in "$corpus"/*/; do
  name="$(basename "$d")"
  case "$name" in _*) continue ;; esac
  cases+=("$name")
done

if ! fw_tools || ! need iptables-restore ip6tables-restore || [ ! -x /lib/ufw/ufw-init ]; then
  for c in "${cases[@]}"; do no_oracle "$c" "needs ufw (/lib/ufw/ufw-init), iptables, ip, nft, unshare, python3, systemctl and jq"; done
  exit 0
fi
fw_peer_up || { echo "ufw.sh: cannot create the peer namespace" >&2; exit 1; }

for c in "${cases[@]}"; do
  tree="$ORACLE_TMP/$c"
  fw_prepare "$corpus/$c" "$corpus/_base" "$tree"
  fw_ours "$tree"
  if ! fw_station_up; then
    no_oracle "$c" "could not create the station namespace"
    continue
  fi
  what=""
  enabled="$(systemctl --root "$tree" is-enabled ufw.service 2>/dev/null)"
  if [ "$enabled" = enabled ]; then
    out="$(fw_in_station "$tree" /lib/ufw/ufw-init start quiet 2>&1)" ||
      what="ufw-init: $(printf '%s' "$out" | grep -v '^$' | head -n1 | cut -c1-80)"
  else
    what="ufw.service ${enabled:-not known}: nothing loaded"
  fi
  probe="$(fw_probe)"
  report "$c" "$OUR_DENY" "$(fw_deny_status "$probe")" "[$probe${what:+; $what}] $(fw_case_why "$corpus/$c")"
  report "$c#active" "$OUR_ACTIVE" "$(fw_filters)" "${what:+[$what]}"
  report "$c#live" "$(fw_ours_live)" "$(fw_deny_status "$probe")" "[our live scan of the loaded ruleset]"
done
