# pam area: our accounts.lockout against Linux-PAM and pam_faillock themselves (pamtester).
#
# Each case tests/oracle/pam/<case>/ holds etc/pam.d/ (a `login` service and the files it
# includes) and optionally etc/security/faillock.conf. In a private mount namespace the
# case's pam.d and faillock.conf are bind-mounted over the host's, /run is a scratch tmpfs
# (the tally directory /run/faillock), and a test user `nurse` with a known password is
# added to copies of passwd and shadow. pamtester then tries the `login` service with a
# wrong password 11 times and the right password once (authenticate + acct_mgmt).
# The right password refused means the stack locked the account: `pass`; accepted: `warn`
# (no effective lockout), as accounts.lockout reports it. Cases use pam_unix `nodelay` and
# faillock.conf `nodelay` so the run takes seconds; neither changes what locks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

corpus="$ORACLE_TOP/tests/oracle/pam"
if ! need pamtester unshare openssl; then
  for c in "$corpus"/*/; do no_oracle "$(basename "$c")" "pamtester, unshare or openssl missing"; done
  exit 0
fi
hash="$(openssl passwd -6 -salt stationw Right-Pass-1)"
for c in "$corpus"/*/; do
  id="$(basename "$c")"
  tree="$ORACLE_TMP/$id"
  rm -rf "$tree"
  cp -a "$c" "$tree"
  mkdir -p "$tree/etc/security"
  # A case without faillock.conf gets one with only `nodelay` (no pause after a failure, so
  # the run takes seconds); the file our scan reads is the same one pam_faillock reads.
  [ -f "$tree/etc/security/faillock.conf" ] || echo nodelay >"$tree/etc/security/faillock.conf"
  ours_status="$(ours "$tree" accounts.lockout)"
  real="$(unshare -m bash -c '
    tree="$1" hash="$2"
    mount --make-rprivate / && mount -t tmpfs oracle-run /run && mkdir -p /run/faillock &&
      mount --bind "$tree/etc/pam.d" /etc/pam.d &&
      mount --bind "$tree/etc/security/faillock.conf" /etc/security/faillock.conf || exit 3
    grep -v "^nurse:" /etc/passwd >/run/passwd && echo "nurse:x:1506:1506::/nonexistent:/bin/sh" >>/run/passwd
    # Shadow lines of our own (locked), never a copy of the host'"'"'s hashes.
    awk -F: "\$1 != \"nurse\" { print \$1 \":*:19000:0:99999:7:::\" }" /run/passwd >/run/shadow &&
      echo "nurse:$hash:19000:0:99999:7:::" >>/run/shadow
    mount --bind /run/passwd /etc/passwd && mount --bind /run/shadow /etc/shadow || exit 3
    # The right password must work before any failure, or the case proves nothing.
    echo Right-Pass-1 | pamtester login nurse authenticate acct_mgmt >/dev/null 2>&1 || { echo "broken right-password-refused-before-failures"; exit 0; }
    for _ in 1 2 3 4 5 6 7 8 9 10 11; do
      echo wrong | pamtester login nurse authenticate >/dev/null 2>&1
    done
    if echo Right-Pass-1 | pamtester login nurse authenticate acct_mgmt >/dev/null 2>&1; then
      echo "warn right-password-accepted-after-11-failures"
    else
      echo "pass right-password-refused-after-11-failures"
    fi
  ' oracle "$tree" "$hash")"
  read -r real_status what <<<"$real"
  if [ -z "$real_status" ] || [ "$real_status" = broken ]; then
    no_oracle "$id" "pamtester could not log in with the right password (${what:-no answer})"
    continue
  fi
  report "$id" "$ours_status" "$real_status" "$what"
done
