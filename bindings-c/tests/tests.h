#ifndef TL_TESTS_H
#define TL_TESTS_H

#include "trulayer.h"

/* Bad inputs, ended handles, panics: local mode, no network. */
void run_contract_tests(void);

/* JSON payloads, key/value tags, events, external id, model and cost: local mode. */
void run_field_tests(void);

/* A client in local mode (project "contract"); the caller shuts it down and frees it. */
tl_client *local_client(void);

/* Round trips through the real collector at `endpoint` (http://127.0.0.1:PORT) with key `key`;
 * `scale` shrinks the multi-threaded test under valgrind. */
void run_collector_tests(const char *endpoint, const char *key, int scale);

#endif
