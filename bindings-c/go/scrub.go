package trulayer

// #include "shim.h"
import "C"

import "runtime/cgo"

// ScrubFunc rewrites one string (input, output or error, also strings nested in structured
// values) before it leaves the process. Return the text to send; an error fails the value
// closed (it is replaced by a marker and counted in Stats.ScrubFailures). It runs on the
// SDK's worker thread, so it must be safe for concurrent use with the rest of the program.
type ScrubFunc func(text string) (string, error)

//export trulayerGoScrub
func trulayerGoScrub(userData C.uintptr_t, text *C.char, n C.size_t, out *C.tl_scrub_output) (rc C.int32_t) {
	// A panic must not unwind into C: a panicking scrub function (or a call after Shutdown
	// deleted the handle) fails the value closed instead.
	defer func() {
		if recover() != nil {
			rc = 1
		}
	}()
	scrub := cgo.Handle(userData).Value().(ScrubFunc)
	replaced, err := scrub(C.GoStringN(text, C.int(n)))
	if err != nil {
		return 1
	}
	p, size := utf8Arg(replaced)
	if C.tl_scrub_output_set(out, p, size) != C.TL_OK {
		return 1
	}
	return 0
}

// installScrub registers f with the options; the returned handle must stay alive as long as
// any client built from them (Client.Shutdown deletes it).
func installScrub(o handle, f ScrubFunc) (cgo.Handle, error) {
	h := cgo.NewHandle(f)
	var msg *C.char
	if err := check(C.tl_go_options_set_scrub(o, C.uintptr_t(h), &msg), msg); err != nil {
		h.Delete()
		return 0, err
	}
	return h, nil
}
