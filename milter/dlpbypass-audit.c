/*
 * dlpbypass-audit.c - checks the hash chain of dlpbypass-milter's audit
 * trail (issue 11; DESIGN.md 5a).
 *
 * Contract:
 *   dlpbypass-audit verify [--prev HEX] FILE...
 *     reads each FILE line by line; every line must be one JSON object
 *     whose "prev" is the hex SHA-256 of the line before it (without its
 *     newline, audit_chain.h).  The first line of the first FILE is
 *     checked against HEX when --prev is given (else taken as it is);
 *     the first line of each further FILE against the last line of the
 *     FILE before it (the files in the order logrotate made them:
 *     oldest first).  Prints "FILE: N lines, chain ok" for each good
 *     file, or "FILE:LINE: what is wrong" for the first bad line and
 *     stops there.  A changed line breaks the link of the line after it
 *     (or is no JSON any more); a deleted or moved line breaks the link
 *     where it was.
 *   dlpbypass-audit last FILE
 *     prints the link of FILE's last line (the "prev" its successor must
 *     carry), to anchor the chain elsewhere or to pass to --prev.
 * Exit status: 0 chain ok; 1 a bad line; 2 usage error or unreadable file.
 */
#include "config.h"

#include "audit_chain.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_EXIT_BAD 1
#define AUDIT_EXIT_USAGE 2

/* audit_usage - the usage text on stderr; AUDIT_EXIT_USAGE */
static int audit_usage(void) {
  fprintf(stderr, "usage: dlpbypass-audit verify [--prev HEX] FILE...\n"
                  "       dlpbypass-audit last FILE\n");
  return AUDIT_EXIT_USAGE;
}

/* audit_is_link - HEX is 64 lowercase hex digits */
static int audit_is_link(const char *hex) {
  size_t i;

  for (i = 0; i < AUDIT_CHAIN_HEXLEN; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
      return 0;
  return hex[i] == '\0';
}

/*
 * audit_prev_of - the "prev" of LINE (LEN bytes) into PREV; NULL, or
 * what is wrong with the line
 */
static const char *audit_prev_of(const char *line, size_t len, char prev[65]) {
  struct json_tokener *tok = json_tokener_new();
  struct json_object *o, *p;
  const char *why = NULL;

  if (tok == NULL)
    return "out of memory";
  o = json_tokener_parse_ex(tok, line, (int)len);
  if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
      json_tokener_get_parse_end(tok) != len)
    why = "not a JSON object";
  else if (!json_object_is_type(o, json_type_object))
    why = "not a JSON object";
  else if (!json_object_object_get_ex(o, "prev", &p) ||
           !json_object_is_type(p, json_type_string) ||
           !audit_is_link(json_object_get_string(p)))
    why = "no \"prev\" member of 64 hex digits";
  else
    snprintf(prev, 65, "%s", json_object_get_string(p));
  json_object_put(o);
  json_tokener_free(tok);
  return why;
}

/*
 * audit_verify_file - check PATH; LINK is the expected "prev" of its
 * first line ("" when unknown) and becomes its last line's link; 0,
 * AUDIT_EXIT_BAD or AUDIT_EXIT_USAGE
 */
static int audit_verify_file(const char *path, char link[65]) {
  FILE *fp = fopen(path, "r");
  char *line = NULL, prev[65];
  unsigned long nr = 0;
  size_t cap = 0, len;
  const char *why = NULL;
  ssize_t n;

  if (fp == NULL) {
    fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
    return AUDIT_EXIT_USAGE;
  }
  while (why == NULL && (n = getline(&line, &cap, fp)) >= 0) {
    nr++;
    len = (size_t)n;
    if (len == 0 || line[len - 1] != '\n')
      why = "last line has no newline (cut short)";
    else if ((why = audit_prev_of(line, --len, prev)) != NULL)
      ;
    else if (link[0] != '\0' && strcmp(prev, link) != 0)
      why = nr == 1 ? "\"prev\" does not match the line before this file"
                    : "\"prev\" is not the hash of the line before: that "
                      "line was changed, or lines were deleted or moved here";
    else
      audit_chain_hex(line, len, link);
  }
  if (why == NULL && ferror(fp))
    fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
  else if (why != NULL)
    printf("%s:%lu: %s\n", path, nr, why);
  else
    printf("%s: %lu lines, chain ok\n", path, nr);
  n = ferror(fp) ? AUDIT_EXIT_USAGE : why != NULL ? AUDIT_EXIT_BAD : 0;
  free(line);
  fclose(fp);
  return (int)n;
}

/* audit_verify - verify [--prev HEX] FILE... */
static int audit_verify(int argc, char **argv) {
  char link[65] = "";
  int i = 0, rc;

  if (argc >= 2 && strcmp(argv[0], "--prev") == 0) {
    if (!audit_is_link(argv[1])) {
      fprintf(stderr, "dlpbypass-audit: --prev needs 64 lowercase hex "
                      "digits\n");
      return AUDIT_EXIT_USAGE;
    }
    snprintf(link, sizeof(link), "%s", argv[1]);
    i = 2;
  }
  if (i >= argc)
    return audit_usage();
  for (; i < argc; i++)
    if ((rc = audit_verify_file(argv[i], link)) != 0)
      return rc;
  return 0;
}

/* audit_last - print the link of PATH's last line */
static int audit_last(const char *path) {
  FILE *fp = fopen(path, "r");
  char *line = NULL, *last = NULL, hex[65];
  size_t cap = 0, len = 0;
  ssize_t n;

  if (fp == NULL) {
    fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
    return AUDIT_EXIT_USAGE;
  }
  while ((n = getline(&line, &cap, fp)) > 0) {
    free(last);
    len = (size_t)n - (line[n - 1] == '\n');
    if ((last = strndup(line, len)) == NULL)
      break;
  }
  fclose(fp);
  free(line);
  if (last == NULL) {
    printf("%s\n", AUDIT_CHAIN_ZERO);
    return 0;
  }
  audit_chain_hex(last, len, hex);
  free(last);
  printf("%s\n", hex);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "verify") == 0)
    return audit_verify(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "last") == 0)
    return audit_last(argv[2]);
  return audit_usage();
}
