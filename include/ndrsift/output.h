/* output — the printers: the jsonl record of DESIGN.md, explain's text and
 * JSON.
 *
 * All JSON goes through json-glib; strings are made valid UTF-8 first
 * (invalid bytes become U+FFFD). Text for a terminal carries no control
 * characters: every value printed has been cleaned by `headers` or is
 * escaped here.
 *
 * Ownership: every function returns (transfer full) data to the caller. */
#ifndef NDRSIFT_OUTPUT_H
#define NDRSIFT_OUTPUT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ndrsift/verdict.h"

/* The scan record of DESIGN.md. offset < 0 writes null. extended adds the
 * explain facts (where each was found, more original fields, notes). */
JsonNode *output_record (const char *source, gint64 offset, const Verdict *v, gboolean extended);

/* One JSON text of the node, compact (jsonl) or pretty, no newline. */
char *output_json_text (JsonNode *node, gboolean pretty);

/* explain's text, for people. */
char *output_explain_text (const char *source, const Verdict *v);

/* A string safe for a terminal or a header: valid UTF-8, control
 * characters written as \xNN. */
char *output_escape (const char *text);

#endif
