/* C helpers for the cgo layer: handles as uintptr_t, errors copied in the same call. */
#ifndef TRULAYER_GO_SHIM_H
#define TRULAYER_GO_SHIM_H
#include <stdint.h>
#include "trulayer.h"

typedef uintptr_t tl_h;

/* Which string field a setter writes. */
enum {
	TL_GO_INPUT, TL_GO_OUTPUT, TL_GO_SESSION, TL_GO_USER, TL_GO_TAG, TL_GO_METADATA, TL_GO_MODEL,
	TL_GO_INPUT_JSON, TL_GO_OUTPUT_JSON, TL_GO_EXTERNAL_ID
};

tl_status tl_go_options_new(tl_h *out, char **err);
tl_status tl_go_options_set(tl_h o, const char *k, const char *v, char **err);
void tl_go_options_free(tl_h o);
/* Installs the Go scrub function registered under `handle` (a runtime/cgo.Handle). */
tl_status tl_go_options_set_scrub(tl_h o, uintptr_t handle, char **err);
tl_status tl_go_client_new(tl_h o, tl_h *out, char **err);
tl_status tl_go_client_flush(tl_h c, uint32_t ms, char **err);
tl_status tl_go_client_shutdown(tl_h c, uint32_t ms, char **err);
void tl_go_client_free(tl_h c);
tl_status tl_go_client_stats(tl_h c, char *buf, size_t cap, size_t *len, char **err);
tl_status tl_go_client_local_traces(tl_h c, char *buf, size_t cap, size_t *len, char **err);
tl_status tl_go_trace_start(tl_h c, const char *name, tl_h *out, char *id, char **err);
tl_status tl_go_trace_set(tl_h t, int field, const char *s, size_t n, char **err);
tl_status tl_go_trace_error(tl_h t, const char *kind, const char *msg, char **err);
tl_status tl_go_trace_tag(tl_h t, const char *k, size_t kn, const char *v, size_t vn, char **err);
tl_status tl_go_trace_cost(tl_h t, double usd, char **err);
tl_status tl_go_trace_event(tl_h t, const char *level, const char *m, size_t mn, const char *md, size_t mdn, char **err);
tl_status tl_go_trace_end(tl_h t, char **err);
tl_status tl_go_span_start(tl_h t, tl_h parent, const char *name, const char *type, tl_h *out, char *id, char **err);
tl_status tl_go_span_set(tl_h sp, int field, const char *s, size_t n, char **err);
tl_status tl_go_span_tokens(tl_h s, int64_t p, int64_t c, char **err);
tl_status tl_go_span_cost(tl_h s, double usd, char **err);
tl_status tl_go_span_error(tl_h s, const char *kind, const char *msg, char **err);
tl_status tl_go_span_event(tl_h s, const char *level, const char *m, size_t mn, const char *md, size_t mdn, char **err);
tl_status tl_go_span_end(tl_h s, char **err);

#endif
