/*
 * test_config.c - configuration loading (dlp_config.c): good files with
 * every value checked, and every kind of bad file, each of which must be
 * refused with a message that names the file and the line.
 */
#include "dlp_private.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_config.XXXXXX";

/* write_conf - TEXT into a new file in tmpdir; its path (static buffer) */
static const char *write_conf(const char *text) {
  static char path[256];
  static int n;
  FILE *fp;

  snprintf(path, sizeof(path), "%s/c%d.conf", tmpdir, ++n);
  fp = fopen(path, "w");
  if (fp == NULL) {
    perror(path);
    exit(1);
  }
  fputs(text, fp);
  fclose(fp);
  return path;
}

/* srcfile - path of a file under t/unit in the source tree */
static const char *srcfile(const char *rel) {
  static char path[1024];
  const char *top = getenv("top_srcdir");

  snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
  return path;
}

/* strip_names - the strip list of CFG joined by ',' (static buffer) */
static const char *strip_names(const DLP_CONFIG *cfg) {
  static char buf[1024];
  const char *name;
  size_t i, n = 0;

  buf[0] = 0;
  for (i = 0; (name = dlp_config_strip_header(cfg, i)) != NULL; i++)
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", name);
  return buf;
}

#define SERVER "dlp: { servers = ( { host = \"127.0.0.1\"; port = 25; } ); };\n"

struct bad {
  const char *name;
  const char *text;
  int line;         /* the line the message must name */
  const char *want; /* and a piece of its text */
};

static const struct bad bads[] = {
    {"syntax error",
     "dlp: {\n  servers = ( { host = \"a\"; port = ; } );\n};\n", 2,
     "syntax error"},
    {"unterminated group", SERVER "milter: {\n", 3, "syntax error"},
    {"duplicate key",
     SERVER "bypass: {\n enabled = true;\n enabled = false;\n};\n", 4,
     "duplicate"},
    {"unknown top-level key", SERVER "\nfoo = 1;\n", 3, "unknown key 'foo'"},
    {"unknown key in milter", SERVER "milter: {\n  sockett = \"x\";\n};\n", 3,
     "unknown key 'milter.sockett'"},
    {"unknown key in dlp",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n foo = 3;\n};\n", 3,
     "unknown key 'dlp.foo'"},
    {"unknown key in a server",
     "dlp: {\n servers = (\n { host = \"a\"; port = 1; },\n"
     " { host = \"b\";\n port = 2;\n colour = 3; } );\n};\n",
     6, "unknown key 'dlp.servers[1].colour'"},
    {"unknown key in dlp.tls", SERVER "dlp2: 1;\n", 2, "unknown key 'dlp2'"},
    {"unknown key in dlp.tls group",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n tls: {\n"
     "  level = \"none\";\n  cafile = \"x\";\n };\n};\n",
     5, "unknown key 'dlp.tls.cafile'"},
    {"unknown key in bypass", SERVER "bypass: {\n  enable = true;\n};\n", 3,
     "unknown key 'bypass.enable'"},
    {"port is a string",
     "dlp: {\n servers = ( { host = \"a\";\n port = \"25\"; } );\n};\n", 3,
     "dlp.servers[0].port: expected an integer"},
    {"timeout is a float",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " connect_timeout = 1.5;\n};\n",
     3, "expected an integer"},
    {"enabled is a string", SERVER "bypass: {\n enabled = \"yes\";\n};\n", 3,
     "bypass.enabled: expected true or false"},
    {"header is an integer", SERVER "bypass: {\n header = 5;\n};\n", 3,
     "expected a string"},
    {"milter is not a group", SERVER "milter = \"inet:1@a\";\n", 2,
     "milter: expected a group"},
    {"servers is a group",
     "dlp: {\n servers = { host = \"a\"; port = 1; };\n};\n", 2,
     "expected a list"},
    {"server is not a group", "dlp: {\n servers = ( \"a:25\" );\n};\n", 2,
     "expected a group"},
    {"port 0", "dlp: {\n servers = ( { host = \"a\"; port = 0; } );\n};\n", 2,
     "out of range"},
    {"port 65536",
     "dlp: {\n servers = ( { host = \"a\";\n\n port = 65536; } );\n};\n", 4,
     "65536 is out of range (1..65535)"},
    {"connect_timeout 0",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " connect_timeout = 0;\n};\n",
     3, "dlp.connect_timeout: 0 is out of range"},
    {"command_timeout 3601",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " command_timeout = 3601;\n};\n",
     3, "dlp.command_timeout: 3601 is out of range"},
    {"data_timeout negative",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " data_timeout = -1;\n};\n",
     3, "dlp.data_timeout"},
    {"session_deadline 0",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " session_deadline = 0;\n};\n",
     3, "dlp.session_deadline"},
    {"session_deadline below twice connect_timeout, two servers",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; },\n"
     " { host = \"b\"; port = 1; } );\n connect_timeout = 5;\n"
     " session_deadline = 9;\n};\n",
     5,
     "dlp.session_deadline (9 s) must be at least twice "
     "dlp.connect_timeout (5 s) with 2 servers"},
    {"connect_timeout above the default session_deadline, one server",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " connect_timeout = 30;\n};\n",
     3,
     "dlp.session_deadline (25 s) must be at least dlp.connect_timeout "
     "(30 s) with 1 server"},
    {"health retry_max below retry_min",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n health: {\n"
     "  retry_min = 10;\n  retry_max = 5;\n };\n};\n",
     5, "dlp.health.retry_max: 5 is below dlp.health.retry_min (10)"},
    {"health retry_max below retry_min, retry_max first",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " health: { retry_max = 2;\n retry_min = 3; };\n};\n",
     3, "retry_max: 2 is below"},
    {"spill_size too small", SERVER "milter: {\n spill_size = 4095;\n};\n", 3,
     "milter.spill_size: 4095 is out of range"},
    {"spill_size too big", SERVER "milter: {\n spill_size = 1073741825L;\n};\n",
     3, "milter.spill_size"},
    {"no servers", "dlp: {\n servers = ( );\n};\n", 2, "at least one server"},
    {"no servers key", "dlp: {\n connect_timeout = 5;\n};\n", 1,
     "at least one server"},
    {"no dlp group", "bypass: { enabled = true; };\n", 1,
     "at least one server"},
    {"empty file", "", 1, "at least one server"},
    {"server without host", "dlp: {\n servers = ( { port = 25; } );\n};\n", 2,
     "host is required"},
    {"server without port", "dlp: {\n servers = ( { host = \"a\"; } );\n};\n",
     2, "port is required"},
    {"empty host", "dlp: {\n servers = ( { host = \"\"; port = 1; } );\n};\n",
     2, "must not be empty"},
    {"host with a space",
     "dlp: {\n servers = ( { host = \"a b\"; port = 1; } );\n};\n", 2,
     "dlp.servers[0].host"},
    {"host with CR LF",
     "dlp: {\n servers = ( { host = \"a\\r\\nRCPT\"; port = 1; } );\n};\n", 2,
     "control"},
    {"helo_name with a space",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " helo_name = \"gw example\";\n};\n",
     3, "dlp.helo_name"},
    {"bad tls level",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " tls: {\n  level = \"secure\";\n };\n};\n",
     4, "none, may, encrypt, verify"},
    {"bad per-server tls_level",
     "dlp: {\n servers = ( { host = \"a\"; port = 1;\n"
     " tls_level = \"NONE\"; } );\n};\n",
     3, "dlp.servers[0].tls_level"},
    {"fingerprint too short",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " tls: {\n  fingerprint = [ \"AB:CD\" ];\n };\n};\n",
     4, "dlp.tls.fingerprint"},
    {"fingerprint not hex",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n tls: {\n"
     "  fingerprint = [\n"
     "\"ZZ:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
     "89:AB:CD:EF:01:23:45:67:89\" ];\n };\n};\n",
     5, "SHA-256"},
    {"fingerprint is a number",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " tls: {\n  fingerprint = [ 1 ];\n };\n};\n",
     4, "list of strings"},
    {"header with a colon", SERVER "bypass: {\n header = \"X-Foo:\";\n};\n", 3,
     "bypass.header"},
    {"header with a space", SERVER "bypass: {\n header = \"X Foo\";\n};\n", 3,
     "header field name"},
    {"empty header", SERVER "bypass: {\n header = \"\";\n};\n", 3,
     "must not be empty"},
    {"strip_headers name with a colon",
     SERVER "milter: {\n strip_headers = (\n \"X-Ok\",\n \"X-Bad:\" );\n};\n",
     5, "milter.strip_headers: \"X-Bad:\" is not a header field name"},
    {"strip_headers name with a space",
     SERVER "milter: {\n strip_headers = ( \"X Bad\" );\n};\n", 3,
     "header field name"},
    {"strip_headers empty name",
     SERVER "milter: {\n strip_headers = ( \"\" );\n};\n", 3,
     "must not be empty"},
    {"strip_headers not strings",
     SERVER "milter: {\n strip_headers = ( 1 );\n};\n", 3, "list of strings"},
    {"strip_headers a group",
     SERVER "milter: {\n strip_headers = { a = \"b\"; };\n};\n", 3,
     "milter.strip_headers"},
    {"unknown key beside strip_headers",
     SERVER "milter: {\n strip_header = ( \"X-A\" );\n};\n", 3,
     "unknown key 'milter.strip_header'"},
    {"socket without scheme", SERVER "milter: {\n socket = \"10030\";\n};\n", 3,
     "milter.socket"},
    {"socket inet without port",
     SERVER "milter: {\n socket = \"inet:@127.0.0.1\";\n};\n", 3,
     "port number"},
    {"socket inet port 70000",
     SERVER "milter: {\n socket = \"inet:70000@127.0.0.1\";\n};\n", 3,
     "milter.socket"},
    {"socket unix relative", SERVER "milter: {\n socket = \"unix:sock\";\n};\n",
     3, "absolute path"},
    {"socket inet bad host",
     SERVER "milter: {\n socket = \"inet:10030@a b\";\n};\n", 3, "bad host"},
    {"empty tmpdir", SERVER "milter: {\n tmpdir = \"\";\n};\n", 3,
     "milter.tmpdir"},
    {"unusable TLS setting (protocols) found at load",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; } );\n"
     " tls: {\n  level = \"encrypt\";\n  protocols = \"SSLv3\";\n };\n};\n",
     3, "protocols"},
    {"unreadable CA file with a TLS server override",
     "dlp: {\n servers = ( { host = \"a\"; port = 1; },\n"
     " { host = \"b\"; port = 1; tls_level = \"verify\"; } );\n"
     " tls: {\n  ca_file = \"/nonexistent/ca.pem\";\n };\n};\n",
     4, "ca_file"},
    /* audit (issue 11: audit trail) */
    {"audit.file relative", SERVER "audit: {\n file = \"audit.jsonl\";\n};\n",
     3, "audit.file: \"audit.jsonl\" is not an absolute file name"},
    {"audit.what unknown", SERVER "audit: {\n what = \"some\";\n};\n", 3,
     "is not one of all, bypass"},
    {"audit.fsync unknown", SERVER "audit: {\n fsync = \"sometimes\";\n};\n", 3,
     "is not one of always, bypass, never"},
    {"audit unknown key", SERVER "audit: {\n files = \"/a\";\n};\n", 3,
     "unknown key 'audit.files'"},
};

/* test_bad - each bad file is refused naming file and line */
static void test_bad(void) {
  char err[512], prefix[300];
  size_t i;

  for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
    const char *path = write_conf(bads[i].text);
    DLP_CONFIG *cfg = dlp_config_load(path, err, sizeof(err));
    int ok;

    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bads[i].line);
    ok = cfg == NULL && strncmp(err, prefix, strlen(prefix)) == 0 &&
         strstr(err, bads[i].want) != NULL;
    if (!tap_ok(ok, "bad: %s", bads[i].name))
      printf("#   got %s: '%s'\n#   want '%s...%s'\n",
             cfg ? "a config" : "NULL", err, prefix, bads[i].want);
    dlp_config_unref(cfg);
  }
}

/* test_missing_file - a file that does not exist */
static void test_missing_file(void) {
  char err[512];
  DLP_CONFIG *cfg = dlp_config_load("/nonexistent/dlp.conf", err, sizeof(err));

  tap_ok(cfg == NULL && strstr(err, "/nonexistent/dlp.conf:") == err &&
             strstr(err, "No such file") != NULL,
         "missing file named with the reason (%s)", err);
}

/* test_minimal - one server, every default */
static void test_minimal(void) {
  char err[512], host[256];
  DLP_CONFIG *cfg =
      dlp_config_load(srcfile("t/unit/conf/minimal.conf"), err, sizeof(err));

  if (!tap_ok(cfg != NULL, "minimal.conf loads (%s)", cfg ? "" : err))
    return;
  if (gethostname(host, sizeof(host)) < 0)
    host[0] = 0;
  tap_ok(strcmp(dlp_config_milter_socket(cfg), "inet:10030@127.0.0.1") == 0,
         "default milter.socket");
  tap_ok(cfg->spill_size == 1048576, "default milter.spill_size");
  tap_ok(strcmp(cfg->tmpdir, "/var/tmp") == 0, "default milter.tmpdir");
  tap_ok(dlp_config_nservers(cfg) == 1 && cfg->servers[0].port == 10025 &&
             strcmp(cfg->servers[0].host, "127.0.0.1") == 0,
         "one server");
  tap_ok(strcmp(dlp_config_server_label(cfg, 0), "127.0.0.1:10025") == 0,
         "server label host:port");
  tap_ok(dlp_config_server_label(cfg, 1) == NULL, "label out of range NULL");
  tap_ok(cfg->connect_timeout == 5 && cfg->command_timeout == 10 &&
             cfg->data_timeout == 120 && cfg->session_deadline == 25,
         "default timeouts 5/10/120, session_deadline 25");
  tap_ok(cfg->helo_name != NULL && strcmp(cfg->helo_name, host) == 0,
         "default helo_name is gethostname() (%s)", cfg->helo_name);
  tap_ok(cfg->tls.level == DLP_TLS_NONE &&
             cfg->servers[0].tls_level == DLP_TLS_NONE && cfg->tls_ctx == NULL,
         "default tls level none, no TLS context");
  tap_ok(cfg->tls.ca_file == NULL && cfg->tls.nfingerprints == 0 &&
             cfg->tls.fingerprints != NULL && cfg->tls.fingerprints[0] == NULL,
         "no TLS files, empty fingerprint list");
  tap_ok(dlp_config_bypass_enabled(cfg) == 1, "default bypass.enabled true");
  tap_ok(strcmp(dlp_config_bypass_header(cfg), "X-DLP-Bypass") == 0,
         "default bypass.header");
  tap_ok(strcmp(dlp_config_path(cfg), srcfile("t/unit/conf/minimal.conf")) == 0,
         "path kept");
  /* references: two refs, two unrefs */
  tap_ok(dlp_config_ref(cfg) == cfg && cfg->refcount == 2, "ref counts up");
  dlp_config_unref(cfg);
  tap_ok(cfg->refcount == 1, "unref counts down");
  dlp_config_unref(cfg);
}

/* test_full - every key set */
static void test_full(void) {
  char err[512];
  DLP_CONFIG *cfg =
      dlp_config_load(srcfile("t/unit/conf/full.conf"), err, sizeof(err));

  if (!tap_ok(cfg != NULL, "full.conf loads (%s)", cfg ? "" : err))
    return;
  tap_ok(strcmp(cfg->milter_socket, "unix:/run/dlpbypass/milter.sock") == 0,
         "milter.socket");
  tap_ok(cfg->spill_size == 65536 && strcmp(cfg->tmpdir, "/tmp") == 0,
         "milter.spill_size, milter.tmpdir");
  tap_ok(cfg->nservers == 3, "three servers");
  tap_ok(strcmp(cfg->servers[0].label, "dlp1.example.com:10025") == 0 &&
             strcmp(cfg->servers[1].label, "10.0.0.6:2525") == 0 &&
             strcmp(cfg->servers[2].label, "[::1]:587") == 0,
         "labels (IPv6 in brackets)");
  tap_ok(cfg->servers[0].tls_level == DLP_TLS_MAY &&
             cfg->servers[1].tls_level == DLP_TLS_NONE &&
             cfg->servers[2].tls_level == DLP_TLS_VERIFY,
         "per-server tls_level overrides dlp.tls.level");
  tap_ok(cfg->connect_timeout == 2 && cfg->command_timeout == 10 &&
             cfg->data_timeout == 60 && cfg->session_deadline == 20,
         "timeouts");
  tap_ok(strcmp(cfg->helo_name, "gw.example.com") == 0, "helo_name");
  tap_ok(cfg->tls.level == DLP_TLS_MAY && cfg->tls.ca_file == NULL &&
             strcmp(cfg->tls.ca_path, "/etc/ssl/certs") == 0 &&
             strcmp(cfg->tls.match, "dlp.example.com") == 0 &&
             strcmp(cfg->tls.protocols, "TLSv1.3") == 0 &&
             strcmp(cfg->tls.ciphers, "HIGH:!aNULL") == 0,
         "dlp.tls strings");
  tap_ok(cfg->tls.nfingerprints == 2 &&
             strncmp(cfg->tls.fingerprints[0], "AB:CD:EF", 8) == 0 &&
             strncmp(cfg->tls.fingerprints[1], "abcdef01", 8) == 0 &&
             cfg->tls.fingerprints[2] == NULL,
         "dlp.tls.fingerprint list");
  tap_ok(cfg->tls_ctx != NULL, "TLS context built");
  tap_ok(!dlp_config_bypass_enabled(cfg) &&
             strcmp(dlp_config_bypass_header(cfg), "X-DLP-Skipped") == 0,
         "bypass.enabled false, bypass.header");
  tap_ok(strcmp(strip_names(cfg), "X-CFilter-Loop,X-Spam-Flag,X-DLP-Skipped,"
                                  "X-DLP-Rescan") == 0,
         "milter.strip_headers (and bypass.header, bypass.rescan.header)");
  dlp_config_unref(cfg);
}

/* test_good_variants - other forms that must load */
static void test_good_variants(void) {
  static const char *const goods[] = {
      SERVER "milter: { socket = \"inet:10030\"; };\n",
      SERVER "milter: { socket = \"inet6:10030@::1\"; };\n",
      SERVER "milter: { socket = \"local:/var/run/m.sock\"; };\n",
      SERVER "milter: { spill_size = 4096; };\n",
      SERVER "milter: { spill_size = 1073741824L; };\n",
      "dlp: { servers = ( { host = \"a\"; port = 65535; } );"
      " connect_timeout = 3600; session_deadline = 3600; };\n",
      "dlp: { servers = ( { host = \"a\"; port = 1; }, { host = \"b\"; port = "
      "1; } );"
      " connect_timeout = 5; command_timeout = 30; session_deadline = 10; };\n",
      "dlp: { servers = ( { host = \"a\"; port = 1; } );"
      " tls: { fingerprint = \""
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\"; }; };\n",
      "dlp: { servers = ( { host = \"a\"; port = 1; } );"
      " tls: { level = \"none\"; ca_file = \"/nonexistent\"; }; };\n",
      SERVER "bypass: { enabled = false; header = \"X-A_b.c!~\"; };\n",
  };
  char err[512];
  size_t i;

  for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
    DLP_CONFIG *cfg = dlp_config_load(write_conf(goods[i]), err, sizeof(err));

    tap_ok(cfg != NULL, "good variant %zu loads (%s)", i, cfg ? "" : err);
    dlp_config_unref(cfg);
  }
}

/* strip_case - TEXT loads and its strip list is WANT */
static void strip_case(const char *text, const char *want, const char *what) {
  char err[512];
  DLP_CONFIG *cfg = dlp_config_load(write_conf(text), err, sizeof(err));

  if (!tap_ok(cfg != NULL && strcmp(strip_names(cfg), want) == 0,
              "strip_headers: %s", what))
    printf("#   got '%s' (%s)\n#   want '%s'\n", cfg ? strip_names(cfg) : "",
           cfg ? "" : err, want);
  dlp_config_unref(cfg);
}

/* test_strip_headers - default, explicit lists, bypass.header always in */
static void test_strip_headers(void) {
  char text[4096], list[3000];
  size_t n = 0;
  int i;

  strip_case(SERVER, "X-DLP-Bypass,X-CFilter-Loop,X-DLP-Rescan", "default");
  strip_case(SERVER "bypass: { header = \"X-Corp-Bypass\"; };\n",
             "X-DLP-Bypass,X-CFilter-Loop,X-Corp-Bypass,X-DLP-Rescan",
             "default plus another bypass.header");
  strip_case(SERVER "milter: { strip_headers = ( \"X-Spam-Flag\" ); };\n",
             "X-Spam-Flag,X-DLP-Bypass,X-DLP-Rescan",
             "own list, bypass.header added");
  strip_case(SERVER "milter: { strip_headers = \"X-One\"; };\n",
             "X-One,X-DLP-Bypass,X-DLP-Rescan", "a single string");
  strip_case(SERVER "milter: { strip_headers = ( ); };\n",
             "X-DLP-Bypass,X-DLP-Rescan", "empty list: bypass.header only");
  strip_case(SERVER "milter: { strip_headers = [ \"x-cfilter-loop\","
                    " \"X-CFILTER-LOOP\", \"x-dlp-bypass\" ]; };\n",
             "x-cfilter-loop,x-dlp-bypass,X-DLP-Rescan",
             "duplicates (any case) once");
  /* bypass.rescan.header (issue 10): stripped whether or not it is on */
  strip_case(SERVER "bypass: { rescan: { header = \"X-Corp-Rescan\"; }; };\n",
             "X-DLP-Bypass,X-CFilter-Loop,X-Corp-Rescan",
             "bypass.rescan.header added");
  strip_case(SERVER "milter: { strip_headers = ( \"x-dlp-rescan\" ); };\n",
             "x-dlp-rescan,X-DLP-Bypass", "bypass.rescan.header once");
  for (i = 0; i < 65; i++)
    n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"X-H%d\"",
                          i ? ", " : "", i);
  snprintf(text, sizeof(text),
           SERVER "milter: {\n strip_headers = ( %s );\n};\n", list);
  {
    char err[512];
    DLP_CONFIG *cfg = dlp_config_load(write_conf(text), err, sizeof(err));

    tap_ok(cfg == NULL &&
               strstr(err, ":3: milter.strip_headers: more than 64") != NULL,
           "strip_headers: 65 names refused (%s)", err);
    dlp_config_unref(cfg);
  }
}

/* test_health_defaults - an unset retry_max is at least retry_min */
static void test_health_defaults(void) {
  char err[512];
  DLP_CONFIG *cfg;

  cfg = dlp_config_load(
      write_conf("dlp: { servers = ( { host = \"a\"; port = 1; } );"
                 " health: { retry_min = 10; }; };\n"),
      err, sizeof(err));
  tap_ok(cfg != NULL && cfg->health_retry_min == 10 &&
             cfg->health_retry_max == 10,
         "retry_min 10, retry_max unset: retry_max 10 (%s)", cfg ? "" : err);
  dlp_config_unref(cfg);
  cfg = dlp_config_load(
      write_conf("dlp: { servers = ( { host = \"a\"; port = 1; } );"
                 " health: { retry_min = 7; retry_max = 7; }; };\n"),
      err, sizeof(err));
  tap_ok(cfg != NULL && cfg->health_retry_max == 7,
         "retry_max equal to retry_min loads (%s)", cfg ? "" : err);
  dlp_config_unref(cfg);
  cfg = dlp_config_load(write_conf(SERVER), err, sizeof(err));
  tap_ok(cfg != NULL && cfg->health_retry_min == 1 &&
             cfg->health_retry_max == 5,
         "health defaults 1 and 5 (%s)", cfg ? "" : err);
  dlp_config_unref(cfg);
}

/* test_audit - audit.* defaults and values (issue 11: audit trail) */
static void test_audit(void) {
  char err[512];
  DLP_CONFIG *cfg = dlp_config_load(write_conf(SERVER), err, sizeof(err));

  tap_ok(cfg != NULL && dlp_config_audit_file(cfg) == NULL &&
             dlp_config_audit_what(cfg) == DLP_AUDIT_ALL &&
             dlp_config_audit_fsync(cfg) == DLP_AUDIT_FSYNC_ALWAYS,
         "audit defaults: no file, what all, fsync always");
  dlp_config_unref(cfg);
  cfg = dlp_config_load(write_conf(SERVER "audit: { file = \"/var/a.jsonl\"; "
                                          "what = \"bypass\"; fsync = "
                                          "\"never\"; };\n"),
                        err, sizeof(err));
  tap_ok(cfg != NULL &&
             strcmp(dlp_config_audit_file(cfg), "/var/a.jsonl") == 0 &&
             dlp_config_audit_what(cfg) == DLP_AUDIT_BYPASS &&
             dlp_config_audit_fsync(cfg) == DLP_AUDIT_FSYNC_NEVER,
         "audit file, what bypass, fsync never (%s)", cfg ? "" : err);
  dlp_config_unref(cfg);
}

/* test_sample - the annotated sample postfix-conf/dlpbypass.conf loads */
static void test_sample(void) {
  char err[512];
  const char *path = srcfile("postfix-conf/dlpbypass.conf");
  DLP_CONFIG *cfg;

  if (access(path, R_OK) != 0) {
    tap_ok(1, "# SKIP sample %s not there", path);
    return;
  }
  cfg = dlp_config_load(path, err, sizeof(err));
  tap_ok(cfg != NULL, "postfix-conf/dlpbypass.conf loads (%s)", cfg ? "" : err);
  dlp_config_unref(cfg);
}

int main(void) {
  char cmd[300];
  int rc;

  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_bad();
  test_missing_file();
  test_minimal();
  test_full();
  test_good_variants();
  test_health_defaults();
  test_strip_headers();
  test_sample();
  test_audit();
  rc = tap_done();
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
