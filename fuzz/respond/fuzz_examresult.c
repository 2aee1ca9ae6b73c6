/* fuzz_examresult.c — the forensic host's SSM standard output, read for
 * the examination's result line: NULL, or an object whose "status" is a
 * string, as the responder's note and report rely on. */
#include <stdint.h>
#include <stdlib.h>

#include "playbook/examresult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = pb_exam_result_line((const char *)data, size);
	if (j && (!json_is_object(j) || !json_is_string(json_object_get(j, "status"))))
		abort();
	json_decref(j);
	return 0;
}
