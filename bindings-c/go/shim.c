/* See shim.h. tl_last_error() is copied with strdup inside each call: a goroutine may run
 * its next cgo call on another OS thread, and the message is thread-local. */
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "_cgo_export.h"

static tl_status tl_go_fail(tl_status s, char **err) {
	if (s != TL_OK && err != NULL) *err = strdup(tl_last_error());
	return s;
}

tl_status tl_go_options_new(tl_h *out, char **err) {
	tl_options *o = tl_options_new();
	*out = (tl_h)o;
	return tl_go_fail(o ? TL_OK : tl_last_status(), err);
}
tl_status tl_go_options_set(tl_h o, const char *k, const char *v, char **err) {
	return tl_go_fail(tl_options_set((tl_options *)o, k, v), err);
}
void tl_go_options_free(tl_h o) { tl_options_free((tl_options *)o); }
/* The exported Go function has Go's parameter types; this adapter has tl_scrub_fn's. */
static int32_t tl_go_scrub(void *user_data, const char *text, size_t len, tl_scrub_output *out) {
	return trulayerGoScrub((uintptr_t)user_data, (char *)text, len, out);
}
tl_status tl_go_options_set_scrub(tl_h o, uintptr_t handle, char **err) {
	return tl_go_fail(tl_options_set_scrub((tl_options *)o, tl_go_scrub, (void *)handle), err);
}
tl_status tl_go_client_new(tl_h o, tl_h *out, char **err) {
	tl_client *c = NULL;
	tl_status s = tl_client_new((const tl_options *)o, &c);
	*out = (tl_h)c;
	return tl_go_fail(s, err);
}
tl_status tl_go_client_flush(tl_h c, uint32_t ms, char **err) {
	return tl_go_fail(tl_client_flush((tl_client *)c, ms), err);
}
tl_status tl_go_client_shutdown(tl_h c, uint32_t ms, char **err) {
	return tl_go_fail(tl_client_shutdown((tl_client *)c, ms), err);
}
void tl_go_client_free(tl_h c) { tl_client_free((tl_client *)c); }
tl_status tl_go_client_stats(tl_h c, char *buf, size_t cap, size_t *len, char **err) {
	return tl_go_fail(tl_client_stats_json((tl_client *)c, buf, cap, len), err);
}
tl_status tl_go_client_local_traces(tl_h c, char *buf, size_t cap, size_t *len, char **err) {
	return tl_go_fail(tl_client_local_traces_json((tl_client *)c, buf, cap, len), err);
}

tl_status tl_go_trace_start(tl_h c, const char *name, tl_h *out, char *id, char **err) {
	tl_trace *t = tl_trace_start((tl_client *)c, name);
	*out = (tl_h)t;
	if (t == NULL) return tl_go_fail(tl_last_status(), err);
	return tl_go_fail(tl_trace_id(t, id), err);
}
tl_status tl_go_trace_set(tl_h t, int field, const char *s, size_t n, char **err) {
	tl_trace *tr = (tl_trace *)t;
	tl_status st;
	switch (field) {
	case TL_GO_INPUT: st = tl_trace_set_input(tr, s, n); break;
	case TL_GO_OUTPUT: st = tl_trace_set_output(tr, s, n); break;
	case TL_GO_SESSION: st = tl_trace_set_session_id(tr, s, n); break;
	case TL_GO_USER: st = tl_trace_set_user_id(tr, s, n); break;
	case TL_GO_TAG: st = tl_trace_add_tag(tr, s, n); break;
	case TL_GO_METADATA: st = tl_trace_set_metadata_json(tr, s, n); break;
	case TL_GO_MODEL: st = tl_trace_set_model(tr, s, n); break;
	case TL_GO_INPUT_JSON: st = tl_trace_set_input_json(tr, s, n); break;
	case TL_GO_OUTPUT_JSON: st = tl_trace_set_output_json(tr, s, n); break;
	case TL_GO_EXTERNAL_ID: st = tl_trace_set_external_id(tr, s, n); break;
	default: st = TL_ERR_INVALID_ARGUMENT;
	}
	return tl_go_fail(st, err);
}
tl_status tl_go_trace_error(tl_h t, const char *kind, const char *msg, char **err) {
	return tl_go_fail(tl_trace_set_error((tl_trace *)t, kind, msg), err);
}
tl_status tl_go_trace_tag(tl_h t, const char *k, size_t kn, const char *v, size_t vn, char **err) {
	return tl_go_fail(tl_trace_set_tag((tl_trace *)t, k, kn, v, vn), err);
}
tl_status tl_go_trace_cost(tl_h t, double usd, char **err) {
	return tl_go_fail(tl_trace_set_cost((tl_trace *)t, usd), err);
}
tl_status tl_go_trace_event(tl_h t, const char *level, const char *m, size_t mn, const char *md, size_t mdn, char **err) {
	return tl_go_fail(tl_trace_event((tl_trace *)t, level, m, mn, md, mdn), err);
}
tl_status tl_go_trace_end(tl_h t, char **err) { return tl_go_fail(tl_trace_end((tl_trace *)t), err); }

tl_status tl_go_span_start(tl_h t, tl_h parent, const char *name, const char *type, tl_h *out, char *id,
                                  char **err) {
	tl_span *s = tl_span_start((tl_trace *)t, (tl_span *)parent, name, type);
	*out = (tl_h)s;
	if (s == NULL) return tl_go_fail(tl_last_status(), err);
	return tl_go_fail(tl_span_id(s, id), err);
}
tl_status tl_go_span_set(tl_h sp, int field, const char *s, size_t n, char **err) {
	tl_span *span = (tl_span *)sp;
	tl_status st;
	switch (field) {
	case TL_GO_INPUT: st = tl_span_set_input(span, s, n); break;
	case TL_GO_OUTPUT: st = tl_span_set_output(span, s, n); break;
	case TL_GO_MODEL: st = tl_span_set_model(span, s, n); break;
	case TL_GO_METADATA: st = tl_span_set_metadata_json(span, s, n); break;
	case TL_GO_INPUT_JSON: st = tl_span_set_input_json(span, s, n); break;
	case TL_GO_OUTPUT_JSON: st = tl_span_set_output_json(span, s, n); break;
	default: st = TL_ERR_INVALID_ARGUMENT;
	}
	return tl_go_fail(st, err);
}
tl_status tl_go_span_tokens(tl_h s, int64_t p, int64_t c, char **err) {
	return tl_go_fail(tl_span_set_tokens((tl_span *)s, p, c), err);
}
tl_status tl_go_span_cost(tl_h s, double usd, char **err) {
	return tl_go_fail(tl_span_set_cost((tl_span *)s, usd), err);
}
tl_status tl_go_span_error(tl_h s, const char *kind, const char *msg, char **err) {
	return tl_go_fail(tl_span_set_error((tl_span *)s, kind, msg), err);
}
tl_status tl_go_span_event(tl_h s, const char *level, const char *m, size_t mn, const char *md, size_t mdn, char **err) {
	return tl_go_fail(tl_span_event((tl_span *)s, level, m, mn, md, mdn), err);
}
tl_status tl_go_span_end(tl_h s, char **err) { return tl_go_fail(tl_span_end((tl_span *)s), err); }
