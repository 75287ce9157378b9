#!/usr/bin/env python3
"""bodycases.py - the message bodies of TESTING.md row 11 and what the DLP
must receive from each.

  bodycases.py write DIR     write DIR/NAME.in for every case
  bodycases.py bodies DIR    write DIR/NAME.body: the part after the
                             header of each case (for rawsmtp.py)
  bodycases.py same DUMP1 DUMP2
                             the bodies (after the first empty line) of
                             two smtp-sink dumps must be equal, once each
                             bare CR of DUMP2 is made a space
  bodycases.py check DIR NAME DUMP
                             DUMP (an smtp-sink -d file) must hold exactly
                             the canonical form of DIR/NAME.in; exit 1 and
                             say where they differ otherwise

The canonical form (DESIGN.md section 2, dlp_body.c): CR LF and bare LF end
a line, a bare CR becomes a space, every other byte (NUL, 8-bit) passes,
the last line is closed.  smtp-sink un-stuffs the dots and writes lines
with LF, after its own headers (up to its three-line Received:), plus one
empty line at the end; the comparison undoes exactly that.
"""
import os
import re
import sys

HDR = b"From: s@example.com\r\nSubject: row 11\r\n\r\n"
SMUGGLE = (b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\n"
           b"DATA\r\nSmuggled: yes\r\n\r\nsmuggled\r\n.\r\n")
CASES = {
    "bare_cr": HDR + b"one\rtwo\r\rthree\r\n",
    "bare_lf": HDR + b"one\ntwo\n\nthree\n",
    "lf_dot_lf": HDR + b"before\n.\n" + SMUGGLE.replace(b"\r\n", b"\n") + b"after\n",
    "crlf_dot_cr": HDR + b"before\r\n.\r" + SMUGGLE + b"after\r\n",
    "lf_dot_crlf": HDR + b"before\n.\r\n" + SMUGGLE + b"after\r\n",
    "cr_dot_crlf": HDR + b"before\r.\r\n" + SMUGGLE + b"after\r\n",
    "crlf_dot_lf": HDR + b"before\r\n.\n" + SMUGGLE + b"after\r\n",
    "leading_dots": HDR + b".\r\n..\r\n.x\r\n...y\r\n \r\n.\r\n",
    "no_final_crlf": HDR + b"last line without end",
    "no_final_crlf_dot": HDR + b"x\r\n.",
    "ends_in_cr": HDR + b"x\r\n.\r",
    "eight_bit": HDR + "Grüße, ½ € \u00ff".encode() + b"\xff\xfe\x80\r\n",
    "nul": HDR + b"a\x00b\r\n\x00\r\n.\x00\r\n",
    "mb_line": HDR + b"." + b"x" * (1 << 20) + b"\r\n.\r\n",
    "empty": b"",
    "only_dot": b".",
}


def canonical(raw):
    out, i, n = bytearray(), 0, len(raw)
    line_start = True
    while i < n:
        c = raw[i:i + 1]
        if c == b"\r" and raw[i + 1:i + 2] == b"\n":
            out += b"\r\n"; i += 2; line_start = True; continue
        if c == b"\n":
            out += b"\r\n"; line_start = True
        elif c == b"\r":
            out += b" "; line_start = False
        else:
            out += c; line_start = False
        i += 1
    if not line_start:
        out += b"\r\n"
    return bytes(out)


def dump_body(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    # skip smtp-sink's headers: through "Received:" and its 2 continuations
    for k, l in enumerate(lines):
        if l.startswith(b"Received: "):
            break
    else:
        sys.exit("no Received: header in the dump")
    body = lines[k + 3:]
    # the dump ends with "\n" + one empty line smtp-sink appends
    if body[-2:] != [b"", b""]:
        sys.exit("dump does not end with the empty line smtp-sink appends")
    return b"\n".join(body[:-2]) + b"\n" if body[:-2] else b""


def after_header(path):
    data = open(path, "rb").read()
    return data[data.index(b"\n\n") + 2:] if b"\n\n" in data else b""


def main():
    if sys.argv[1] == "bodies":
        for name, raw in CASES.items():
            body = raw[len(HDR):] if raw.startswith(HDR) else raw
            open(os.path.join(sys.argv[2], name + ".body"), "wb").write(body)
        print(" ".join(CASES))
        return
    if sys.argv[1] == "same":
        got = after_header(sys.argv[2])
        want = re.sub(rb"\r(?!\n)", b" ", after_header(sys.argv[3]))
        if got != want:
            k = next((i for i in range(min(len(got), len(want)))
                      if got[i] != want[i]), min(len(got), len(want)))
            print("differ at byte %d: DLP %r, Postfix %r" %
                  (k, got[max(0, k - 20):k + 40], want[max(0, k - 20):k + 40]))
            sys.exit(1)
        return
    if sys.argv[1] == "write":
        for name, raw in CASES.items():
            open(os.path.join(sys.argv[2], name + ".in"), "wb").write(raw)
        print(" ".join(CASES))
        return
    d, name, dump = sys.argv[2:5]
    raw = open(os.path.join(d, name + ".in"), "rb").read()
    want = canonical(raw).replace(b"\r\n", b"\n")
    got = dump_body(dump)
    if got != want:
        for k in range(min(len(got), len(want))):
            if got[k] != want[k]:
                break
        else:
            k = min(len(got), len(want))
        print("%s: differs at byte %d: want %r, got %r" %
              (name, k, want[max(0, k - 20):k + 40], got[max(0, k - 20):k + 40]))
        sys.exit(1)


main()
