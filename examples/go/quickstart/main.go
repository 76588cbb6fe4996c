// Quickstart: one nested trace shipped to TRULAYER_ENDPOINT with TRULAYER_API_KEY.
//
//	cargo build -p trulayer-c
//	TRULAYER_ENDPOINT=http://localhost:8080 TRULAYER_API_KEY=tl_... go run ./quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	trulayer "github.com/trulayer/trulayer-sdk/bindings-c/go"
)

func main() {
	// Empty options: the key, endpoint and project come from the TRULAYER_* environment.
	client, err := trulayer.NewClient(trulayer.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, trace := client.StartTrace(context.Background(), "answer_question")
	trace.SetInput("Why is the sky blue?")

	answer := answerQuestion(ctx)
	trace.SetOutput(answer)
	if err := trace.End(); err != nil {
		log.Fatal(err)
	}

	// Ship before exiting: Shutdown flushes until the deadline, then stops the worker.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent trace", trace.ID())
}

func answerQuestion(ctx context.Context) string {
	ctx, agent := trulayer.StartSpan(ctx, "answer", trulayer.SpanAgent)
	defer agent.End()

	_, retrieve := trulayer.StartSpan(ctx, "retrieve", trulayer.SpanRetrieval)
	retrieve.SetOutput("3 documents")
	retrieve.End()

	_, llm := trulayer.StartSpan(ctx, "generate", trulayer.SpanLLM) // nested under "answer"
	defer llm.End()
	llm.SetModel("gpt-4o-mini")
	llm.SetTokens(42, 17)
	answer := "Rayleigh scattering."
	llm.SetOutput(answer)
	return answer
}
