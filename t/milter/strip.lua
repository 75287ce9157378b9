-- strip.lua - one message whose header carries fields that only the
-- filter or the DLP may write (and look-alikes that must stay).
-- -D mode=dlp: the DLP takes it (discard, no header changes);
-- mode=bypass: accept, every field named in -D strip (comma-separated)
-- deleted, none named in -D keep, and our -D header added (strip.sh
-- checks the whole list of changes with milter-client.pl).
dofile(lib)
local conn = open()
mail(conn, "QS-" .. mode, "<sender@example.com>")
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<rcpt@example.org>")
expect(conn, SMFIR_CONTINUE, "rcpt")
content(conn, {{"From", "sender@example.com"},
               {"X-DLP-Bypass", "yes"},
               {"Subject", "strip " .. mode},
               {"x-cfilter-loop", "Reflected"},
               {"X-DLP-Bypass-Note", "kept"},
               {"X-CFILTER-LOOP", "Reflected"},
               {"X-Corp-Bypass", "forged"},
               {"X-Spam-Flag", "NO"},
               {"X-Keep", "1"}}, "body of strip " .. mode .. "\r\n")
local r = eom(conn)
if mode == "dlp" then
    check(r == SMFIR_DISCARD, "eom: reply " .. reply_name(r) .. ", want discard")
    check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted")
    check(not mt.eom_check(conn, MT_HDRADD), "a header was added")
else
    check(r == SMFIR_ACCEPT, "eom: reply " .. reply_name(r) .. ", want accept")
    for name in string.gmatch(strip, "[^,]+") do
        check(mt.eom_check(conn, MT_HDRDELETE, name),
              "the " .. name .. " field(s) the sender wrote were not deleted")
    end
    for name in string.gmatch(keep, "[^,]+") do
        check(not mt.eom_check(conn, MT_HDRDELETE, name),
              name .. " was deleted")
    end
    check(mt.eom_check(conn, MT_HDRADD, header, " unreachable"),
          "no " .. header .. ": unreachable added")
end
mt.disconnect(conn)
