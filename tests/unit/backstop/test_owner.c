/* test_owner.c — the systemd unit a cgroup path names. */
#include "backstop/owner.h"
#include "test.h"

TEST(units)
{
	static const struct {
		const char *cgroup, *unit;
	} rows[] = {
		{"/system.slice/web.service", "web.service"},
		{"/user.slice/user-1000.slice/session-2.scope", "session-2.scope"},
		{"/system.slice/docker-abc.scope/inner", "docker-abc.scope"},
		{"/app.slice", ""},
		{"/", ""},
		{"", ""},
		{".service", ""},
		{"/system.slice/a@1.service", "a@1.service"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char unit[64];
		bs_owner_unit(rows[i].cgroup, unit, sizeof unit);
		CHECKF(!strcmp(unit, rows[i].unit), "%s: got '%s'", rows[i].cgroup, unit);
	}
}

TEST_MAIN(units)
