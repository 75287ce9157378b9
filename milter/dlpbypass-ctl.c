/*
 * dlpbypass-ctl.c - talk to a running dlpbypass-milter over its control
 * socket (DESIGN.md 5a; dlpbypass-ctl(8)).
 *
 * Contract:
 *   dlpbypass-ctl [-c FILE] [-s SOCKET] status [--json]
 *   dlpbypass-ctl [-c FILE] [-s SOCKET] bypass reset|close
 *   dlpbypass-ctl -h
 * The socket is -s SOCKET, else control.socket of the configuration
 * FILE (default SYSCONFDIR/dlpbypass.conf).  One request line is sent;
 * the milter's reply ("OK\n" and text, or "ERR why\n") is printed: the
 * text on stdout, an error on stderr.
 * Exit status: 0 the command was done; 1 the milter refused it; 2 usage
 * error or unknown command; 3 no control socket (not configured, cannot
 * connect: missing, refused, permission denied) or no reply.
 */
#include "config.h"

#include "dlpbypass.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_EXIT_REFUSED 1
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_SOCKET 3
#define CTL_TIMEOUT_MS 15000 /* the whole exchange */
#define CTL_DEFAULT_CONFIG SYSCONFDIR "/dlpbypass.conf"

/* ctl_usage - print the usage on STREAM */
static void ctl_usage(FILE *stream) {
  fprintf(stream,
          "usage: dlpbypass-ctl [-c config] [-s socket] status [--json]\n"
          "       dlpbypass-ctl [-c config] [-s socket] bypass reset\n"
          "       dlpbypass-ctl [-c config] [-s socket] bypass close\n"
          "  -c FILE    configuration file, for control.socket (default %s)\n"
          "  -s SOCKET  the control socket (overrides control.socket)\n"
          "  -h         this text\n"
          "  status         hosts, bypass episode, budget, counters\n"
          "  status --json  the same as one JSON object\n"
          "  bypass reset   refill the bypass budget, end the episode\n"
          "  bypass close   spend the bypass budget now (fail closed)\n",
          CTL_DEFAULT_CONFIG);
}

/* ctl_request - the request line of the words ARGV[0..ARGC), or NULL */
static const char *ctl_request(int argc, char **argv) {
  static const char *const known[] = {"status", "status --json", "bypass reset",
                                      "bypass close"};
  static char line[64];
  size_t i, n = 0;
  int k;

  line[0] = 0;
  for (k = 0; k < argc; k++) {
    if (strlen(argv[k]) + n + 2 > sizeof(line))
      return NULL;
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", k ? " " : "",
                          argv[k]);
  }
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(line, known[i]) == 0)
      return line;
  return NULL;
}

/* ctl_socket_path - -s SOCKET, or control.socket of PATH; NULL (said) */
static char *ctl_socket_path(const char *sock, const char *path) {
  char err[1024];
  DLP_CONFIG *cfg;
  char *p = NULL;

  if (sock != NULL)
    return strdup(sock);
  if ((cfg = dlp_config_load(path, err, sizeof(err))) == NULL) {
    fprintf(stderr, "dlpbypass-ctl: %s\n", err[0] ? err : path);
    return NULL;
  }
  if (dlp_config_control_socket(cfg) == NULL)
    fprintf(stderr,
            "dlpbypass-ctl: %s: control.socket is not set (no control "
            "socket; give one with -s)\n",
            path);
  else
    p = strdup(dlp_config_control_socket(cfg));
  dlp_config_unref(cfg);
  return p;
}

/* ctl_connect - a connection to the control socket PATH, or -1 (said) */
static int ctl_connect(const char *path) {
  struct sockaddr_un sun;
  int fd, e;

  memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(sun.sun_path)) {
    fprintf(stderr, "dlpbypass-ctl: %s: path too long for a socket\n", path);
    return -1;
  }
  memcpy(sun.sun_path, path, strlen(path));
  if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
    fprintf(stderr, "dlpbypass-ctl: socket: %s\n", strerror(errno));
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
    return fd;
  e = errno;
  close(fd);
  if (e == EACCES || e == EPERM)
    fprintf(stderr,
            "dlpbypass-ctl: %s: permission denied (the control socket is "
            "for its owner and control.group only)\n",
            path);
  else if (e == ENOENT || e == ECONNREFUSED)
    fprintf(stderr, "dlpbypass-ctl: %s: %s (is dlpbypass-milter running?)\n",
            path, strerror(e));
  else
    fprintf(stderr, "dlpbypass-ctl: %s: cannot connect: %s\n", path,
            strerror(e));
  return -1;
}

/* ctl_read_all - the whole reply from FD (malloc'd, NUL-ended), or NULL */
static char *ctl_read_all(int fd, size_t *lenp) {
  struct pollfd pfd = {fd, POLLIN, 0};
  size_t len = 0, cap = 0;
  char *buf = NULL, *p;
  ssize_t r;

  for (;;) {
    if (cap - len < 4096) {
      if ((p = realloc(buf, cap + 65536)) == NULL)
        break;
      buf = p;
      cap += 65536;
    }
    if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0)
      break;
    r = read(fd, buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (r < 0)
        break;
      buf[len] = 0;
      *lenp = len;
      return buf;
    }
    len += (size_t)r;
  }
  free(buf);
  return NULL;
}

/* ctl_exchange - send LINE on FD, print the reply; the exit status */
static int ctl_exchange(int fd, const char *path, const char *line) {
  char req[80], *reply;
  size_t len = 0, n = (size_t)snprintf(req, sizeof(req), "%s\n", line);

  if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
    fprintf(stderr, "dlpbypass-ctl: %s: cannot send: %s\n", path,
            strerror(errno));
    return CTL_EXIT_SOCKET;
  }
  if ((reply = ctl_read_all(fd, &len)) == NULL || len == 0) {
    fprintf(stderr, "dlpbypass-ctl: %s: no reply from dlpbypass-milter\n",
            path);
    free(reply);
    return CTL_EXIT_SOCKET;
  }
  if (strncmp(reply, "OK\n", 3) == 0) {
    fwrite(reply + 3, 1, len - 3, stdout);
    free(reply);
    return fflush(stdout) == 0 ? 0 : CTL_EXIT_SOCKET;
  }
  fprintf(stderr, "dlpbypass-ctl: %s",
          strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : "malformed reply\n");
  free(reply);
  return CTL_EXIT_REFUSED;
}

int main(int argc, char **argv) {
  const char *path = CTL_DEFAULT_CONFIG, *sock = NULL, *line;
  char *sockpath;
  int c, fd, status;

  while ((c = getopt(argc, argv, "+c:hs:")) != -1) {
    switch (c) {
    case 'c':
      path = optarg;
      break;
    case 's':
      sock = optarg;
      break;
    case 'h':
      ctl_usage(stdout);
      return 0;
    default:
      ctl_usage(stderr);
      return CTL_EXIT_USAGE;
    }
  }
  if (optind == argc) {
    ctl_usage(stderr);
    return CTL_EXIT_USAGE;
  }
  if ((line = ctl_request(argc - optind, argv + optind)) == NULL) {
    fprintf(stderr,
            "dlpbypass-ctl: unknown command \"%s%s\" (commands: status, "
            "status --json, bypass reset, bypass close)\n",
            argv[optind], argc - optind > 1 ? " ..." : "");
    return CTL_EXIT_USAGE;
  }
  if ((sockpath = ctl_socket_path(sock, path)) == NULL)
    return CTL_EXIT_SOCKET;
  if ((fd = ctl_connect(sockpath)) < 0) {
    free(sockpath);
    return CTL_EXIT_SOCKET;
  }
  status = ctl_exchange(fd, sockpath, line);
  close(fd);
  free(sockpath);
  return status;
}
