/* Quickstart: one nested trace shipped to TRULAYER_ENDPOINT with TRULAYER_API_KEY.
 *
 *   make -C bindings-c install PREFIX=$HOME/.local
 *   cc quickstart.c $(pkg-config --cflags --libs trulayer) -Wl,-rpath,$HOME/.local/lib
 *   TRULAYER_ENDPOINT=http://localhost:8080 TRULAYER_API_KEY=tl_... ./a.out
 */
#include <stdio.h>
#include <string.h>

#include <trulayer.h>

static int fail(const char *what) {
    fprintf(stderr, "quickstart: %s: %s\n", what, tl_last_error());
    return 1;
}

int main(void) {
    tl_client *client = NULL;
    /* NULL options: everything comes from the TRULAYER_* environment. */
    if (tl_client_new(NULL, &client) != TL_OK) return fail("tl_client_new");

    tl_trace *trace = tl_trace_start(client, "answer_question");
    if (trace == NULL) return fail("tl_trace_start");
    const char *question = "Why is the sky blue?";
    tl_trace_set_input(trace, question, strlen(question));

    tl_span *retrieve = tl_span_start(trace, NULL, "retrieve", "retrieval");
    tl_span_set_output(retrieve, "3 documents", 11);
    tl_span_end(retrieve);

    tl_span *agent = tl_span_start(trace, NULL, "answer", "agent");
    tl_span *llm = tl_span_start(trace, agent, "generate", "llm"); /* nested under "answer" */
    tl_span_set_model(llm, "gpt-4o-mini", strlen("gpt-4o-mini"));
    tl_span_set_tokens(llm, 42, 17);
    const char *answer = "Rayleigh scattering.";
    tl_span_set_output(llm, answer, strlen(answer));
    tl_span_end(llm);
    tl_span_end(agent);

    tl_trace_set_output(trace, answer, strlen(answer));
    char id[TL_ID_BUFFER_LEN];
    tl_trace_id(trace, id);
    if (tl_trace_end(trace) != TL_OK) return fail("tl_trace_end");

    /* Ship before exiting: shutdown flushes (at most 5 s here), then stops the worker. */
    if (tl_client_shutdown(client, 5000) != TL_OK) return fail("tl_client_shutdown");
    tl_client_free(client);
    printf("sent trace %s\n", id);
    return 0;
}
