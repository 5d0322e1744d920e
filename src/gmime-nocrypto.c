/* gmime-nocrypto — GMime without its OpenPGP and S/MIME back ends.
 *
 * Linked only when GMime comes from its static archive (configure.ac,
 * --enable-static-deps). g_mime_init() registers GMime's gpgme-based
 * crypto contexts; these definitions take their place, so that the linker
 * leaves gmime-gpg-context.o and gmime-pkcs7-context.o out, and gpgme,
 * libassuan and libgpg-error with them: three libraries fewer for the
 * dynamic loader at every start. They do what a GMime built with
 * --disable-crypto does: no context, so a signed or encrypted part parses
 * as usual and only verifying or decrypting it (which ndrsift never does)
 * would fail. GMime's headers check the prototypes; configure's link test
 * includes this file, so a GMime whose archive needs more falls back to
 * the shared library. */
#include <gmime/gmime.h>

/* gpgme_check_version() is a macro for this; GMime calls it once at init. */
const char *gpgme_check_version_internal (const char *req_version, size_t offset_sig_validity);

const char *
gpgme_check_version_internal (const char *req_version, size_t offset_sig_validity)
{
	return NULL; /* no gpgme */
}

GMimeCryptoContext *
g_mime_gpg_context_new (void)
{
	return NULL;
}

GMimeCryptoContext *
g_mime_pkcs7_context_new (void)
{
	return NULL;
}

GType
g_mime_gpg_context_get_type (void)
{
	return G_TYPE_INVALID;
}

GType
g_mime_pkcs7_context_get_type (void)
{
	return G_TYPE_INVALID;
}
