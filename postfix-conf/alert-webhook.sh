#!/bin/sh
# alert-webhook.sh - an alert.command for dlpbypass-milter: POST each
# event, the JSON object the milter writes on stdin, to a webhook
# (Slack/Mattermost/Teams bridges, Alertmanager-style receivers, any
# HTTP endpoint) with curl.
#
# Install:  cp alert-webhook.sh /etc/dlpbypass/ && chmod 755 it, write
# the URL into /etc/dlpbypass/alert-webhook.conf (the file next to this
# script, named like it with .conf):
#     URL=https://hooks.example.com/services/T000/B000/XXXX
#     # optional: CURL_OPTS="--cacert /etc/ssl/private-ca.pem"
# and set in dlpbypass.conf:
#     alert: { command = "/etc/dlpbypass/alert-webhook.sh"; timeout = 10; };
#
# The milter runs this with a minimal environment (PATH and the
# DLPBYPASS_* variables), so settings come from the .conf file, not from
# the environment.  curl's own limits stay below the default
# alert.timeout of 10 s; a failure is curl's exit status, which the
# milter logs.  Mail is never held up by this script.
set -u
conf=${0%.sh}.conf
URL=""
CURL_OPTS=""
# shellcheck disable=SC1090 # the operator's settings
[ -r "$conf" ] && . "$conf"
if [ -z "$URL" ]; then
    echo "alert-webhook.sh: no URL= in $conf" >&2
    exit 2
fi
# shellcheck disable=SC2086 # CURL_OPTS are words on purpose
exec curl --silent --show-error --fail --max-time 4 --retry 1 \
    --retry-max-time 8 --header 'Content-Type: application/json' \
    $CURL_OPTS --data-binary @- "$URL"
