module github.com/trulayer/trulayer-sdk/examples/go

go 1.22

require github.com/trulayer/trulayer-sdk/bindings-c/go v0.0.0

replace github.com/trulayer/trulayer-sdk/bindings-c/go => ../../bindings-c/go
