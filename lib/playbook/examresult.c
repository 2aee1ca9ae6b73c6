/* examresult.c — the examination's result line (see examresult.h). */
#include "playbook/examresult.h"

json_t *pb_exam_result_line(const char *out, size_t len)
{
	const char *end = out + len;
	while (end > out) {
		const char *start = end;
		while (start > out && start[-1] != '\n')
			start--;
		if (end > start && *start == '{') {
			json_t *j = json_loadb(start, (size_t)(end - start), 0, NULL);
			if (json_is_object(j) && json_is_string(json_object_get(j, "status")))
				return j;
			json_decref(j);
		}
		end = start > out ? start - 1 : out;
	}
	return NULL;
}
