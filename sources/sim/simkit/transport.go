package simkit

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
)

// Transport serves requests with h in-process, without a network. Clients
// on it run their real HTTP code paths; tests that fake time
// (testing/synctest) use it because a bubble must not touch the network.
func Transport(h http.Handler) http.RoundTripper { return transport{h} }

type transport struct{ h http.Handler }

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	defer func() {
		// A handler that drops the connection (the refuse fault) panics
		// with ErrAbortHandler without a real connection to close.
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				resp, err = nil, syscall.ECONNRESET
				return
			}
			resp, err = nil, fmt.Errorf("handler panic: %v", p)
		}
	}()
	t.h.ServeHTTP(rec, req.Clone(req.Context()))
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = req
	return res, nil
}
