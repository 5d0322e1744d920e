/* address — mail addresses compared the way DESIGN.md "Addresses" says:
 * angle brackets and blanks dropped, the domain lower-cased, a BATV
 * "prvs=TAG=" wrapper and SRS0/SRS1 rewriting undone, and the extension
 * after a recipient delimiter removed (VERP return paths of our own lists
 * are "list+user=host@domain": the extension goes with it).
 *
 * Ownership: address_normalise() returns a new string (transfer full). */
#ifndef NDRSIFT_ADDRESS_H
#define NDRSIFT_ADDRESS_H

#include <glib.h>

/* delimiters: the characters that start an extension (Postfix's
 * recipient_delimiter may list several), or NULL/"" for none.
 * Returns: (transfer full) the normalised address; "" for the null
 * sender "<>"; NULL for NULL. */
char *address_normalise (const char *address, const char *delimiters);

#endif
