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
 *
 * Rate limit: per NAME and "host" value, alert.burst lines at once, then
 * one per alert.interval seconds; the next line that passes carries
 * "suppressed=N".  mlfi_event_start() takes the settings of the first
 * configuration, starts the alert command's thread and registers for
 * the DLP host pool's events (host-down, host-up, tls-verify-failed);
 * mlfi_event_configure() takes those of a reloaded one;
 * mlfi_event_stop() undoes mlfi_event_start().
 */
#ifndef MLFI_EVENT_H
#define MLFI_EVENT_H

#include "dlpbypass.h"

/* mlfi_event - report event NAME with NULL-ended KEY, VALUE pairs */
void mlfi_event(int priority, const char *name, ...) __attribute__((sentinel));

/* mlfi_event_start - settings of CFG, alert thread, POOL's events */
void mlfi_event_start(DLP_POOL *pool, const DLP_CONFIG *cfg);

/* mlfi_event_configure - the rate limit and alert settings of CFG */
void mlfi_event_configure(const DLP_CONFIG *cfg);

/* mlfi_event_stop - POOL's events off, the alert thread stopped */
void mlfi_event_stop(DLP_POOL *pool);

#endif /* MLFI_EVENT_H */
