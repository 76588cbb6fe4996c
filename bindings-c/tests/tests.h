#ifndef TL_TESTS_H
#define TL_TESTS_H

#include "trulayer.h"

/* Bad inputs, ended handles, panics: local mode, no network. */
void run_contract_tests(void);

/* JSON payloads, key/value tags, events, external id, model and cost: local mode. */
void run_field_tests(void);

/* A client in local mode (project "contract"); the caller shuts it down and frees it. */
tl_client *local_client(void);

/* A client shipping to `endpoint` with `key` (project "c-tests", 200 ms flush interval), then
 * `options`: NULL or option key/value pairs ending in NULL (later settings win). `scrub` may be
 * NULL. The caller shuts it down and frees it. */
tl_client *remote_client(const char *endpoint, const char *key, const char *const *options, tl_scrub_fn scrub);

/* One counter of tl_client_stats_json (a dropped reason works too), or -1. */
long stat_value(tl_client *c, const char *name);

/* Round trips through the real collector at `endpoint` (http://127.0.0.1:PORT) with key `key`;
 * `scale` shrinks the multi-threaded test under valgrind. */
void run_collector_tests(const char *endpoint, const char *key, int scale);

/* The fault runs: libtrulayer through the fault proxy (tests/faults), and the collector killed
 * and restarted mid-run. `bin_dir` holds trulayer-collector and trulayer-fault-proxy; the runs
 * start their own. */
void run_fault_tests(const char *bin_dir);

#endif
