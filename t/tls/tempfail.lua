-- tempfail.lua - required TLS failed at the only DLP host: MAIL gets a
-- 4xx reply of the milter's own (SMFIR_REPLYCODE); needs t/milter/mt.lua
dofile(lib)
local conn = open()
mail(conn, "QID2", "<sender@example.com>")
expect(conn, SMFIR_REPLYCODE, "mail")
mt.disconnect(conn)
