#!/bin/bash
# pkg_unit.sh - systemd-analyze verify accepts the systemd unit that make
# builds from postfix-conf/dlpbypass.service.in (packaging, issue 12),
# and says nothing about it: a warning (unknown key, bad value) fails the
# test too, since systemd ignores such a line and runs the service with
# that hardening missing.  The unit's binary is pointed at the milter of
# this build and its Documentation= at the man pages of this tree.  The
# lines the contract needs (user, reload, hardening) must be there.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
fail() { echo "FAIL: pkg_unit: $*"; exit 1; }
command -v systemd-analyze >/dev/null ||
    { echo "SKIP: pkg_unit: systemd-analyze missing (package systemd, t/deps.sh)"; exit 77; }
unit=$top_builddir/postfix-conf/dlpbypass.service
[ -f "$unit" ] || make -C "$top_builddir" postfix-conf/dlpbypass.service >/dev/null ||
    fail "cannot make $unit"
milter=$top_builddir/milter/dlpbypass-milter
[ -x "$milter" ] || fail "$milter is not built"
dir=$(mktemp -d /tmp/dlppkg_unit.XXXXXX)
trap 'rm -rf "$dir"' EXIT

sbin=$(sed -n 's|^ExecStart=\([^ ]*\)/dlpbypass-milter .*|\1|p' "$unit")
[ -n "$sbin" ] || fail "no ExecStart= running dlpbypass-milter in $unit"
sed "s|$sbin/dlpbypass-milter|$milter|g" "$unit" >"$dir/dlpbypass.service"
mkdir -p "$dir/man/man5" "$dir/man/man8"
cp "$top_srcdir/milter/dlpbypass-milter.8" "$dir/man/man8/"
cp "$top_srcdir/milter/dlpbypass.conf.5" "$dir/man/man5/"
# --man=no: the Documentation= man pages are checked by the package test
# (a minimal root has no man(1) to look them up with)
MANPATH=$dir/man systemd-analyze verify --man=no "$dir/dlpbypass.service" >"$dir/out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ ! -s "$dir/out" ] ||
    fail "systemd-analyze verify (status $rc): $(cat "$dir/out")"

# what the contract needs: the user, reload by HUP, the hardening
for line in 'Type=simple' 'User=dlpbypass' 'Group=dlpbypass' \
    'SupplementaryGroups=postfix' 'RuntimeDirectory=dlpbypass' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'PrivateTmp=yes' 'ProtectHome=yes' \
    'ReadWritePaths=/var/spool/postfix/dlpbypass' 'StateDirectory=dlpbypass'; do
    grep -qxF -- "$line" "$unit" || fail "$unit lacks '$line'"
done
grep -q '^ExecStartPre=[^ ]*/dlpbypass-milter -n ' "$unit" ||
    fail "$unit does not check the configuration (-n) before starting"
grep -q '^ExecStart=[^ ]*/dlpbypass-milter -f ' "$unit" ||
    fail "$unit: Type=simple needs -f (foreground)"

# the tmpfiles.d entry: the socket directory, dlpbypass:postfix, setgid
grep -Eqx 'd /var/spool/postfix/dlpbypass 2750 dlpbypass postfix -' \
    "$top_srcdir/postfix-conf/dlpbypass-tmpfiles.conf" ||
    fail "dlpbypass-tmpfiles.conf does not make the socket directory"
echo "PASS: pkg_unit"
