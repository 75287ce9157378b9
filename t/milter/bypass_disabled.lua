-- bypass_disabled.lua - no DLP and no bypass: MAIL gets a 4xx reply
dofile(lib)
local conn = open()
mail(conn, "QID3", "<sender@example.com>")
expect(conn, SMFIR_REPLYCODE, "mail")
mt.disconnect(conn)
