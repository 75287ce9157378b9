#!/bin/sh
# alert-journal.sh - an alert.command for dlpbypass-milter: write each
# event to the systemd journal as one entry with its own fields
# (DLPBYPASS_EVENT, DLPBYPASS_HOST, DLPBYPASS_OUTCOME, ... and the JSON
# object in DLPBYPASS_JSON) at the event's priority, so that
#     journalctl DLPBYPASS_EVENT=host-down
#     journalctl -t dlpbypass-alert -p warning
# find them, and journal-based alerting (or a forwarder) can act on them
# independently of mail.  Without a journal it falls back to
# systemd-cat, then to logger (syslog).
#
#     alert: { command = "/etc/dlpbypass/alert-journal.sh"; };
set -u
json=$(cat)
case ${DLPBYPASS_PRIORITY:-warning} in
emerg) p=0 ;; alert) p=1 ;; crit) p=2 ;; err) p=3 ;; warning) p=4 ;;
notice) p=5 ;; info) p=6 ;; *) p=7 ;;
esac
msg="event=${DLPBYPASS_EVENT:-unknown}${DLPBYPASS_HOST:+ host=$DLPBYPASS_HOST}"
msg="$msg${DLPBYPASS_OUTCOME:+ outcome=$DLPBYPASS_OUTCOME}"
msg="$msg${DLPBYPASS_DETAIL:+ detail=$DLPBYPASS_DETAIL}"
msg="$msg${DLPBYPASS_SUPPRESSED:+ suppressed=$DLPBYPASS_SUPPRESSED}"
if [ -S /run/systemd/journal/socket ] && logger --help 2>&1 | grep -q journald; then
    # one FIELD=value a line; the milter's values never hold a newline
    {
        echo "MESSAGE=$msg"
        echo "PRIORITY=$p"
        echo "SYSLOG_IDENTIFIER=dlpbypass-alert"
        env | grep '^DLPBYPASS_[A-Z0-9_]*='
        echo "DLPBYPASS_JSON=$json"
    } | logger --journald
elif command -v systemd-cat >/dev/null 2>&1 && [ -S /run/systemd/journal/stdout ]; then
    printf '%s\n' "$msg" | systemd-cat -t dlpbypass-alert -p "$p"
else
    logger -t dlpbypass-alert -p "daemon.${DLPBYPASS_PRIORITY:-warning}" -- "$msg"
fi
