package casb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Source polls the Oracle CASB user risk report.
type Source struct {
	client *Client
	store  vendorkit.Store
	hub    vendorkit.Publisher
}

// NewSource builds the source.
func NewSource(c *Client, st vendorkit.Store, bus vendorkit.Publisher) *Source {
	return &Source{client: c, store: st, hub: bus}
}

func (c *Source) Name() string { return vendorName }

// Poll reads the whole report. Malformed rows keep what did decode and are
// counted in the note, so one odd row never blanks the report.
func (c *Source) Poll(ctx context.Context) (string, error) {
	rep, err := c.client.UserRiskReport(ctx, Filter{})
	if err != nil {
		return "", err
	}
	now := time.Now()
	views := make([]model.UserRisk, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		views = append(views, MapUserRisk(r))
	}
	if err := c.store.PutUserRisks(ctx, vendorName, now, views); err != nil {
		return "", err
	}
	c.hub.Publish(hub.UsersMsg{Vendor: vendorName, At: now, Views: views})
	var notes []string
	if n := rep.Malformed(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d report rows malformed (shown with what decoded)", n, len(rep.Rows)))
	}
	if rep.Stopped != "" {
		notes = append(notes, "paging stopped early: "+rep.Stopped)
	}
	return strings.Join(notes, "; "), nil
}

// MapUserRisk maps one report row (one user on one application) onto the
// shared model.
func MapUserRisk(r UserRisk) model.UserRisk {
	v := model.UserRisk{
		Vendor: vendorName, Email: r.UserName, Level: LevelOf(r.RiskLevel, r.MaxRiskScore),
		RawLevel: r.RiskLevel, Score: r.MaxRiskScore, LastSeen: r.DetectedDate,
		Context: r.AppName,
	}
	if r.AppInstance != "" {
		v.Context += " / " + r.AppInstance
	}
	codes := make([]string, 0, len(r.Reasons.Codes))
	for code := range r.Reasons.Codes {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		v.Reasons = append(v.Reasons, model.Reason{Code: code, Text: r.Reasons.Codes[code], Count: r.ReasonsCounts[code]})
	}
	return v
}
