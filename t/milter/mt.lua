-- t/milter/mt.lua - helpers shared by the miltertest scripts of t/milter.
-- A script loads it with dofile(lib); miltertest -D gives sock and lib.

local names = {}
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"
names[SMFIR_REPLYCODE] = "replycode"
names[SMFIR_SKIP] = "skip"

-- reply_name - a reply code as a word
function reply_name(r)
    return names[r] or tostring(r)
end

-- check - fail the script with MSG unless COND
function check(cond, msg)
    if not cond then
        error(msg, 2)
    end
end

-- expect - the last reply on CONN must be WANT
function expect(conn, want, what)
    local r = mt.getreply(conn)
    if r ~= want then
        error(what .. ": reply " .. reply_name(r) .. ", want " ..
              reply_name(want), 2)
    end
end

-- open - connect to the milter, send the connection info
function open()
    local conn = mt.connect(sock, 40, 0.25)
    check(conn ~= nil, "cannot connect to " .. sock)
    check(mt.conninfo(conn, "client.example", "127.0.0.1") == nil,
          "mt.conninfo failed")
    expect(conn, SMFIR_CONTINUE, "connect")
    -- the milter has no HELO callback and asks Postfix not to send HELO
    check(mt.test_option(conn, SMFIP_NOHELO),
          "the milter did not ask for SMFIP_NOHELO")
    check(mt.test_option(conn, SMFIP_HDR_LEADSPC),
          "the milter did not ask for SMFIP_HDR_LEADSPC")
    check(not mt.test_option(conn, SMFIP_SKIP),
          "the milter asked for SMFIP_SKIP")
    check(mt.test_action(conn, SMFIF_ADDHDRS) and
          mt.test_action(conn, SMFIF_CHGHDRS),
          "the milter did not ask for SMFIF_ADDHDRS and SMFIF_CHGHDRS")
    return conn
end

-- mail - MAIL with queue id QID (macro {i})
function mail(conn, qid, from, ...)
    mt.macro(conn, SMFIC_MAIL, "i", qid)
    check(mt.mailfrom(conn, from, ...) == nil, "mt.mailfrom failed")
end

-- rcpt - RCPT
function rcpt(conn, addr, ...)
    check(mt.rcptto(conn, addr, ...) == nil, "mt.rcptto failed")
end

-- content - the header fields (pairs {name, value}; miltertest sends
-- each value after one space of its own), end of header, and BODY (nil:
-- none).  miltertest's buffer holds about 1000 bytes per header field.
function content(conn, headers, body)
    for _, h in ipairs(headers) do
        check(mt.header(conn, h[1], h[2]) == nil, "mt.header failed")
        expect(conn, SMFIR_CONTINUE, "header " .. h[1])
    end
    check(mt.eoh(conn) == nil, "mt.eoh failed")
    expect(conn, SMFIR_CONTINUE, "eoh")
    if body ~= nil then
        check(mt.bodystring(conn, body) == nil, "mt.bodystring failed")
        expect(conn, SMFIR_CONTINUE, "body")
    end
end

-- eom - end of message; returns the reply
function eom(conn)
    check(mt.eom(conn) == nil, "mt.eom failed")
    return mt.getreply(conn)
end

-- simple - one whole message with one recipient; returns the eom reply
function simple(conn, qid, subject)
    mail(conn, qid, "<sender@example.com>")
    expect(conn, SMFIR_CONTINUE, qid .. " mail")
    rcpt(conn, "<rcpt@example.org>")
    expect(conn, SMFIR_CONTINUE, qid .. " rcpt")
    content(conn, {{"From", "sender@example.com"},
                   {"Subject", subject}},
            "Body of " .. subject .. ".\r\n")
    return eom(conn)
end
