/* htmlreport — scan's HTML report of a batch, drawn from its Summary.
 *
 * One self-contained document (inline CSS and SVG, nothing fetched):
 * cards with the counts, bounces per day as stacked bars by verdict (the
 * latest 120 days), the legit bounces, the top lists as bar charts and
 * tables, the counts by verdict and kind. It reads the Summary through its
 * accessors only and keeps nothing.
 *
 * Every string from a message is made valid UTF-8, its control characters
 * blanked (XML 1.0 forbids most) and escaped with g_markup_escape_text;
 * every fractional number goes through number.h (a point in any locale).
 *
 * Ownership: htmlreport_render() returns (transfer full) text. */
#ifndef NDRSIFT_HTMLREPORT_H
#define NDRSIFT_HTMLREPORT_H

#include <glib.h>

#include "summary.h"

char *htmlreport_render (const Summary *s);

#endif
