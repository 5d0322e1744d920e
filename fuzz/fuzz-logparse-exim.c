/* fuzz-logparse-exim — Exim mainlog lines (logparse_exim.c).
 *
 * One input is one log file, read line by line through logparse_line()
 * into the importer, with the parser's state kept across its lines; see
 * logparse-common.h. Limits that apply: NS_MAX_LOG_LINE. */
#include "logparse-common.h"

/* A mainlog has no host field; --server names it. */
FUZZ_LOGPARSE_HARNESS (LOG_FORMAT_EXIM, "mx1.example.com")
