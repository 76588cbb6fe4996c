#ifndef TL_TESTS_H
#define TL_TESTS_H

/* Bad inputs, ended handles, panics: local mode, no network. */
void run_contract_tests(void);

/* Round trips through the real collector at `endpoint` (http://127.0.0.1:PORT) with key `key`;
 * `scale` shrinks the multi-threaded test under valgrind. */
void run_collector_tests(const char *endpoint, const char *key, int scale);

#endif
