/* fuzz-config — the config file parser (config_load: GKeyFile, then every
 * key of doc/design.md "Config": lists, numbers with their ranges, CIDR
 * networks, the header name, [batv] keys; errors located as file:line),
 * then config_is_local_address() over the parsed networks.
 *
 * The input is the file's text. It is handed to config_load() by path, as
 * --config does, through a memfd (no disk writes per input). Nothing the
 * config names is opened: its rule directories and sent log are only
 * strings here. No limits.h bound applies; GKeyFile reads the whole file. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"

static int fd = -1;       /* the memfd, for the whole run */
static char *path;        /* /proc/self/fd/N */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fd = memfd_create ("fuzz.conf", MFD_CLOEXEC);
	if (fd < 0) {
		perror ("fuzz-config: memfd_create");
		abort ();
	}
	path = g_strdup_printf ("/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	if (ftruncate (fd, 0) != 0 || pwrite (fd, data, size, 0) != (ssize_t) size)
		abort ();
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) config = config_load (path, NULL, NULL, &error);
	if (config == NULL) {
		/* Every error names the file (and the line where known). */
		if (error == NULL || !g_str_has_prefix (error->message, path))
			abort ();
		return 0;
	}
	static const char *const addresses[] = {
		"192.0.2.10", "203.0.113.5", "2001:db8:10::1", "::ffff:192.0.2.10", "::", "0.0.0.0", "not an address", "",
	};
	for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
		(void) config_is_local_address (config, addresses[i]);
	return 0;
}
