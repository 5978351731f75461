package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sanitize"
)

// AuditError says an attempt could not be fully recorded: the store's
// audit log or the JSON-lines file refused the entry. The action itself
// had the result the entry holds.
type AuditError struct {
	Entry model.AuditEntry
	Err   error
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("audit log: %s %s (%s) not recorded: %v", e.Entry.Action, e.Entry.Target, e.Entry.Result, e.Err)
}

func (e *AuditError) Unwrap() error { return e.Err }

// auditLine is one line of the JSON-lines audit file.
type auditLine struct {
	ID           int64     `json:"id"` // the store's id; 0 when the store refused it
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	Action       string    `json:"action"`
	Vendor       string    `json:"vendor"`
	Target       string    `json:"target"`
	Result       string    `json:"result"`
	VendorStatus int       `json:"vendor_status"`
	Detail       string    `json:"detail"`
}

// auditTimeout bounds an audit write, which runs even when the action's
// context has ended: the attempt happened and must be recorded.
const auditTimeout = 10 * time.Second

// maxDetail caps an entry's detail (a vendor error with its hint is a few
// hundred characters).
const maxDetail = 4096

// audit appends e to the store's audit log, then to the file. A failure
// of either is logged and returned as an *AuditError.
func (s *Service) audit(ctx context.Context, e model.AuditEntry) error {
	return s.auditAll(ctx, []model.AuditEntry{e})
}

// auditAll appends entries to the store's audit log in one transaction,
// then to the file in one write: a push of thousands of addresses is
// recorded in one go. A failure of either is logged and returned as one
// *AuditError (naming the first entry and how many more there were).
func (s *Service) auditAll(ctx context.Context, es []model.AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	es = slices.Clone(es)
	for i, e := range es {
		if e.At.IsZero() {
			e.At = s.now()
		}
		e.At = e.At.UTC().Truncate(time.Millisecond) // as the store keeps it, so the file agrees
		e.Actor = sanitize.Line(e.Actor)
		e.Target = sanitize.Line(e.Target)
		e.Detail = sanitize.LineN(e.Detail, maxDetail)
		es[i] = e
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	var errs []error
	// One batch at a time, so the file's lines come in the store's id
	// order (the sender audits while an operator acts).
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	ids, err := s.opts.Store.AppendAudits(ctx, es)
	if err != nil {
		errs = append(errs, err)
	}
	for i := range es {
		if i < len(ids) {
			es[i].ID = ids[i]
		}
	}
	if err := s.writeFile(es); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	err = errors.Join(errs...)
	if len(es) > 1 {
		err = fmt.Errorf("%w (and %s like it)", err, plural(len(es)-1, "more entry", "more entries"))
	}
	ae := &AuditError{Entry: es[0], Err: err}
	s.log.Error("audit", "action", es[0].Action, "target", es[0].Target, "result", es[0].Result, "entries", len(es), "err", ae.Err)
	return ae
}

// writeFile appends es to the audit file, one JSON line each, in one
// write so lines from several processes never interleave (O_APPEND).
func (s *Service) writeFile(es []model.AuditEntry) error {
	if s.opts.AuditFile == "" {
		return nil
	}
	var b []byte
	for _, e := range es {
		line, err := json.Marshal(auditLine{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Vendor: e.Vendor,
			Target: e.Target, Result: e.Result, VendorStatus: e.VendorStatus, Detail: e.Detail})
		if err != nil {
			return fmt.Errorf("audit file %s: %w", s.opts.AuditFile, err)
		}
		b = append(append(b, line...), '\n')
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if s.file == nil {
		return fmt.Errorf("audit file %s: closed", s.opts.AuditFile)
	}
	if _, err := s.file.Write(b); err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	return nil
}

// OSActor is the person at this terminal: "os:<user>@<host>".
func OSActor() Actor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "unknown"
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		return Actor("os:" + name + "@" + host)
	}
	return Actor("os:" + name)
}
