-- unreachable.lua - no DLP listens: bypass header + SMFIR_ACCEPT
dofile(lib)
local conn = open()
local r = simple(conn, "QID2", "bypassed")
check(r == SMFIR_ACCEPT, "eom: reply " .. reply_name(r) .. ", want accept")
check(mt.eom_check(conn, MT_HDRADD, header, " unreachable"),
      "no " .. header .. ": unreachable header added")
mt.disconnect(conn)
