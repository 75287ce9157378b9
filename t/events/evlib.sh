# t/events/evlib.sh - helpers of the event tests (source it after
# t/e2e/testlib.sh).  A block of 20 ports per test (tl_init).
#
#   ev_alert_script FILE [SLEEP]   an alert command that writes its stdin
#                                  to $TL_DIR/alerts/N.json and its
#                                  DLPBYPASS_* environment to N.env (N
#                                  counts up), then sleeps SLEEP seconds
#   ev_alert_conf FILE CMD [KEY = VALUE;...]  append an alert group
#   ev_events                      the event= lines of the milter log,
#                                  "event=NAME" words only, in order
#   ev_count NAME                  how many event=NAME lines were logged
#   ev_wait NAME [COUNT] [SECS]    until COUNT (1) event=NAME lines
#   ev_alert_files NAME            the .json files of alerts for NAME
#   ev_json_get FILE KEY           a key of one JSON alert (python3)

# ev_alert_script - write the alert command FILE (see above)
ev_alert_script() {
    mkdir -p "$TL_DIR/alerts"
    chmod 777 "$TL_DIR/alerts"
    cat >"$1" <<SH
#!/bin/sh
# alert command of test $TL_NAME: stdin and environment to files
d=$TL_DIR/alerts
n=\$(date +%s%N).\$\$
env | grep '^DLPBYPASS_' | sort >"\$d/\$n.env.tmp"
cat >"\$d/\$n.json.tmp"
mv "\$d/\$n.env.tmp" "\$d/\$n.env"
mv "\$d/\$n.json.tmp" "\$d/\$n.json"
${2:+sleep $2}
exit 0
SH
    chmod 755 "$1"
}

# ev_alert_conf - append "alert: { command = CMD; EXTRA };" to FILE
ev_alert_conf() {
    local file=$1 cmd=$2
    shift 2
    printf 'alert: {\n  command = "%s";\n  %s\n};\n' "$cmd" "$*" >>"$file"
}

# ev_events - the event names logged so far, one a line, in order
ev_events() {
    grep -o 'event=[a-z-]*' "$TL_DIR/milter.log" 2>/dev/null
}

# ev_count - how many event=NAME lines were logged
ev_count() {
    grep -c "event=$1 " "$TL_DIR/milter.log" 2>/dev/null
}

# ev_wait - wait until COUNT (default 1) event=NAME lines (SECS, 10)
ev_wait() {
    t_wait "${3:-10}" t_ge "${2:-1}" ev_count "$1" && return 0
    tl_fail "no ${2:-1} event=$1 lines after ${3:-10}s"
}

# ev_alert_files - the JSON files of the alerts for event NAME
ev_alert_files() {
    grep -l "\"event\":\"$1\"" "$TL_DIR"/alerts/*.json 2>/dev/null
}

# ev_json_get - KEY of the JSON object in FILE ("" when absent)
ev_json_get() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"
}
