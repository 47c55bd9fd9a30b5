# Shared by the firewall areas of scripts/oracle-diff.sh (nft.sh, iptables.sh, ufw.sh).
# Source after lib.sh. A scratch "station" network namespace per case (fresh kernel tables),
# joined by a veth pair (eth0 on the station side, as on a real station) to one peer
# namespace that makes the real connections. Static neighbour entries keep ARP and IPv6
# neighbour discovery out of the picture: the probe measures what the ruleset does to a new
# TCP or UDP connection, not whether ICMPv6 happens to be allowed. Nothing here touches the
# host's own network namespace or /etc.
# What the probe stands for: a new connection from an address no rule names to a port no rule
# names, on the network interface; our model judges exactly that. So cases never name the
# peer's addresses or FW_PORT: a rule limited to a source (`ip saddr 10.0.0.0/8 accept`) does
# not break default deny, while `ip saddr != 10.0.0.0/8 accept`, `ip saddr 0.0.0.0/0 accept`,
# interface matches other than loopback, wide port ranges and source-port matches do.

FW_PEER="swfw-peer-$$"
FW_NS="swfw-st-$$"
FW_PORT=47123 # a port no corpus case names
FW_A4=198.51.100.1
FW_P4=198.51.100.2
FW_A6=2001:db8:51::1
FW_P6=2001:db8:51::2
FW_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fw_cleanup() {
  ip netns del "$FW_NS" 2>/dev/null
  ip netns del "$FW_PEER" 2>/dev/null
}
trap fw_cleanup EXIT

fw_tools() {
  need ip nft unshare python3 systemctl jq
}

fw_peer_up() {
  ip netns add "$FW_PEER" || return 1
  ip -n "$FW_PEER" link set lo up
}

# fw_station_up: a fresh station namespace wired to the peer.
fw_station_up() {
  ip netns del "$FW_NS" 2>/dev/null
  # Deleting a namespace frees its veth pair asynchronously: wait for the peer end to go.
  local n=0
  while ip -n "$FW_PEER" link show swpeer0 >/dev/null 2>&1 && [ "$n" -lt 50 ]; do
    ip -n "$FW_PEER" link del swpeer0 2>/dev/null
    sleep 0.05
    n=$((n + 1))
  done
  ip netns add "$FW_NS" || return 1
  ip link add eth0 netns "$FW_NS" type veth peer name swpeer0 netns "$FW_PEER" || return 1
  ip -n "$FW_NS" link set lo up
  ip -n "$FW_NS" link set eth0 up
  ip -n "$FW_PEER" link set swpeer0 up
  ip -n "$FW_NS" addr add "$FW_A4/24" dev eth0
  ip -n "$FW_NS" addr add "$FW_A6/64" dev eth0 nodad
  ip -n "$FW_PEER" addr add "$FW_P4/24" dev swpeer0
  ip -n "$FW_PEER" addr add "$FW_P6/64" dev swpeer0 nodad
  local mac_s mac_p
  mac_s="$(ip -n "$FW_NS" -br link show eth0 | awk '{print $3}')"
  mac_p="$(ip -n "$FW_PEER" -br link show swpeer0 | awk '{print $3}')"
  ip -n "$FW_PEER" neigh replace "$FW_A4" lladdr "$mac_s" dev swpeer0 nud permanent
  ip -n "$FW_PEER" neigh replace "$FW_A6" lladdr "$mac_s" dev swpeer0 nud permanent
  ip -n "$FW_NS" neigh replace "$FW_P4" lladdr "$mac_p" dev eth0 nud permanent
  ip -n "$FW_NS" neigh replace "$FW_P6" lladdr "$mac_p" dev eth0 nud permanent
}

# fw_in_station TREE CMD...: runs CMD in the station namespace with TREE/etc mounted on /etc
# (a private mount namespace), so the real program reads the case's files by their real paths.
fw_in_station() {
  local tree="$1"
  shift
  ip netns exec "$FW_NS" unshare -m sh -c \
    'mount --make-rprivate / && mount --bind "$0/etc" /etc && exec "$@"' "$tree" "$@"
}

# fw_prepare CASE_DIR BASE_DIR DEST: the case overlay on the area's base overlay, plus the
# host's /etc/services and /etc/protocols (nft and iptables resolve names with them).
fw_prepare() {
  local case="$1" base="$2" dest="$3"
  rm -rf "$dest"
  mkdir -p "$dest/etc"
  [ -d "$base" ] && cp -a "$base/." "$dest/"
  cp -a "$case/." "$dest/"
  # REMOVE lists base files the case takes away (one tree path a line).
  if [ -f "$dest/REMOVE" ]; then
    while IFS= read -r p; do
      [ -n "$p" ] && rm -rf "${dest:?}/${p#/}"
    done <"$dest/REMOVE"
  fi
  rm -f "$dest/CASE" "$dest/REMOVE"
  for f in services protocols; do
    [ -e "$dest/etc/$f" ] || cp /etc/$f "$dest/etc/$f"
  done
  # /usr/sbin/iptables and friends are /etc/alternatives links: the real programs must
  # still find themselves with the tree's /etc mounted on /etc.
  mkdir -p "$dest/etc/alternatives"
  for f in /etc/alternatives/ip*tables*; do
    [ -e "$dest$f" ] || [ -L "$dest$f" ] || cp -a "$f" "$dest$f"
  done
}

# fw_probe: the four real connections; prints `tcp4=… tcp6=… udp4=… udp6=…`.
fw_probe() {
  /usr/bin/python3 "$FW_HERE/probe.py" "$FW_NS" "$FW_PEER" "$FW_PORT" "$FW_A4" "$FW_A6"
}

# fw_deny_status PROBE_LINE: pass when no probe got through (default deny), else fail.
fw_deny_status() {
  case "$1" in
    *open* | *error*) echo fail ;;
    *) echo pass ;;
  esac
}

# fw_filters: pass when the loaded ruleset filters something (a rule, or a drop policy, in a
# table that is not dormant), else fail. Same meaning as our firewall.active.
fw_filters() {
  # The text listing (nft 1.0.6's JSON misprints the dormant flag): count rules and
  # non-accept base-chain policies inside chains of tables that are not dormant.
  ip netns exec "$FW_NS" nft list ruleset 2>/dev/null | awk '
    /^table / { t = $2 " " $3; seen[t] = 1; next }
    /^\tflags .*dormant/ { dormant[t] = 1; next }
    /^\tchain / { inchain = 1; next }
    /^\t}/ { inchain = 0; next }
    inchain && /^\t\ttype .*policy (drop|reject)/ { n[t]++; next }
    inchain && /^\t\t(type|comment|devices) / { next }
    inchain && /^\t\t[^ \t]/ { n[t]++ }
    END {
      total = 0
      for (x in seen) if (!dormant[x]) total += n[x]
      print (total > 0 ? "pass" : "fail")
    }'
}

# fw_ours TREE: one scan of TREE; sets OUR_DENY and OUR_ACTIVE to our statuses for
# firewall.default_deny_inbound and firewall.active ("error" when the scan failed).
fw_ours() {
  local json rc
  json="$("$STATIONWARD_BIN" scan --root "$1" --format json --area firewall 2>/dev/null)"
  rc=$?
  if [ "$rc" -ge 2 ] || [ -z "$json" ]; then
    json="$("$STATIONWARD_BIN" scan --root "$1" --format json 2>/dev/null)"
    rc=$?
  fi
  if [ "$rc" -ge 2 ] || [ -z "$json" ]; then
    OUR_DENY=error
    OUR_ACTIVE=error
    return
  fi
  read -r OUR_DENY OUR_ACTIVE < <(printf '%s' "$json" | jq -r '
    def st($c): [.findings[] | select(.check == $c) | .status] | first // "absent";
    "\(st("firewall.default_deny_inbound")) \(st("firewall.active"))"')
}

# fw_ours_live: our live verdict (firewall.default_deny_inbound) inside the station namespace,
# where the ruleset is loaded: `nft -j list ruleset` and iptables-save, as on a running station.
fw_ours_live() {
  local json
  json="$(ip netns exec "$FW_NS" "$STATIONWARD_BIN" scan --area firewall --format json 2>/dev/null)"
  if [ -z "$json" ]; then
    echo error
    return
  fi
  printf '%s' "$json" | jq -r '[.findings[] | select(.check == "firewall.default_deny_inbound") | .status] | first // "absent"'
}

# fw_case_why CASE_DIR: the case's one-line description.
fw_case_why() {
  [ -f "$1/CASE" ] && head -n1 "$1/CASE"
}
