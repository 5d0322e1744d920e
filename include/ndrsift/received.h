/* received — parse one Received header value into a hop.
 *
 * Handles the shapes real MTAs write (Postfix, Sendmail, Exim, qmail,
 * Exchange, Gmail, Courier, ...): "from HELO (RDNS [IP]) by HOST with P id
 * Q for <A>; DATE", Exim's "from RDNS ([IP] helo=HELO)", qmail's "from RDNS
 * (HELO name) (IP)", IPv6 literals, ports. Never fails: what it cannot find
 * stays NULL. Input is hostile: the value is read once, left to right,
 * bounded by NS_MAX_HEADER_VALUE, with no recursion.
 *
 * Ownership: received_parse() returns a new hop (transfer full) that owns
 * all its strings; free it with received_hop_free() or g_autoptr. */
#ifndef NDRSIFT_RECEIVED_H
#define NDRSIFT_RECEIVED_H

#include <glib.h>

typedef struct {
	char *from_helo;   /* the name the client gave in HELO/EHLO, or NULL */
	char *from_rdns;   /* the client's reverse-DNS name as the receiver recorded it;
	                      NULL when absent or "unknown" */
	char *from_ip;     /* client address, IPv4 or IPv6, without brackets or "IPv6:";
	                      an IPv4-mapped IPv6 address is given as IPv4 */
	char *by;          /* the receiving host */
	char *with;        /* protocol (ESMTP, ESMTPSA, SMTP, LMTP, local, ...) */
	char *id;          /* the receiver's queue id */
	char *for_addr;    /* the "for <addr>" address, without angle brackets */
	char *date;        /* the text after the last ';' outside comments, as written
	                      but with white space runs collapsed */
	gint64 time;       /* date as Unix seconds; 0 when missing or unparseable */
	gboolean authenticated; /* ESMTPA/ESMTPSA/LMTPA/..., Postfix "(Authenticated sender:",
	                           Sendmail "(authenticated ...", Courier "AUTH:"; only in
	                           comments before by/with/id/for (the client writes the rest) */
} ReceivedHop;

/* Parses a Received value (unfolded or folded; CR/LF/TAB count as space).
 * Returns: (transfer full) a hop, never NULL. */
ReceivedHop *received_parse (const char *value);

void received_hop_free (ReceivedHop *hop);

/* Parses an RFC 5322 date (with the usual real-world deviations) to Unix
 * seconds. Returns 0 when it cannot. */
gint64 received_parse_date (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReceivedHop, received_hop_free)

#endif
