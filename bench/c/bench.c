/* ns per span through libtrulayer, on 1 and 2 threads, against a hand-rolled C recorder
 * measured in the same run (the least a C tracer can do: allocate, time, copy, free).
 * Usage: bench [traces_per_thread] (see README.md; run.sh builds and runs it). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trulayer.h"

enum { SPANS_PER_TRACE = 100 };
static const char INPUT[] = "What is the capital of France? Answer in one word, please.";
static const char MODEL[] = "gpt-4o-mini";

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* --- libtrulayer ------------------------------------------------------------------------ */

static tl_client *client_with(const char *key, const char *value) {
    tl_options *o = tl_options_new();
    tl_options_set(o, "mode", "local");
    tl_options_set(o, "local_buffer_size", "16");
    tl_options_set(o, key, value);
    tl_client *c = NULL;
    if (tl_client_new(o, &c) != TL_OK) {
        fprintf(stderr, "tl_client_new: %s\n", tl_last_error());
        exit(1);
    }
    tl_options_free(o);
    return c;
}

static void trulayer_trace(tl_client *c) {
    tl_trace *t = tl_trace_start(c, "bench");
    for (int i = 0; i < SPANS_PER_TRACE; i++) {
        tl_span *s = tl_span_start(t, NULL, "generate", "llm");
        tl_span_set_input(s, INPUT, sizeof INPUT - 1);
        tl_span_set_model(s, MODEL, sizeof MODEL - 1);
        tl_span_set_tokens(s, 12, 30);
        tl_span_end(s);
    }
    tl_trace_end(t);
}

/* --- the hand-rolled peer: one malloc'd record per span, freed with its trace ------------ */

struct raw_span {
    char *name, *input, *model;
    long prompt, completion;
    double start, end;
};

static void raw_trace(void *unused) {
    (void)unused;
    struct raw_span *spans = malloc(sizeof(struct raw_span) * SPANS_PER_TRACE);
    for (int i = 0; i < SPANS_PER_TRACE; i++) {
        struct raw_span *s = &spans[i];
        s->start = now_ns();
        s->name = strdup("generate");
        s->input = strndup(INPUT, sizeof INPUT - 1);
        s->model = strndup(MODEL, sizeof MODEL - 1);
        s->prompt = 12;
        s->completion = 30;
        s->end = now_ns();
    }
    for (int i = 0; i < SPANS_PER_TRACE; i++) {
        free(spans[i].name);
        free(spans[i].input);
        free(spans[i].model);
    }
    free(spans);
}

/* --- harness ----------------------------------------------------------------------------- */

struct job {
    void (*trace)(void *);
    void *arg;
    int traces;
};

static void *run_job(void *p) {
    struct job *j = p;
    for (int i = 0; i < j->traces; i++) j->trace(j->arg);
    return NULL;
}

static void trulayer_trace_arg(void *c) { trulayer_trace(c); }

/* Wall ns per span with `threads` threads each recording `traces` traces. */
static double measure(void (*trace)(void *), void *arg, int threads, int traces) {
    pthread_t tid[2];
    struct job job = {trace, arg, traces};
    double start = now_ns();
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, run_job, &job);
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    return (now_ns() - start) / ((double)traces * SPANS_PER_TRACE);
}

/* Best of 3 runs: the least disturbed by other processes on the machine. */
static double best(void (*trace)(void *), void *arg, int threads, int traces) {
    measure(trace, arg, threads, traces / 10 + 1); /* warm up */
    double b = 1e18;
    for (int r = 0; r < 3; r++) {
        double ns = measure(trace, arg, threads, traces);
        if (ns < b) b = ns;
    }
    return b;
}

int main(int argc, char **argv) {
    int traces = argc > 1 ? atoi(argv[1]) : 200;
    tl_client *disabled = client_with("enabled", "false");
    tl_client *local = client_with("redact", "none");
    struct {
        const char *name;
        void (*trace)(void *);
        void *arg;
    } rows[] = {
        {"hand-rolled C recorder (peer)", raw_trace, NULL},
        {"libtrulayer, enabled=false (record only)", trulayer_trace_arg, disabled},
        {"libtrulayer, mode=local (record + keep)", trulayer_trace_arg, local},
    };
    double peer1 = 0;
    double one_thread[sizeof rows / sizeof rows[0]];
    printf("libtrulayer %s, %d spans/trace, %d traces/thread, best of 3\n", tl_version(), SPANS_PER_TRACE, traces);
    printf("%-44s %12s %12s %10s %14s\n", "workload", "ns/span 1T", "ns/span 2T", "scaling", "vs peer (1T)");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double one = best(rows[i].trace, rows[i].arg, 1, traces);
        double two = best(rows[i].trace, rows[i].arg, 2, traces);
        if (i == 0) peer1 = one;
        one_thread[i] = one;
        /* scaling: 2-thread throughput over 1-thread throughput (2.0 is perfect). ns/span 2T is
         * wall time per span of one thread while two run. */
        printf("%-44s %12.0f %12.0f %9.2fx %13.1fx\n", rows[i].name, one, two, 2.0 * one / two, one / peer1);
    }
    /* For `make bench`'s cross-language table, whose rows are the seed's 3-span trace: the
     * cost of 3 spans, measured inside traces of SPANS_PER_TRACE spans. */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        printf("BENCH|c|%s, per 3 spans|%.2f|\n", rows[i].name, one_thread[i] * 3 / 1000.0);
    }
    tl_client_shutdown(disabled, 1000);
    tl_client_shutdown(local, 1000);
    tl_client_free(disabled);
    tl_client_free(local);
    return 0;
}
