/*
 * msg.h — the caller's message buffer of a function that says why it failed.
 *
 * Such a function takes (char *msg, size_t msglen) and may be given NULL
 * (or a length of 0) by a caller that wants only the sg_err.  SG_MSG_BEGIN
 * makes the body's writes safe either way: msg then points at a one-byte
 * scratch buffer of the function's own, and msg starts empty.  It declares
 * that buffer, so it stands once, among the declarations at the top.
 */
#ifndef SSRFGUARD_COMMON_MSG_H
#define SSRFGUARD_COMMON_MSG_H

#define SG_MSG_BEGIN(msg, msglen)                  \
	char sg_msg_scratch_[1];                   \
	if (!(msg) || !(msglen)) {                 \
		(msg) = sg_msg_scratch_;           \
		(msglen) = sizeof sg_msg_scratch_; \
	}                                          \
	(msg)[0] = '\0'

#endif
