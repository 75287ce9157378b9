-- reload.lua - a connection that outlives a reload (its next message
-- takes the new configuration), and one opened after it
dofile(lib)
local a = open()
local r = simple(a, "QR1", "R1")
check(r == SMFIR_DISCARD, "R1: reply " .. reply_name(r))
check(os.execute("mv " .. newconf .. " " .. conf .. " && kill -HUP " .. pid),
      "cannot send SIGHUP")
local ok = false
for _ = 1, 50 do
    local f = io.open(log)
    local text = f:read("a")
    f:close()
    if string.find(text, "configuration reloaded", 1, true) then
        ok = true
        break
    end
    mt.sleep(0.1)
end
check(ok, "no reload in the log")
r = simple(a, "QR2", "R2")   -- the old connection: already the new host
check(r == SMFIR_DISCARD, "R2: reply " .. reply_name(r))
local b = open()
r = simple(b, "QR3", "R3")   -- a new connection: the new DLP host
check(r == SMFIR_DISCARD, "R3: reply " .. reply_name(r))
mt.disconnect(a)
mt.disconnect(b)
