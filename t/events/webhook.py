#!/usr/bin/env python3
"""webhook.py - a webhook receiver on 127.0.0.1:PORT: each POST body is
appended to OUTFILE as one line (with its Content-Type before a tab),
answered 200.  Usage: webhook.py PORT OUTFILE"""
import http.server
import sys

port, out = int(sys.argv[1]), sys.argv[2]


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write("%s\t%s\n" % (self.headers.get("Content-Type", ""),
                                  body.decode("utf-8", "replace").strip()))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Hook).serve_forever()
