/* Minimal assertions for the C tests: count, report, keep going; main() prints the summary. */
#ifndef TL_TEST_CHECK_H
#define TL_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "trulayer.h"

extern int tl_checks_passed;
extern int tl_checks_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            tl_checks_passed++;                                                 \
        } else {                                                                \
            tl_checks_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
        }                                                                       \
    } while (0)

/* A call's status and the message tl_last_error() shows for it. */
#define CHECK_STATUS(call, want, needle)                                        \
    do {                                                                        \
        tl_status got_ = (call);                                                \
        CHECK(got_ == (want), "%s returned %d, want %d (%s)", #call, got_,      \
              (want), tl_last_error());                                         \
        if ((want) != TL_OK)                                                    \
            CHECK(strstr(tl_last_error(), (needle)) != NULL,                    \
                  "%s: message \"%s\" lacks \"%s\"", #call, tl_last_error(),    \
                  (needle));                                                    \
    } while (0)

/* A start or new call that must fail: NULL, with this last status and message. */
#define CHECK_NULL(call, want, needle)                                          \
    do {                                                                        \
        void *got_ = (void *)(call);                                            \
        CHECK(got_ == NULL, "%s did not return NULL", #call);                   \
        CHECK(tl_last_status() == (want), "%s: last status %d, want %d (%s)",   \
              #call, tl_last_status(), (want), tl_last_error());                \
        CHECK(strstr(tl_last_error(), (needle)) != NULL,                        \
              "%s: message \"%s\" lacks \"%s\"", #call, tl_last_error(),        \
              (needle));                                                        \
    } while (0)

#endif
