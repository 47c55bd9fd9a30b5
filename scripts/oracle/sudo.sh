# sudo area: our accounts.sudo_nopasswd against sudo itself.
#
# Each case tests/oracle/sudo/<case>/ holds etc/sudoers (and etc/sudoers.d/, other included
# files), a `probes` file (`user command` per line: the commands to try as that user) and
# optionally `groups` (`group:gid:member,member` lines added to /etc/group) and `perms`
# (`mode owner:group path` lines applied to the copy, since git keeps neither).
# Test users alice, bob, carol, dave, vendor and nurse (UID 1501-1506) are added to copies of
# the host's passwd and group; shadow is written from scratch with locked passwords (the
# host's hashes are never copied).
#
# The real verdict: in a private mount namespace the case's etc is overlaid on /etc (the
# case's sudoers.d replaces the host's), /run is a scratch tmpfs, and each probe runs
# `sudo -n COMMAND` as the test user (setpriv, with the user's groups). A probe that runs
# (exit 0) means sudo asked no password: `fail`; none: `pass`.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

corpus="$ORACLE_TOP/tests/oracle/sudo"
if ! need sudo setpriv unshare; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "sudo, setpriv or unshare missing"; done
  exit 0
fi
users=(alice bob carol dave vendor nurse)

for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  rm -rf "$tree"
  cp -a "$c" "$tree"
  mkdir -p "$tree/etc/sudoers.d" "$tree/usr/bin"
  : >"$tree/usr/bin/sudo" # "installed", for our scan
  # Accounts: the host's system accounts plus the test users.
  pat="^($(IFS='|'; echo "${users[*]}")):"
  grep -Ev "$pat" /etc/passwd >"$tree/etc/passwd"
  grep -Ev "$pat" /etc/group >"$tree/etc/group"
  # Shadow lines of our own (locked), never a copy of the host's hashes.
  awk -F: '{ print $1 ":*:19000:0:99999:7:::" }' "$tree/etc/passwd" >"$tree/etc/shadow"
  uid=1501
  for u in "${users[@]}"; do
    echo "$u:x:$uid:$uid::/nonexistent:/bin/sh" >>"$tree/etc/passwd"
    echo "$u:x:$uid:" >>"$tree/etc/group"
    echo "$u:!:19000:0:99999:7:::" >>"$tree/etc/shadow"
    uid=$((uid + 1))
  done
  if [ -f "$tree/groups" ]; then
    while IFS=: read -r g gid members; do
      [ -n "$g" ] || continue
      if grep -q "^$g:" "$tree/etc/group"; then
        sed -i "s/^\($g:[^:]*:[^:]*:\)\(.*\)$/\1\2${members:+,}$members/; s/^\($g:[^:]*:[^:]*:\),/\1/" "$tree/etc/group"
      else
        echo "$g:x:$gid:$members" >>"$tree/etc/group"
      fi
    done <"$tree/groups"
  fi
  chmod 0440 "$tree/etc/sudoers"
  find "$tree/etc/sudoers.d" -type f -exec chmod 0440 {} +
  chown -R 0:0 "$tree/etc"
  chmod 0640 "$tree/etc/shadow"
  if [ -f "$tree/perms" ]; then
    while read -r mode owner path; do
      [ -n "$mode" ] || continue
      chmod "$mode" "$tree/$path"
      chown "$owner" "$tree/$path"
    done <"$tree/perms"
  fi
  ours_status="$(ours "$tree" accounts.sudo_nopasswd)"
  if [ ! -f "$tree/probes" ]; then
    no_oracle "$id" "no probes file"
    continue
  fi
  real="$(unshare -m bash -c '
    tree="$1"
    mount --make-rprivate / &&
      mount -t overlay oracle-etc -o "lowerdir=$tree/etc:/etc" /etc &&
      mount --bind "$tree/etc/sudoers.d" /etc/sudoers.d &&
      mount -t tmpfs oracle-run /run || exit 3
    ran=""
    while read -r user cmd; do
      [ -n "$user" ] || continue
      # shellcheck disable=SC2086
      if setpriv --reuid="$user" --regid="$user" --init-groups sudo -n $cmd >/dev/null 2>&1; then
        ran="$ran $user:$cmd"
      fi
    done <"$tree/probes"
    if [ -n "$ran" ]; then echo "fail ran without a password:$ran"; else echo "pass"; fi
  ' oracle "$tree")"
  if [ -z "$real" ]; then
    no_oracle "$id" "could not run sudo in a mount namespace"
    continue
  fi
  read -r real_status what <<<"$real"
  report "$id" "$ours_status" "$real_status" "$what"
done
