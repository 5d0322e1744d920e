/* output — values made safe to print: escaped for a terminal or a
 * header, quoted for CSV. The floor under every printer (printer.c), the
 * summary and the commands' messages; it knows nothing of verdicts.
 *
 * Values are made valid UTF-8 first (invalid bytes become U+FFFD); control
 * characters (C0, DEL, C1) are written as \xNN or \uNNNN, so nothing from
 * a message or a file name moves a terminal's cursor.
 *
 * Ownership: output_escape() returns (transfer full) text;
 * output_csv_field() appends to the caller's string. */
#ifndef NDRSIFT_OUTPUT_H
#define NDRSIFT_OUTPUT_H

#include <glib.h>

/* A string safe for a terminal or a header: valid UTF-8, control
 * characters written as \xNN. NULL gives "-". */
char *output_escape (const char *text);

/* Appends one CSV field (RFC 4180): as is when it holds no comma, double
 * quote, CR or LF (and does not start or end with a blank), else in
 * double quotes with each double quote doubled; control characters but
 * line breaks escaped as above. NULL is an empty field. */
void output_csv_field (GString *out, const char *value);

#endif
