/* store_int.h — private to src/store: the handle's layout, shared by
 * store.c (writes) and store_read.c (reads). */
#ifndef SSRFGUARD_STORE_INT_H
#define SSRFGUARD_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

enum {
	Q_FIND_ACTIVE, Q_FIND_ACTIVE_INSTANCE, Q_JOIN, Q_ESCALATE, Q_NEW_INC, Q_NEW_ATT, Q_HIST,
	Q_GET_STATE, Q_SET_STATE, Q_STEP_GET, Q_STEP_PUT, Q_CLAIMABLE, Q_CLAIM_ONE,
	Q_CLAIM, Q_RENEW, Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q__COUNT
};

struct store {
	sqlite3 *db;
	int64_t detail_max, max_bytes;
	sqlite3_stmt *q[Q__COUNT];
};

/* SQLite result code -> sg_err. */
sg_err store_map_rc(int rc);

#endif
