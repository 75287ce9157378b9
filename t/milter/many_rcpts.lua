-- many_rcpts.lua - one message to 100 recipients
dofile(lib)
local conn = open()
mail(conn, "QM1", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
for i = 1, 100 do
    rcpt(conn, "<r" .. i .. "@example.org>")
    expect(conn, SMFIR_CONTINUE, "rcpt " .. i)
end
content(conn, {{"Subject", "many"}}, "text\r\n")
local r = eom(conn)
check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r) .. ", want discard")
mt.disconnect(conn)
