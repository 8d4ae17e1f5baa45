/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the Live Update Orchestrator: sessions, files, and the
 * phases of a live update, with their durations.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM liveupdate

#if !defined(_TRACE_LIVEUPDATE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_LIVEUPDATE_H

#include <linux/tracepoint.h>

/* A session call: the session's name and the call's errno (or 0). */
DECLARE_EVENT_CLASS(liveupdate_session,
		    TP_PROTO(const char *session, int err),
		    TP_ARGS(session, err),
		    TP_STRUCT__entry(__string(session, session)
				     __field(int, err)),
		    TP_fast_assign(__assign_str(session);
				   __entry->err = err;),
		    TP_printk("session=%s err=%d", __get_str(session),
			      __entry->err)
);

DEFINE_EVENT(liveupdate_session, liveupdate_session_create,
	     TP_PROTO(const char *session, int err),
	     TP_ARGS(session, err));

DEFINE_EVENT(liveupdate_session, liveupdate_session_retrieve,
	     TP_PROTO(const char *session, int err),
	     TP_ARGS(session, err));

DEFINE_EVENT(liveupdate_session, liveupdate_session_finish,
	     TP_PROTO(const char *session, int err),
	     TP_ARGS(session, err));

DEFINE_EVENT(liveupdate_session, liveupdate_session_close,
	     TP_PROTO(const char *session, int err),
	     TP_ARGS(session, err));

/* A file call: its session, token, handler and errno (or 0). */
DECLARE_EVENT_CLASS(liveupdate_file,
		    TP_PROTO(const char *session, u64 token,
			     const char *handler, int err),
		    TP_ARGS(session, token, handler, err),
		    TP_STRUCT__entry(__string(session, session)
				     __field(u64, token)
				     __string(handler, handler)
				     __field(int, err)),
		    TP_fast_assign(__assign_str(session);
				   __entry->token = token;
				   __assign_str(handler);
				   __entry->err = err;),
		    TP_printk("session=%s token=%llu handler=%s err=%d",
			      __get_str(session), __entry->token,
			      __get_str(handler), __entry->err)
);

DEFINE_EVENT(liveupdate_file, liveupdate_file_preserve,
	     TP_PROTO(const char *session, u64 token, const char *handler,
		      int err),
	     TP_ARGS(session, token, handler, err));

DEFINE_EVENT(liveupdate_file, liveupdate_file_retrieve,
	     TP_PROTO(const char *session, u64 token, const char *handler,
		      int err),
	     TP_ARGS(session, token, handler, err));

DEFINE_EVENT(liveupdate_file, liveupdate_file_finish,
	     TP_PROTO(const char *session, u64 token, const char *handler,
		      int err),
	     TP_ARGS(session, token, handler, err));

/* A phase of liveupdate_reboot(): what it covered, how long it took. */
DECLARE_EVENT_CLASS(liveupdate_phase,
		    TP_PROTO(long sessions, long files, s64 ns, int err),
		    TP_ARGS(sessions, files, ns, err),
		    TP_STRUCT__entry(__field(long, sessions)
				     __field(long, files)
				     __field(s64, ns)
				     __field(int, err)),
		    TP_fast_assign(__entry->sessions = sessions;
				   __entry->files = files;
				   __entry->ns = ns;
				   __entry->err = err;),
		    TP_printk("sessions=%ld files=%ld ns=%lld err=%d",
			      __entry->sessions, __entry->files, __entry->ns,
			      __entry->err)
);

/* The handlers' freeze of every outgoing file. */
DEFINE_EVENT(liveupdate_phase, liveupdate_freeze,
	     TP_PROTO(long sessions, long files, s64 ns, int err),
	     TP_ARGS(sessions, files, ns, err));

/* liveupdate_reboot() as a whole: freeze and serialize. */
DEFINE_EVENT(liveupdate_phase, liveupdate_serialize,
	     TP_PROTO(long sessions, long files, s64 ns, int err),
	     TP_ARGS(sessions, files, ns, err));

/* The rebuild of the incoming sessions at the first open. */
TRACE_EVENT(liveupdate_rebuild,
	    TP_PROTO(s64 ns, int err),
	    TP_ARGS(ns, err),
	    TP_STRUCT__entry(__field(s64, ns)
			     __field(int, err)),
	    TP_fast_assign(__entry->ns = ns;
			   __entry->err = err;),
	    TP_printk("ns=%lld err=%d", __entry->ns, __entry->err)
);

#endif /* _TRACE_LIVEUPDATE_H */

/* This part must be outside the include guard. */
#include <trace/define_trace.h>
