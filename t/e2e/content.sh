#!/bin/bash
# content.sh - the DLP receives the message as the sender wrote it:
# headers with their folding, tabs and spacing, and the body byte for byte
# (leading dots, a lone dot line, 8-bit text, a long line), modulo only
# the Received: headers Postfix prepends.  The envelope is the original
# one, and the DLP got the message exactly once.
. "$(dirname "$0")/testlib.sh"
tl_init content

tl_setup
tl_sink dlp "$(tl_port 6)"
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"

long=$(printf 'x%.0s' $(seq 1 900))
cat >"$TL_DIR/orig" <<MSG
From: Sender Name <sender@sender.test>
To: rcpt@example.com, other@example.net
Subject: a folded
	subject line  with  double  spaces
X-Folded: first part
    second part  with trailing space 
X-Tab:	tab after the colon
X-NoSpace:value right after the colon
X-Empty:
Date: Thu, 01 Jan 2026 00:00:00 +0000
Message-ID: <content.1@sender.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Body line one
.leading dot
..two leading dots
.
 line with a leading space
trailing spaces   
Grüße aus Köln, 8-bit
$long

last line
MSG
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com other@example.net \
    <"$TL_DIR/orig" || tl_fail "the gateway did not accept the message"
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs internet 0
f=$(tl_msg dlp)
# the sender, with the ESMTP parameters Postfix passes on (BODY=8BITMIME)
grep -Eqx 'X-Mail-Args: <sender@sender\.test>( .*)?' "$f" ||
    tl_fail "MAIL args: $(grep '^X-Mail-Args' "$f")"
[ "$(grep -Ec -e '^X-Rcpt-Args: <rcpt@example\.com>( |$)' \
    -e '^X-Rcpt-Args: <other@example\.net>( |$)' "$f")" = 2 ] ||
    tl_fail "RCPT args: $(grep '^X-Rcpt-Args' "$f")"
# drop smtp-sink's headers (up to its 3-line Received:), then Postfix's
# Received: headers (with their continuation lines), then the empty line
# smtp-sink appends
awk 'state == 2 { print; next }
     state == 0 && /^Received: / { skip = 2; state = 1; next }
     state == 1 { if (--skip == 0) state = 3; next }
     state == 3 && /^Received: / { inrcvd = 1; next }
     state == 3 && inrcvd && /^[ \t]/ { next }
     state == 3 { state = 2; print }' "$f" | sed '$d' >"$TL_DIR/got"
cmp -s "$TL_DIR/orig" "$TL_DIR/got" ||
    tl_fail "the DLP's copy differs from the original: $(diff -u "$TL_DIR/orig" "$TL_DIR/got" | cat -A)"
tl_pass
