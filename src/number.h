/* number — every fractional number ndrsift prints, formatted in one place.
 *
 * printf's %f follows the locale's LC_NUMERIC, which main() takes from the
 * environment (setlocale): under de_DE.UTF-8 a score would read "8,0" and
 * an SVG coordinate "56,8", which no reader of the header, the CSV or the
 * chart expects. These functions always write "." and ASCII digits, with
 * no grouping, whatever the locale. (Whole numbers are printed with %d and
 * friends, which no locale changes without the ' flag.)
 *
 * Ownership: the caller's buffer; nothing is allocated. JSON numbers are
 * json-glib's, which writes them in the C locale too; a score in JSON is
 * number_score_value(), the value its text shows. */
#ifndef NDRSIFT_NUMBER_H
#define NDRSIFT_NUMBER_H

#include <glib.h>

/* Room for a number below 10^50 with up to 9 decimals (scores, chart
 * coordinates and rates are far smaller); a longer one would be cut. */
#define NUMBER_BUF 64

/* value with `decimals` (0 to 9) digits after the point, rounded as printf
 * rounds, into buf. Returns: buf. */
const char *number_format (char buf[NUMBER_BUF], double value, int decimals);

/* For a printf argument list: a number in a buffer that lives until the
 * end of the full expression that holds it (a compound literal). */
#define NUMBER(value, decimals) number_format ((char[NUMBER_BUF]) { 0 }, (value), (decimals))

/* A score, printed one way everywhere (the header, check, scan, explain,
 * CSV, JSON, the rules list): one decimal. Returns: buf. */
const char *number_score (char buf[NUMBER_BUF], double score);

#define SCORE(value) number_score ((char[NUMBER_BUF]) { 0 }, (value))

/* The number number_score() writes, for a JSON number: the record says
 * what the text says. */
double number_score_value (double score);

#endif
