#!/bin/bash
# config.sh - bypass.rescan in the configuration (DESIGN.md 5a): -n takes
# a good group and rejects, with file and line, enabled without a
# recipient, a recipient that is not an address, a bad header name, a
# header equal to bypass.header and an unknown key.  No ports.
. "$(dirname "$0")/../testlib.sh"
tb_tools
milter=$top_builddir/milter/dlpbypass-milter
[ -x "$milter" ] || { echo "FAIL: $milter not built"; exit 1; }
dir=$(mktemp -d /tmp/dlprescan.config.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# conf BODY - a config whose bypass.rescan group (at line 4) is BODY
conf() {
    printf '%s\n' 'dlp: { servers = ( { host = "127.0.0.1"; port = 10025; } ); };' \
        'bypass: {' '  header = "X-DLP-Bypass";' "  rescan: { $1 };" '};' \
        >"$dir/c.conf"
}

# good BODY - -n accepts it
good() {
    conf "$1"
    "$milter" -n -c "$dir/c.conf" >"$dir/out" 2>&1 ||
        { echo "FAIL: config: rejected { $1 }: $(cat "$dir/out")"; exit 1; }
}

# bad BODY REGEX - -n rejects it, the message matching "c.conf:4: REGEX"
bad() {
    conf "$1"
    if "$milter" -n -c "$dir/c.conf" >"$dir/out" 2>&1; then
        echo "FAIL: config: accepted { $1 }"
        exit 1
    fi
    grep -Eq "c\.conf:4: $2" "$dir/out" ||
        { echo "FAIL: config: { $1 }: '$(cat "$dir/out")' does not match /c.conf:4: $2/"; exit 1; }
}

good 'enabled = true; recipient = "dlp-rescan@gw.example.com";'
good 'enabled = true; recipient = "dlp-rescan@[192.0.2.1]"; header = "X-Corp-Rescan";'
good 'enabled = false;'
good 'recipient = "r@gw.example.com";'
bad 'enabled = true;' 'bypass\.rescan\.recipient is required'
bad 'enabled = true; recipient = "dlp-rescan";' 'bypass\.rescan\.recipient: .*not an address'
bad 'enabled = true; recipient = "<dlp-rescan@gw.example.com>";' 'bypass\.rescan\.recipient: .*not a plain address'
bad 'enabled = true; recipient = "a b@gw.example.com";' 'bypass\.rescan\.recipient: .*not a plain address'
bad 'enabled = true; recipient = "a@b@gw.example.com";' "bypass\.rescan\.recipient: .*more than one '@'"
bad 'enabled = true; recipient = "a@gw..example.com";' 'bypass\.rescan\.recipient: .*empty label'
bad 'enabled = true; recipient = "a@gw_x.example.com";' 'bypass\.rescan\.recipient: .*no domain name has'
bad 'enabled = true; recipient = "";' 'bypass\.rescan\.recipient: .*empty'
bad 'enabled = true; recipient = "a@gw.example.com"; header = "X DLP";' 'bypass\.rescan\.header: '
bad 'enabled = true; recipient = "a@gw.example.com"; header = "x-dlp-bypass";' 'bypass\.rescan\.header must differ from bypass\.header'
bad 'enabled = "yes"; recipient = "a@gw.example.com";' 'bypass\.rescan\.enabled'
bad 'enabled = true; recipient = "a@gw.example.com"; hosts = 1;' "unknown key 'bypass\.rescan\.hosts'"
echo "PASS: config"
