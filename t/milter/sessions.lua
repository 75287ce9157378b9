-- sessions.lua - three messages, an aborted one, one more: one connection
dofile(lib)
local conn = open()
for i, s in ipairs({"first", "second", "third"}) do
    local r = simple(conn, "QS" .. i, s)
    check(r == SMFIR_DISCARD, s .. ": reply " .. reply_name(r))
end
mail(conn, "QS4", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "QS4 mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "QS4 rcpt")
content(conn, {{"Subject", "aborted"}}, "part of the body\r\n")
check(mt.abort(conn) == nil, "mt.abort failed")
local r = simple(conn, "QS5", "after-abort")
check(r == SMFIR_DISCARD, "after-abort: reply " .. reply_name(r))
mt.disconnect(conn)
