/*
 * mlfi_status.h - the metrics endpoint and the control socket of
 * dlpbypass-milter (issue 11, DESIGN.md 5a metrics.listen, control.*).
 *
 * Contract:
 * - mlfi_status_start() starts both services of CFG (each one only when
 *   configured), each in threads of its own with every signal blocked,
 *   never on a message's path.  A service that cannot start is logged
 *   (LOG_ERR) and left off: monitoring never stops mail.
 * - mlfi_status_reload() counts a new configuration (the generation);
 *   the services keep the address and socket they started with (a
 *   change is logged: it needs a restart).
 * - mlfi_status_stop() stops them and removes the control socket.
 * - mlfi_status_describe() writes the status (mlfi_status.c), in words
 *   or as one JSON object; mlfi_metrics_render() the Prometheus text
 *   (mlfi_metrics.c).  Both into a growing buffer the caller frees.
 * Call start and stop from the main thread only.
 */
#ifndef MLFI_STATUS_H
#define MLFI_STATUS_H

#include "dlpbypass.h"

#include <stddef.h>

/* A growing text buffer; failed is set when memory ran out. */
struct mlfi_buf {
  char *p;
  size_t len, cap;
  int failed;
};

/* mlfi_buf_printf - append to B (printf style) */
void mlfi_buf_printf(struct mlfi_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* mlfi_status_start - start the metrics endpoint and control socket */
void mlfi_status_start(DLP_POOL *pool, const DLP_CONFIG *cfg);

/* mlfi_status_reload - CFG is about to become current */
void mlfi_status_reload(const DLP_CONFIG *cfg);

/* mlfi_status_stop - stop both, remove the control socket */
void mlfi_status_stop(void);

/* mlfi_status_pool - the host pool given to mlfi_status_start() */
DLP_POOL *mlfi_status_pool(void);

/* mlfi_status_describe - the status into B: words, or JSON when JSON */
void mlfi_status_describe(struct mlfi_buf *b, int json);

/* mlfi_metrics_render - the Prometheus text exposition into B */
void mlfi_metrics_render(struct mlfi_buf *b);

/* mlfi_metrics_start - serve /metrics on CFG's metrics.listen; 0 or -1 */
int mlfi_metrics_start(const DLP_CONFIG *cfg);
void mlfi_metrics_stop(void);

/* mlfi_control_start - serve CFG's control.socket; 0 or -1 */
int mlfi_control_start(const DLP_CONFIG *cfg);
void mlfi_control_stop(void);

#endif /* MLFI_STATUS_H */
