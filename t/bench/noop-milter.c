/*
 * noop-milter.c - the floor of "make bench": a libmilter milter that does
 * nothing, negotiated exactly as dlpbypass-milter is (no HELO, DATA or
 * unknown-command steps; no replies to header fields and end of header;
 * a reply to every body chunk; header values with their leading space)
 * and with a per-connection context allocated and freed the same way, so
 * that the difference to dlpbypass-milter is our own work.
 *
 * Usage: noop-milter [-H] SOCKET
 *   -H  add one header field at end of message (X-DLP-Bypass: noop), as a
 *       bypass does (figure NH); without it, ACCEPT unchanged (figure N).
 * Runs in the foreground until SIGTERM/SIGINT (libmilter's handling).
 * Like dlpbypass-milter, it sets TCP_NODELAY on a TCP listening socket
 * (found among its descriptors after smfi_opensocket), so that the floor
 * has the same socket behaviour as the milter it is compared with.
 */
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int noop_addhdr; /* -H */

/* noop_negotiate - the protocol steps of dlpbypass-milter */
static sfsistat noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3,
                               unsigned long *pf0, unsigned long *pf1,
                               unsigned long *pf2, unsigned long *pf3) {
  (void)f2;
  (void)f3;
  if (smfi_getpriv(ctx) == NULL) {
    void *conn = calloc(1, 64);

    if (conn == NULL || smfi_setpriv(ctx, conn) != MI_SUCCESS) {
      free(conn);
      return SMFIS_TEMPFAIL;
    }
  }
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOHELO | SMFIP_NR_HDR | SMFIP_NR_EOH |
               SMFIP_NODATA | SMFIP_NOUNKNOWN);
  *pf2 = 0;
  *pf3 = 0;
  return SMFIS_CONTINUE;
}

/* noop_connect - nothing to do */
static sfsistat noop_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr) {
  (void)ctx;
  (void)host;
  (void)addr;
  return SMFIS_CONTINUE;
}

/* noop_envfrom - nothing to do */
static sfsistat noop_envfrom(SMFICTX *ctx, char **argv) {
  (void)ctx;
  (void)argv;
  return SMFIS_CONTINUE;
}

/* noop_envrcpt - nothing to do */
static sfsistat noop_envrcpt(SMFICTX *ctx, char **argv) {
  (void)ctx;
  (void)argv;
  return SMFIS_CONTINUE;
}

/* noop_header - no reply was negotiated */
static sfsistat noop_header(SMFICTX *ctx, char *name, char *value) {
  (void)ctx;
  (void)name;
  (void)value;
  return SMFIS_NOREPLY;
}

/* noop_eoh - no reply was negotiated */
static sfsistat noop_eoh(SMFICTX *ctx) {
  (void)ctx;
  return SMFIS_NOREPLY;
}

/* noop_body - one chunk, answered */
static sfsistat noop_body(SMFICTX *ctx, unsigned char *chunk, size_t len) {
  (void)ctx;
  (void)chunk;
  (void)len;
  return SMFIS_CONTINUE;
}

/* noop_eom - ACCEPT, after one added header field with -H */
static sfsistat noop_eom(SMFICTX *ctx) {
  if (noop_addhdr && smfi_addheader(ctx, (char *)"X-DLP-Bypass",
                                    (char *)" noop") != MI_SUCCESS)
    return SMFIS_TEMPFAIL;
  return SMFIS_ACCEPT;
}

/* noop_close - free the connection context */
static sfsistat noop_close(SMFICTX *ctx) {
  free(smfi_getpriv(ctx));
  smfi_setpriv(ctx, NULL);
  return SMFIS_CONTINUE;
}

/* noop_nodelay - TCP_NODELAY on the listening TCP socket(s) */
static void noop_nodelay(void) {
  int fd, on = 1, listening;
  socklen_t len;
  struct sockaddr_storage ss;

  for (fd = 3; fd < 64; fd++) {
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        !listening)
      continue;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
}

int main(int argc, char **argv) {
  struct smfiDesc desc;
  int c;

  while ((c = getopt(argc, argv, "H")) != -1) {
    if (c != 'H') {
      fprintf(stderr, "usage: noop-milter [-H] SOCKET\n");
      return 2;
    }
    noop_addhdr = 1;
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "usage: noop-milter [-H] SOCKET\n");
    return 2;
  }
  memset(&desc, 0, sizeof(desc));
  desc.xxfi_name = (char *)"noop-milter";
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
  desc.xxfi_connect = noop_connect;
  desc.xxfi_envfrom = noop_envfrom;
  desc.xxfi_envrcpt = noop_envrcpt;
  desc.xxfi_header = noop_header;
  desc.xxfi_eoh = noop_eoh;
  desc.xxfi_body = noop_body;
  desc.xxfi_eom = noop_eom;
  desc.xxfi_close = noop_close;
  desc.xxfi_negotiate = noop_negotiate;
  if (smfi_setconn(argv[optind]) != MI_SUCCESS ||
      smfi_register(desc) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
    fprintf(stderr, "noop-milter: cannot listen on %s\n", argv[optind]);
    return 1;
  }
  noop_nodelay();
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
