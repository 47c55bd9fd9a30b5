# Shared by the area scripts of scripts/oracle-diff.sh. Source it; it needs STATIONWARD_BIN,
# ORACLE_TOP, ORACLE_AREA and ORACLE_TMP (set by the driver).

# ours TREE CHECK [SCAN ARGS...]: our status for CHECK on the offline tree TREE
# (pass | warn | fail | unknown | not_applicable), or "error" when the scan itself failed.
ours() {
  local tree="$1" check="$2"
  shift 2
  local json
  json="$("$STATIONWARD_BIN" scan --root "$tree" --format json "$@" 2>/dev/null)"
  local rc=$?
  if [ "$rc" -ge 2 ] || [ -z "$json" ]; then
    echo error
    return
  fi
  printf '%s' "$json" | jq -r --arg c "$check" \
    '[.findings[] | select(.check == $c) | .status] | first // "absent"'
}

# report ID OURS REAL [WHAT]: one result line.
report() {
  local id="$1" ours="$2" real="$3" what="${4:-}"
  if [ "$ours" = "$real" ]; then
    printf 'agree     %s/%s  ours=%s real=%s  %s\n' "$ORACLE_AREA" "$id" "$ours" "$real" "$what"
  else
    printf 'DISAGREE  %s/%s  ours=%s real=%s  %s\n' "$ORACLE_AREA" "$id" "$ours" "$real" "$what"
  fi
}

# no_oracle ID WHY: the real program could not be asked (a failure in the count).
no_oracle() {
  printf 'NO-ORACLE %s/%s  %s\n' "$ORACLE_AREA" "$1" "$2"
}

# need TOOL...: true when every tool is installed (PATH or /usr/sbin, /sbin).
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] || return 1
  done
}
