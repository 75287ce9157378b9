/*
 * test_dial.c - dlp_resolve (numeric addresses, /etc/hosts names, the
 * last good addresses kept when a lookup fails) and dlp_dial's failure
 * kinds (refused: NET; no descriptor left: LOCAL; deadline past:
 * DEADLINE; no address: DNS).  Real sockets on 127.0.0.1, ports
 * 20200-20209.  The /etc/hosts checks run in a private mount namespace
 * of this process, where a file of the test is bind-mounted over
 * /etc/hosts and a resolv.conf naming 127.0.0.1 over /etc/resolv.conf
 * (so a name missing from the file fails at once, with no traffic
 * leaving the machine); they are skipped when that is refused (not
 * root).
 */
#define _GNU_SOURCE
#include "tap.h"

#include "dlp_dial.h"
#include "dlp_resolve.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT_REFUSED 20200
#define PORT_LISTEN 20201

static char hosts_path[64] = "", resolv_path[64] = "";

/* write_file - PATH gets TEXT (truncated in place: same inode) */
static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");

  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

/* private_etc - own /etc/hosts and /etc/resolv.conf: 1, or 0 (skip) */
static int private_etc(void) {
  int fd;

  snprintf(hosts_path, sizeof(hosts_path), "/tmp/test_dial.hosts.XXXXXX");
  snprintf(resolv_path, sizeof(resolv_path), "/tmp/test_dial.resolv.XXXXXX");
  if ((fd = mkstemp(hosts_path)) < 0)
    return 0;
  close(fd);
  if ((fd = mkstemp(resolv_path)) < 0)
    return 0;
  close(fd);
  if (write_file(resolv_path, "nameserver 127.0.0.1\noptions attempts:1\n") <
          0 ||
      unshare(CLONE_NEWNS) < 0 ||
      mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount(hosts_path, "/etc/hosts", "none", MS_BIND, NULL) < 0 ||
      mount(resolv_path, "/etc/resolv.conf", "none", MS_BIND, NULL) < 0)
    return 0;
  return 1;
}

/* addr_is - address I of A is the numeric TEXT */
static int addr_is(const DLP_ADDRS *a, size_t i, const char *text) {
  char buf[64];

  return strcmp(dlp_addrs_text(a, i, buf, sizeof(buf)), text) == 0;
}

/* test_numeric - numeric addresses need no lookup */
static void test_numeric(void) {
  char err[256] = "";
  DLP_ADDRS *a = dlp_addrs_lookup("127.0.0.1", 1000, err, sizeof(err));
  DLP_ADDRS *b = dlp_addrs_lookup("::1", 1000, err, sizeof(err));
  DLP_RESOLVER *r = dlp_resolver_create(1000);
  DLP_ADDRS *c;

  tap_ok(dlp_addrs_count(a) == 1 && addr_is(a, 0, "127.0.0.1"),
         "numeric IPv4 address");
  tap_ok(dlp_addrs_count(b) == 1 &&
             dlp_addrs_get(b, 0, NULL)->sa_family == AF_INET6 &&
             addr_is(b, 0, "::1"),
         "numeric IPv6 address");
  c = dlp_resolver_get(r, "127.0.0.2", err, sizeof(err));
  tap_ok(c == NULL && strstr(err, "no address known for 127.0.0.2") != NULL,
         "get before any lookup: NULL, \"%s\"", err);
  tap_ok(dlp_resolver_refresh(r, "127.0.0.2", err, sizeof(err)) == 0 &&
             (c = dlp_resolver_get(r, "127.0.0.2", err, sizeof(err))) != NULL &&
             addr_is(c, 0, "127.0.0.2"),
         "refresh then get: a numeric address cached");
  dlp_addrs_free(c);
  dlp_resolver_free(r);
  dlp_addrs_free(a);
  dlp_addrs_free(b);
}

/* test_hosts - names of /etc/hosts; the last good kept on failure */
static void test_hosts(void) {
  char err[256] = "";
  DLP_RESOLVER *r = dlp_resolver_create(2000);
  DLP_ADDRS *a;
  int64_t t0;

  write_file(hosts_path, "127.0.0.1 localhost\n127.0.0.7 dlp1.test\n"
                         "127.0.0.8 dlp2.test\n127.0.0.9 dlp2.test\n");
  tap_ok(dlp_resolver_refresh(r, "dlp1.test", err, sizeof(err)) == 0,
         "refresh of a name in /etc/hosts: 0 (%s)", err);
  a = dlp_resolver_get(r, "dlp1.test", err, sizeof(err));
  tap_ok(dlp_addrs_count(a) == 1 && addr_is(a, 0, "127.0.0.7"),
         "its address cached");
  dlp_addrs_free(a);
  tap_ok(dlp_resolver_refresh(r, "dlp2.test", err, sizeof(err)) == 0 &&
             (a = dlp_resolver_get(r, "dlp2.test", err, sizeof(err))) != NULL,
         "a name with two addresses");
  tap_ok(dlp_addrs_count(a) == 2, "both addresses kept (%zu)",
         dlp_addrs_count(a));
  dlp_addrs_free(a);

  write_file(hosts_path, "127.0.0.1 localhost\n");
  t0 = dlp_now_ms();
  tap_ok(dlp_resolver_refresh(r, "dlp1.test", err, sizeof(err)) == -1,
         "refresh of a name gone: -1 in %lld ms: %s",
         (long long)(dlp_now_ms() - t0), err);
  a = dlp_resolver_get(r, "dlp1.test", err, sizeof(err));
  tap_ok(dlp_addrs_count(a) == 1 && addr_is(a, 0, "127.0.0.7"),
         "the last good address kept");
  dlp_addrs_free(a);
  tap_ok(dlp_resolver_refresh(r, "nothere.test", err, sizeof(err)) == -1 &&
             dlp_resolver_get(r, "nothere.test", err, sizeof(err)) == NULL &&
             strstr(err, "no address known for nothere.test: ") != NULL,
         "never resolved: NULL, \"%s\"", err);
  tap_ok(dlp_resolve_check("nothere.test", 2000, err, sizeof(err)) == -1 &&
             strstr(err, "cannot resolve nothere.test") != NULL,
         "dlp_resolve_check: \"%s\"", err);
  tap_ok(dlp_resolve_check("localhost", 2000, err, sizeof(err)) == 0,
         "dlp_resolve_check localhost: 0");
  dlp_resolver_free(r);
}

/* dial_to - dial 127.0.0.1:PORT until done (or 5 s); the dial */
static DLP_DIAL *dial_to(unsigned port, int64_t deadline) {
  DLP_ADDRS *a = dlp_addrs_lookup("127.0.0.1", 1000, NULL, 0);
  DLP_DIAL *d = dlp_dial_start(a, "dlp.test", port, 2000, 250, deadline);

  dlp_addrs_free(a);
  if (d != NULL)
    (void)dlp_dial_wait(d, dlp_now_ms() + 5000);
  return d;
}

/* listener - a socket listening on 127.0.0.1:PORT, or -1 */
static int listener(unsigned port) {
  struct sockaddr_in sin;
  int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* test_dial_kinds - why a dial failed */
static void test_dial_kinds(void) {
  int64_t far = dlp_now_ms() + 60000;
  struct rlimit old, low;
  DLP_DIAL *d;
  DLP_IO *io = NULL;
  int lfd = listener(PORT_LISTEN), fd;

  d = dial_to(PORT_LISTEN, far);
  tap_ok(lfd >= 0 && dlp_dial_errkind(d) == DLP_DIAL_ERR_NONE &&
             (io = dlp_dial_take(d)) != NULL,
         "a listening port connects (%s)", dlp_dial_label(d));
  if (lfd >= 0 && io != NULL)
    dlp_io_close(io);
  dlp_dial_free(d);
  if (lfd >= 0)
    close(lfd);

  d = dial_to(PORT_REFUSED, far);
  tap_ok(dlp_dial_errkind(d) == DLP_DIAL_ERR_NET &&
             strstr(dlp_dial_error(d), "Connection refused") != NULL,
         "refused: NET (%s)", dlp_dial_error(d));
  dlp_dial_free(d);

  /* no descriptor left: the lowest free one becomes the limit */
  fd = dup(0);
  getrlimit(RLIMIT_NOFILE, &old);
  low = old;
  low.rlim_cur = (rlim_t)fd;
  close(fd);
  setrlimit(RLIMIT_NOFILE, &low);
  d = dial_to(PORT_REFUSED, far);
  setrlimit(RLIMIT_NOFILE, &old);
  tap_ok(dlp_dial_errkind(d) == DLP_DIAL_ERR_LOCAL &&
             strstr(dlp_dial_error(d), "Too many open files") != NULL,
         "socket() EMFILE: LOCAL (%s)", dlp_dial_error(d));
  dlp_dial_free(d);

  d = dial_to(PORT_REFUSED, dlp_now_ms() - 1);
  tap_ok(dlp_dial_errkind(d) == DLP_DIAL_ERR_DEADLINE,
         "deadline already past: DEADLINE (%s)", dlp_dial_error(d));
  dlp_dial_free(d);

  d = dlp_dial_start(NULL, "dlp.test", PORT_REFUSED, 1000, 250, far);
  tap_ok(d != NULL && dlp_dial_wait(d, 0) == DLP_IO_ERROR &&
             dlp_dial_errkind(d) == DLP_DIAL_ERR_DNS,
         "no address: DNS (%s)", dlp_dial_error(d));
  dlp_dial_free(d);
}

/* main - run the checks */
int main(void) {
  int etc = private_etc();

  test_numeric();
  if (etc)
    test_hosts();
  else
    printf("# skipped the /etc/hosts checks: no private mount namespace\n");
  test_dial_kinds();
  if (hosts_path[0])
    unlink(hosts_path);
  if (resolv_path[0])
    unlink(resolv_path);
  return tap_done();
}
