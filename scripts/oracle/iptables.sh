#!/usr/bin/env bash
# iptables: our firewall verdicts on an offline tree against the real iptables-restore.
# For each case under tests/oracle/iptables/ (overlaid on _base/: the netfilter-persistent,
# iptables and ip6tables units, netfilter-persistent enabled), each saved-rules file is loaded
# the way its unit does at boot, if `systemctl --root TREE is-enabled UNIT` says the unit is
# enabled: /etc/iptables/rules.v4 and rules.v6 by netfilter-persistent, RHEL's
# /etc/sysconfig/iptables by iptables.service and /etc/sysconfig/ip6tables by
# ip6tables.service, each with `iptables-restore`/`ip6tables-restore` into a fresh network
# namespace (`--test` first says why a file is refused). Then the same real TCP/UDP probe over
# IPv4 and IPv6 as nft.sh, and the same three comparisons per case.
set -uo pipefail
. "$ORACLE_TOP/scripts/oracle/lib.sh"
. "$ORACLE_TOP/scripts/oracle/fw/netns.bash"

corpus="$ORACLE_TOP/tests/oracle/iptables"
cases=()
for d in "$corpus"/*/; do
  name="$(basename "$d")"
  case "$name" in _*) continue ;; esac
  cases+=("$name")
done

if ! fw_tools || ! need iptables-restore ip6tables-restore; then
  for c in "${cases[@]}"; do no_oracle "$c" "needs ip, nft, iptables-restore, unshare, python3, systemctl and jq"; done
  exit 0
fi
fw_peer_up || { echo "iptables.sh: cannot create the peer namespace" >&2; exit 1; }

for c in "${cases[@]}"; do
  tree="$ORACLE_TMP/$c"
  fw_prepare "$corpus/$c" "$corpus/_base" "$tree"
  fw_ours "$tree"
  if ! fw_station_up; then
    no_oracle "$c" "could not create the station namespace"
    continue
  fi
  what=""
  for spec in "etc/iptables/rules.v4 iptables netfilter-persistent.service" \
    "etc/iptables/rules.v6 ip6tables netfilter-persistent.service" \
    "etc/sysconfig/iptables iptables iptables.service" \
    "etc/sysconfig/ip6tables ip6tables ip6tables.service"; do
    read -r file cmd unit <<<"$spec"
    [ -f "$tree/$file" ] || continue
    enabled="$(systemctl --root "$tree" is-enabled "$unit" 2>/dev/null)"
    if [ "$enabled" != enabled ]; then
      what="$what; /$file: $unit ${enabled:-not known}"
      continue
    fi
    if ! err="$(ip netns exec "$FW_NS" "$cmd-restore" --test <"$tree/$file" 2>&1)"; then
      what="$what; /$file refused: $(printf '%s' "$err" | head -n1 | cut -c1-70)"
    fi
    ip netns exec "$FW_NS" "$cmd-restore" <"$tree/$file" >/dev/null 2>&1
  done
  probe="$(fw_probe)"
  report "$c" "$OUR_DENY" "$(fw_deny_status "$probe")" "[$probe$what] $(fw_case_why "$corpus/$c")"
  report "$c#active" "$OUR_ACTIVE" "$(fw_filters)" "${what:+[${what#; }]}"
  report "$c#live" "$(fw_ours_live)" "$(fw_deny_status "$probe")" "[our live scan of the loaded ruleset]"
done
