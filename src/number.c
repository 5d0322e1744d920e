/* number — locale-independent number formatting. See src/number.h. */
#include "number.h"

const char *
number_format (char buf[NUMBER_BUF], double value, int decimals)
{
	/* g_ascii_formatd: printf's conversion in the C locale. */
	static const char *const formats[] = { "%.0f", "%.1f", "%.2f", "%.3f", "%.4f",
	                                       "%.5f", "%.6f", "%.7f", "%.8f", "%.9f" };
	return g_ascii_formatd (buf, NUMBER_BUF, formats[CLAMP (decimals, 0, 9)], value);
}

const char *
number_score (char buf[NUMBER_BUF], double score)
{
	return number_format (buf, score, 1);
}

double
number_score_value (double score)
{
	char buf[NUMBER_BUF];
	return g_ascii_strtod (number_score (buf, score), NULL);
}
