#!/bin/bash
# pkg_fragments.sh - the safety of the shipped Postfix fragments
# (packaging, issue 12), on a private Postfix built from them
# (t/e2e/testlib.sh tl_gateway):
#  1. the bounce of a message the DLP rejects returns its headers only
#     (main.cf.fragment's bounce_size_limit): the blocked body never goes
#     back out to a (possibly forged) envelope sender;
#  2. the 10026 reflect smtpd refuses a client that is not a DLP server
#     in its greeting, before the client says anything
#     (smtpd_delay_reject=no);
#  3. the dlp_outbound_senders restriction class refuses an envelope
#     sender outside the local domains on an inside service, before any
#     content, and takes a local one.
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init pkg_fragments

TL_REFLECT_NETS=127.0.0.2/32 # the "DLP server": not the test's client
tl_setup

# ---- 1. headers-only bounce ------------------------------------------------
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_sink dlp "$(tl_port 6)" -f . -B "550 5.7.1 blocked-by-DLP"
cat >"$TL_DIR/msg" <<EOF
From: Sender <sender@sender.test>
To: Rcpt <rcpt@example.com>
Subject: pkg_fragments blocked
Message-ID: <pkg_fragments.$$.$RANDOM@sender.test>

CONFIDENTIAL-BODY-LINE that the DLP blocked.
EOF
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
    tl_fail "the gateway did not accept the message"
tl_settle
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 1
f=$(tl_msg bounce)
tl_unfold "$f" | grep -q '^Diagnostic-Code: smtp; 550 5\.7\.1 blocked-by-DLP' ||
    tl_fail "the DSN does not carry the DLP text: $(cat "$f")"
grep -qi '^Content-Type: text/rfc822-headers' "$f" ||
    tl_fail "the DSN does not return headers only: $(cat "$f")"
grep -q 'CONFIDENTIAL-BODY-LINE' "$f" &&
    tl_fail "the DSN returns the blocked body to the sender: $(cat "$f")"
grep -q '^Subject: pkg_fragments blocked' "$f" ||
    tl_fail "the DSN lacks the original headers: $(cat "$f")"

# ---- 2. the reflect port refuses at connect ----------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$(tl_port 2)" || tl_fail "cannot connect to the reflect port"
greeting=
read -r -t 10 greeting <&3
exec 3<&- 3>&-
[[ $greeting == 554* ]] ||
    tl_fail "the reflect port greets a non-DLP client with '$greeting', not 554"

# ---- 3. dlp_outbound_senders on an inside service ----------------------------
echo "127.0.0.1:$(tl_port 7) inet n - n - - smtpd
  -o syslog_name=postfix/inside
  -o smtpd_sender_restrictions=dlp_outbound_senders
  -o dlp_local_senders=inline:{sender.test=OK}" | tl_pf_master gw
"$POSTFIX" -c "$(tl_pf_dir gw)" reload >/dev/null 2>&1 || tl_fail "postfix reload"
tl_wait_port "$(tl_port 7)" || tl_fail "the inside smtpd does not listen"
tl_smtp "$(tl_port 7)" insider@elsewhere.example rcpt@example.com <"$TL_DIR/msg" &&
    tl_fail "the inside service took a foreign envelope sender"
grep -Eq '^S: 5[0-9][0-9] .*insider@elsewhere\.example.*(Sender address rejected|Access denied)' \
    "$TL_DIR/smtp.out" || tl_fail "no sender refusal: $(cat "$TL_DIR/smtp.out")"
grep -q '^S: 354' "$TL_DIR/smtp.out" &&
    tl_fail "content was taken before the refusal: $(cat "$TL_DIR/smtp.out")"
tl_smtp "$(tl_port 7)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
    tl_fail "the inside service refused a local sender: $(cat "$TL_DIR/smtp.out")"
tl_pass
