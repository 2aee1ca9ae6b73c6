/*
 * awserr.h — AWS error replies decoded to code + message + request id, and
 * mapped onto sg_err.
 *
 * Shapes handled:
 *   EC2:   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *   Query: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
 *   JSON:  {"__type": "ns#Code", "message": "..."} (+ x-amzn-RequestId header)
 * Text is copied truncated into the fixed fields and control characters
 * are replaced by '?', so a reply cannot forge log lines.
 */
#ifndef SG_AWS_AWSERR_H
#define SG_AWS_AWSERR_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_error {
	int http_status;         /* 0 when no HTTP answer arrived */
	char code[128];          /* AWS error code, "" if none */
	char message[512];       /* AWS message or our transport diagnosis */
	char request_id[128];    /* "" if none */
	int attempts;            /* how many times the request was sent */
	bool outcome_unknown;    /* a non-idempotent call may have taken effect */
};

void aws_error_clear(struct aws_error *e);                      /* NULL-safe */
/* Set code/message (printf-style message); NULL-safe. */
void aws_error_set(struct aws_error *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Decode an XML error body (EC2 or Query shape).  SG_OK when a code was
 * found; SG_ERR_PARSE otherwise (e is then left with http status only). */
sg_err aws_error_from_xml(const char *body, size_t len, struct aws_error *e);
/* Decode a JSON 1.1 error body. request_id may be NULL. */
sg_err aws_error_from_json(const char *body, size_t len, const char *request_id,
                           struct aws_error *e);

/* sg_err for a decoded AWS error code (+ HTTP status):
 *   *NotFound, NoSuchEntity, InvocationDoesNotExist,
 *   InvalidEndPoint (classic ELB: not registered)       -> SG_ERR_NOTFOUND
 *   throttling codes (see aws_code_is_throttling), 429   -> SG_ERR_THROTTLED
 *   AuthFailure, UnauthorizedOperation, AccessDenied*, SignatureDoesNotMatch,
 *   InvalidClientTokenId, ExpiredToken*, IncompleteSignature -> SG_ERR_AUTH
 *   *Duplicate, AlreadyExists*, EntityAlreadyExists      -> SG_ERR_EXISTS
 *   IncorrectState, IncorrectInstanceState, InvalidState*, ... -> SG_ERR_STATE
 *   anything else                                         -> SG_ERR_REMOTE */
sg_err aws_error_classify(const char *code, int http_status);

/* Standard-mode retry classes (botocore's lists). */
bool aws_code_is_throttling(const char *code);
bool aws_code_is_transient(const char *code);
/* A refusal that proves the request did nothing and may succeed when resent
 * a moment later, though the SDKs' lists leave it out: DynamoDB's
 * TransactionConflictException (a PutItem/UpdateItem/DeleteItem of an item
 * an ongoing TransactWriteItems includes: developer guide, "Transaction
 * conflict handling in DynamoDB").  Retried as throttling is. */
bool aws_code_is_conflict(const char *code);

/* src[len] up to its first NUL into dst[dstlen] as printable text
 * (common/escape.h: controls and bytes that are not UTF-8 as \xHH, cut on
 * a character boundary): an AWS reply's code, message or request id. */
void aws_copy_clean(char *dst, size_t dstlen, const char *src, size_t len);

#endif
