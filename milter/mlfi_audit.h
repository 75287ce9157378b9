/*
 * mlfi_audit.h - the tamper-evident audit trail of dlpbypass-milter
 * (issue 11): one hash-chained JSON line per decision (audit.what =
 * "all") or per bypass (audit.what = "bypass") in audit.file.
 *
 * Contract: mlfi_audit_start() opens the trail of the first
 * configuration before the first message; mlfi_audit_reload() takes the
 * settings of a new configuration and reopens the file (SIGHUP);
 * mlfi_audit_reopen() reopens the same file (SIGUSR1, logrotate);
 * mlfi_audit_stop() closes it.  mlfi_audit_record() appends the line of
 * one decision (any thread) and returns 0 when it is written (and
 * flushed as audit.fsync says) or not wanted, -1 when it could not be
 * written: the caller must then not let a bypass happen.  Problems are
 * logged (LOG_ERR, at most one line per MLFI_AUDIT_ERR_SECS), never
 * fatal.
 */
#ifndef MLFI_AUDIT_H
#define MLFI_AUDIT_H

#include "dlpbypass.h"
#include "mlfi_decision.h"

/* mlfi_audit_start - the settings of CFG; open its audit file, if any */
void mlfi_audit_start(const DLP_CONFIG *cfg);

/* mlfi_audit_reload - the settings of the new CFG; reopen the file */
void mlfi_audit_reload(const DLP_CONFIG *cfg);

/* mlfi_audit_reopen - reopen the audit file (after logrotate moved it) */
void mlfi_audit_reopen(void);

/* mlfi_audit_record - the audit line of decision D; 0, or -1: not written */
int mlfi_audit_record(const struct mlfi_decision *d);

/* mlfi_audit_stop - close the audit file */
void mlfi_audit_stop(void);

/*
 * mlfi_audit_field - a copy of header field VALUE for the trail: CR and
 * LF dropped (unfolded), leading and trailing white space cut, at most
 * 998 bytes; NULL when out of memory
 */
char *mlfi_audit_field(const char *value);

/*
 * mlfi_audit_json - the JSON object of decision D without "prev"
 * (mlfi_audit_json.c); the caller owns it (json_object_put); NULL when
 * out of memory
 */
struct json_object *mlfi_audit_json(const struct mlfi_decision *d);

#endif /* MLFI_AUDIT_H */
