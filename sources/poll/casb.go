package poll

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/casb"
)

// CASB polls the Oracle CASB user risk report.
type CASB struct {
	client *casb.Client
	store  store.Store
	hub    *hub.Hub
}

// NewCASB builds the source.
func NewCASB(c *casb.Client, st store.Store, bus *hub.Hub) *CASB {
	return &CASB{client: c, store: st, hub: bus}
}

func (c *CASB) Name() string { return model.VendorCASB }

// Poll reads the whole report. Malformed rows keep what did decode and are
// counted in the note, so one odd row never blanks the report.
func (c *CASB) Poll(ctx context.Context) (string, error) {
	rep, err := c.client.UserRiskReport(ctx, casb.Filter{})
	if err != nil {
		return "", err
	}
	now := time.Now()
	views := make([]model.UserRisk, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		views = append(views, CASBView(r))
	}
	if err := c.store.PutUserRisks(ctx, model.VendorCASB, now, views); err != nil {
		return "", err
	}
	c.hub.Publish(hub.UsersMsg{Vendor: model.VendorCASB, At: now, Views: views})
	if n := rep.Malformed(); n > 0 {
		return fmt.Sprintf("%d of %d report rows malformed (shown with what decoded)", n, len(rep.Rows)), nil
	}
	return "", nil
}

// CASBView maps one report row (one user on one application) onto the
// shared model.
func CASBView(r casb.UserRisk) model.UserRisk {
	v := model.UserRisk{
		Vendor: model.VendorCASB, Email: r.UserName, Level: model.CASBLevel(r.RiskLevel, r.MaxRiskScore),
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
