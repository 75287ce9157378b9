-- unreachable.lua - no DLP listens: bypass header + SMFIR_ACCEPT
dofile(lib)
local conn = open()
mail(conn, "QID2", "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt")
-- a forged bypass header field must not survive next to ours
content(conn, {{"From", "sender@example.com"}, {header, "forged"},
               {"Subject", "bypassed"}}, "text\r\n")
local r = eom(conn)
check(r == SMFIR_ACCEPT, "eom: reply " .. reply_name(r) .. ", want accept")
check(mt.eom_check(conn, MT_HDRADD, header, " unreachable"),
      "no " .. header .. ": unreachable header added")
check(mt.eom_check(conn, MT_HDRDELETE, header),
      "the forged " .. header .. " header was not deleted")
mt.disconnect(conn)
