/* fuzz-logparse-sendmail — Sendmail syslog lines (logparse_sendmail.c, and
 * the syslog prefix of logparse.c).
 *
 * One input is one log file, read line by line through logparse_line()
 * into the importer, with the parser's state kept across its lines; see
 * logparse-common.h. Limits that apply: NS_MAX_LOG_LINE. */
#include "logparse-common.h"

/* The host field of each line names the server. */
FUZZ_LOGPARSE_HARNESS (LOG_FORMAT_SENDMAIL, NULL)
