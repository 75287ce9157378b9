/*
 * mlfi_event.h - operational events of dlpbypass-milter (DESIGN.md 6,
 * "Events and alerts"): host down/up, bypass episode started/ended,
 * budget spent, TLS verification failing, configuration reloaded or
 * refused.
 *
 * Contract: mlfi_event(priority, name, key, value, ..., NULL) reports one
 * event.  NAME is a short word ("host-down", "host-up", "bypass-start",
 * "bypass-end", "budget-spent", "tls-verify-failed", "config-reload",
 * "config-refused"); the KEY/VALUE pairs (strings, NULL-ended) say what
 * happened ("host", "outcome", "messages", ...).  It is logged as one
 * line "event=NAME key=value ..." at PRIORITY (LOG_WARNING for trouble,
 * LOG_NOTICE for recovery), may be rate-limited, and may be handed to the
 * alert command; it never blocks the caller for long (no I/O beyond the
 * log line) and may be called from any thread.
 */
#ifndef MLFI_EVENT_H
#define MLFI_EVENT_H

/* mlfi_event - report event NAME with NULL-ended KEY, VALUE pairs */
void mlfi_event(int priority, const char *name, ...)
    __attribute__((sentinel));

#endif /* MLFI_EVENT_H */
