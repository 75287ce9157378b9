#!/bin/bash
# t/deps.sh - install the Debian 12 packages that building, trying and
# testing dlpbypass need.  Idempotent: does nothing when all are present.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libmilter-dev libssl-dev libconfig-dev
      postfix miltertest openssl iproute2 iptables procps psmisc
      python3 perl valgrind clang libclang-rt-14-dev tcpdump"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "deps: installing:$missing"
# Postfix: install without letting debconf configure a system mail server.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
