package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/sources/vendors"
)

// recording is check --record: a redacting recorder in front of each
// source's transport, writing into one private directory.
type recording struct {
	dir     string
	records *httpx.DirRecords
	secrets map[string][]string // by source: the config's secret values

	mu        sync.Mutex
	recorders []*httpx.Recorder
}

func newRecording(dir string, cfg *config.Config) (*recording, error) {
	d, err := httpx.NewDirRecords(dir, time.Now())
	if err != nil {
		return nil, err
	}
	rec := &recording{dir: dir, records: d, secrets: map[string][]string{}}
	var all []string
	for _, v := range vendors.All {
		s := cfg.Source(v.Name)
		if s == nil {
			continue
		}
		for _, k := range v.Config.Keys {
			if k.Kind != vendorkit.Secret {
				continue
			}
			val := s.Secret(k.Name).Reveal()
			if val == "" {
				continue
			}
			all = append(all, val)
			for _, line := range strings.Split(val, "\n") { // a PEM key's lines too
				if line = strings.TrimSpace(line); len(line) >= 16 {
					all = append(all, line)
				}
			}
		}
	}
	// Every source's secrets are scrubbed from every record: a secret put
	// in the wrong section is caught as well.
	for _, v := range vendors.All {
		rec.secrets[v.Name] = all
	}
	return rec, nil
}

// wrap puts a recorder in front of the source's transport.
func (r *recording) wrap(source string, opts *httpx.Options) {
	if r == nil {
		return
	}
	rt := &httpx.Recorder{Next: opts.HTTPClient.Transport, Source: source, Secrets: r.secrets[source],
		Write: r.records.Write, Seq: &r.records.Seq}
	r.mu.Lock()
	r.recorders = append(r.recorders, rt)
	r.mu.Unlock()
	opts.HTTPClient = &http.Client{Transport: rt}
}

// report says where the records went, and any that could not be written.
func (r *recording) report(out, errOut io.Writer) {
	files := r.records.Files()
	fmt.Fprintf(out, "\nRecorded %d exchanges in %s (secrets redacted; check before sending).\n", len(files), r.dir)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rt := range r.recorders {
		if err := rt.Err(); err != nil {
			fmt.Fprintf(errOut, "risktop: check --record: %s: %v\n", rt.Source, err)
		}
	}
}
