-- huge_header.lua - 150 header fields of 900 bytes (135 KB of header)
dofile(lib)
local conn = open()
mail(conn, "QH2", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt")
local h = {}
for i = 1, 150 do
    h[i] = {"X-Big-" .. i, string.rep("x", 890)}
end
content(conn, h, "text\r\n")
local r = eom(conn)
check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r) .. ", want discard")
mt.disconnect(conn)
