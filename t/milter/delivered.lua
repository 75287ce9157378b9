-- delivered.lua - one message, accepted by the DLP: SMFIR_DISCARD
dofile(lib)
local conn = open()
mail(conn, "QID1", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt")
-- miltertest puts the one leading space before each value itself
content(conn, {{"From", "sender@example.com"},
               {"Subject", " two spaces and a\ttab "},
               {"X-Folded", "first line\n\tsecond line\r\n  third line"},
               {"X-Empty", ""}},
        "Line one.\r\n.leading dot\r\n\r\nlast line\r\n")
local r = eom(conn)
check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r) .. ", want discard")
check(not mt.eom_check(conn, MT_HDRADD), "a header was added")
check(not mt.eom_check(conn, MT_HDRINSERT), "a header was inserted")
mt.disconnect(conn)
