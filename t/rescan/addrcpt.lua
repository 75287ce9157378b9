-- addrcpt.lua - one bypassed message with retro-scan on (rescan_addrcpt.sh).
-- -D offer=all: the MTA offers every action; the milter asks for
-- SMFIF_ADDRCPT, accepts, adds the rescan recipient -D rcpt_addr and the
-- X-DLP-Rescan field, deletes the forged one.  offer=noaddrcpt: the MTA
-- does not let the milter add recipients; the message is tempfailed
-- (never bypassed without its copy) and nothing is changed.
dofile(lib)

-- run - the script; miltertest prints nothing of a top-level error
local function run()
    local conn = mt.connect(sock, 40, 0.25)
    check(conn ~= nil, "cannot connect to " .. sock)
    if offer == "noaddrcpt" then
        -- miltertest takes (conn, version, protocol steps, actions), whatever
        -- its manual says about the order of the last two
        check(mt.negotiate(conn, nil, nil, SMFIF_ADDHDRS + SMFIF_CHGHDRS) == nil,
              "mt.negotiate failed")
    end
    check(mt.conninfo(conn, "client.example", "127.0.0.1") == nil,
          "mt.conninfo failed")
    expect(conn, SMFIR_CONTINUE, "connect")
    if offer == "all" then
        check(mt.test_action(conn, SMFIF_ADDRCPT),
              "the milter did not ask for SMFIF_ADDRCPT")
    end
    mail(conn, "QR-" .. offer, "<sender@example.com>")
    expect(conn, SMFIR_CONTINUE, "mail")
    rcpt(conn, "<rcpt@example.org>")
    expect(conn, SMFIR_CONTINUE, "rcpt")
    content(conn, {{"From", "sender@example.com"},
                   {"X-DLP-Rescan", "FORGED 2000-01-01T00:00:00Z accepted"},
                   {"Subject", "rescan " .. offer}}, "text\r\n")
    local r = eom(conn)
    if offer == "all" then
        check(r == SMFIR_ACCEPT, "eom: reply " .. reply_name(r) .. ", want accept")
        check(mt.eom_check(conn, MT_RCPTADD, "<" .. rcpt_addr .. ">"),
              "the rescan recipient <" .. rcpt_addr .. "> was not added")
        check(mt.eom_check(conn, MT_HDRADD, "X-DLP-Rescan"),
              "no X-DLP-Rescan field added")
        check(mt.eom_check(conn, MT_HDRDELETE, "X-DLP-Rescan"),
              "the forged X-DLP-Rescan field was not deleted")
        check(mt.eom_check(conn, MT_HDRADD, "X-DLP-Bypass", " unreachable"),
              "no X-DLP-Bypass: unreachable added")
    else
        check(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL,
              "eom: reply " .. reply_name(r) .. ", want tempfail")
        check(not mt.eom_check(conn, MT_HDRADD, "X-DLP-Bypass"),
              "the bypass header was added to a refused message")
    end
    mt.disconnect(conn)
end

local ok, err = pcall(run)
if not ok then
    print("addrcpt.lua: " .. tostring(err))
    os.exit(1)
end
