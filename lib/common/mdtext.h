/*
 * mdtext.h — untrusted text in a Markdown report (pure): the one rule both
 * reports (the incident report, lib/playbook/report.c, and the
 * examination's report.md, lib/forensics/report.c) apply to every byte of
 * text they did not write themselves.
 *
 * In table cells and running text: the Markdown specials | \ ` * _ [ ] #
 * ~ ! are backslash-escaped (no table broken, no link or image made),
 * < > & become entities (no raw HTML: report.md is rendered as well as
 * cat-ed), and every control byte (C0, DEL) becomes a space (no line
 * broken, no terminal escape sequence).  Bytes >= 0x80 pass unchanged.
 */
#ifndef SSRFGUARD_COMMON_MDTEXT_H
#define SSRFGUARD_COMMON_MDTEXT_H

/* What byte c becomes: a NUL-terminated string, static or in tmp. */
const char *sg_md_byte(unsigned char c, char tmp[3]);

/* The same inside a code span (whose backtick fence the caller chose): a
 * pipe escaped (GFM tables split on it even there), a control a space,
 * anything else as it is. */
const char *sg_md_code_byte(unsigned char c, char tmp[3]);

#endif
