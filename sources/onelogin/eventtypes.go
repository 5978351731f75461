package onelogin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

const eventTypesPath = "/api/1/events/types"

// EventTypesTTL is how long the catalogue is kept: it changes with OneLogin
// releases, not with activity, and the endpoint spends the hourly budget.
const EventTypesTTL = 24 * time.Hour

// EventType is one entry of the event-type catalogue.
type EventType struct {
	ID          int    `json:"id"`
	Name        string `json:"name"` // USER_LOGGED_INTO_ONELOGIN
	Description string `json:"description"`
}

// EventTypeCatalog is the catalogue by id. It is not changed once built.
type EventTypeCatalog struct {
	types []EventType
	byID  map[int]EventType
}

func newEventTypeCatalog(types []EventType) *EventTypeCatalog {
	c := &EventTypeCatalog{types: types, byID: make(map[int]EventType, len(types))}
	for _, t := range types {
		c.byID[t.ID] = t
	}
	return c
}

// Lookup returns the type with id, if the catalogue has it.
func (c *EventTypeCatalog) Lookup(id int) (EventType, bool) {
	if c == nil {
		return EventType{}, false
	}
	t, ok := c.byID[id]
	return t, ok
}

// Name is the type's name, or "event type <id>" for an id the catalogue
// does not know, so a new type still shows.
func (c *EventTypeCatalog) Name(id int) string {
	if t, ok := c.Lookup(id); ok && t.Name != "" {
		return t.Name
	}
	return UnknownEventTypeName(id)
}

// All returns every type, by id.
func (c *EventTypeCatalog) All() []EventType {
	if c == nil {
		return nil
	}
	return slices.Clone(c.types)
}

// UnknownEventTypeName is how an id missing from the catalogue is shown.
func UnknownEventTypeName(id int) string { return fmt.Sprintf("event type %d", id) }

// EventTypes returns the catalogue, fetched at most once per EventTypesTTL.
// A failed fetch is not cached.
func (c *Client) EventTypes(ctx context.Context) (*EventTypeCatalog, error) {
	return c.types.Get(ctx)
}

// EventTypeName names event type id. It always returns something to show;
// the error says the catalogue could not be fetched.
func (c *Client) EventTypeName(ctx context.Context, id int) (string, error) {
	cat, err := c.EventTypes(ctx)
	if err != nil {
		return UnknownEventTypeName(id), err
	}
	return cat.Name(id), nil
}

// fetchEventTypes reads GET /api/1/events/types: the v1 envelope with a
// data array, or a bare array.
func (c *Client) fetchEventTypes(ctx context.Context) (*EventTypeCatalog, time.Time, error) {
	op := "GET " + eventTypesPath
	resp, err := c.do(ctx, httpx.Request{Method: http.MethodGet, Path: eventTypesPath, Op: op}, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	types, err := decodeEventTypes(resp.Body)
	if err != nil {
		return nil, time.Time{}, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode, Err: err}
	}
	sanitize.Struct(&types)
	slices.SortFunc(types, func(a, b EventType) int { return a.ID - b.ID })
	return newEventTypeCatalog(types), c.now().Add(EventTypesTTL), nil
}

func decodeEventTypes(body []byte) ([]EventType, error) {
	var types []EventType
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &types); err != nil {
			return nil, fmt.Errorf("event types: %w", err)
		}
		return types, nil
	}
	var env struct {
		Data *[]EventType `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("event types: %w", err)
	}
	if env.Data == nil {
		return nil, errors.New("event types: the body has no data array")
	}
	return *env.Data, nil
}
