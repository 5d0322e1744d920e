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

char *
address_normalise (const char *address, const char *delimiters)
{
	if (address == NULL)
		return NULL;
	g_autofree char *a = g_strstrip (g_strdup (address));
	gsize n = strlen (a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		memmove (a, a + 1, n - 2);
		a[n - 2] = '\0';
		g_strstrip (a);
	}
	if (a[0] == '\0')
		return g_strdup ("");

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
