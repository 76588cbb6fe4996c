/* The C test program: contract tests always; collector round trips when TL_TEST_ENDPOINT
 * names a running trulayer-collector (scripts/test-c.sh starts one); the fault runs when
 * TL_TEST_SERVERS names the directory of trulayer-collector and trulayer-fault-proxy. */
#include <stdlib.h>

#include "check.h"
#include "tests.h"

int tl_checks_passed = 0;
int tl_checks_failed = 0;

int main(void) {
    /* The tests set every option they rely on; the caller's environment must not leak in. */
    unsetenv("TRULAYER_API_KEY");
    unsetenv("TRULAYER_MODE");
    unsetenv("TRULAYER_ENDPOINT");
    unsetenv("TRULAYER_ENABLED");
    unsetenv("TRULAYER_SAMPLE_RATE");
    const char *endpoint = getenv("TL_TEST_ENDPOINT");
    const char *key = getenv("TL_TEST_KEY");
    const char *scale = getenv("TL_TEST_SCALE");

    run_contract_tests();
    run_field_tests();
    if (endpoint != NULL && key != NULL) {
        run_collector_tests(endpoint, key, scale ? atoi(scale) : 4);
    } else {
        printf("collector tests skipped: TL_TEST_ENDPOINT / TL_TEST_KEY not set\n");
    }
    /* The fault runs start their own collector and proxy from this directory (scripts/test-c.sh
     * leaves it unset under valgrind, where the runs would add ~40 s). */
    const char *servers = getenv("TL_TEST_SERVERS");
    if (servers != NULL) {
        run_fault_tests(servers);
    } else {
        printf("fault runs skipped: TL_TEST_SERVERS not set\n");
    }
    printf("%d passed, %d failed\n", tl_checks_passed, tl_checks_failed);
    return tl_checks_failed == 0 ? 0 : 1;
}
