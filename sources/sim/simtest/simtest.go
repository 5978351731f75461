// Package simtest is what the simulators' tests share: serving a simulator
// on loopback for one test and sending it requests over real HTTP.
package simtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Serve serves h on loopback until the test ends.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Answer is a response, its body read whole.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with header (a header whose value is "" is not
// sent) and reads the answer.
func Do(t testing.TB, method, url, body string, header map[string]string) Answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Answer{resp.StatusCode, resp.Header, b}
}

// JSON decodes the body as an object, failing the test when it is not one.
func (a Answer) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("%d %s: %v", a.Status, a.Body, err)
	}
	return m
}
