# The two commands the README names:
#   make quickstart   build what is needed, start the local collector, run the quickstart,
#                     show the traces the collector received
#   make test         every test suite of every language (what .ci/run calls)
# Each does its own setup (Python virtualenv, npm packages) on a fresh machine.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: quickstart test test-rust test-browser test-python test-node test-c test-go bench

quickstart:
	scripts/quickstart.sh

test: test-rust test-browser test-python test-node test-c test-go
	@echo "make test: every suite passed"

test-rust:
	$(CARGO) build -p trulayer-collector -p trulayer-faults
	$(CARGO) test -p trulayer-core -p trulayer-collector -p trulayer-faults

test-browser:
	scripts/test-collector-browser.sh

test-python:
	scripts/test-python.sh

test-node:
	scripts/test-node.sh

test-c:
	scripts/test-c.sh

test-go:
	scripts/test-go.sh

bench:
	scripts/bench.sh
