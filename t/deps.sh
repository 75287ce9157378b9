#!/bin/bash
# t/deps.sh - install the Debian 12 packages that building, trying and
# testing dlpbypass need.  Idempotent: does nothing when all are present.
# Installs without recommends, so every package a test needs is named
# here; no test may skip on a fresh machine for want of one (issue 9):
#   postfix          postfix, smtp-sink, smtp-source (t/lib, t/e2e, t/faults,
#                    t/tls, t/milter)
#   miltertest       t/milter (mtlib.sh skips without it)
#   libjson-c-dev    the audit trail and dlpbypass-audit (issue 11)
#   openssl          t/tls (certificates)
#   iproute2         ip netns, ss (the SYN-drop and no-route tests)
#   iptables         the SYN-drop tests (t/lib/stagger.sh, t/e2e/syn_drop.sh,
#                    t/faults/syn_drop_*.sh)
#   python3          stand-in peers (bad_replies, body_*, envelope_1000,
#                    pipelining, reflect, big_message, t/tls)
#   valgrind         t/milter/valgrind.sh
#   clang, libclang-rt-14-dev   libFuzzer (t/fuzz/run)
#   libjson-c-dev    JSON: the audit trail, the alert command, the status
#   libmicrohttpd-dev  the metrics endpoint (milter/mlfi_metrics.c)
#   curl, prometheus t/status (curl /metrics, promtool check metrics),
#                    postfix-conf/alert-webhook.sh
#   clang-format     t/format-check (the tree is formatted by .clang-format;
#                    CI checks it, issue 13)
#   llvm-14          llvm-symbolizer for clang 14's sanitizer reports
#                    (t/fuzz/run points ASAN_SYMBOLIZER_PATH at it)
#   systemd          systemd-analyze verify of the unit (t/daemon/pkg_unit.sh;
#                    packaging, issue 12)
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libmilter-dev libssl-dev libconfig-dev libjson-c-dev libmicrohttpd-dev
      postfix miltertest openssl iproute2 iptables procps psmisc
      python3 perl curl valgrind clang clang-format libclang-rt-14-dev llvm-14 tcpdump
      prometheus systemd"
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
