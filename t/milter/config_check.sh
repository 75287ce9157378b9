#!/bin/bash
# config_check.sh - the command line contract: -n prints "FILE: ok" and
# exits 0 for a good file, prints "FILE:LINE: problem" and exits 1 for a
# bad one (unknown key, syntax error); -h prints the usage and exits 0; a
# bad option exits 2; a bad file at start-up exits 1 and says why.
. "$(dirname "$0")/mtlib.sh"
MILTERTEST=${MILTERTEST:-none} # not needed here
[ -x "$MILTERTEST" ] || MILTERTEST=/bin/true
mt_init config_check

run() { # run EXPECTED-STATUS ARGS... ; output in $MT_OUT
    local want=$1 status=0
    shift
    "$MT_MILTER" "$@" >"$MT_OUT" 2>&1 || status=$?
    [ "$status" = "$want" ] ||
        mt_fail "$* exited with $status, want $want: $(cat "$MT_OUT")"
}
expect() {
    grep -Eq -- "$1" "$MT_OUT" || mt_fail "expected /$1/ in: $(cat "$MT_OUT")"
}

good=$MT_DIR/good.conf
t_conf "$good" 1 2
run 0 -n -c "$good"
expect "^$good: ok\$"

# an unknown key on line 4
bad=$MT_DIR/bad.conf
printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = 25; } );\n};\nbogus = 1;\n' >"$bad"
run 1 -n -c "$bad"
expect "^$bad:4: "
expect 'bogus'

# a syntax error on line 3
printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = 25; } );\n  connect_timeout = ;\n};\n' >"$bad"
run 1 -n -c "$bad"
expect "^$bad:3: "

# a file that does not exist
run 1 -n -c "$MT_DIR/missing.conf"
expect "$MT_DIR/missing.conf"

# start-up with a bad file: exit 1, the problem on stderr (-f)
printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = 25; } );\n};\nbogus = 1;\n' >"$bad"
run 1 -f -c "$bad" -p "$MT_SOCK"
expect "$bad:4: "

run 0 -h
expect '^usage: dlpbypass-milter'
expect ' -n '
run 2 -x
run 2 -n extra-argument
echo "PASS: config_check"
