package notify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// alertsCursor is the store cursor of the last alert change forwarded.
const alertsCursor = "notify/alerts"

// firstLook bounds what a first forward (no cursor yet: notify: was just
// configured) sends of the alerts already stored: the recent ones, not a
// store's whole history.
const firstLook = time.Hour

// AlertMessage is an alert as a notification. Its ID is the alert's, so
// the outbox sends an alert once however often the alert changes.
func AlertMessage(a model.Alert) Message {
	text := a.Title
	if a.Incident != nil {
		text = a.Incident.Summary()
	}
	fields := map[string]string{
		"alert":     strconv.FormatInt(a.ID, 10),
		"rule":      a.Rule,
		"kind":      string(a.Kind),
		"subject":   a.Subject,
		"first":     a.FirstSeen.UTC().Format(time.RFC3339),
		"last":      a.LastSeen.UTC().Format(time.RFC3339),
		"count":     strconv.Itoa(a.Count),
		"state":     string(a.State),
		"events":    strconv.Itoa(a.Evidence.EventsTotal),
		"people":    evidence(a.Evidence.People, a.Evidence.PeopleTotal),
		"addresses": evidence(a.Evidence.Addresses, a.Evidence.AddressesTotal),
	}
	if a.Incident != nil {
		fields["range"] = a.Incident.Range
		fields["failures"] = strconv.Itoa(a.Incident.Failures)
	}
	resp := ""
	if a.Response.Kind != "" && a.Response.Kind != model.ResponseNone {
		resp = a.Response.Label()
	}
	return Message{ID: "risktop-alert-" + strconv.FormatInt(a.ID, 10), At: a.Created, Severity: a.Severity,
		Title: a.Title, Text: text, Fields: fields, Response: resp}
}

func isAlerts(m hub.Msg) bool { _, ok := m.(hub.AlertsChanged); return ok }

// evidence lists the first few items and says how many there are.
func evidence(items []string, total int) string {
	const shown = 10
	if total == 0 {
		return ""
	}
	list := strings.Join(items[:min(len(items), shown)], ", ")
	if total > min(len(items), shown) {
		list += fmt.Sprintf(" (%d in all)", total)
	}
	return list
}

// ForwardAlerts queues a notification for each live alert that changed
// since the last call and was not back-filled (history is listed, never
// announced), then moves the stored cursor past them. The cursor moves
// only after the queueing, and queueing an alert twice does nothing, so a
// crash loses none and sends none twice. It returns how many deliveries
// it queued.
func (n *Notifier) ForwardAlerts(ctx context.Context) (int, error) {
	st := n.o.Store
	cur, err := st.Cursor(ctx, alertsCursor)
	if err != nil {
		return 0, fmt.Errorf("notify: alerts cursor: %w", err)
	}
	first := cur == ""
	after, _ := strconv.ParseInt(cur, 10, 64)
	queued := 0
	for {
		as, err := st.AlertChanges(ctx, after, 200)
		if err != nil {
			return queued, fmt.Errorf("notify: read alerts: %w", err)
		}
		if len(as) == 0 {
			return queued, nil
		}
		var msgs []Message
		for _, a := range as {
			after = max(after, a.Seq)
			if a.Backfilled || !a.State.Live() || (first && n.o.Now().Sub(a.Created) > firstLook) {
				continue
			}
			msgs = append(msgs, AlertMessage(a))
		}
		q, err := n.Notify(ctx, msgs...)
		queued += q
		if err != nil {
			return queued, err
		}
		if err := st.SetCursor(ctx, alertsCursor, strconv.FormatInt(after, 10)); err != nil {
			return queued, fmt.Errorf("notify: alerts cursor: %w", err)
		}
	}
}

// RunAlerts forwards alerts as the hub announces them (and once at start)
// until ctx ends. A failed forward is retried at the next announcement or
// after a minute.
func (n *Notifier) RunAlerts(ctx context.Context, bus *hub.Hub) {
	if len(n.o.Channels) == 0 {
		return
	}
	sub := bus.Subscribe()
	defer sub.Close()
	for {
		if _, err := n.ForwardAlerts(ctx); err != nil && ctx.Err() == nil {
			n.o.Log.Error("notify: forward alerts", "err", err)
		}
		retry, stop := n.o.NewTimer(time.Minute)
	wait:
		for {
			select {
			case <-ctx.Done():
				stop()
				return
			case <-sub.Ready():
				if slices.ContainsFunc(sub.Take(), isAlerts) {
					break wait
				}
			case <-retry:
				break wait
			}
		}
		stop()
	}
}
