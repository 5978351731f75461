package cloudflare

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/risktop/risktop/sources/sanitize"
)

// Behavior is one risk behavior and its configuration. Keys are not
// hard-coded anywhere: render whatever the account returns.
type Behavior struct {
	Key         string
	Name        string
	Description string
	Enabled     bool
	RiskLevel   Level
}

// BehaviorSetting is what a PUT sets for one behavior.
type BehaviorSetting struct {
	Enabled   bool  `json:"enabled"`
	RiskLevel Level `json:"risk_level"`
}

// BehaviorChange is a partial change for UpdateBehaviors: nil and "" keep
// the current value.
type BehaviorChange struct {
	Enabled   *bool
	RiskLevel Level
}

type behaviorWire struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	RiskLevel   Level  `json:"risk_level"`
}

type behaviorsResult[T any] struct {
	Behaviors map[string]T `json:"behaviors"`
}

// Behaviors fetches every behavior, sorted by key.
func (c *Client) Behaviors(ctx context.Context) ([]Behavior, error) {
	raw, err := c.rawBehaviors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Behavior, 0, len(raw))
	for _, key := range sortedKeys(raw) {
		b := raw[key]
		out = append(out, Behavior{Key: key, Name: b.Name, Description: b.Description, Enabled: b.Enabled, RiskLevel: b.RiskLevel})
	}
	sanitize.Struct(&out)
	return out, nil
}

// rawBehaviors is the map as sent, unsanitized, so a read-modify-write
// sends keys and values back byte for byte.
func (c *Client) rawBehaviors(ctx context.Context) (map[string]behaviorWire, error) {
	env, err := send[behaviorsResult[behaviorWire]](ctx, c, call{method: http.MethodGet, path: []string{"behaviors"}})
	if err != nil {
		return nil, err
	}
	return env.Result.Behaviors, nil
}

// PutBehaviors replaces the behaviors configuration. The API may require
// every existing key (a Terraform test says so), so send the full map, or
// use UpdateBehaviors. The token needs 'Zero Trust Write'.
func (c *Client) PutBehaviors(ctx context.Context, settings map[string]BehaviorSetting) (map[string]BehaviorSetting, error) {
	if len(settings) == 0 {
		return nil, fmt.Errorf("cloudflare: PutBehaviors needs the full behaviors map, got none")
	}
	for _, key := range sortedKeys(settings) {
		if strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("cloudflare: PutBehaviors: empty behavior key")
		}
		if l := settings[key].RiskLevel; !l.Valid() {
			return nil, fmt.Errorf("cloudflare: behavior %q: risk level %q is not low, medium or high", sanitize.Line(key), sanitize.Line(string(l)))
		}
	}
	return c.putBehaviors(ctx, settings)
}

func (c *Client) putBehaviors(ctx context.Context, settings map[string]BehaviorSetting) (map[string]BehaviorSetting, error) {
	env, err := send[behaviorsResult[BehaviorSetting]](ctx, c, call{
		method:  http.MethodPut,
		path:    []string{"behaviors"},
		body:    behaviorsResult[BehaviorSetting]{Behaviors: settings},
		hint403: hintWrite,
	})
	if err != nil {
		return nil, err
	}
	out := env.Result.Behaviors
	sanitize.Struct(&out)
	return out, nil
}

// UpdateBehaviors changes some behaviors and leaves the rest as they are:
// it reads the current map and PUTs all of it with the changes applied.
// Another admin's change between the read and the write is lost; the API
// offers nothing to detect that.
func (c *Client) UpdateBehaviors(ctx context.Context, changes map[string]BehaviorChange) (map[string]BehaviorSetting, error) {
	if len(changes) == 0 {
		return nil, fmt.Errorf("cloudflare: UpdateBehaviors: no changes")
	}
	for _, key := range sortedKeys(changes) {
		if l := changes[key].RiskLevel; l != "" && !l.Valid() {
			return nil, fmt.Errorf("cloudflare: behavior %q: risk level %q is not low, medium or high", sanitize.Line(key), sanitize.Line(string(l)))
		}
	}
	current, err := c.rawBehaviors(ctx)
	if err != nil {
		return nil, err
	}
	var unknown []string
	for key := range changes {
		if _, ok := current[key]; !ok {
			unknown = append(unknown, sanitize.Line(key))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("cloudflare: UpdateBehaviors: the account has no behavior %s (it has %s)",
			strings.Join(unknown, ", "), strings.Join(sanitizedKeys(current), ", "))
	}
	// Untouched behaviors go back exactly as read, even a level this
	// client does not know: it is the server's own value.
	full := make(map[string]BehaviorSetting, len(current))
	for key, b := range current {
		s := BehaviorSetting{Enabled: b.Enabled, RiskLevel: b.RiskLevel}
		if ch, ok := changes[key]; ok {
			if ch.Enabled != nil {
				s.Enabled = *ch.Enabled
			}
			if ch.RiskLevel != "" {
				s.RiskLevel = ch.RiskLevel
			}
			if !s.RiskLevel.Valid() {
				return nil, fmt.Errorf("cloudflare: behavior %q has level %q; give it low, medium or high", sanitize.Line(key), sanitize.Line(string(s.RiskLevel)))
			}
		}
		full[key] = s
	}
	return c.putBehaviors(ctx, full)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sanitizedKeys[V any](m map[string]V) []string {
	keys := sortedKeys(m)
	for i, k := range keys {
		keys[i] = sanitize.LineN(k, 64)
	}
	return keys
}
