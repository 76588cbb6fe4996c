/* The C API against the real collector under faults: a scripted run through the fault proxy
 * (tests/faults) of resets, hangs, refused connections, 408/429/5xx, a poison trace and 413s,
 * and the collector killed (SIGKILL) and restarted mid-run. Afterwards every trace the library
 * counted as sent is stored exactly once, every other one is counted as dropped with its
 * reason, and sent + dropped == created. These runs start their own collector and proxy. */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http.h"
#include "tests.h"

/* The same scripted faults as the Rust, Python, Node and Go runs (tests/faults/README.md). */
static const char PLAN[] = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, "
                           "503*2, 408, poison:poison-trace, max:40";
static const char KEY[] = "tl_c_faults";

static const char *g_bin_dir;

/* A repository server binary running as a child process. */
struct server {
    pid_t pid;
    int out; /* its stdout, kept open so a later write never meets a closed pipe */
    int port;
    char url[64];
};

/* Starts bin_dir/name with `args` (ending in NULL) and waits (at most 20 s) for its first line,
 * "<name> listening on http://127.0.0.1:PORT". Returns false after a failed check (a missing
 * binary shows as a child that exits without that line). */
static void server_kill(struct server *s);

static bool server_start(struct server *s, const char *name, const char *const *args) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_bin_dir, name);
    const char *argv[16] = {path};
    for (int i = 0; args[i] != NULL && i + 2 < 16; i++) argv[i + 1] = args[i];
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    s->pid = fork();
    if (s->pid == 0) {
        /* Only async-signal-safe calls between fork and exec. The child dies with this
         * program, so a crashed test leaves no server behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        close(devnull);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(pipe_fds[1]);
    s->out = pipe_fds[0];
    CHECK(s->pid > 0, "fork failed");
    if (s->pid < 0) {
        close(s->out);
        return false;
    }
    char line[256] = "";
    size_t len = 0;
    struct pollfd p = {s->out, POLLIN, 0};
    while (len + 1 < sizeof line && poll(&p, 1, 20000) == 1 && read(s->out, line + len, 1) == 1 && line[len] != '\n')
        len++;
    line[len] = '\0';
    const char *at = strstr(line, " listening on http://127.0.0.1:");
    bool ok = at != NULL && len < sizeof line - 1;
    CHECK(ok, "%s did not start (build it with cargo build -p trulayer-collector -p trulayer-faults): \"%s\"", path,
          line);
    if (!ok) {
        server_kill(s);
        return false;
    }
    snprintf(s->url, sizeof s->url, "%s", at + strlen(" listening on "));
    s->port = atoi(strrchr(s->url, ':') + 1);
    return true;
}

/* SIGKILL: no graceful shutdown. */
static void server_kill(struct server *s) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    close(s->out);
}

static bool collector_start(struct server *s, const char *db, const char *addr) {
    char key[64];
    snprintf(key, sizeof key, "%s=c-faults", KEY);
    const char *args[] = {"--addr", addr, "--db", db, "--key", key, NULL};
    return server_start(s, "trulayer-collector", args);
}

/* A growable list of trace ids; sorted before lookups. */
struct ids {
    char (*v)[TL_ID_BUFFER_LEN];
    size_t n, cap;
};

static void ids_add(struct ids *s, const char *id, size_t len) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    snprintf(s->v[s->n++], TL_ID_BUFFER_LEN, "%.*s", (int)len, id);
}

static int compare_ids(const void *a, const void *b) { return strcmp(a, b); }

static void ids_sort(struct ids *s) { qsort(s->v, s->n, sizeof *s->v, compare_ids); }

static bool ids_has(const struct ids *sorted, const char *id) {
    return sorted->n > 0 && bsearch(id, sorted->v, sorted->n, sizeof *sorted->v, compare_ids) != NULL;
}

/* Records one trace named `name` with an LLM span and writes its id into `id`. Returns the
 * number of calls that failed (0 when all went well). */
static int record(tl_client *c, const char *name, int i, char id[TL_ID_BUFFER_LEN]) {
    char input[32];
    id[0] = '\0';
    int n = snprintf(input, sizeof input, "{\"i\":%d}", i);
    tl_trace *t = tl_trace_start(c, name);
    tl_span *s = tl_span_start(t, NULL, "generate", "llm");
    int failed = (tl_trace_set_input_json(t, input, (size_t)n) != TL_OK) + (tl_span_set_model(s, "gpt-4o-mini", 11) != TL_OK) +
                 (tl_span_set_tokens(s, 10, 5) != TL_OK) + (tl_span_end(s) != TL_OK) + (tl_trace_id(t, id) != TL_OK);
    return failed + (tl_trace_end(t) != TL_OK);
}

/* Records `count` traces named `name`; adds their ids to `created`, and to `also` (may be NULL). */
static void record_many(tl_client *c, const char *name, int count, struct ids *created, struct ids *also) {
    char id[TL_ID_BUFFER_LEN];
    int failed = 0;
    for (int i = 0; i < count; i++) {
        failed += record(c, name, i, id);
        ids_add(created, id, strlen(id));
        if (also != NULL) ids_add(also, id, strlen(id));
    }
    CHECK(failed == 0, "%d calls failed recording \"%s\" traces: %s", failed, name, tl_last_error());
}

/* The end of the JSON string starting at the quote `p` (the character after its closing quote). */
static const char *skip_string(const char *p) {
    for (p++; *p != '\0' && *p != '"'; p++)
        if (*p == '\\' && p[1] != '\0') p++;
    return *p == '"' ? p + 1 : p;
}

static bool is_key(const char *key, size_t len, const char *name) {
    return len == strlen(name) && memcmp(key, name, len) == 0;
}

/* Reads one page of GET /v1/traces: adds the "id" of every trace (a key at depth 3: page
 * object, traces array, trace object; the spans' ids sit deeper) to `out`, and copies the
 * page's next_cursor into `cursor`, or "" when has_more is false. */
static void read_page(const char *json, struct ids *out, char *cursor, size_t cap) {
    bool has_more = false;
    cursor[0] = '\0';
    int depth = 0;
    for (const char *p = json; *p != '\0';) {
        if (*p == '{' || *p == '[') {
            depth++, p++;
        } else if (*p == '}' || *p == ']') {
            depth--, p++;
        } else if (*p == '"') {
            const char *key = p + 1, *end = skip_string(p);
            if (*end == ':') { /* a key, not a value */
                size_t key_len = (size_t)(end - key) - 1;
                const char *value = end + 1;
                /* A string value's text: value + 1 up to its closing quote. */
                int text_len = *value == '"' ? (int)(skip_string(value) - value) - 2 : -1;
                if (depth == 3 && is_key(key, key_len, "id") && text_len >= 0) ids_add(out, value + 1, (size_t)text_len);
                if (depth == 1 && is_key(key, key_len, "has_more")) has_more = strncmp(value, "true", 4) == 0;
                if (depth == 1 && is_key(key, key_len, "next_cursor") && text_len >= 0)
                    snprintf(cursor, cap, "%.*s", text_len, value + 1);
            }
            p = end;
        } else {
            p++;
        }
    }
    if (!has_more) cursor[0] = '\0';
}

/* Every trace id the collector on `port` holds for KEY's project, walking every page; sorted. */
static struct ids stored_ids(int port) {
    struct ids stored = {0};
    char cursor[256] = "", path[512];
    do {
        snprintf(path, sizeof path, "/v1/traces?limit=200%s%s", cursor[0] ? "&cursor=" : "", cursor);
        int status = 0;
        char *body = http_get(port, path, KEY, &status);
        CHECK(body != NULL && status == 200, "GET %s: status %d", path, status);
        if (body == NULL || status != 200) {
            free(body);
            break;
        }
        read_page(body, &stored, cursor, sizeof cursor);
        free(body);
    } while (cursor[0] != '\0');
    ids_sort(&stored);
    return stored;
}

/* Checks every stored trace is stored once and is one of `created` (sorted), but none of
 * `excluded` (sorted; may be empty). */
static void check_stored_once(const struct ids *stored, const struct ids *created, const struct ids *excluded) {
    int twice = 0, foreign = 0, unwanted = 0;
    for (size_t i = 0; i < stored->n; i++) {
        twice += i > 0 && strcmp(stored->v[i - 1], stored->v[i]) == 0;
        foreign += !ids_has(created, stored->v[i]);
        unwanted += ids_has(excluded, stored->v[i]);
    }
    CHECK(twice == 0, "%d traces stored twice", twice);
    CHECK(foreign == 0, "%d stored traces the library did not create", foreign);
    CHECK(unwanted == 0, "%d poison traces stored", unwanted);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A fresh directory for a collector database; the caller removes it with remove_tree. */
static char *make_temp_dir(void) {
    char *dir = strdup("/tmp/tl-c-faults-XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    return dir;
}

static void remove_tree(char *dir) {
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static void test_a_scripted_run_of_faults_loses_nothing_silently(void) {
    char *dir = make_temp_dir(), db[512];
    snprintf(db, sizeof db, "%s/f.db", dir);
    struct server store, proxy;
    if (!collector_start(&store, db, "127.0.0.1:0")) {
        remove_tree(dir);
        return;
    }
    const char *proxy_args[] = {"--upstream", store.url, "--plan", PLAN, NULL};
    if (!server_start(&proxy, "trulayer-fault-proxy", proxy_args)) {
        server_kill(&store);
        remove_tree(dir);
        return;
    }
    const char *options[] = {"batch_size", "50", "timeout_ms", "1000", "retry_budget", "60", NULL};
    tl_client *c = remote_client(proxy.url, KEY, options, NULL);
    /* 2000 traces, one in 500 of them poison. */
    struct ids created = {0}, poison = {0};
    for (int round = 0; round < 4; round++) {
        record_many(c, "ok", 250, &created, NULL);
        record_many(c, "poison-trace", 1, &created, &poison);
        record_many(c, "ok", 249, &created, NULL);
    }
    CHECK_STATUS(tl_client_flush(c, 120000), TL_OK, "");
    long sent = stat_value(c, "sent"), dropped = stat_value(c, "dropped_total");
    CHECK(stat_value(c, "finished") == 2000, "finished %ld", stat_value(c, "finished"));
    CHECK(sent + dropped == 2000, "sent %ld + dropped %ld != 2000 created", sent, dropped);
    CHECK(stat_value(c, "invalid") == (long)poison.n && dropped == (long)poison.n,
          "only the %zu poison traces may be dropped: invalid %ld, dropped %ld", poison.n, stat_value(c, "invalid"),
          dropped);

    ids_sort(&created);
    ids_sort(&poison);
    struct ids stored = stored_ids(store.port);
    check_stored_once(&stored, &created, &poison);
    CHECK((long)stored.n == sent, "stored %zu traces, the library reported %ld sent", stored.n, sent);

    int status = 0;
    char *applied = http_get(proxy.port, "/__fault/stats", KEY, &status);
    CHECK(applied != NULL && status == 200, "GET /__fault/stats: status %d", status);
    static const struct {
        const char *step;
        long at_least;
    } steps[] = {{"reset", 1}, {"lost", 2}, {"hang", 1}, {"down", 1}, {"status", 7}, {"too_large", 1}};
    for (size_t i = 0; applied != NULL && i < sizeof steps / sizeof steps[0]; i++)
        CHECK(json_long(applied, steps[i].step) >= steps[i].at_least, "fault %s applied %ld times: %s", steps[i].step,
              json_long(applied, steps[i].step), applied);
    free(applied);

    CHECK_STATUS(tl_client_shutdown(c, 5000), TL_OK, "");
    tl_client_free(c);
    free(created.v);
    free(poison.v);
    free(stored.v);
    server_kill(&proxy);
    server_kill(&store);
    remove_tree(dir);
}

static void test_the_collector_killed_and_restarted_mid_run_loses_nothing(void) {
    char *dir = make_temp_dir(), db[512], addr[64];
    snprintf(db, sizeof db, "%s/restart.db", dir);
    struct server store;
    if (!collector_start(&store, db, "127.0.0.1:0")) {
        remove_tree(dir);
        return;
    }
    snprintf(addr, sizeof addr, "127.0.0.1:%d", store.port);
    const char *options[] = {"batch_size", "20", "flush_interval_ms", "100", "timeout_ms", "1000", "retry_budget", "60", NULL};
    tl_client *c = remote_client(store.url, KEY, options, NULL);
    struct ids created = {0};
    record_many(c, "before", 250, &created, NULL);
    /* These are stored before the kill: the restarted collector must still hold them. */
    CHECK_STATUS(tl_client_flush(c, 30000), TL_OK, "");
    record_many(c, "before", 250, &created, NULL);
    server_kill(&store); /* while those batches are in flight */
    record_many(c, "during", 500, &created, NULL);
    nanosleep(&(struct timespec){0, 800 * 1000 * 1000}, NULL); /* the library meets refused connections, backs off */
    /* Same port: the library's endpoint stays valid. */
    if (collector_start(&store, db, addr)) {
        CHECK_STATUS(tl_client_flush(c, 60000), TL_OK, "");
        CHECK(stat_value(c, "finished") == 1000 && stat_value(c, "sent") == 1000 && stat_value(c, "dropped_total") == 0,
              "want 1000 finished and sent, none dropped: finished %ld, sent %ld, dropped %ld", stat_value(c, "finished"),
              stat_value(c, "sent"), stat_value(c, "dropped_total"));
        CHECK(stat_value(c, "retries") >= 1, "the outage was never met: retries %ld", stat_value(c, "retries"));
        ids_sort(&created);
        struct ids stored = stored_ids(store.port), none = {0};
        check_stored_once(&stored, &created, &none);
        CHECK(stored.n == created.n && created.n == 1000, "stored %zu of %zu traces", stored.n, created.n);
        free(stored.v);
        server_kill(&store);
    }
    CHECK_STATUS(tl_client_shutdown(c, 5000), TL_OK, "");
    tl_client_free(c);
    free(created.v);
    remove_tree(dir);
}

void run_fault_tests(const char *bin_dir) {
    g_bin_dir = bin_dir;
    test_a_scripted_run_of_faults_loses_nothing_silently();
    test_the_collector_killed_and_restarted_mid_run_loses_nothing();
}
