package trulayer

import (
	"errors"
	"fmt"
)

// Status is libtrulayer's tl_status.
type Status int

const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1
	StatusInvalidUTF8     Status = 2
	StatusInvalidJSON     Status = 3
	StatusInvalidOption   Status = 4
	StatusClosed          Status = 5
	StatusTimeout         Status = 6
	StatusDropped         Status = 7
	StatusBufferTooSmall  Status = 8
	StatusPanic           Status = 9
)

// Error is a failed libtrulayer call: its status and the engine's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("trulayer: %s (status %d)", e.Message, e.Status) }

// Is matches errors of the same status, so errors.Is(err, ErrClosed) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Status == e.Status && t.Message == ""
}

var (
	// ErrClosed: the trace or span has ended, or the client was shut down.
	ErrClosed = &Error{Status: StatusClosed}
	// ErrInvalidOption: an unknown option key or a bad value.
	ErrInvalidOption = &Error{Status: StatusInvalidOption}
	// ErrTimeout: Flush or Shutdown ran out of time.
	ErrTimeout = &Error{Status: StatusTimeout}
	// ErrNoTrace: a method was called on a nil *Trace or *Span (no trace in the context, or
	// the trace could not start).
	ErrNoTrace = errors.New("trulayer: no trace or span (nil receiver)")
)
