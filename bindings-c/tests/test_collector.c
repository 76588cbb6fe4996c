/* Round trips through the real collector: what C records is what the collector stores. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "http.h"
#include "tests.h"

static int g_port;
static const char *g_key;

tl_client *remote_client(const char *endpoint, const char *key, const char *const *options, tl_scrub_fn scrub) {
    tl_options *o = tl_options_new();
    CHECK_STATUS(tl_options_set(o, "endpoint", endpoint), TL_OK, "");
    CHECK_STATUS(tl_options_set(o, "api_key", key), TL_OK, "");
    CHECK_STATUS(tl_options_set(o, "project", "c-tests"), TL_OK, "");
    CHECK_STATUS(tl_options_set(o, "flush_interval_ms", "200"), TL_OK, "");
    for (; options != NULL && options[0] != NULL; options += 2)
        CHECK_STATUS(tl_options_set(o, options[0], options[1]), TL_OK, "");
    if (scrub != NULL) CHECK_STATUS(tl_options_set_scrub(o, scrub, (void *)"[gone]"), TL_OK, "");
    tl_client *c = NULL;
    CHECK_STATUS(tl_client_new(o, &c), TL_OK, "");
    tl_options_free(o);
    return c;
}

/* The stored trace detail, or NULL (with a failed check) if the collector has no such trace. */
static char *fetch_trace(const char *id) {
    char path[128];
    snprintf(path, sizeof path, "/v1/traces/%s", id);
    int status = 0;
    char *body = http_get(g_port, path, g_key, &status);
    CHECK(body != NULL && status == 200, "GET %s: status %d body %s", path, status, body ? body : "(none)");
    if (body != NULL && status != 200) {
        free(body);
        return NULL;
    }
    return body;
}

long stat_value(tl_client *c, const char *name) {
    char buf[2048];
    if (tl_client_stats_json(c, buf, sizeof buf, NULL) != TL_OK) return -1;
    return json_long(buf, name);
}

/* Ends the trace, flushes, checks the client counted `stat` == `want`, and returns the stored
 * trace (or NULL after a failed check). */
static char *end_flush_fetch(tl_client *c, tl_trace *t, const char *id, const char *stat, long want) {
    CHECK_STATUS(tl_trace_end(t), TL_OK, "");
    CHECK_STATUS(tl_client_flush(c, 10000), TL_OK, "");
    CHECK(stat_value(c, stat) == want, "%s %ld, want %ld", stat, stat_value(c, stat), want);
    return fetch_trace(id);
}

#define HAS(body, text) CHECK(strstr((body), (text)) != NULL, "stored trace lacks %s: %s", (text), (body))

static void test_nested_trace_round_trip(const char *endpoint) {
    tl_client *c = remote_client(endpoint, g_key, NULL, NULL);
    char trace_id[TL_ID_BUFFER_LEN], parent_id[TL_ID_BUFFER_LEN], expect[128];
    tl_trace *t = tl_trace_start(c, "c-roundtrip");
    const char *question = "why is the sky blue? \xc3\xa9\xe2\x9c\x93";
    CHECK_STATUS(tl_trace_set_input(t, question, strlen(question)), TL_OK, "");
    CHECK_STATUS(tl_trace_set_output(t, "Rayleigh scattering", 19), TL_OK, "");
    CHECK_STATUS(tl_trace_set_session_id(t, "sess-c-1", 8), TL_OK, "");
    CHECK_STATUS(tl_trace_set_metadata_json(t, "{\"tenant\":\"acme\",\"n\":3}", 23), TL_OK, "");
    tl_span *agent = tl_span_start(t, NULL, "plan", "agent");
    tl_span *llm = tl_span_start(t, agent, "generate", "llm");
    CHECK_STATUS(tl_span_set_model(llm, "gpt-4o-mini", 11), TL_OK, "");
    CHECK_STATUS(tl_span_set_tokens(llm, 12, 30), TL_OK, "");
    CHECK_STATUS(tl_span_set_input(llm, "prompt text", 11), TL_OK, "");
    CHECK_STATUS(tl_span_set_output(llm, "completion text", 15), TL_OK, "");
    CHECK_STATUS(tl_span_set_metadata_json(llm, "{\"temperature\":0.2}", 19), TL_OK, "");
    tl_span *tool = tl_span_start(t, NULL, "lookup", "tool");
    CHECK_STATUS(tl_span_set_error(tool, "TimeoutError", "tool timed out"), TL_OK, "");
    CHECK_STATUS(tl_trace_id(t, trace_id), TL_OK, "");
    CHECK_STATUS(tl_span_id(agent, parent_id), TL_OK, "");
    CHECK_STATUS(tl_span_end(llm), TL_OK, "");
    CHECK_STATUS(tl_span_end(agent), TL_OK, "");
    CHECK_STATUS(tl_span_end(tool), TL_OK, "");

    char *body = end_flush_fetch(c, t, trace_id, "sent", 1);
    if (body != NULL) {
        HAS(body, "\"name\":\"c-roundtrip\"");
        HAS(body, "\"input\":\"why is the sky blue? \xc3\xa9\xe2\x9c\x93\"");
        HAS(body, "\"output\":\"Rayleigh scattering\"");
        HAS(body, "\"session_id\":\"sess-c-1\"");
        HAS(body, "\"tenant\":\"acme\"");
        HAS(body, "\"name\":\"generate\"");
        HAS(body, "\"model\":\"gpt-4o-mini\"");
        HAS(body, "\"prompt_tokens\":12");
        HAS(body, "\"completion_tokens\":30");
        HAS(body, "\"temperature\":0.2");
        HAS(body, "TimeoutError: tool timed out");
        snprintf(expect, sizeof expect, "\"parent_span_id\":\"%s\"", parent_id);
        HAS(body, expect);
        snprintf(expect, sizeof expect, "\"trace_id\":\"%s\"", trace_id);
        CHECK(count_occurrences(body, expect) == 3, "3 spans stored: %s", body);
        free(body);
    }
    CHECK_STATUS(tl_client_shutdown(c, 5000), TL_OK, "");
    tl_client_free(c);
}

/* Replaces "secret" with the user_data text; fails closed on text containing "fail-me". */
static int32_t scrub_secrets(void *user_data, const char *text, size_t len, tl_scrub_output *out) {
    const char *replacement = user_data;
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int32_t rc = 0;
    char *at = strstr(copy, "secret");
    if (strstr(copy, "fail-me") != NULL) {
        rc = 1;
    } else if (at != NULL) {
        char replaced[256];
        int n = snprintf(replaced, sizeof replaced, "%.*s%s%s", (int)(at - copy), copy, replacement, at + 6);
        tl_scrub_output_set(out, replaced, (size_t)n);
    }
    free(copy);
    return rc;
}

static void test_scrub_callback(const char *endpoint) {
    tl_client *c = remote_client(endpoint, g_key, NULL, scrub_secrets);
    char id[TL_ID_BUFFER_LEN];
    tl_trace *t = tl_trace_start(c, "c-scrub");
    tl_trace_set_input(t, "my secret plan", 14);
    tl_trace_set_output(t, "please fail-me now", 18);
    tl_trace_id(t, id);
    char *body = end_flush_fetch(c, t, id, "scrub_failures", 1);
    if (body != NULL) {
        HAS(body, "\"input\":\"my [gone] plan\"");
        HAS(body, "\"output\":\"<REDACTED:scrub_failed>\"");
        CHECK(strstr(body, "fail-me") == NULL && strstr(body, "secret") == NULL, "scrubbed text leaked: %s", body);
        free(body);
    }
    tl_client_shutdown(c, 5000);
    tl_client_free(c);
}

enum { THREADS = 8 };

struct worker {
    tl_client *client;
    tl_trace *shared; /* one trace all threads add spans to */
    int traces, spans;
    char (*ids)[TL_ID_BUFFER_LEN];
    int failures;
};

static void *record_many(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < w->traces; i++) {
        tl_trace *t = tl_trace_start(w->client, "c-threads");
        if (t == NULL || tl_trace_id(t, w->ids[i]) != TL_OK) w->failures++;
        tl_span *root = tl_span_start(t, NULL, "root", "agent");
        for (int j = 1; j < w->spans; j++) {
            tl_span *s = tl_span_start(t, root, "step", "llm");
            if (tl_span_set_tokens(s, j, j) != TL_OK || tl_span_end(s) != TL_OK) w->failures++;
            tl_span *x = tl_span_start(w->shared, NULL, "shared-step", "tool");
            if (tl_span_end(x) != TL_OK) w->failures++;
        }
        if (tl_span_end(root) != TL_OK || tl_trace_end(t) != TL_OK) w->failures++;
    }
    return NULL;
}

static void test_many_threads_all_delivered(const char *endpoint, int scale) {
    tl_client *c = remote_client(endpoint, g_key, NULL, NULL);
    tl_trace *shared = tl_trace_start(c, "c-threads-shared");
    char shared_id[TL_ID_BUFFER_LEN];
    tl_trace_id(shared, shared_id);
    struct worker workers[THREADS];
    pthread_t threads[THREADS];
    int traces = 3 * scale, spans = 10 * scale;
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){c, shared, traces, spans, calloc((size_t)traces, TL_ID_BUFFER_LEN), 0};
        pthread_create(&threads[i], NULL, record_many, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    CHECK_STATUS(tl_trace_end(shared), TL_OK, "");
    CHECK_STATUS(tl_client_flush(c, 30000), TL_OK, "");
    long total = THREADS * traces + 1;
    CHECK(stat_value(c, "sent") == total, "sent %ld of %ld", stat_value(c, "sent"), total);
    CHECK(stat_value(c, "dropped_total") == 0, "dropped %ld", stat_value(c, "dropped_total"));

    char expect[128];
    for (int i = 0; i < THREADS; i++) {
        CHECK(workers[i].failures == 0, "thread %d: %d failed calls", i, workers[i].failures);
        for (int k = 0; k < traces; k++) {
            char *body = fetch_trace(workers[i].ids[k]);
            if (body == NULL) continue;
            snprintf(expect, sizeof expect, "\"trace_id\":\"%s\"", workers[i].ids[k]);
            CHECK(count_occurrences(body, expect) == spans, "trace %s stored %d of %d spans", workers[i].ids[k],
                  count_occurrences(body, expect), spans);
            free(body);
        }
        free(workers[i].ids);
    }
    char *body = fetch_trace(shared_id);
    if (body != NULL) {
        snprintf(expect, sizeof expect, "\"trace_id\":\"%s\"", shared_id);
        int want = THREADS * traces * (spans - 1);
        CHECK(count_occurrences(body, expect) == want, "shared trace stored %d of %d spans",
              count_occurrences(body, expect), want);
        free(body);
    }
    CHECK_STATUS(tl_client_shutdown(c, 5000), TL_OK, "");
    tl_client_free(c);
}

void run_collector_tests(const char *endpoint, const char *key, int scale) {
    const char *port = strrchr(endpoint, ':');
    g_port = port ? atoi(port + 1) : 0;
    g_key = key;
    test_nested_trace_round_trip(endpoint);
    test_scrub_callback(endpoint);
    test_many_threads_all_delivered(endpoint, scale);
}
