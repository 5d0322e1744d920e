/* prebuilt — see prebuilt.h. */
#include "prebuilt.h"

#include <string.h>

/* src/prebuilt-table.c, when the program links it; weak: absent, NULL. */
extern const PrebuiltTable prebuilt_table __attribute__ ((weak));

guint32
prebuilt_hash (const char *regex, gsize len, guint32 options)
{
	guint32 h = 2166136261u;
	for (gsize i = 0; i < len; i++)
		h = (h ^ (guint8) regex[i]) * 16777619u;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((options >> (8 * i)) & 0xff)) * 16777619u;
	return h;
}

const PrebuiltTable *
prebuilt_get (void)
{
	return &prebuilt_table != NULL ? &prebuilt_table : NULL;
}

pcre2_code *
prebuilt_code (const char *regex, gsize len, guint32 options)
{
	if (&prebuilt_table == NULL || prebuilt_table.n_entries == 0)
		return NULL;
	const PrebuiltTable *t = &prebuilt_table;
	guint32 h = prebuilt_hash (regex, len, options);
	/* The first entry of that hash, then each of them. */
	guint32 lo = 0, hi = t->n_entries;
	while (lo < hi) {
		guint32 mid = lo + (hi - lo) / 2;
		if (t->entries[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n_entries && t->entries[lo].hash == h; lo++) {
		const PrebuiltEntry *e = &t->entries[lo];
		if (e->options != options || e->regex_len != len || memcmp (t->blob + e->regex_at, regex, len) != 0)
			continue;
		pcre2_code *code = NULL;
		if (pcre2_serialize_decode (&code, 1, t->blob + e->code_at, NULL) != 1)
			return NULL;
		return code;
	}
	return NULL;
}
