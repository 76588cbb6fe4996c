module github.com/trulayer/trulayer-sdk/bindings-c/go

go 1.22
