/* xml.c — bounded AWS XML decoding via libxml2's streaming reader (see xml.h). */
#include "aws/xml.h"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <pthread.h>

#include "common/buf.h"

#define XML_DEFAULT_MAX_BYTES (16u << 20)
#define XML_DEFAULT_MAX_DEPTH 64
#define XML_DEFAULT_MAX_ELEMENTS 1000000u

void aws_xml_free(struct aws_xml *root)
{
	/* Iterative: a deep tree must not overflow the stack. */
	struct aws_xml *stack = root;
	while (stack) {
		struct aws_xml *n = stack;
		stack = n->next;
		if (n->child) {
			/* splice children onto the work list */
			struct aws_xml *last = n->child;
			while (last->next)
				last = last->next;
			last->next = stack;
			stack = n->child;
		}
		free(n->name);
		free(n->text);
		free(n);
	}
}

struct build {
	struct aws_xml *root;
	struct aws_xml **stack;      /* open elements */
	struct aws_xml **last_child; /* last child of each open element */
	sg_buf *text;        /* text of each open element */
	unsigned depth, max_depth;
	size_t elements, max_elements;
	size_t max_text;     /* each element's text, at most (the document's cap) */
	int error;
};

static void silence(void *arg, const char *msg, xmlParserSeverities sev,
                    xmlTextReaderLocatorPtr loc)
{
	(void)msg;
	(void)loc;
	if (sev == XML_PARSER_SEVERITY_ERROR || sev == XML_PARSER_SEVERITY_VALIDITY_ERROR)
		((struct build *)arg)->error = 1;
}

static int has_dtd(const char *buf, size_t len)
{
	static const char pat[] = "<!";
	for (size_t i = 0; i + 2 < len; i++)
		if (buf[i] == pat[0] && buf[i + 1] == pat[1] && buf[i + 2] != '[' &&
		    buf[i + 2] != '-')
			return 1; /* <!DOCTYPE / <!ENTITY; CDATA "<![" and comments "<!-" are fine */
	return 0;
}

static sg_err close_element(struct build *b)
{
	unsigned d = b->depth - 1;
	struct aws_xml *n = b->stack[d];
	sg_buf_append(&b->text[d], "", 0);
	if (sg_buf_err(&b->text[d]))
		return sg_buf_err(&b->text[d]);
	n->text = sg_buf_take(&b->text[d], NULL);
	if (!n->text)
		return SG_ERR_NOMEM;
	b->depth--;
	return SG_OK;
}

/* An element opens: a second root is refused, the depth and element
 * caps are checked, and it joins its parent's children. */
static sg_err open_element(struct build *b, xmlTextReaderPtr r)
{
	if (b->depth == 0 && b->root)
		return SG_ERR_PARSE; /* a second root */
	if (b->depth >= b->max_depth || ++b->elements > b->max_elements)
		return SG_ERR_RANGE;
	struct aws_xml *n = calloc(1, sizeof *n);
	if (!n)
		return SG_ERR_NOMEM;
	const xmlChar *lname = xmlTextReaderConstLocalName(r);
	n->name = strdup(lname ? (const char *)lname : "");
	if (!n->name) {
		free(n);
		return SG_ERR_NOMEM;
	}
	if (b->depth == 0) {
		b->root = n;
	} else {
		unsigned p = b->depth - 1;
		if (b->last_child[p])
			b->last_child[p]->next = n;
		else
			b->stack[p]->child = n;
		b->last_child[p] = n;
	}
	b->stack[b->depth] = n;
	b->last_child[b->depth] = NULL;
	sg_buf_init(&b->text[b->depth], b->max_text);
	b->depth++;
	return xmlTextReaderIsEmptyElement(r) ? close_element(b) : SG_OK;
}

/* One node of the reader's walk into the tree: elements and their text;
 * entities and a DTD refused; whitespace between elements, comments and
 * PIs skipped. */
static sg_err take_node(struct build *b, xmlTextReaderPtr r)
{
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_ELEMENT:
		return open_element(b, r);
	case XML_READER_TYPE_END_ELEMENT:
		return b->depth == 0 ? SG_ERR_PARSE : close_element(b);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA: {
		if (b->depth == 0)
			return SG_OK;
		const xmlChar *v = xmlTextReaderConstValue(r);
		if (v)
			sg_buf_puts(&b->text[b->depth - 1], (const char *)v);
		return sg_buf_err(&b->text[b->depth - 1]);
	}
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
	case XML_READER_TYPE_DOCUMENT_TYPE:
		return SG_ERR_PARSE;
	default:
		return SG_OK;
	}
}

sg_err aws_xml_parse(const char *buf, size_t len, const struct aws_xml_limits *lim,
                     struct aws_xml **out)
{
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : XML_DEFAULT_MAX_BYTES;
	unsigned max_depth = lim && lim->max_depth ? lim->max_depth : XML_DEFAULT_MAX_DEPTH;
	size_t max_elements = lim && lim->max_elements ? lim->max_elements : XML_DEFAULT_MAX_ELEMENTS;
	struct build b = {0};
	xmlTextReaderPtr r = NULL;
	sg_err rc = SG_ERR_INVAL;

	if (!out)
		return SG_ERR_INVAL;
	*out = NULL;
	if (!buf && len)
		return SG_ERR_INVAL;
	if (len > max_bytes || len > INT32_MAX || max_depth > 4096)
		return SG_ERR_RANGE;
	if (len == 0 || has_dtd(buf, len))
		return SG_ERR_PARSE;

	/* libxml2 initialises its globals lazily on first use, and two threads
	 * doing that at once race (and leak the loser's tables).  Once, here. */
	static pthread_once_t libxml_ready = PTHREAD_ONCE_INIT;
	if (pthread_once(&libxml_ready, xmlInitParser) != 0)
		return SG_ERR_NOMEM;

	rc = SG_ERR_NOMEM;
	b.max_depth = max_depth;
	b.max_elements = max_elements;
	b.max_text = max_bytes;
	b.stack = calloc(max_depth, sizeof *b.stack);
	b.last_child = calloc(max_depth, sizeof *b.last_child);
	b.text = calloc(max_depth, sizeof *b.text);
	if (!b.stack || !b.last_child || !b.text)
		goto fail;
	r = xmlReaderForMemory(buf, (int)len, NULL, NULL,
	                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                               XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
	if (!r)
		goto fail;
	xmlTextReaderSetErrorHandler(r, silence, &b);

	int ret;
	while ((ret = xmlTextReaderRead(r)) == 1)
		if ((rc = take_node(&b, r)))
			goto fail;
	rc = SG_ERR_PARSE;
	if (ret != 0 || b.error || b.depth != 0 || !b.root)
		goto fail;
	*out = b.root;
	b.root = NULL;
	rc = SG_OK;
fail:
	if (r)
		xmlFreeTextReader(r);
	if (b.text)
		for (unsigned i = 0; i < b.depth; i++)
			sg_buf_free(&b.text[i]);
	/* open elements have text == NULL; give them "" so free is uniform */
	aws_xml_free(b.root);
	free(b.stack);
	free(b.last_child);
	free(b.text);
	return rc;
}

const struct aws_xml *aws_xml_child(const struct aws_xml *n, const char *name)
{
	if (!n || !name)
		return NULL;
	for (const struct aws_xml *c = n->child; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const struct aws_xml *aws_xml_get(const struct aws_xml *n, const char *path)
{
	if (!n || !path)
		return n;
	while (*path && n) {
		const char *slash = strchr(path, '/');
		size_t l = slash ? (size_t)(slash - path) : strlen(path);
		const struct aws_xml *found = NULL;
		for (const struct aws_xml *c = n->child; c; c = c->next)
			if (strlen(c->name) == l && !memcmp(c->name, path, l)) {
				found = c;
				break;
			}
		n = found;
		path += l;
		if (*path == '/')
			path++;
	}
	return n;
}

const char *aws_xml_str(const struct aws_xml *n, const char *path)
{
	const struct aws_xml *e = aws_xml_get(n, path);
	return e ? (e->text ? e->text : "") : NULL;
}

const char *aws_xml_str_or(const struct aws_xml *n, const char *path, const char *dflt)
{
	const char *s = aws_xml_str(n, path);
	return s ? s : dflt;
}

bool aws_xml_bool(const struct aws_xml *n, const char *path)
{
	const char *s = aws_xml_str(n, path);
	return s && !strcmp(s, "true");
}

const struct aws_xml *aws_xml_first(const struct aws_xml *n)
{
	return n ? n->child : NULL;
}

const struct aws_xml *aws_xml_next(const struct aws_xml *n)
{
	if (!n)
		return NULL;
	for (const struct aws_xml *c = n->next; c; c = c->next)
		if (!strcmp(c->name, n->name))
			return c;
	return NULL;
}

size_t aws_xml_count(const struct aws_xml *n)
{
	size_t k = 0;
	for (const struct aws_xml *c = n ? n->child : NULL; c; c = c->next)
		k++;
	return k;
}
