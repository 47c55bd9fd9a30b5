# sshd area: our ssh.root_login / ssh.password_auth against `sshd -T -C` (OpenSSH's own
# evaluation of the configuration for one connection).
#
# Each case tests/oracle/sshd/<case>/ is a tree overlay (etc/ssh/..., optionally
# etc/default/ssh, unit files under lib/systemd/system or etc/systemd/system with their
# .wants links, etc/passwd and etc/group for Match Group). An optional `points` file lists
# extra connections to ask about, one `sshd -C` spec per line (user=vendor,addr=10.20.0.1);
# every case is also asked about root and "any other user" from unnamed IPv4/IPv6 addresses.
#
# The real verdict: a connection from the unnamed addresses that gets PermitRootLogin yes
# (root) or a usable password method (any other user) is `fail`; one of the extra connections
# only is `warn`; none is `pass`; sshd -T refusing the configuration is `unknown`.
# sshd runs in a private mount namespace with the case's etc/ssh bind-mounted over /etc/ssh
# (Include paths are absolute) and a scratch /run; the host's configuration is never read.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

corpus="$ORACLE_TOP/tests/oracle/sshd"
sshd=/usr/sbin/sshd
if ! need sshd unshare systemctl; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "sshd, unshare or systemctl missing"; done
  exit 0
fi
key="$ORACLE_TMP/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$key" >/dev/null

# units CASE: "name<TAB>args" for each daemon to judge (main unit, other enabled sshd units).
daemons() {
  local tree="$1" found_main=0 u name exec envf line
  local -A seen=()
  for u in "$tree"/etc/systemd/system/*.service "$tree"/lib/systemd/system/*.service; do
    [ -e "$u" ] || continue
    name="$(basename "$u")"
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    [ "$(readlink "$u")" = /dev/null ] && continue
    # The unit and its drop-ins in order; the last ExecStart after the last empty one.
    exec="$(cat "$u" "$tree"/etc/systemd/system/"$name".d/*.conf 2>/dev/null |
      awk -F= '/^ExecStart=/{ v=substr($0, 11); if (v == "") e=""; else e=v } END{ print e }')"
    exec="${exec#[-@:+!]}"
    case "$exec" in */sshd\ * | */sshd) ;; *) continue ;; esac
    case "$name" in
    ssh.service | sshd.service)
      [ "$found_main" = 1 ] && continue
      found_main=1
      ;;
    *)
      [ "$(systemctl --root "$tree" is-enabled "$name" 2>/dev/null)" = enabled ] || continue
      ;;
    esac
    envf="$(grep -h '^EnvironmentFile=' "$u" | sed 's/^EnvironmentFile=-\{0,1\}//')"
    # The shell expands $SSHD_OPTS like systemd for these simple files.
    line="$(
      set -a
      for f in $envf; do [ -f "$tree$f" ] && . "$tree$f"; done
      eval "set -- $exec"
      shift
      printf '%q ' "$@"
    )"
    printf '%s\t%s\n' "$name" "$line"
  done
  if [ "$found_main" = 0 ]; then
    line="$(
      set -a
      [ -f "$tree/etc/default/ssh" ] && . "$tree/etc/default/ssh"
      printf '%s' "${SSHD_OPTS:-}"
    )"
    printf 'sshd\t%s\n' "$line"
  fi
}

# admitted USER ADDR FILE: sshd's DenyUsers/AllowUsers/DenyGroups/AllowGroups for this user,
# from sshd -T output (user@host patterns: the host part as a glob on the address).
admitted() {
  local user="$1" addr="$2" out="$3" p u h any
  for p in $(awk '$1=="denyusers"{ for (i=2;i<=NF;i++) print $i }' "$out"); do
    u="${p%%@*}"; h="${p#*@}"; [ "$h" = "$p" ] && h='*'
    # shellcheck disable=SC2053
    [[ $user == $u && $addr == $h ]] && return 1
  done
  any=""
  for p in $(awk '$1=="allowusers"{ for (i=2;i<=NF;i++) print $i }' "$out"); do
    any="${any:-no}"
    u="${p%%@*}"; h="${p#*@}"; [ "$h" = "$p" ] && h='*'
    # shellcheck disable=SC2053
    [[ $user == $u && $addr == $h ]] && any=yes
  done
  [ "$any" != no ] || return 1
  # DenyGroups / AllowGroups against the user's groups from the (bind-mounted) group file.
  local groups g
  groups="$(id -Gn -- "$user" 2>/dev/null)"
  for p in $(awk '$1=="denygroups"{ for (i=2;i<=NF;i++) print $i }' "$out"); do
    for g in $groups; do
      # shellcheck disable=SC2053
      [[ $g == $p ]] && return 1
    done
  done
  any=""
  for p in $(awk '$1=="allowgroups"{ for (i=2;i<=NF;i++) print $i }' "$out"); do
    any="${any:-no}"
    for g in $groups; do
      # shellcheck disable=SC2053
      [[ $g == $p ]] && any=yes
    done
  done
  [ "$any" != no ]
}

# password_usable FILE: whether sshd -T output leaves a password method.
password_usable() {
  local out="$1" pa kbd pam methods list m
  pa="$(awk '$1=="passwordauthentication"{print $2}' "$out")"
  kbd="$(awk '$1=="kbdinteractiveauthentication"{print $2}' "$out")"
  pam="$(awk '$1=="usepam"{print $2}' "$out")"
  methods="$(awk '$1=="authenticationmethods"{ $1=""; print substr($0,2) }' "$out")"
  local pw=no kb=no
  [ "$pa" = yes ] && pw=yes
  [ "$kbd" = yes ] && [ "$pam" = yes ] && kb=yes
  if [ "$methods" = any ] || [ -z "$methods" ]; then
    [ "$pw" = yes ] || [ "$kb" = yes ]
    return
  fi
  for list in $methods; do
    for m in ${list//,/ }; do
      [ "$m" = password ] && [ "$pw" = yes ] && return 0
      case "$m" in keyboard-interactive*) [ "$kb" = yes ] && return 0 ;; esac
    done
  done
  return 1
}

# real_verdicts TREE: prints "root=<status> password=<status> what" from sshd itself.
real_verdicts() {
  local tree="$1" points=() name args spec out user addr generic
  local root_any=0 root_some=0 pw_any=0 pw_some=0 failed="" what=""
  for spec in user=root,addr=192.0.2.77 user=root,addr=2001:db8::77 \
    user=sw-any-user,addr=192.0.2.77 user=sw-any-user,addr=2001:db8::77; do
    points+=("$spec,generic")
  done
  if [ -f "$tree/points" ]; then
    while read -r spec; do [ -n "$spec" ] && points+=("$spec"); done <"$tree/points"
  fi
  while IFS=$'\t' read -r name args; do
    for spec in "${points[@]}"; do
      generic=0
      case "$spec" in *,generic) generic=1 ;; esac
      local cspec="${spec%,generic}"
      case "$cspec" in *host=*) ;; *) cspec="$cspec,host=unnamed.invalid" ;; esac
      case "$cspec" in *laddr=*) ;; *) cspec="$cspec,laddr=198.51.100.1" ;; esac
      case "$cspec" in *lport=*) ;; *) cspec="$cspec,lport=22" ;; esac
      out="$ORACLE_TMP/out"
      # shellcheck disable=SC2086
      if ! eval "$sshd -T -h $key $args -C $cspec" >"$out" 2>"$ORACLE_TMP/err"; then
        failed="$name: $(head -c 200 "$ORACLE_TMP/err" | tr '\n' ' ')"
        break 2
      fi
      user="$(sed -n 's/.*user=\([^,]*\).*/\1/p' <<<"$cspec")"
      addr="$(sed -n 's/.*addr=\([^,]*\).*/\1/p' <<<"$cspec")"
      admitted "$user" "$addr" "$out" || continue
      if [ "$user" = root ]; then
        if grep -qx 'permitrootlogin yes' "$out"; then
          if [ "$generic" = 1 ]; then root_any=1; else root_some=1; fi
          what="$what root:$name:${cspec%%,host*}"
        fi
      elif password_usable "$out"; then
        if [ "$generic" = 1 ]; then pw_any=1; else pw_some=1; fi
        what="$what pw:$name:${cspec%%,host*}"
      fi
    done
  done < <(daemons "$tree")
  if [ -n "$failed" ]; then
    echo "unknown unknown sshd -T refused: $failed"
    return
  fi
  local r=pass p=pass
  [ "$root_some" = 1 ] && r=warn
  [ "$root_any" = 1 ] && r=fail
  [ "$pw_some" = 1 ] && p=warn
  [ "$pw_any" = 1 ] && p=fail
  echo "$r $p${what:+ }${what# }"
}

export -f daemons admitted password_usable real_verdicts
export sshd key
for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  rm -rf "$tree"
  cp -a "$c" "$tree"
  mkdir -p "$tree/usr/sbin"
  : >"$tree/usr/sbin/sshd" # "installed", for our scan
  ours_root="$(ours "$tree" ssh.root_login)"
  ours_pw="$(ours "$tree" ssh.password_auth)"
  mkdir -p "$tree/etc/ssh"
  binds="mount --bind '$tree/etc/ssh' /etc/ssh"
  [ -f "$tree/etc/passwd" ] && binds="$binds && mount --bind '$tree/etc/passwd' /etc/passwd"
  [ -f "$tree/etc/group" ] && binds="$binds && mount --bind '$tree/etc/group' /etc/group"
  real="$(ORACLE_TMP="$ORACLE_TMP" unshare -m bash -c "
    mount --make-rprivate / && mount -t tmpfs oracle-run /run && mkdir -p /run/sshd && $binds &&
    real_verdicts '$tree'")"
  if [ -z "$real" ]; then
    no_oracle "$id" "sshd -T could not be run in a mount namespace"
    continue
  fi
  read -r real_root real_pw what <<<"$real"
  report "$id/root_login" "$ours_root" "$real_root" "$what"
  report "$id/password_auth" "$ours_pw" "$real_pw" "$what"
done
