/* JSON payloads, key/value tags, events, external id, model and cost: each checked on the wire
 * JSON a local-mode client keeps (good input), and with a bad handle, bad UTF-8 and bad JSON. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "tests.h"

#define LIT(s) (s), (sizeof(s) - 1) /* a string literal as (pointer, length) */

/* The kept traces as one JSON array; the caller frees it. */
static char *kept_json(tl_client *c) {
    size_t need = 0;
    tl_client_local_traces_json(c, NULL, 0, &need);
    char *buf = malloc(need + 1);
    CHECK_STATUS(tl_client_local_traces_json(c, buf, need + 1, NULL), TL_OK, "");
    return buf;
}

#define CHECK_WIRE(json, needle) CHECK(strstr((json), (needle)) != NULL, "wire JSON lacks %s: %s", (needle), (json))

static void test_fields_reach_the_wire(void) {
    tl_client *c = local_client();
    tl_trace *t = tl_trace_start(c, "fields");
    tl_span *s = tl_span_start(t, NULL, "step", "tool");
    char span_id[TL_ID_BUFFER_LEN];
    CHECK_STATUS(tl_span_id(s, span_id), TL_OK, "");

    CHECK_STATUS(tl_trace_set_input_json(t, LIT("{\"b\": 1, \"a\": [true, 2.50, \"<x>\"]}")), TL_OK, "");
    CHECK_STATUS(tl_trace_set_output_json(t, LIT("\"a plain \\\"string\\\"\"")), TL_OK, "");
    CHECK_STATUS(tl_span_set_input_json(s, LIT("[1, null, {\"z\": {}}]")), TL_OK, "");
    CHECK_STATUS(tl_span_set_output_json(s, LIT("42")), TL_OK, "");
    CHECK_STATUS(tl_trace_set_external_id(t, LIT("req-9")), TL_OK, "");
    CHECK_STATUS(tl_trace_set_model(t, LIT("gpt-4o-mini")), TL_OK, "");
    CHECK_STATUS(tl_trace_set_cost(t, 0.25), TL_OK, "");
    CHECK_STATUS(tl_trace_set_tag(t, LIT("tier"), LIT("free")), TL_OK, "");
    CHECK_STATUS(tl_trace_set_tag(t, LIT("tier"), LIT("pro")), TL_OK, ""); /* a key set again is replaced */
    CHECK_STATUS(tl_trace_add_tag(t, LIT("beta")), TL_OK, "");
    CHECK_STATUS(tl_span_event(s, "info", LIT("cache miss"), LIT("{\"key\":\"q1\"}")), TL_OK, "");
    CHECK_STATUS(tl_trace_event(t, "warning", LIT("slow"), NULL, 0), TL_OK, "");
    CHECK_STATUS(tl_span_set_error(s, NULL, "handled without a type"), TL_OK, "");
    CHECK_STATUS(tl_span_end(s), TL_OK, "");
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");

    char *json = kept_json(c);
    CHECK_WIRE(json, "\"input\":\"{\\\"a\\\":[true,2.5,\\\"<x>\\\"],\\\"b\\\":1}\""); /* compact, sorted keys */
    CHECK_WIRE(json, "\"output\":\"a plain \\\"string\\\"\""); /* a JSON string stays a string */
    CHECK_WIRE(json, "\"input\":\"[1,null,{\\\"z\\\":{}}]\"");
    CHECK_WIRE(json, "\"output\":\"42\"");
    CHECK_WIRE(json, "\"external_id\":\"req-9\"");
    CHECK_WIRE(json, "\"model\":\"gpt-4o-mini\"");
    CHECK_WIRE(json, "\"cost\":0.25");
    CHECK_WIRE(json, "\"tags\":{\"beta\":\"\",\"tier\":\"pro\"}");
    CHECK_WIRE(json, "\"error\":\"handled without a type\"");
    char span_event[160];
    snprintf(span_event, sizeof span_event, "\"span_id\":\"%s\",\"level\":\"info\",\"message\":\"cache miss\",\"metadata\":{\"key\":\"q1\"}", span_id);
    CHECK_WIRE(json, span_event);
    CHECK_WIRE(json, "\"span_id\":null,\"level\":\"warn\",\"message\":\"slow\",\"metadata\":{}");
    free(json);
    tl_client_shutdown(c, 1000);
    tl_client_free(c);
}

static void test_bad_handles(void) {
    CHECK_STATUS(tl_trace_set_input_json(NULL, LIT("1")), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_output_json(NULL, LIT("1")), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_span_set_input_json(NULL, LIT("1")), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");
    CHECK_STATUS(tl_span_set_output_json(NULL, LIT("1")), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");
    CHECK_STATUS(tl_trace_set_external_id(NULL, LIT("x")), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_model(NULL, LIT("m")), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_cost(NULL, 1.0), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_tag(NULL, LIT("k"), LIT("v")), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_event(NULL, "info", LIT("m"), NULL, 0), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_span_event(NULL, "info", LIT("m"), NULL, 0), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");

    /* Ended handles, and a span outliving its trace. */
    tl_client *c = local_client();
    tl_trace *t = tl_trace_start(c, "ended");
    tl_span *done = tl_span_start(t, NULL, "done", NULL);
    tl_span *late = tl_span_start(t, NULL, "late", NULL);
    CHECK_STATUS(tl_span_end(done), TL_OK, "");
    CHECK_STATUS(tl_span_set_output_json(done, LIT("1")), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_span_event(done, "info", LIT("m"), NULL, 0), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
    CHECK_STATUS(tl_span_event(late, "info", LIT("m"), NULL, 0), TL_ERR_CLOSED, "the span's trace has already ended");
    CHECK_STATUS(tl_trace_set_input_json(t, LIT("1")), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_trace_set_tag(t, LIT("k"), LIT("v")), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_trace_set_cost(t, 1.0), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_trace_event(t, "info", LIT("m"), NULL, 0), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_span_end(late), TL_ERR_CLOSED, "the span's trace had already ended");
    /* A handle of the wrong kind is not found. */
    CHECK_STATUS(tl_span_set_input_json((tl_span *)c, LIT("1")), TL_ERR_CLOSED, "is not a tl_span");
    tl_client_shutdown(c, 1000);
    tl_client_free(c);
}

/* Every rejected value leaves the record unchanged: the trace is sent without it. */
static void test_bad_input(void) {
    tl_client *c = local_client();
    tl_trace *t = tl_trace_start(c, "bad-fields");
    tl_span *s = tl_span_start(t, NULL, "step", "llm");

    CHECK_STATUS(tl_trace_set_input_json(t, LIT("{\"a\":")), TL_ERR_INVALID_JSON, "the input is not valid JSON");
    CHECK_STATUS(tl_trace_set_output_json(t, LIT("")), TL_ERR_INVALID_JSON, "the output is not valid JSON");
    CHECK_STATUS(tl_span_set_input_json(s, LIT("[1,]")), TL_ERR_INVALID_JSON, "the input is not valid JSON");
    CHECK_STATUS(tl_span_set_output_json(s, LIT("{} {}")), TL_ERR_INVALID_JSON, "trailing characters");
    CHECK_STATUS(tl_span_set_output_json(s, NULL, 2), TL_ERR_INVALID_ARGUMENT, "output is NULL but its length is 2");
    CHECK_STATUS(tl_trace_set_input_json(t, LIT("\"\xff\"")), TL_ERR_INVALID_UTF8, "input is not valid UTF-8 (invalid byte at offset 1)");
    CHECK_STATUS(tl_span_set_input_json(s, LIT("\"\xc3\"")), TL_ERR_INVALID_UTF8, "input is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_external_id(t, LIT("x\xff")), TL_ERR_INVALID_UTF8, "external id is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_model(t, LIT("\x80")), TL_ERR_INVALID_UTF8, "model is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_tag(t, LIT("k\xff"), LIT("v")), TL_ERR_INVALID_UTF8, "tag key is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_tag(t, LIT("k"), LIT("\xfe")), TL_ERR_INVALID_UTF8, "tag value is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_tag(t, NULL, 1, LIT("v")), TL_ERR_INVALID_ARGUMENT, "tag key is NULL but its length is 1");
    CHECK_STATUS(tl_trace_set_cost(t, -0.01), TL_ERR_INVALID_ARGUMENT, "finite number >= 0");
    CHECK_STATUS(tl_trace_set_cost(t, INFINITY), TL_ERR_INVALID_ARGUMENT, "finite number >= 0");
    CHECK_STATUS(tl_trace_event(t, "loud", LIT("m"), NULL, 0), TL_ERR_INVALID_ARGUMENT, "event level must be");
    CHECK_STATUS(tl_trace_event(t, NULL, LIT("m"), NULL, 0), TL_ERR_INVALID_ARGUMENT, "event level must not be NULL");
    CHECK_STATUS(tl_span_event(s, "in\xff", LIT("m"), NULL, 0), TL_ERR_INVALID_UTF8, "event level is not valid UTF-8");
    CHECK_STATUS(tl_span_event(s, "info", LIT("m\xff"), NULL, 0), TL_ERR_INVALID_UTF8, "event message is not valid UTF-8");
    CHECK_STATUS(tl_span_event(s, "info", LIT("m"), LIT("[1]")), TL_ERR_INVALID_JSON, "metadata must be a JSON object, got an array");
    CHECK_STATUS(tl_trace_event(t, "info", LIT("m"), LIT("{")), TL_ERR_INVALID_JSON, "metadata is not valid JSON");
    CHECK_STATUS(tl_trace_event(t, "info", LIT("m"), NULL, 3), TL_ERR_INVALID_ARGUMENT, "metadata is NULL but its length is 3");
    CHECK_STATUS(tl_span_end(s), TL_OK, "");
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");

    char *json = kept_json(c);
    CHECK_WIRE(json, "\"external_id\":null");
    CHECK_WIRE(json, "\"input\":null,\"output\":null,\"model\":null");
    CHECK_WIRE(json, "\"cost\":null");
    CHECK_WIRE(json, "\"tags\":[]");
    CHECK(strstr(json, "\"events\"") == NULL, "no event was recorded: %s", json);
    free(json);
    tl_client_shutdown(c, 1000);
    tl_client_free(c);
}

void run_field_tests(void) {
    test_fields_reach_the_wire();
    test_bad_handles();
    test_bad_input();
}
