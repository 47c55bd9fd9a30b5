# accounts area: our accounts.uid0_only_root against glibc (getent), which every login
# program uses to read /etc/passwd.
#
# Each case tests/oracle/accounts/<case>/ holds etc/passwd. In a private mount namespace the
# case's passwd is bind-mounted over /etc/passwd and `getent passwd` lists the accounts
# glibc accepts; each UID 0 line not named root is then looked up by name: if the name
# resolves to UID 0 it is a second root (`fail`); if glibc answers the name with an earlier
# line of another UID, the UID 0 line is a repeated name for review (`warn`); a repeated
# root line with UID 0 is also `warn`; otherwise `pass`. Every name the file spells is also
# looked up with `id -u` (getpwnam), which sees entries getent cannot print.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

corpus="$ORACLE_TOP/tests/oracle/accounts"
if ! need getent unshare; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "getent or unshare missing"; done
  exit 0
fi
for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  rm -rf "$tree"
  cp -a "$c" "$tree"
  ours_status="$(ours "$tree" accounts.uid0_only_root)"
  real="$(unshare -m bash -c '
    mount --make-rprivate / && mount --bind "$1/etc/passwd" /etc/passwd || exit 3
    status=pass what=""
    roots=0
    while IFS=: read -r name _ uid _; do
      [ "$uid" = 0 ] || continue
      if [ "$name" = root ]; then
        roots=$((roots + 1))
        [ "$roots" -gt 1 ] && { [ "$status" = pass ] && status=warn; what="$what repeated-root"; }
        continue
      fi
      byname="$(getent passwd "$name" | cut -d: -f3)"
      if [ "$byname" = 0 ]; then
        status=fail what="$what $name=uid0"
      else
        [ "$status" = pass ] && status=warn
        what="$what $name:repeat(first-uid=$byname)"
      fi
    done < <(getent passwd 2>/dev/null)
    # getent cannot print an entry whose shell holds a colon: ask glibc by name as well
    # (id uses getpwnam), for every name the file spells.
    while IFS=: read -r name _; do
      name="${name#"${name%%[![:space:]]*}"}"
      case "$name" in "" | "#"* | root) continue ;; esac
      if [ "$(id -u -- "$name" 2>/dev/null)" = 0 ] && [ "$status" != fail ]; then
        status=fail what="$what $name=uid0(by name)"
      fi
    done <"$1/etc/passwd"
    echo "$status$what"
  ' oracle "$tree")"
  if [ -z "$real" ]; then
    no_oracle "$id" "could not run getent in a mount namespace"
    continue
  fi
  read -r real_status what <<<"$real"
  report "$id" "$ours_status" "$real_status" "$what"
done
