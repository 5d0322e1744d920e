/* output — the printers: the jsonl record of doc/design.md, explain's text and
 * JSON.
 *
 * All JSON goes through json-glib; strings are made valid UTF-8 first
 * (invalid bytes become U+FFFD). Each thread keeps one record tree (and
 * one compact generator) for its life and refills it per message; they
 * are freed when the thread ends. Text for a terminal carries no control
 * characters: every value printed has been cleaned by `headers` or is
 * escaped here.
 *
 * Ownership: every function returns (transfer full) data to the caller. */
#ifndef NDRSIFT_OUTPUT_H
#define NDRSIFT_OUTPUT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ndrsift/verdict.h"

/* The scan record of doc/design.md as one JSON text, no newline: compact, or
 * with extended the explain record, pretty (the facts: where each was
 * found, more original fields, notes, every rule). offset < 0 writes
 * null. */
char *output_record_json (const char *source, gint64 offset, const Verdict *v, gboolean extended);

/* The compact record appended to out: scan's workers write into a string
 * the reading thread allocated and will free (see cmd_scan.c). */
void output_record_json_append (GString *out, const char *source, gint64 offset, const Verdict *v);

/* explain's text, for people. */
char *output_explain_text (const char *source, const Verdict *v);

/* A string safe for a terminal or a header: valid UTF-8, control
 * characters written as \xNN. */
char *output_escape (const char *text);

/* CSV (RFC 4180) for `scan --format csv`. */

/* The header row, with its CRLF. (transfer none) */
const char *output_csv_header (void);

/* Appends one field: as is when it holds no comma, double quote, CR or
 * LF (and does not start or end with a blank), else in double quotes with
 * each double quote doubled. The value is made valid UTF-8; NULL is an
 * empty field. */
void output_csv_field (GString *out, const char *value);

/* One row for a message, with its CRLF: source, offset (empty for a
 * single file), kind, verdict, score (one decimal), tests (comma-separated),
 * message_id, reporting_mta (Bounce.reporting_mta), final_recipient and
 * status (of every recipient, comma-separated), origin_ip (the hand-off
 * hop's client address). */
char *output_csv_row (const char *source, gint64 offset, const Verdict *v);

#endif
