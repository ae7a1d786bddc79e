/* tls.c - checking the certificate and key, lws' TLS options (see tls.h). */
#include "tls.h"
#include "../core/log.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

int tls_enabled(const config_t *cfg)
{
    return cfg->tls_cert[0] != '\0' && cfg->tls_key[0] != '\0';
}

/* OpenSSL's reason for the last failure ("no start line", "key values
 * mismatch"), or a fallback; clears the error queue. */
static const char *tls_reason(char *out, size_t cap, const char *fallback)
{
    /* The first error queued is the cause ("no start line"); later ones
     * only say which layer gave up ("PEM lib"). */
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(out, cap, "%s", r ? r : fallback);
    ERR_clear_error();
    return out;
}

/* A file that cannot be opened is named with errno's text: OpenSSL's
 * "system lib" says less. */
static int tls_readable(const char *flag, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "--%s %s: cannot read it: %s", flag, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static int tls_no_passphrase(char *buf, int size, int rwflag, void *user)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)user;
    return 0;
}

/* Loads the files into a scratch OpenSSL context: readable, PEM, no
 * passphrase, the key the certificate's. Returns 0, or -1 with err. */
static int tls_check_files(const config_t *cfg, char *err, size_t err_len)
{
    if (tls_readable("tls-cert", cfg->tls_cert, err, err_len) != 0 ||
        tls_readable("tls-key", cfg->tls_key, err, err_len) != 0)
        return -1;
    int rc = -1;
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, err_len, "TLS: OpenSSL cannot start (%s)",
                 tls_reason(why, sizeof why, "no reason given"));
        return -1;
    }
    /* An encrypted key would make OpenSSL ask for its passphrase on the
     * terminal, and a service has none: refuse it instead. */
    SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
        snprintf(err, err_len, "--tls-cert %s: not a PEM certificate (OpenSSL: %s)", cfg->tls_cert,
                 tls_reason(why, sizeof why, "unreadable"));
        goto out;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
        /* OpenSSL compares the key with the certificate as it loads it. */
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, err_len,
                     "--tls-key %s does not belong to the certificate in --tls-cert %s",
                     cfg->tls_key, cfg->tls_cert);
        else
            snprintf(err, err_len,
                     "--tls-key %s: not a PEM private key, or one with a passphrase (OpenSSL: %s)",
                     cfg->tls_key, tls_reason(why, sizeof why, "unreadable"));
        ERR_clear_error();
        goto out;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, err_len, "--tls-key %s does not belong to the certificate in --tls-cert %s",
                 cfg->tls_key, cfg->tls_cert);
        ERR_clear_error();
        goto out;
    }
    X509 *leaf = SSL_CTX_get0_certificate(ctx);
    if (leaf && X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0)
        log_warning("the certificate in --tls-cert %s has expired: clients will "
                    "refuse it",
                    cfg->tls_cert);
    rc = 0;
out:
    SSL_CTX_free(ctx);
    return rc;
}

int tls_configure(const config_t *cfg, struct lws_context_creation_info *info, char *err,
                  size_t err_len)
{
    if (!tls_enabled(cfg))
        return 0;
    if (tls_check_files(cfg, err, err_len) != 0)
        return -1;
    info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info->ssl_cert_filepath = cfg->tls_cert;
    info->ssl_private_key_filepath = cfg->tls_key;
    /* TLS 1.0 and 1.1 are broken; OpenSSL 3 refuses them at its default
     * security level already: say so rather than rely on it. */
    info->ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info->alpn = "http/1.1";
    return 0;
}

int tls_reload(const config_t *cfg, struct lws_context *context, char *err, size_t err_len)
{
    if (!tls_enabled(cfg))
        return 0;
    /* Checked first: lws loads the certificate, then the key, into the
     * vhosts' live contexts, and a pair that did not match would leave
     * them broken. lws_tls_cert_updated reports no failure of its own. */
    if (tls_check_files(cfg, err, err_len) != 0)
        return -1;
    lws_tls_cert_updated(context, cfg->tls_cert, cfg->tls_key, NULL, 0, NULL, 0);
    return 0;
}
