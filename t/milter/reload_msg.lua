-- reload_msg.lua - three messages on one connection around a reload
dofile(lib)
local a = open()
local r = simple(a, "QM1", "M1")
check(r == SMFIR_ACCEPT, "M1: reply " .. reply_name(r) .. ", want accept")
check(mt.eom_check(a, MT_HDRADD, "X-DLP-Bypass", " unreachable"),
      "M1: no X-DLP-Bypass: unreachable added")
-- message 2 starts under the old configuration ...
mail(a, "QM2", "<sender@example.com>")
expect(a, SMFIR_CONTINUE, "M2 mail")
rcpt(a, "<rcpt@example.org>")
expect(a, SMFIR_CONTINUE, "M2 rcpt")
content(a, {{"From", "sender@example.com"}, {"Subject", "M2"}}, "M2\r\n")
-- ... the reload happens while it is in flight ...
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
-- ... and it ends under the configuration it started with
r = eom(a)
check(r == SMFIR_ACCEPT, "M2 (in flight): reply " .. reply_name(r) ..
      ", want accept")
check(mt.eom_check(a, MT_HDRADD, "X-DLP-Bypass", " unreachable"),
      "M2: not stamped with the old header name")
-- the next message on the same connection: bypass is off now
-- (the host is known down, so the verdict comes at MAIL already)
mail(a, "QM3", "<sender@example.com>")
expect(a, SMFIR_REPLYCODE, "M3 mail (a 451 reply)")
mt.disconnect(a)
