-- spill.lua - mode=fail: a body the store cannot hold, then a small
-- message; mode=spill: a 300 KB body (in chunks below miltertest's 64 KB)
dofile(lib)
local conn = open()
local lines = {}
for i = 1, 3000 do
    lines[i] = string.format("line %04d %s\r\n", i, string.rep("x", 90))
end
if mode == "fail" then
    mail(conn, "QF1", "<sender@example.com>")
    expect(conn, SMFIR_CONTINUE, "mail")
    rcpt(conn, "<rcpt@example.org>")
    expect(conn, SMFIR_CONTINUE, "rcpt")
    content(conn, {{"Subject", "too big"}}, nil)
    check(mt.bodystring(conn, table.concat(lines, "", 1, 100)) == nil,
          "mt.bodystring failed")
    expect(conn, SMFIR_REPLYCODE, "body")
    check(mt.abort(conn) == nil, "mt.abort failed")
    local r = simple(conn, "QF2", "after")
    check(r == SMFIR_DISCARD, "after: reply " .. reply_name(r))
else
    mail(conn, "QF3", "<sender@example.com>")
    expect(conn, SMFIR_CONTINUE, "mail")
    rcpt(conn, "<rcpt@example.org>")
    expect(conn, SMFIR_CONTINUE, "rcpt")
    content(conn, {{"Subject", "big"}}, nil)
    for i = 1, 3000, 500 do
        check(mt.bodystring(conn, table.concat(lines, "", i, i + 499)) == nil,
              "mt.bodystring failed")
        expect(conn, SMFIR_CONTINUE, "body")
    end
    local r = eom(conn)
    check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r))
end
mt.disconnect(conn)
