/*
 * mlfi.h - the milter callbacks of dlpbypass-milter and the little state
 * they share: the current configuration (swapped on reload) and the DLP
 * host pool.
 *
 * Ownership: mlfi_init() takes the caller's reference on CFG and borrows
 * POOL until mlfi_shutdown(); mlfi_config_swap() takes the reference on
 * the new configuration and drops the module's reference on the old one.
 * Each message holds its own reference to the configuration of the moment
 * it started (MAIL), so a swap applies from the next message on every
 * connection and never changes a message in flight.
 */
#ifndef MLFI_H
#define MLFI_H

#include "dlpbypass.h"

#define MLFI_NAME "dlpbypass-milter"

/* mlfi_init - install the pool and the first configuration */
void mlfi_init(DLP_POOL *pool, DLP_CONFIG *cfg);

/* mlfi_register - smfi_register() the callbacks; MI_SUCCESS or MI_FAILURE */
int mlfi_register(void);

/* mlfi_config_swap - make CFG current (takes its reference) */
void mlfi_config_swap(DLP_CONFIG *cfg);

/* mlfi_config_get - a new reference to the current configuration */
DLP_CONFIG *mlfi_config_get(void);

/* mlfi_active - how many milter connections are open now */
unsigned mlfi_active(void);

/* mlfi_busy - how many messages are in flight now */
unsigned mlfi_busy(void);

/*
 * mlfi_shutdown - drop the module's configuration reference and forget
 * the pool (the caller frees it).  No connection may be open.
 */
void mlfi_shutdown(void);

/* mlfi_log_to - log to FD (stderr with -f) instead of syslog; -1: syslog */
void mlfi_log_to(int fd);

/* mlfi_log_echo - also copy syslog warnings and errors to FD (-1: stop) */
void mlfi_log_echo(int fd);

/* mlfi_log - one line to syslog (or to the fd of mlfi_log_to) */
void mlfi_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* MLFI_H */
