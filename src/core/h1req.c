/* h1req.c - the OTLP port's incremental HTTP/1.1 request reader (see h1req.h).
 *
 * A byte-at-a-time state machine over RFC 9112: nothing of the input is
 * kept between calls except what the struct holds, so any split of the
 * bytes into h1req_feed() calls gives the same result as one call. The
 * head is copied into the fixed fields as it arrives; header names are
 * matched against the few this reader acts on while they are read; body
 * bytes (Content-Length, chunk data) are appended in runs, not per byte.
 *
 * The private fields of h1req_t carry the position:
 *   chunk_phase  the phase (low 8 bits, P_* / V_* / B_* / C_* / T_* below)
 *                and the flags of the head (F_* above them);
 *   head_bytes   bytes of the head so far, then of the trailers too (both
 *                count against max_head);
 *   headers      header lines so far;
 *   ext_bytes    the position inside the current item: empty lines before
 *                the request line, method, target, version or header name
 *                length, value length, hex digits, extension bytes;
 *   chunk_left   the version digits (request line), the candidate names
 *                (header name), the Content-Length being read, the chunk
 *                size being read, then the chunk bytes still to come.
 * O(1) per head byte; body runs cost one buf_append each.
 */
#include "h1req.h"

#include <string.h>

/* Empty lines accepted before the request line (RFC 9112 2.2 allows some). */
#define H1REQ_EMPTY_LINES_MAX 4
/* Bytes of a chunk extension, from the end of the size to the line end. */
#define H1REQ_EXT_MAX 256
/* Hex digits of a chunk size: 16 fit a uint64_t. */
#define H1REQ_SIZE_DIGITS_MAX 16

enum {
    /* the request line */
    P_START,    /* before it: empty lines are skipped */
    P_START_LF, /* the CR of an empty line seen */
    P_METHOD,
    P_TARGET0, /* the first byte of the target */
    P_TARGET,
    P_STAR, /* the target "*": a space must follow */
    P_VERSION,
    P_RL_LF, /* CR after the version seen */
    /* header lines */
    P_LINE, /* the start of a line: a name, or the empty line */
    P_NAME,
    P_LF,     /* CR at the end of a header line seen */
    P_END_LF, /* CR of the empty line ending the head seen */
    /* header values, one phase per kind of header this reader acts on */
    V_HOST,
    V_CTYPE,
    V_CENC,
    V_AUTH,
    V_CL,
    V_CL_OWS, /* whitespace after the digits: only more may follow */
    V_TE,
    V_TE_OWS, /* whitespace after "chunked" */
    V_CONN,
    V_EXPECT,
    V_EXPECT_OWS, /* whitespace after "100-continue" */
    V_OTHER,
    /* the body */
    B_LENGTH,   /* Content-Length bytes */
    C_SIZE,     /* chunk size digits */
    C_SIZE_OWS, /* whitespace after the size: a ';' must follow */
    C_EXT,      /* a chunk extension, up to the line end */
    C_SIZE_LF,  /* CR at the end of the size line seen */
    C_DATA,
    C_DATA_CR, /* after the data: CRLF (or LF) */
    C_DATA_LF,
    T_LINE, /* the start of a trailer line, or the final empty line */
    T_NAME,
    T_VALUE,
    T_LF,     /* CR at the end of a trailer line seen */
    T_END_LF, /* CR of the final empty line seen */
};

#define PHASE_MASK 0xff
#define F_HOST     (1 << 8)  /* a Host line was read */
#define F_CTYPE    (1 << 9)  /* a Content-Type line was read */
#define F_CENC     (1 << 10) /* a Content-Encoding line was read */
#define F_CLOSE    (1 << 11) /* Connection names "close" */
#define F_KA       (1 << 12) /* Connection names "keep-alive" */
#define F_AUTH     (1 << 13) /* an Authorization line was read */

/* The header names this reader acts on, lower case, in candidate-bit order. */
enum { N_HOST, N_CTYPE, N_CENC, N_AUTH, N_CL, N_TE, N_CONN, N_EXPECT, N_COUNT };
static const char *const h1req_names[N_COUNT] = {
    [N_HOST] = "host",         [N_CTYPE] = "content-type",   [N_CENC] = "content-encoding",
    [N_CL] = "content-length", [N_TE] = "transfer-encoding", [N_CONN] = "connection",
    [N_EXPECT] = "expect",     [N_AUTH] = "authorization",
};

static int phase(const h1req_t *r)
{
    return r->chunk_phase & PHASE_MASK;
}

static void set_phase(h1req_t *r, int p)
{
    r->chunk_phase = (r->chunk_phase & ~PHASE_MASK) | p;
}

static void fail(h1req_t *r, int status, const char *message)
{
    r->state = H1REQ_ERROR;
    r->status = status;
    r->message = message;
}

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 5.6.2): what a method or a header name is made of. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte of a field value or chunk extension: visible, obs-text, SP, HTAB. */
static int is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void h1req_init(h1req_t *r, size_t max_head, size_t max_body)
{
    memset(r, 0, sizeof *r);
    r->max_head = max_head;
    r->max_body = max_body;
    r->state = H1REQ_HEAD;
    r->keep_alive = 1;
    r->chunk_phase = P_START;
}

/* ---- the request line ---- */

/* One byte of the request line (or of the empty lines before it). The
 * method and target are copied as they come, so they are complete and
 * NUL-terminated when their space arrives; the version digits wait in
 * chunk_left until the line end decides between 1.0, 1.1, 505 and 400. */
static void request_line_byte(h1req_t *r, unsigned char c)
{
    switch (phase(r)) {
    case P_START: /* only CR or LF reach here: the rest starts the method */
    case P_START_LF:
        if (c == '\r' && phase(r) == P_START) {
            set_phase(r, P_START_LF);
        } else if (c != '\n') {
            fail(r, 400, "CR not followed by LF");
        } else if (++r->ext_bytes > H1REQ_EMPTY_LINES_MAX) {
            fail(r, 400, "more than 4 empty lines before the request line");
        } else {
            set_phase(r, P_START);
        }
        break;
    case P_METHOD:
        if (c == ' ') {
            if (r->ext_bytes == 0) {
                fail(r, 400, "request line without a method");
                break;
            }
            r->method[r->ext_bytes] = '\0';
            r->ext_bytes = 0;
            set_phase(r, P_TARGET0);
        } else if (!is_tchar(c)) {
            fail(r, 400, "method has a byte that is not a token character");
        } else if (r->ext_bytes >= sizeof r->method - 1) {
            fail(r, 400, "method longer than 15 bytes");
        } else {
            r->method[r->ext_bytes++] = (char)c;
        }
        break;
    case P_TARGET0:
        if (c == '/') {
            r->target[0] = '/';
            r->ext_bytes = 1;
            set_phase(r, P_TARGET);
        } else if (c == '*') {
            r->target[0] = '*';
            r->target[1] = '\0';
            set_phase(r, P_STAR);
        } else if (c == ' ') {
            fail(r, 400, "more than one space after the method");
        } else {
            fail(r, 400, "request target is neither a path nor *");
        }
        break;
    case P_TARGET:
        if (c == ' ') {
            r->target[r->ext_bytes] = '\0';
            r->ext_bytes = 0;
            set_phase(r, P_VERSION);
        } else if (c <= 0x20 || c >= 0x7f) {
            fail(r, 400, "request target has a byte that is not visible ASCII");
        } else if (r->ext_bytes >= sizeof r->target - 1) {
            fail(r, 414, "request target longer than 1023 bytes");
        } else {
            r->target[r->ext_bytes++] = (char)c;
        }
        break;
    case P_STAR:
        if (c != ' ')
            fail(r, 400, "request target is neither a path nor *");
        else
            set_phase(r, P_VERSION);
        break;
    case P_VERSION: {
        /* "HTTP/" DIGIT "." DIGIT, the digits kept in chunk_left */
        static const char prefix[] = "HTTP/";
        size_t at = r->ext_bytes++;
        if (at == 0 && c == ' ') {
            fail(r, 400, "more than one space after the request target");
        } else if (at < 5) {
            if (c != (unsigned char)prefix[at])
                fail(r, 400, "request line does not end in an HTTP version");
        } else if (at == 5 || at == 7) {
            if (c < '0' || c > '9')
                fail(r, 400, "malformed HTTP version");
            else
                r->chunk_left = r->chunk_left * 10 + (uint64_t)(c - '0');
        } else if (at == 6) {
            if (c != '.')
                fail(r, 400, "malformed HTTP version");
        } else if (c != '\r' && c != '\n') {
            fail(r, 400, "malformed HTTP version");
        } else if (r->chunk_left != 11 && r->chunk_left != 10) {
            fail(r, 505, "HTTP version not supported");
        } else {
            r->http10 = r->chunk_left == 10;
            r->chunk_left = 0;
            r->ext_bytes = 0;
            set_phase(r, c == '\r' ? P_RL_LF : P_LINE);
        }
        break;
    }
    case P_RL_LF:
        if (c != '\n')
            fail(r, 400, "CR not followed by LF");
        else
            set_phase(r, P_LINE);
        break;
    }
}

/* ---- header lines ---- */

/* The kept copy of a header value, by its phase. */
static char *kept_field(h1req_t *r, int ph)
{
    return ph == V_HOST    ? r->host
           : ph == V_CTYPE ? r->content_type
           : ph == V_AUTH  ? r->authorization
                           : r->content_encoding;
}

/* The name ended at its ':': picks the value's phase. */
static void name_end(h1req_t *r)
{
    int known = -1;
    for (int k = 0; k < N_COUNT; k++)
        if ((r->chunk_left >> k & 1) && strlen(h1req_names[k]) == r->ext_bytes)
            known = k;
    r->chunk_left = 0;
    r->ext_bytes = 0;
    switch (known) {
    case N_HOST:
    case N_CTYPE:
    case N_CENC:
    case N_AUTH: {
        static const int flag[] = {
            [N_HOST] = F_HOST, [N_CTYPE] = F_CTYPE, [N_CENC] = F_CENC, [N_AUTH] = F_AUTH};
        static const int value_phase[] = {
            [N_HOST] = V_HOST, [N_CTYPE] = V_CTYPE, [N_CENC] = V_CENC, [N_AUTH] = V_AUTH};
        static const char *const twice[] = {[N_HOST] = "more than one Host",
                                            [N_CTYPE] = "more than one Content-Type",
                                            [N_CENC] = "more than one Content-Encoding",
                                            [N_AUTH] = "more than one Authorization"};
        if (r->chunk_phase & flag[known]) {
            fail(r, 400, twice[known]);
            return;
        }
        r->chunk_phase |= flag[known];
        set_phase(r, value_phase[known]);
        return;
    }
    case N_CL:
        if (r->chunked)
            fail(r, 400, "Content-Length and Transfer-Encoding together");
        else
            set_phase(r, V_CL);
        return;
    case N_TE:
        if (r->has_length) {
            fail(r, 400, "Content-Length and Transfer-Encoding together");
        } else if (r->chunked) { /* a second line: "chunked, chunked" */
            fail(r, 501, "Transfer-Encoding other than chunked");
        } else {
            r->chunked = 1; /* set now, so a later Content-Length sees it */
            set_phase(r, V_TE);
        }
        return;
    case N_CONN:
        set_phase(r, V_CONN);
        return;
    case N_EXPECT:
        set_phase(r, V_EXPECT);
        return;
    default:
        set_phase(r, V_OTHER);
        return;
    }
}

/* One byte of a header name. Nothing of the name is kept: chunk_left holds
 * one bit per known name that still matches what came (case-insensitive),
 * ext_bytes the length, so the ':' tells which header it was, whatever the
 * split of the bytes. */
static void header_name_byte(h1req_t *r, unsigned char c)
{
    if (phase(r) == P_LINE) {
        if (is_ows(c)) {
            fail(r, 400, "header line starts with whitespace (obs-fold)");
            return;
        }
        if (c == ':') {
            fail(r, 400, "empty header name");
            return;
        }
        if (++r->headers > H1REQ_MAX_HEADERS) {
            fail(r, 431, "more than 64 header lines");
            return;
        }
        r->chunk_left = (1u << N_COUNT) - 1; /* every known name is a candidate */
        r->ext_bytes = 0;
        set_phase(r, P_NAME);
    }
    if (c == ':') {
        name_end(r);
    } else if (is_ows(c)) {
        fail(r, 400, "whitespace before the colon of a header");
    } else if (c == '\r' || c == '\n') {
        fail(r, 400, "header line without a colon");
    } else if (!is_tchar(c)) {
        fail(r, 400, "header name has a byte that is not a token character");
    } else {
        size_t at = r->ext_bytes++;
        for (int k = 0; k < N_COUNT; k++)
            if ((r->chunk_left >> k & 1) &&
                (at >= strlen(h1req_names[k]) || h1req_names[k][at] != lower(c)))
                r->chunk_left &= ~(1u << k);
    }
}

/* A Connection token ended (ext_bytes long; chunk_left: 1 while it may be
 * "close", 2 while it may be "keep-alive"). */
static void connection_token_end(h1req_t *r)
{
    if ((r->chunk_left & 1) && r->ext_bytes == 5)
        r->chunk_phase |= F_CLOSE;
    if ((r->chunk_left & 2) && r->ext_bytes == 10)
        r->chunk_phase |= F_KA;
    r->ext_bytes = 0;
}

/* A byte of a header value other than CR and LF. Each kind of value is
 * checked as it comes (Content-Length digit by digit, Transfer-Encoding
 * against "chunked"), so a bad one fails at its first wrong byte and none
 * needs a copy; leading whitespace is skipped here, trailing at the end. */
static void value_byte(h1req_t *r, unsigned char c)
{
    int ph = phase(r);
    size_t at = r->ext_bytes;
    if (!is_value_byte(c)) {
        fail(r, 400, "header value has a control byte");
        return;
    }
    switch (ph) {
    case V_HOST:
    case V_CTYPE:
    case V_CENC:
    case V_AUTH: {
        /* Whitespace is copied while it fits and trimmed at the line end;
         * a visible byte past the room means the trimmed value is too long. */
        if (at == 0 && is_ows(c))
            return;
        if (at >= H1REQ_FIELD_MAX - 1) {
            if (!is_ows(c))
                fail(r, 431,
                     ph == V_HOST    ? "Host longer than 255 bytes"
                     : ph == V_CTYPE ? "Content-Type longer than 255 bytes"
                     : ph == V_AUTH  ? "Authorization longer than 255 bytes"
                                     : "Content-Encoding longer than 255 bytes");
        } else {
            kept_field(r, ph)[at] = (char)c;
        }
        r->ext_bytes++;
        return;
    }
    case V_CL:
        if (is_ows(c)) {
            if (at > 0)
                set_phase(r, V_CL_OWS);
        } else if (c < '0' || c > '9') {
            fail(r, 400, "Content-Length is not a decimal number");
        } else if (r->chunk_left > (UINT64_MAX - (uint64_t)(c - '0')) / 10) {
            fail(r, 400, "Content-Length does not fit in 64 bits");
        } else {
            r->chunk_left = r->chunk_left * 10 + (uint64_t)(c - '0');
            r->ext_bytes++;
        }
        return;
    case V_CL_OWS:
        if (!is_ows(c))
            fail(r, 400, "Content-Length is not a decimal number");
        return;
    case V_TE:
        if (is_ows(c) && (at == 0 || at == 7)) {
            if (at == 7)
                set_phase(r, V_TE_OWS);
        } else if (at < 7 && lower(c) == "chunked"[at]) {
            r->ext_bytes++;
        } else {
            fail(r, 501, "Transfer-Encoding other than chunked");
        }
        return;
    case V_TE_OWS:
        if (!is_ows(c))
            fail(r, 501, "Transfer-Encoding other than chunked");
        return;
    case V_CONN:
        if (c == ',' || is_ows(c)) {
            connection_token_end(r);
        } else {
            if (at == 0)
                r->chunk_left = 3;
            if (at >= 5 || lower(c) != "close"[at])
                r->chunk_left &= ~(uint64_t)1;
            if (at >= 10 || lower(c) != "keep-alive"[at])
                r->chunk_left &= ~(uint64_t)2;
            r->ext_bytes++;
        }
        return;
    case V_EXPECT:
        if (is_ows(c) && (at == 0 || at == 12)) {
            if (at == 12)
                set_phase(r, V_EXPECT_OWS);
        } else if (at < 12 && lower(c) == "100-continue"[at]) {
            r->ext_bytes++;
        } else {
            set_phase(r, V_OTHER); /* another expectation: not ours to meet */
        }
        return;
    case V_EXPECT_OWS:
        if (!is_ows(c))
            set_phase(r, V_OTHER);
        return;
    default: /* V_OTHER */
        return;
    }
}

/* The value ended (at its CR or LF): acts on what it said. */
static void value_end(h1req_t *r)
{
    int ph = phase(r);
    switch (ph) {
    case V_HOST:
    case V_CTYPE:
    case V_CENC:
    case V_AUTH: {
        char *f = kept_field(r, ph);
        size_t len = r->ext_bytes < H1REQ_FIELD_MAX - 1 ? r->ext_bytes : H1REQ_FIELD_MAX - 1;
        while (len > 0 && is_ows((unsigned char)f[len - 1]))
            len--;
        f[len] = '\0';
        break;
    }
    case V_CL:
    case V_CL_OWS:
        if (r->ext_bytes == 0)
            fail(r, 400, "Content-Length is empty");
        else if (r->has_length && r->content_length != r->chunk_left)
            fail(r, 400, "two different Content-Length values");
        r->content_length = r->chunk_left;
        r->has_length = 1;
        break;
    case V_TE:
        if (r->ext_bytes != 7)
            fail(r, 501, "Transfer-Encoding other than chunked");
        break;
    case V_CONN:
        connection_token_end(r);
        break;
    case V_EXPECT:
    case V_EXPECT_OWS:
        /* RFC 9110 10.1.1: a 1.0 request's 100-continue is ignored */
        if (r->ext_bytes == 12 && !r->http10)
            r->expect_continue = 1;
        break;
    }
    r->chunk_left = 0;
    r->ext_bytes = 0;
}

/* The empty line ended the head: the fields are complete. */
static void head_end(h1req_t *r)
{
    int flags = r->chunk_phase;
    r->keep_alive = (flags & F_CLOSE) ? 0 : r->http10 ? (flags & F_KA) != 0 : 1;
    if (!r->http10 && !(flags & F_HOST)) {
        fail(r, 400, "HTTP/1.1 request without Host");
    } else if (r->http10 && r->chunked) {
        /* RFC 9112 6.1: faulty framing, whatever the sender meant */
        fail(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
    } else if (r->has_length && r->content_length > r->max_body) {
        fail(r, 413, "Content-Length over the body limit");
    } else if (r->chunked) {
        r->state = H1REQ_BODY;
        set_phase(r, C_SIZE);
    } else if (r->has_length && r->content_length > 0) {
        r->state = H1REQ_BODY;
        r->chunk_left = r->content_length;
        set_phase(r, B_LENGTH);
    } else {
        r->state = H1REQ_DONE;
    }
}

static void header_byte(h1req_t *r, unsigned char c)
{
    int ph = phase(r);
    if (ph == P_LF || ph == P_END_LF) {
        if (c != '\n')
            fail(r, 400, "CR not followed by LF");
        else if (ph == P_LF)
            set_phase(r, P_LINE);
        else
            head_end(r);
    } else if (ph == P_LINE && (c == '\r' || c == '\n')) {
        if (c == '\r')
            set_phase(r, P_END_LF);
        else
            head_end(r);
    } else if (ph == P_LINE || ph == P_NAME) {
        header_name_byte(r, c);
    } else if (c == '\r' || c == '\n') {
        value_end(r);
        set_phase(r, c == '\r' ? P_LF : P_LINE);
    } else {
        value_byte(r, c);
    }
}

/* ---- the chunked body (all but the data) and the trailers ---- */

/* The size line ended: data, or the trailers after the last chunk. */
static void size_line_end(h1req_t *r)
{
    r->ext_bytes = 0;
    set_phase(r, r->chunk_left ? C_DATA : T_LINE);
}

/* One byte of the chunked framing: size, extension, the CRLF around the
 * data. The size is accumulated in chunk_left, which then counts the data
 * down; ext_bytes counts its digits, then the extension's bytes. */
static void chunk_byte(h1req_t *r, unsigned char c, const buf_t *body)
{
    int ph = phase(r);
    switch (ph) {
    case C_SIZE: {
        int v = hex_value(c);
        if (v >= 0) {
            /* A size only grows with more digits: refuse it as soon as it
             * passes what the body may still take, before any of its data. */
            size_t room = body->len < r->max_body ? r->max_body - body->len : 0;
            if (r->ext_bytes++ == H1REQ_SIZE_DIGITS_MAX)
                fail(r, 400, "chunk size longer than 16 hex digits");
            else if ((r->chunk_left = r->chunk_left << 4 | (uint64_t)v) > room)
                fail(r, 413, "chunked body over the body limit");
            return;
        }
        if (r->ext_bytes == 0 || (c != ';' && !is_ows(c) && c != '\r' && c != '\n')) {
            fail(r, 400, "chunk size is not hex");
            return;
        }
        if (c == '\r') {
            set_phase(r, C_SIZE_LF);
        } else if (c == '\n') {
            size_line_end(r);
        } else {
            r->ext_bytes = 1; /* the extension's bytes start here */
            set_phase(r, c == ';' ? C_EXT : C_SIZE_OWS);
        }
        return;
    }
    case C_SIZE_OWS:
    case C_EXT:
        if (ph == C_EXT && (c == '\r' || c == '\n')) {
            if (c == '\r')
                set_phase(r, C_SIZE_LF);
            else
                size_line_end(r);
        } else if (ph == C_SIZE_OWS && c != ';' && !is_ows(c)) {
            fail(r, 400, "whitespace after the chunk size not followed by ';'");
        } else if (!is_value_byte(c)) {
            fail(r, 400, "chunk extension has a control byte");
        } else if (++r->ext_bytes > H1REQ_EXT_MAX) {
            fail(r, 400, "chunk extension longer than 256 bytes");
        } else if (c == ';') {
            set_phase(r, C_EXT);
        }
        return;
    case C_SIZE_LF:
        if (c != '\n')
            fail(r, 400, "CR not followed by LF");
        else
            size_line_end(r);
        return;
    case C_DATA_CR:
        if (c == '\r')
            set_phase(r, C_DATA_LF);
        else if (c == '\n')
            set_phase(r, C_SIZE);
        else
            fail(r, 400, "chunk data not followed by CRLF");
        return;
    case C_DATA_LF:
        if (c != '\n')
            fail(r, 400, "chunk data not followed by CRLF");
        else
            set_phase(r, C_SIZE);
        return;
    }
}

/* Trailer lines are checked for shape (name ':' value) and dropped. */
static void trailer_byte(h1req_t *r, unsigned char c)
{
    switch (phase(r)) {
    case T_LINE:
        if (c == '\r')
            set_phase(r, T_END_LF);
        else if (c == '\n')
            r->state = H1REQ_DONE;
        else if (is_ows(c))
            fail(r, 400, "trailer line starts with whitespace (obs-fold)");
        else if (!is_tchar(c))
            fail(r, 400, "trailer name has a byte that is not a token character");
        else
            set_phase(r, T_NAME);
        return;
    case T_NAME:
        if (c == ':')
            set_phase(r, T_VALUE);
        else if (!is_tchar(c))
            fail(r, 400, "trailer name has a byte that is not a token character");
        return;
    case T_VALUE:
        if (c == '\r')
            set_phase(r, T_LF);
        else if (c == '\n')
            set_phase(r, T_LINE);
        else if (!is_value_byte(c))
            fail(r, 400, "trailer value has a control byte");
        return;
    case T_LF:
    case T_END_LF:
        if (c != '\n')
            fail(r, 400, "CR not followed by LF");
        else if (phase(r) == T_LF)
            set_phase(r, T_LINE);
        else
            r->state = H1REQ_DONE;
        return;
    }
}

/* The loop hands each byte to the part of the grammar its phase is in;
 * body data bypasses it in runs. It ends at the end of p, or as soon as the
 * request is done or refused, so pipelined bytes stay with the caller. */
size_t h1req_feed(h1req_t *r, const char *p, size_t n, buf_t *body)
{
    size_t i = 0;
    while (i < n && (r->state == H1REQ_HEAD || r->state == H1REQ_BODY)) {
        int ph = phase(r);
        if (ph == B_LENGTH || ph == C_DATA) {
            /* a run of body bytes: chunk_left was checked against max_body */
            size_t take = n - i < r->chunk_left ? n - i : (size_t)r->chunk_left;
            buf_append(body, p + i, take);
            i += take;
            r->chunk_left -= take;
            if (r->chunk_left == 0) {
                if (ph == B_LENGTH)
                    r->state = H1REQ_DONE;
                else
                    set_phase(r, C_DATA_CR);
            }
            continue;
        }
        unsigned char c = (unsigned char)p[i++];
        if (ph == P_START && c != '\r' && c != '\n') {
            r->ext_bytes = 0; /* the request line starts: its bytes count */
            set_phase(r, ph = P_METHOD);
        }
        /* The head and the trailers count against max_head; the empty
         * lines before the request line are no part of the request. */
        if ((ph > P_START_LF && ph < B_LENGTH) || ph >= T_LINE) {
            if (++r->head_bytes > r->max_head) {
                fail(r, 431,
                     ph >= T_LINE  ? "request head and trailers longer than the head limit"
                     : ph < P_LINE ? "request line longer than the head limit"
                                   : "request head longer than the head limit");
                break;
            }
        }
        if (ph < P_LINE)
            request_line_byte(r, c);
        else if (ph < B_LENGTH)
            header_byte(r, c);
        else if (ph < T_LINE)
            chunk_byte(r, c, body);
        else
            trailer_byte(r, c);
    }
    return i;
}
