/*
 * mlfi_alert.h - the alert command (alert.command, alert.timeout,
 * alert.max_running): run for each event that passed the rate limit of
 * mlfi_event.c, asynchronously, never on a message's path.
 *
 * Contract:
 * - mlfi_alert_start() starts the dispatcher thread; mlfi_alert_stop()
 *   stops it (queued events are dropped and counted, running commands
 *   get their timeout, then are killed).
 * - mlfi_alert_configure() takes the settings of a configuration (at
 *   start and at each reload); a NULL command turns alerts off.
 * - mlfi_alert_post() copies one event into a bounded queue and returns
 *   at once; when the queue is full (or no command is set) the event is
 *   not run; dropped events are counted and logged by the dispatcher.
 * - The command is run with posix_spawn() (no shell) in a process group
 *   of its own, with the event in environment variables
 *   (DLPBYPASS_EVENT, DLPBYPASS_PRIORITY, DLPBYPASS_TIME,
 *   DLPBYPASS_HOSTNAME, DLPBYPASS_<KEY> for each key, upper case,
 *   DLPBYPASS_SUPPRESSED, PATH) and as one JSON object (one line) on its
 *   standard input; stdout goes to /dev/null, stderr is the milter's.
 *   At most max_running run at once; a run that lasts longer than the
 *   timeout is killed (SIGKILL to its process group).  A failure (cannot
 *   run, exit status, signal, timeout) is logged, never fatal.
 * All functions are thread-safe.
 */
#ifndef MLFI_ALERT_H
#define MLFI_ALERT_H

#include <stddef.h>

/* mlfi_alert_start - start the dispatcher thread; 0 or -1 */
int mlfi_alert_start(void);

/* mlfi_alert_stop - stop it, kill what still runs after its timeout */
void mlfi_alert_stop(void);

/* mlfi_alert_configure - COMMAND (NULL: none), TIMEOUT s, MAX_RUNNING */
void mlfi_alert_configure(const char *command, int timeout, int max_running);

/*
 * mlfi_alert_post - queue event NAME at PRIORITY with N KEYS/VALUES and
 * the count of events SUPPRESSED before it; never blocks
 */
void mlfi_alert_post(int priority, const char *name, const char *const *keys,
                     const char *const *values, size_t n,
                     unsigned long suppressed);

#endif /* MLFI_ALERT_H */
