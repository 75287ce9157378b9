/*
 * test_policy.c - the bypass policy settings (dlp_policy.c): address
 * rules (exact, @domain and subdomains, never a look-alike domain),
 * header rules ("Name: value", unfolded, case-insensitive), max_size and
 * the budget limits, and bad rules refused with file, line and index.
 */
#include "dlp_private.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_policy.XXXXXX";

#define SERVER "dlp: { servers = ( { host = \"127.0.0.1\"; port = 25; } ); };\n"

/* load - TEXT as a configuration; NULL with ERR on error */
static DLP_CONFIG *load(const char *text, char *err, size_t errlen) {
  static int n;
  char path[256];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/p%d.conf", tmpdir, ++n);
  if ((fp = fopen(path, "w")) == NULL) {
    perror(path);
    exit(1);
  }
  fputs(text, fp);
  fclose(fp);
  return dlp_config_load(path, err, errlen);
}

struct addr_case {
  const char *rule, *addr;
  int want;
};

static const struct addr_case addr_cases[] = {
    {"ceo@example.com", "ceo@example.com", 1},
    {"ceo@example.com", "CEO@Example.COM", 1},
    {"ceo@example.com", "ceo2@example.com", 0},
    {"ceo@example.com", "xceo@example.com", 0},
    {"ceo@example.com", "ceo@example.com.evil", 0},
    {"@example.com", "a@example.com", 1},
    {"@example.com", "a@EXAMPLE.com", 1},
    {"@example.com", "a@sub.example.com", 1},
    {"@example.com", "a@deep.sub.example.com", 1},
    {"@example.com", "a@example.com.", 1},
    {"@example.com", "a@badexample.com", 0},
    {"@example.com", "a@example.com.evil", 0},
    {"@example.com", "example.com", 0},
    {"@example.com", "", 0},
    {"@example.com", "\"a@b\"@example.com", 1},
    {"@example.com", "a@example.com@evil.test", 0},
};

/* test_addresses - dlp_policy_addr_match over the table */
static void test_addresses(void) {
  size_t i;

  for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++)
    tap_ok(dlp_policy_addr_match(addr_cases[i].rule, addr_cases[i].addr) ==
               addr_cases[i].want,
           "rule %s %s address %s", addr_cases[i].rule,
           addr_cases[i].want ? "matches" : "does not match",
           addr_cases[i].addr);
}

/* test_rules - a full bypass.never, matched through the configuration */
static void test_rules(void) {
  char err[512];
  DLP_CONFIG *cfg =
      load(SERVER "bypass: {\n budget: { max_duration = 900; max_messages = 3;"
                  " max_bytes = 5000; state_file = \"/tmp/x.state\"; };\n"
                  " never: {\n  senders = ( \"ceo@example.com\","
                  " \"@finance.example.com\" );\n"
                  "  recipients = \"@competitor.example\";\n"
                  "  headers = ( \"^Sensitivity: *Company-Confidential\","
                  " \"^msip_labels:.*Enabled=true\" );\n"
                  "  max_size = 10000;\n };\n};\n",
           err, sizeof(err));

  if (!tap_ok(cfg != NULL, "a full bypass.never loads (%s)", err))
    return;
  tap_ok(dlp_config_budget_max_duration(cfg) == 900 &&
             dlp_config_budget_max_messages(cfg) == 3 &&
             dlp_config_budget_max_bytes(cfg) == 5000,
         "budget limits copied");
  tap_ok(strcmp(dlp_config_budget_state_file(cfg), "/tmp/x.state") == 0,
         "state_file copied");
  tap_ok(dlp_config_never_max_size(cfg) == 10000, "max_size copied");
  tap_ok(dlp_policy_never_sender(cfg, "CEO@example.com"), "sender exact");
  tap_ok(dlp_policy_never_sender(cfg, "a@pay.finance.example.com"),
         "sender subdomain");
  tap_ok(!dlp_policy_never_sender(cfg, "a@example.com"),
         "sender of the parent domain does not match");
  tap_ok(!dlp_policy_never_sender(cfg, ""), "null sender does not match");
  tap_ok(dlp_policy_never_recipient(cfg, "x@competitor.example"),
         "recipient (a single string rule)");
  tap_ok(!dlp_policy_never_recipient(cfg, "ceo@example.com"),
         "sender rules are not recipient rules");
  tap_ok(dlp_policy_never_header(cfg, "Sensitivity", "Company-Confidential"),
         "header: value without its leading space");
  tap_ok(dlp_policy_never_header(cfg, "sensitivity", " company-confidential"),
         "header: any case, value with its leading space");
  tap_ok(dlp_policy_never_header(cfg, "msip_labels",
                                 " MSIP_Label_1_Enabled=true;\r\n\t"
                                 "MSIP_Label_1_SiteId=x"),
         "header: msip_labels, folded");
  tap_ok(dlp_policy_never_header(cfg, "msip_labels",
                                 " MSIP_Label_1_SiteId=x;\r\n"
                                 "\tMSIP_Label_1_Enabled=true"),
         "header: the match after the fold (CR LF removed)");
  tap_ok(!dlp_policy_never_header(cfg, "X-Sensitivity", "Company-Confidential"),
         "header: anchored at the field name");
  tap_ok(!dlp_policy_never_header(cfg, "Subject",
                                  "Sensitivity: Company-Confidential"),
         "header: a value quoting the rule does not match");
  dlp_config_unref(cfg);

  cfg = load(SERVER, err, sizeof(err));
  if (tap_ok(cfg != NULL, "no bypass group loads")) {
    tap_ok(dlp_config_budget_max_messages(cfg) == 0 &&
               dlp_config_never_max_size(cfg) == 0,
           "no limits by default");
    tap_ok(strcmp(dlp_config_budget_state_file(cfg),
                  "/var/lib/dlpbypass/budget.state") == 0,
           "default state file");
    tap_ok(!dlp_policy_never_sender(cfg, "ceo@example.com") &&
               !dlp_policy_never_header(cfg, "Sensitivity", "x"),
           "no rules by default");
    dlp_config_unref(cfg);
  }
}

struct bad {
  const char *name, *text;
  int line;
  const char *want;
};

static const struct bad bads[] = {
    {"bad regex, third entry",
     SERVER "bypass: {\n never: {\n  headers = ( \"^a\",\n \"^b\",\n"
            " \"(unclosed\" );\n };\n};\n",
     6, "bypass.never.headers[2]: bad regular expression: "},
    {"bad regex, one string",
     SERVER "bypass: {\n never: {\n  headers = \"a[\";\n };\n};\n", 4,
     "bypass.never.headers[0]: bad regular expression: "},
    {"empty regex",
     SERVER "bypass: {\n never: {\n  headers = ( \"\" );\n };\n};\n", 4,
     "must not be empty"},
    {"sender without @",
     SERVER "bypass: {\n never: {\n  senders = ( \"example.com\" );\n };\n};\n",
     4, "bypass.never.senders: \"example.com\" is not an address"},
    {"recipient with a bad domain",
     SERVER "bypass: {\n never: {\n  recipients = ( \"a@b..c\" );\n };\n};\n",
     4, "bypass.never.recipients: \"a@b..c\""},
    {"recipient in <>",
     SERVER "bypass: {\n never: {\n  recipients = ( \"<a@b.c>\" );\n };\n};\n",
     4, "bypass.never.recipients"},
    {"negative max_messages",
     SERVER "bypass: {\n budget: {\n  max_messages = -1;\n };\n};\n", 4,
     "bypass.budget.max_messages: -1 is out of range"},
    {"unknown budget key",
     SERVER "bypass: {\n budget: {\n  max_msgs = 1;\n };\n};\n", 4,
     "unknown key 'bypass.budget.max_msgs'"},
    {"max_size a string",
     SERVER "bypass: {\n never: {\n  max_size = \"10M\";\n };\n};\n", 4,
     "bypass.never.max_size: expected an integer"},
};

/* test_bad - each bad file refused with its line and message */
static void test_bad(void) {
  char err[512], want_line[32];
  DLP_CONFIG *cfg;
  size_t i;

  for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
    cfg = load(bads[i].text, err, sizeof(err));
    snprintf(want_line, sizeof(want_line), ".conf:%d: ", bads[i].line);
    tap_ok(cfg == NULL && strstr(err, want_line) != NULL &&
               strstr(err, bads[i].want) != NULL,
           "%s refused at line %d (%s)", bads[i].name, bads[i].line, err);
    if (cfg != NULL)
      dlp_config_unref(cfg);
  }
}

/* main - run every check */
int main(void) {
  char cmd[64];
  int rc;

  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_addresses();
  test_rules();
  test_bad();
  rc = tap_done();
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
