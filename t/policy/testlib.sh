# t/policy/testlib.sh - helpers of the bypass policy tests (source it):
# the e2e harness (t/e2e/testlib.sh) plus
#   pt_conf FILE 'bypass-lines'...   a milter config: the one DLP host on
#                                    port 6 (refused until pt_dlp_up),
#                                    health retry 1 s, "enabled = true;"
#                                    and the given lines in bypass: { }
#   pt_send SUBJECT [RCPT...] [-f FROM] [-h 'Header: v'] [-b BYTES]
#                                    one message through the gateway
#   pt_wait_sink NAME COUNT [SECS]   until sink NAME has COUNT messages
#   pt_count_log REGEX               lines of the milter log matching
#   pt_wait_count_log REGEX COUNT [SECS]  until at least COUNT such lines
#   pt_deferred_reason SUBJECT       the postqueue -j delay_reason of the
#                                    queued message with that Subject
#   pt_dlp_up / pt_dlp_down          smtp-sink "dlp" on port 6 or nothing
#   pt_hup                           SIGHUP the milter, wait for the reload
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/testlib.sh"

# pt_conf - write a milter config with extra bypass lines
pt_conf() {
    local file=$1 extra
    shift
    extra=$(printf '%s\n  ' "$@")
    T_DLP_EXTRA="health: { retry_min = 1; retry_max = 1; };" \
        T_BYPASS_EXTRA=${extra%$'\n  '} \
        t_conf "$file" "127.0.0.1:$(tl_port 6)"
}

# pt_send - one message (Subject SUBJECT) to RCPTs (default
# rcpt@example.com) from FROM (default sender@sender.test), with extra
# header lines (-h) and a body of about BYTES bytes (-b)
pt_send() {
    local subj=$1 from=sender@sender.test rcpts=() hdrs=() bytes=0
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        -f) from=$2; shift 2 ;;
        -h) hdrs+=("$2"); shift 2 ;;
        -b) bytes=$2; shift 2 ;;
        *) rcpts+=("$1"); shift ;;
        esac
    done
    [ ${#rcpts[@]} -gt 0 ] || rcpts=(rcpt@example.com)
    {
        echo "From: <$from>"
        echo "To: <${rcpts[0]}>"
        echo "Subject: $subj"
        echo "Message-ID: <$subj.$$.$RANDOM@sender.test>"
        local h
        for h in "${hdrs[@]}"; do
            printf '%s\n' "$h"
        done
        echo
        echo "Test message $subj of $TL_NAME."
        if [ "$bytes" -gt 0 ]; then
            local i
            for ((i = 0; i < bytes / 64; i++)); do
                echo "123456789 123456789 123456789 123456789 123456789 12345678901"
            done
        fi
    } >"$TL_DIR/msg"
    tl_smtp "$(tl_port 0)" "$from" "${rcpts[@]}" <"$TL_DIR/msg" ||
        tl_fail "the gateway did not accept message $subj"
}

# pt_wait_sink - wait until sink NAME has COUNT messages (default 20 s)
pt_wait_sink() {
    t_wait "${3:-20}" t_ge "$2" tl_nmsgs "$1" && return 0
    tl_fail "sink $1 has $(tl_nmsgs "$1") messages after ${3:-20}s, want $2"
}

# pt_count_log - number of milter log lines matching REGEX
pt_count_log() {
    grep -Ec -- "$1" "$TL_DIR/milter.log" 2>/dev/null
}

# pt_wait_count_log - until COUNT milter log lines match REGEX (20 s)
pt_wait_count_log() {
    t_wait "${3:-20}" t_ge "$2" pt_count_log "$1" && return 0
    tl_fail "milter log has $(pt_count_log "$1") lines matching /$1/, want $2"
}

# pt_deferred_reason - delay_reason of the queued message with SUBJECT
# (waits up to 20 s for it to be deferred with a reason)
pt_deferred_reason() {
    local i qid
    for ((i = 0; i < 100; i++)); do
        for qid in $(tl_pf_json gw | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        m = json.loads(line)
        if m.get("queue_name") == "deferred":
            print(m["queue_id"])'); do
            if postcat -c "$(tl_pf_dir gw)" -hq "$qid" 2>/dev/null |
                grep -q "^Subject: $1\$"; then
                tl_pf_json gw | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        m = json.loads(line)
        if m.get("queue_id") == sys.argv[1]:
            for r in m.get("recipients", []):
                print(r.get("delay_reason", ""))' "$qid"
                return 0
            fi
        done
        sleep 0.2
    done
    tl_fail "no deferred message with Subject $1: $(tl_pf_json gw)"
}

# pt_dlp_up - the DLP host (port 6) accepts mail: smtp-sink "dlp"
pt_dlp_up() {
    local n i
    n=$(pt_count_log "event=host-up ")
    tl_sink dlp "$(tl_port 6)"
    tl_wait_port "$(tl_port 6)" || tl_fail "DLP sink does not listen"
    # let the milter see it back (the pool probes a down host after its
    # retry time, 1 s here) before mail is sent: a message whose MAIL
    # comes earlier is still bypassed on the health state's word (DESIGN
    # 3a item 2), in a new episode, since host-up refills the budget
    for ((i = 0; i < 50; i++)); do
        [ "$(pt_count_log "event=host-up ")" -gt "$n" ] && return 0
        sleep 0.1
    done
}

# pt_dlp_down - nothing listens on the DLP port any more
pt_dlp_down() {
    tl_sink_stop dlp
}

# pt_hup - SIGHUP the milter and wait for "configuration reloaded"
pt_hup() {
    local before
    before=$(pt_count_log "configuration reloaded")
    kill -HUP "$TL_MILTER_PID" || tl_fail "cannot SIGHUP the milter"
    pt_wait_count_log "configuration reloaded" $((before + 1)) 10
}
