/* fuzz-logparse-exchange — Exchange message tracking logs
 * (logparse_exchange.c: the CSV reader and the #Fields column map, which
 * later lines depend on).
 *
 * One input is one log file, read line by line through logparse_line()
 * into the importer, with the parser's state kept across its lines; see
 * logparse-common.h. Limits that apply: NS_MAX_LOG_LINE. */
#include "logparse-common.h"

/* A tracking log has no host field; --server names it. */
FUZZ_LOGPARSE_HARNESS (LOG_FORMAT_EXCHANGE, "ex1.example.com")
