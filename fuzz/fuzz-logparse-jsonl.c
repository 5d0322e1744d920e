/* fuzz-logparse-jsonl — jsonl sent-log records (logparse_jsonl.c, json-
 * glib underneath).
 *
 * One input is one log file, read line by line through logparse_line()
 * into the importer, with the parser's state kept across its lines; see
 * logparse-common.h. Limits that apply: NS_MAX_LOG_LINE. */
#include "logparse-common.h"

/* Each record names its server. */
FUZZ_LOGPARSE_HARNESS (LOG_FORMAT_JSONL, NULL)
