-- rcpt_status.lua - one recipient deferred, one refused, one accepted
dofile(lib)
local conn = open()
mail(conn, "QID5", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<defer@example.org>")
expect(conn, SMFIR_REPLYCODE, "rcpt defer")
rcpt(conn, "<ok@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt ok")
rcpt(conn, "<refuse@example.org>")
expect(conn, SMFIR_REPLYCODE, "rcpt refuse")
content(conn, {{"Subject", "three recipients"}}, "text\r\n")
local r = eom(conn)
check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r) .. ", want discard")
mt.disconnect(conn)

-- As Postfix's smtpd by default (smtpd_delay_open_until_valid_rcpt):
-- no queue id ({i}) before the first accepted RCPT, then at every later
-- step.  The refused first recipient is logged as NOQUEUE.
conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "cannot connect to " .. sock)
check(mt.conninfo(conn, "client.example", "127.0.0.1") == nil,
      "mt.conninfo failed")
expect(conn, SMFIR_CONTINUE, "connect 2")
check(mt.mailfrom(conn, "<sender2@example.com>") == nil, "mt.mailfrom failed")
expect(conn, SMFIR_CONTINUE, "mail 2")
rcpt(conn, "<refuse2@example.org>")
expect(conn, SMFIR_REPLYCODE, "rcpt refuse2")
rcpt(conn, "<ok2@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt ok2")
mt.macro(conn, SMFIC_RCPT, "i", "QID6")
rcpt(conn, "<refuse3@example.org>")
expect(conn, SMFIR_REPLYCODE, "rcpt refuse3")
content(conn, {{"Subject", "queue id after the first accepted RCPT"}},
        "text\r\n")
r = eom(conn)
check(r == SMFIR_DISCARD, "eom 2: reply " .. reply_name(r) .. ", want discard")
mt.disconnect(conn)
