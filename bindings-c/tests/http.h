/* A tiny blocking HTTP/1.1 GET client for reading the local collector back (127.0.0.1 only). */
#ifndef TL_TEST_HTTP_H
#define TL_TEST_HTTP_H

/* GETs http://127.0.0.1:port/path with a bearer key. Returns a malloc'd body (caller frees)
 * and the status in *status, or NULL if the request failed. */
char *http_get(int port, const char *path, const char *bearer, int *status);

/* How often `needle` occurs in `haystack`. */
int count_occurrences(const char *haystack, const char *needle);

/* The integer after the first `"key":` in `json`, or -1 if there is none. Enough for flat
 * counters such as tl_client_stats_json's and the fault proxy's /__fault/stats. */
long json_long(const char *json, const char *key);

#endif
