/* test_logging.c — the JSON log line: its fixed head, levels, hostile text
 * made one line of valid JSON, the cut, extra fields (logging.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "logging/logging.h"
#include "test.h"

/* The line parsed (it must end in exactly one '\n'). */
static json_t *line_of(const char *level, const char *event, const char *message,
                       const json_t *fields)
{
	size_t len = 0;
	char *s = logging_format(level, event, message, fields, &len);
	CHECK(s != NULL);
	if (!s)
		return NULL;
	CHECK_INT(len, strlen(s));
	CHECK(len > 0 && s[len - 1] == '\n' && !memchr(s, '\n', len - 1));
	json_t *j = json_loadb(s, len, 0, NULL);
	CHECKF(json_is_object(j), "%s", s);
	free(s);
	return j;
}

static const char *get(const json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));
	return v ? v : "(none)";
}

TEST(head_and_order)
{
	json_t *j = line_of("info", "listening", "127.0.0.1:8080", NULL);
	const char *k;
	json_t *v;
	const char *want[] = {"ts", "level", "event", "message"};
	size_t i = 0;
	json_object_foreach(j, k, v)
		CHECK_STR(k, i < 4 ? want[i++] : "(more)");
	CHECK_INT(i, 4);
	const char *ts = get(j, "ts");
	CHECKF(strlen(ts) == 24 && ts[10] == 'T' && ts[19] == '.' && ts[23] == 'Z', "%s", ts);
	CHECK_STR(get(j, "message"), "127.0.0.1:8080");
	json_decref(j);
}

TEST(levels)
{
	static const struct {
		const char *in, *want;
	} rows[] = {{"debug", "debug"}, {"info", "info"}, {"warn", "warning"},
	            {"warning", "warning"}, {"error", "error"}, {"bogus", "info"}, {NULL, "info"}};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		json_t *j = line_of(rows[i].in, "x", NULL, NULL);
		CHECK_STR(get(j, "level"), rows[i].want);
		CHECK(json_object_get(j, "message") == NULL);
		json_decref(j);
	}
}

TEST(hostile_text)
{
	json_t *j = line_of("error", "ev\r\nil", "a\r\nb\x01\xff\xc0\xaf</script>\"", NULL);
	CHECK_STR(get(j, "message"), "a\r\nb\x01\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</script>\"");
	CHECK_STR(get(j, "event"), "ev\r\nil");
	json_decref(j);
}

TEST(long_message_cut)
{
	size_t n = LOGGING_MESSAGE_MAX + 100;
	char *m = malloc(n + 1);
	memset(m, 'a', n);
	m[n] = '\0';
	json_t *j = line_of("info", "x", m, NULL);
	const char *got = get(j, "message");
	CHECK_INT(strlen(got), LOGGING_MESSAGE_MAX + 3);
	CHECK(!strcmp(got + LOGGING_MESSAGE_MAX, "..."));
	json_decref(j);
	free(m);
}

TEST(fields)
{
	/* a string of invalid UTF-8 as a JSON value (jansson's pack refuses it) */
	json_t *bad = json_stringn_nocheck("/tmp/\xff", 6);
	json_t *f = json_pack("{s:s,s:I,s:s,s:{s:[o]}}", "incident", "INC-1", "n", (json_int_t)7,
	                      "level", "forged", "evidence", "exe", bad);
	CHECK(f != NULL);
	json_t *j = line_of("info", "backstop", NULL, f);
	CHECK_STR(get(j, "incident"), "INC-1");
	CHECK_INT(json_integer_value(json_object_get(j, "n")), 7);
	CHECK_STR(get(j, "level"), "info");
	json_t *exe = json_array_get(json_object_get(json_object_get(j, "evidence"), "exe"), 0);
	CHECK_STR(json_string_value(exe), "/tmp/\xEF\xBF\xBD");
	json_decref(j);
	json_decref(f);
}

TEST_MAIN(head_and_order, levels, hostile_text, long_message_cut, fields)
