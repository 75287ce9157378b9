-- reject.lua - DLP 5xx at the dot: SMFIR_REPLYCODE with the DLP's words
dofile(lib)
local conn = open()
local r = simple(conn, "QID4", "blocked")
check(r == SMFIR_REPLYCODE, "eom: reply " .. reply_name(r) .. ", want replycode")
check(mt.eom_check(conn, MT_SMTPREPLY, "554", "5.7.1",
                   "Blocked by DLP policy: 100%% confidential"),
      "eom: not the DLP's reply")
mt.disconnect(conn)
