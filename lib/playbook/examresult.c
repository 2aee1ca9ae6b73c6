/* examresult.c — the examination's result line (see examresult.h). */
#include "playbook/examresult.h"

#include "common/jsonload.h"

json_t *pb_exam_result_line(const char *out, size_t len)
{
	const char *end = out + len;
	while (end > out) {
		const char *start = end;
		while (start > out && start[-1] != '\n')
			start--;
		if (end > start && *start == '{') {
			size_t n = (size_t)(end - start);
			json_t *j = NULL;
			sg_json_load_bounded(start, n, n, 0, "result line", &j, NULL, 0);
			if (j && json_is_string(json_object_get(j, "status")))
				return j;
			json_decref(j);
		}
		end = start > out ? start - 1 : out;
	}
	return NULL;
}
