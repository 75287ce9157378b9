-- reload2.lua - one more message after a failed reload
dofile(lib)
local c = open()
local r = simple(c, "QR4", "R4")
check(r == SMFIR_DISCARD, "R4: reply " .. reply_name(r))
mt.disconnect(c)
