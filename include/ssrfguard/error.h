/*
 * error.h — the one error enum of libssrfguard.
 *
 * Every fallible function returns sg_err (SG_OK is 0).  sg_strerror() maps a
 * code to a static English phrase; it never returns NULL, even for codes it
 * does not know.  Details that belong to one call (which field, which line)
 * travel in the caller-supplied message buffers the functions document.
 */
#ifndef SSRFGUARD_ERROR_H
#define SSRFGUARD_ERROR_H

typedef enum sg_err {
	SG_OK = 0,
	SG_ERR_NOMEM,       /* allocation failed; nothing was changed */
	SG_ERR_INVAL,       /* a caller's argument is wrong */
	SG_ERR_PARSE,       /* untrusted input is malformed */
	SG_ERR_RANGE,       /* a size or value is beyond its limit */
	SG_ERR_IO,          /* a file or device operation failed */
	SG_ERR_NOTFOUND,    /* the named thing does not exist */
	SG_ERR_EXISTS,      /* the thing to create already exists */
	SG_ERR_TIMEOUT,     /* a deadline passed */
	SG_ERR_NETWORK,     /* connection refused, reset or unreachable */
	SG_ERR_PROTOCOL,    /* a peer answered something we cannot accept */
	SG_ERR_AUTH,        /* credentials missing, refused or expired */
	SG_ERR_REMOTE,      /* a remote API answered with an error code */
	SG_ERR_THROTTLED,   /* a remote API asked us to slow down */
	SG_ERR_BUSY,        /* a lock is held by someone else */
	SG_ERR_STATE,       /* the operation is not valid in the current state */
	SG_ERR_UNSUPPORTED, /* recognised but not supported */
	SG_ERR_CORRUPT,     /* stored data fails its own checks */
	SG_ERR__COUNT
} sg_err;

/* Static, never NULL. */
const char *sg_strerror(sg_err err);

#endif
