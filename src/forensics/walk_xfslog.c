/* walk_xfslog.c — is the XFS log clean, read raw and by the kernel (see
 * walk_xfsorphan.h). */
#include "forensics/walk_xfsorphan.h"
#include "forensics/xfslog.h"

void xfs_log_state(const evid *ev, uint64_t offset, uint64_t length, fx_journal kernel,
                   walk_stats *st)
{
	evid_reader d;
	fx_xfs_sb sb;
	fx_xfs_log log;
	st->journal = kernel;
	if (xfs_raw_open(ev, offset, length, &d, &sb) || fx_xfs_log_read(&sb, evid_read, &d, &log))
		return; /* external, unreadable or damaged: the kernel's word alone */
	if (!log.clean) {
		st->journal = FX_J_DIRTY;
		st->log_pending = log.pending;
	} else if (kernel != FX_J_DIRTY) {
		st->journal = FX_J_CLEAN;
	}
}
