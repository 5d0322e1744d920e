/* address — normalisation, string work only. See src/address.h.
 *
 * SRS0=HHH=TT=domain=local@forwarder   -> local@domain
 * SRS1=HHH=forwarder==HHH=TT=domain=local@forwarder2 -> local@domain
 * prvs=KDDDSSSSSS=local@domain          -> local@domain (BATV)
 * Only the first wrapper is undone: a hostile address cannot make us loop. */
#include <string.h>

#include "address.h"

/* Undoes SRS in local@forwarder; returns the new local part and sets
 * *domain, or NULL when it is not SRS. */
static char *
unsrs (const char *local, char **domain)
{
	const char *p;
	if (g_ascii_strncasecmp (local, "SRS0=", 5) == 0 || g_ascii_strncasecmp (local, "SRS0+", 5) == 0 ||
	    g_ascii_strncasecmp (local, "SRS0-", 5) == 0)
		p = local + 5;
	else if (g_ascii_strncasecmp (local, "SRS1=", 5) == 0 || g_ascii_strncasecmp (local, "SRS1+", 5) == 0) {
		const char *dd = strstr (local, "==");
		if (dd == NULL)
			return NULL;
		p = dd + 2;
	} else
		return NULL;
	/* p: HHH=TT=domain=local */
	g_auto (GStrv) parts = g_strsplit (p, "=", 4);
	if (g_strv_length (parts) != 4 || !parts[2][0] || !parts[3][0])
		return NULL;
	*domain = g_strdup (parts[2]);
	return g_strdup (parts[3]);
}

/* An address with a wrapper (s: trimmed, its brackets gone, len > 0). */
static char *
unwrap (const char *s, gsize len, const char *delimiters)
{
	g_autofree char *a = g_strndup (s, len);
	char *at = strrchr (a, '@');
	g_autofree char *local = at ? g_strndup (a, at - a) : g_strdup (a);
	g_autofree char *domain = at ? g_strdup (at + 1) : NULL;

	g_autofree char *srs_domain = NULL;
	g_autofree char *srs_local = unsrs (local, &srs_domain);
	if (srs_local) {
		g_free (local);
		local = g_steal_pointer (&srs_local);
		g_free (domain);
		domain = g_steal_pointer (&srs_domain);
	} else if (g_ascii_strncasecmp (local, "prvs=", 5) == 0) {
		const char *eq = strchr (local + 5, '=');
		if (eq && eq[1]) {
			char *rest = g_strdup (eq + 1);
			g_free (local);
			local = rest;
		}
	}
	if (delimiters && *delimiters) {
		gsize cut = strcspn (local, delimiters);
		if (cut > 0) /* "+foo@x" keeps its name: there is nothing before the delimiter */
			local[cut] = '\0';
	}
	if (domain == NULL)
		return g_steal_pointer (&local);
	g_autofree char *lower = g_ascii_strdown (domain, -1);
	return g_strconcat (local, "@", lower, NULL);
}

static void
trim (const char **s, const char **e)
{
	while (*s < *e && g_ascii_isspace (**s))
		(*s)++;
	while (*e > *s && g_ascii_isspace ((*e)[-1]))
		(*e)--;
}

char *
address_normalise (const char *address, const char *delimiters)
{
	if (address == NULL)
		return NULL;
	const char *s = address, *e = address + strlen (address);
	trim (&s, &e);
	if (e - s >= 2 && s[0] == '<' && e[-1] == '>') {
		s++, e--;
		trim (&s, &e);
	}
	if (s == e)
		return g_strdup ("");
	/* Wrappers are rare; the plain address (an importer's every line)
	 * takes one allocation. */
	if (g_ascii_strncasecmp (s, "SRS", 3) == 0 || g_ascii_strncasecmp (s, "prvs=", 5) == 0)
		return unwrap (s, e - s, delimiters);
	const char *at = e;
	while (at > s && at[-1] != '@')
		at--;
	at = at > s ? at - 1 : NULL;
	gsize local = at ? (gsize) (at - s) : (gsize) (e - s), cut = 0;
	while (delimiters && *delimiters && cut < local && strchr (delimiters, s[cut]) == NULL)
		cut++;
	if (cut > 0) /* "+foo@x" keeps its name: there is nothing before the delimiter */
		local = cut;
	gsize domain = at ? (gsize) (e - at - 1) : 0;
	char *out = g_malloc (local + (at ? 1 + domain : 0) + 1), *d = out + local;
	memcpy (out, s, local);
	if (at) {
		*d++ = '@';
		for (gsize i = 0; i < domain; i++)
			*d++ = g_ascii_tolower (at[1 + i]);
	}
	*d = '\0';
	return out;
}
