/*
 * fuzz_config.c - libFuzzer target for the configuration loader
 * (dlp_config.c on top of libconfig).
 *
 * The input is written to a memory file and loaded by its /proc/self/fd
 * path.  The loader must either return a configuration whose accessors
 * give sane values (at least one server, each with a "host:port" label, a
 * milter socket, a bypass header) or NULL with an error that names the
 * file ("PATH:LINE: ..."), NUL-terminated inside the caller's buffer,
 * also when that buffer is tiny.  Inputs with @include are skipped: they
 * make libconfig read other files, which is the administrator's business,
 * not a parser property.  A violation aborts (a finding).
 */
#define _GNU_SOURCE
#include "dlpbypass.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* check_loaded - a configuration that loaded must be complete */
static void check_loaded(DLP_CONFIG *cfg, const char *path) {
  size_t i, n = dlp_config_nservers(cfg);
  const char *hdr = dlp_config_bypass_header(cfg);

  if (strcmp(dlp_config_path(cfg), path) != 0 || n < 1 ||
      dlp_config_milter_socket(cfg) == NULL || hdr == NULL || hdr[0] == 0)
    abort();
  for (i = 0; i < n; i++)
    if (dlp_config_server_label(cfg, i) == NULL ||
        strchr(dlp_config_server_label(cfg, i), ':') == NULL)
      abort();
  if (dlp_config_ref(cfg) != cfg)
    abort();
  dlp_config_unref(cfg);
}

/* load_once - load PATH with an error buffer of ERRLEN bytes and check */
static void load_once(const char *path, size_t errlen) {
  char err[1024 + 8];
  DLP_CONFIG *cfg;

  memset(err, 'Z', sizeof(err));
  cfg = dlp_config_load(path, err, errlen);
  if (err[errlen] != 'Z')
    abort(); /* wrote past the buffer */
  if (cfg != NULL) {
    check_loaded(cfg, path);
    dlp_config_unref(cfg);
    return;
  }
  if (memchr(err, 0, errlen) == NULL)
    abort(); /* not terminated */
  if (errlen > strlen(path) + 1 &&
      (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':'))
    abort(); /* error does not name the file */
}

/* LLVMFuzzerTestOneInput - one configuration file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = -1;
  char path[64];

  if (memmem(data, size, "@include", 8) != NULL)
    return 0;
  if (fd < 0 && (fd = memfd_create("fuzz_config", 0)) < 0)
    abort();
  if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
    abort();
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  load_once(path, 1024);
  load_once(path, 12);
  return 0;
}
