/* The safety contract of the C ABI: every bad input is a status and a message, never a crash.
 * Runs in local mode: nothing here needs the network. */
#include <stdlib.h>

#include "check.h"
#include "tests.h"

tl_client *local_client(void) {
    tl_options *o = tl_options_new();
    tl_options_set(o, "mode", "local");
    tl_options_set(o, "project", "contract");
    tl_client *c = NULL;
    tl_status s = tl_client_new(o, &c);
    CHECK(s == TL_OK && c != NULL, "local client: %s", tl_last_error());
    tl_options_free(o);
    return c;
}

static void test_version(void) {
    CHECK(tl_abi_version() == TL_ABI_VERSION, "abi %u", tl_abi_version());
    CHECK(strlen(tl_version()) >= 5, "version \"%s\"", tl_version());
    CHECK(strcmp(tl_last_error(), "") == 0 && tl_last_status() == TL_OK, "fresh thread has no error");
}

static void test_options(void) {
    tl_options *o = tl_options_new();
    CHECK(o != NULL, "tl_options_new");
    CHECK_STATUS(tl_options_set(o, "batch_size", "10"), TL_OK, "");
    CHECK_STATUS(tl_options_set(o, "project_name", "alias-ok"), TL_OK, "");
    CHECK_STATUS(tl_options_set(NULL, "batch_size", "1"), TL_ERR_INVALID_ARGUMENT, "tl_options handle is NULL");
    CHECK_STATUS(tl_options_set(o, NULL, "1"), TL_ERR_INVALID_ARGUMENT, "option key must not be NULL");
    CHECK_STATUS(tl_options_set(o, "batch_size", NULL), TL_ERR_INVALID_ARGUMENT, "option value must not be NULL");
    CHECK_STATUS(tl_options_set(o, "batchsize", "1"), TL_ERR_INVALID_OPTION,
                 "invalid batchsize: unknown option; known options: api_key, project");
    CHECK_STATUS(tl_options_set(o, "batch_size", "abc"), TL_ERR_INVALID_OPTION,
                 "invalid batch_size: must be an integer from 1 to 100, got \"abc\"");
    CHECK_STATUS(tl_options_set(o, "sample_rate", "1.5"), TL_ERR_INVALID_OPTION, "must be a number from 0.0 to 1.0");
    CHECK_STATUS(tl_options_set(o, "mode", "offline"), TL_ERR_INVALID_OPTION, "must be \"local\" or \"remote\"");
    CHECK_STATUS(tl_options_set(o, "endpoint", "localhost:8080"), TL_ERR_INVALID_OPTION, "must be an http(s) URL");
    CHECK_STATUS(tl_options_set(o, "pro\xffject", "x"), TL_ERR_INVALID_UTF8, "option key is not valid UTF-8");
    CHECK_STATUS(tl_options_set_scrub(o, NULL, NULL), TL_ERR_INVALID_ARGUMENT, "scrub callback is NULL");

    tl_client *c = (tl_client *)1;
    CHECK_STATUS(tl_client_new(o, &c), TL_ERR_INVALID_OPTION, "invalid api_key: an API key is required");
    CHECK(c == NULL, "a failed tl_client_new sets *out to NULL");
    CHECK_STATUS(tl_client_new(o, NULL), TL_ERR_INVALID_ARGUMENT, "out pointer is NULL");

    tl_options_free(o);
    tl_options_free(o); /* freed twice: ignored, remembered as CLOSED */
    CHECK(tl_last_status() == TL_ERR_CLOSED, "double free of options: %s", tl_last_error());
    CHECK_STATUS(tl_options_set(o, "batch_size", "1"), TL_ERR_CLOSED, "tl_options handle has already been ended or freed");
    tl_options_free(NULL);
}

static void test_null_handles(void) {
    char id[TL_ID_BUFFER_LEN];
    CHECK_NULL(tl_trace_start(NULL, "t"), TL_ERR_INVALID_ARGUMENT, "tl_client handle is NULL");
    CHECK_STATUS(tl_trace_set_input(NULL, "x", 1), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_output(NULL, "x", 1), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_session_id(NULL, "x", 1), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_metadata_json(NULL, "{}", 2), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_set_error(NULL, "E", "m"), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_id(NULL, id), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_trace_end(NULL), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_NULL(tl_span_start(NULL, NULL, "s", "llm"), TL_ERR_INVALID_ARGUMENT, "tl_trace handle is NULL");
    CHECK_STATUS(tl_span_set_model(NULL, "m", 1), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");
    CHECK_STATUS(tl_span_set_tokens(NULL, 1, 2), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");
    CHECK_STATUS(tl_span_end(NULL), TL_ERR_INVALID_ARGUMENT, "tl_span handle is NULL");
    CHECK_STATUS(tl_client_flush(NULL, 10), TL_ERR_INVALID_ARGUMENT, "tl_client handle is NULL");
    CHECK_STATUS(tl_client_shutdown(NULL, 10), TL_ERR_INVALID_ARGUMENT, "tl_client handle is NULL");
    CHECK_STATUS(tl_client_stats_json(NULL, NULL, 0, NULL), TL_ERR_INVALID_ARGUMENT, "tl_client handle is NULL");
    tl_client_free(NULL);
}

static void test_bad_strings_and_json(tl_client *c) {
    tl_trace *t = tl_trace_start(c, "bad-input");
    CHECK(t != NULL, "trace start: %s", tl_last_error());
    tl_span *s = tl_span_start(t, NULL, "step", "tool");
    CHECK(s != NULL, "span start: %s", tl_last_error());

    CHECK_NULL(tl_trace_start(c, NULL), TL_ERR_INVALID_ARGUMENT, "trace name must not be NULL");
    CHECK_NULL(tl_trace_start(c, "bad\xc3("), TL_ERR_INVALID_UTF8, "trace name is not valid UTF-8 (invalid byte at offset 3)");
    CHECK_NULL(tl_span_start(t, NULL, "\xff", NULL), TL_ERR_INVALID_UTF8, "span name is not valid UTF-8");
    CHECK_STATUS(tl_trace_set_input(t, "ok\xe2\x82", 4), TL_ERR_INVALID_UTF8, "input is not valid UTF-8 (invalid byte at offset 2)");
    CHECK_STATUS(tl_trace_set_output(t, NULL, 3), TL_ERR_INVALID_ARGUMENT, "output is NULL but its length is 3");
    CHECK_STATUS(tl_trace_set_output(t, NULL, 0), TL_OK, "");
    CHECK_STATUS(tl_span_set_model(s, "\x80", 1), TL_ERR_INVALID_UTF8, "model is not valid UTF-8");
    CHECK_STATUS(tl_span_set_input(s, "a\0b", 3), TL_OK, ""); /* embedded NUL is valid UTF-8 */
    CHECK_STATUS(tl_trace_set_metadata_json(t, "{\"a\":", 5), TL_ERR_INVALID_JSON, "metadata is not valid JSON");
    CHECK_STATUS(tl_trace_set_metadata_json(t, "[1,2]", 5), TL_ERR_INVALID_JSON, "metadata must be a JSON object, got an array");
    CHECK_STATUS(tl_span_set_metadata_json(s, "\"x\"", 3), TL_ERR_INVALID_JSON, "got a string");
    CHECK_STATUS(tl_span_set_metadata_json(s, "{\"k\":\"\xff\"}", 8), TL_ERR_INVALID_UTF8, "metadata is not valid UTF-8");
    CHECK_STATUS(tl_span_set_metadata_json(s, "{\"k\":[1,{\"n\":null}]}", 20), TL_OK, "");
    CHECK_STATUS(tl_trace_set_error(t, NULL, NULL), TL_ERR_INVALID_ARGUMENT, "error message must not be NULL");
    CHECK_STATUS(tl_trace_set_error(t, "Bad\xff", "m"), TL_ERR_INVALID_UTF8, "error type is not valid UTF-8");
    CHECK_STATUS(tl_span_set_tokens(s, -1, 5), TL_ERR_INVALID_ARGUMENT, "must not be negative");
    CHECK_STATUS(tl_span_set_cost(s, -0.5), TL_ERR_INVALID_ARGUMENT, "finite number >= 0");
    CHECK_STATUS(tl_trace_id(t, NULL), TL_ERR_INVALID_ARGUMENT, "id buffer is NULL");

    /* A handle of the wrong kind is not found, whatever its kind. */
    CHECK_STATUS(tl_trace_set_input((tl_trace *)s, "x", 1), TL_ERR_CLOSED, "is not a tl_trace");
    CHECK_STATUS(tl_span_end((tl_span *)t), TL_ERR_CLOSED, "is not a tl_span");

    CHECK_STATUS(tl_span_end(s), TL_OK, "");
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
}

static void test_ended_handles(tl_client *c) {
    char id[TL_ID_BUFFER_LEN];
    tl_trace *t = tl_trace_start(c, "ended");
    tl_trace *other = tl_trace_start(c, "other");
    tl_span *parent = tl_span_start(t, NULL, "parent", "agent");
    tl_span *late = tl_span_start(t, parent, "late", "llm");
    tl_span *done = tl_span_start(t, NULL, "done", NULL);
    CHECK(t && other && parent && late && done, "starts: %s", tl_last_error());
    CHECK_STATUS(tl_trace_id(t, id), TL_OK, "");
    CHECK(strlen(id) == 36 && id[8] == '-', "trace id %s", id);

    CHECK_NULL(tl_span_start(other, parent, "x", "tool"), TL_ERR_INVALID_ARGUMENT, "parent span belongs to another trace");
    CHECK_STATUS(tl_span_end(done), TL_OK, "");
    CHECK_STATUS(tl_span_end(done), TL_ERR_CLOSED, "tl_span handle has already been ended or freed");
    CHECK_STATUS(tl_span_set_output(done, "x", 1), TL_ERR_CLOSED, "already been ended");
    CHECK_STATUS(tl_span_end(parent), TL_OK, "");
    CHECK_NULL(tl_span_start(t, parent, "child-of-ended", "tool"), TL_ERR_CLOSED, "tl_span handle has already been ended");

    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
    CHECK_STATUS(tl_trace_end(t), TL_ERR_CLOSED, "tl_trace handle has already been ended or freed");
    CHECK_STATUS(tl_trace_set_input(t, "x", 1), TL_ERR_CLOSED, "tl_trace handle has already been ended");
    CHECK_STATUS(tl_trace_id(t, id), TL_ERR_CLOSED, "already been ended");
    CHECK_NULL(tl_span_start(t, NULL, "after-end", "llm"), TL_ERR_CLOSED, "tl_trace handle has already been ended");
    /* A span still open when its trace ended is not delivered; ending it says so and counts it. */
    CHECK_STATUS(tl_span_end(late), TL_ERR_CLOSED, "the span's trace had already ended");
    char stats[1024];
    CHECK_STATUS(tl_client_stats_json(c, stats, sizeof stats, NULL), TL_OK, "");
    CHECK(strstr(stats, "\"late_spans\":1") != NULL, "stats %s", stats);
    CHECK_STATUS(tl_trace_end(other), TL_OK, "");
}

static void test_stats_buffer(tl_client *c) {
    size_t need = 0;
    char small[8];
    CHECK_STATUS(tl_client_stats_json(c, NULL, 0, &need), TL_ERR_BUFFER_TOO_SMALL, "are needed");
    CHECK(need > 100, "stats length %zu", need);
    CHECK_STATUS(tl_client_stats_json(c, small, sizeof small, NULL), TL_ERR_BUFFER_TOO_SMALL, "buffer holds 8 bytes");
    char *buf = malloc(need + 1);
    size_t len = 0;
    CHECK_STATUS(tl_client_stats_json(c, buf, need + 1, &len), TL_OK, "");
    CHECK(len == need && buf[0] == '{' && buf[len - 1] == '}' && buf[len] == '\0', "stats %s", buf);
    CHECK(strstr(buf, "\"finished\":3") != NULL, "three traces ended in local mode: %s", buf);
    free(buf);
}

static void test_shutdown_and_free(void) {
    tl_client *c = local_client();
    tl_trace *open = tl_trace_start(c, "open-at-shutdown");
    CHECK_STATUS(tl_client_shutdown(c, 1000), TL_OK, "");
    CHECK_STATUS(tl_client_shutdown(c, 1000), TL_OK, "");
    CHECK_NULL(tl_trace_start(c, "after-shutdown"), TL_ERR_CLOSED, "the client has been shut down");
    CHECK_STATUS(tl_trace_end(open), TL_OK, ""); /* local mode keeps it even after shutdown */
    tl_client_free(c);
    tl_client_free(c);
    CHECK(tl_last_status() == TL_ERR_CLOSED, "double free of a client: %s", tl_last_error());
    CHECK_NULL(tl_trace_start(c, "after-free"), TL_ERR_CLOSED, "tl_client handle has already been ended or freed");
    CHECK_STATUS(tl_client_flush(c, 10), TL_ERR_CLOSED, "already been ended or freed");
}

static void test_panic_is_a_status(tl_client *c) {
    CHECK_STATUS(tl_selftest_panic(), TL_ERR_PANIC, "internal error in libtrulayer");
    CHECK(strstr(tl_last_error(), "tl_selftest_panic was called") != NULL, "%s", tl_last_error());
    /* The library keeps working after a caught panic. */
    tl_trace *t = tl_trace_start(c, "after-panic");
    CHECK(t != NULL, "trace after panic: %s", tl_last_error());
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
}

/* Local mode keeps the wire JSON in process: what a C program's own tests assert on. */
static void test_local_traces(void) {
    tl_client *c = local_client();
    tl_trace *t = tl_trace_start(c, "local-one");
    tl_trace_set_input(t, "hello \"quoted\"", 14);
    tl_span *s = tl_span_start(t, NULL, "step", "retrieval");
    tl_span_end(s);
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
    size_t need = 0;
    CHECK_STATUS(tl_client_local_traces_json(c, NULL, 0, &need), TL_ERR_BUFFER_TOO_SMALL, "are needed");
    char *buf = malloc(need + 1);
    CHECK_STATUS(tl_client_local_traces_json(c, buf, need + 1, NULL), TL_OK, "");
    CHECK(buf[0] == '[' && strstr(buf, "\"name\":\"local-one\"") && strstr(buf, "\"input\":\"hello \\\"quoted\\\"\"") &&
              strstr(buf, "\"type\":\"retrieval\"") && strstr(buf, "\"project_id\":\"contract\""),
          "local traces %s", buf);
    free(buf);
    CHECK_STATUS(tl_client_clear_local_traces(c), TL_OK, "");
    char empty[4];
    CHECK_STATUS(tl_client_local_traces_json(c, empty, sizeof empty, NULL), TL_OK, "");
    CHECK(strcmp(empty, "[]") == 0, "after clear: %s", empty);
    tl_client_shutdown(c, 1000);
    tl_client_free(c);
}

void run_contract_tests(void) {
    test_version();
    test_options();
    test_null_handles();
    tl_client *c = local_client();
    test_bad_strings_and_json(c);
    test_ended_handles(c);
    test_stats_buffer(c);
    test_panic_is_a_status(c);
    CHECK_STATUS(tl_client_shutdown(c, 1000), TL_OK, "");
    tl_client_free(c);
    test_shutdown_and_free();
    test_local_traces();
}
