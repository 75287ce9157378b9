-- data_ahead.lua - see data_ahead.sh; -D mode=slow|abort|failover|deferred
dofile(lib)
local conn = open()
local hdrs = {{"From", "sender@example.com"}, {"Subject", "ahead"}}
if mode == "abort" then
    -- the client goes away after the header: nothing may reach the DLP
    mail(conn, "QA0", "<sender@example.com>")
    expect(conn, SMFIR_CONTINUE, "QA0 mail")
    rcpt(conn, "<rcpt@example.org>")
    expect(conn, SMFIR_CONTINUE, "QA0 rcpt")
    content(conn, hdrs, nil)
    mt.sleep(1)
    check(mt.abort(conn) == nil, "mt.abort failed")
end
mail(conn, "QA1", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "QA1 mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "QA1 rcpt")
content(conn, hdrs, nil)
if mode == "slow" then
    mt.sleep(2) -- the client is slow to send the body
end
check(mt.bodystring(conn, "the body\r\n") == nil, "mt.bodystring failed")
expect(conn, SMFIR_CONTINUE, "body")
local r = eom(conn)
local want = SMFIR_DISCARD
if mode == "deferred" then
    want = SMFIR_REPLYCODE
end
check(r == want, "eom: reply " .. reply_name(r) .. ", want " .. reply_name(want))
mt.disconnect(conn)
