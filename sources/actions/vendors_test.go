package actions

import (
	"context"
	"errors"
	"testing"

	"github.com/risktop/risktop/sources/cloudflare"
)

// The service names the vendor it resets in and reads from, configured or
// not, and the viewer names the same; only the service says whether a
// reset is forwarded.
func TestVendorsActedOn(t *testing.T) {
	ctx := context.Background()
	for _, noCloudflare := range []bool{false, true} {
		e := newEnv(t, envOptions{noCloudflare: noCloudflare})
		v := e.svc.Viewer()
		for _, got := range []string{e.svc.ResetsIn(), e.svc.ReadsFrom(), v.ResetsIn(), v.ReadsFrom()} {
			if got != cloudflare.Vendor.Name {
				t.Errorf("no cloudflare %v: acts on %q, want %q", noCloudflare, got, cloudflare.Vendor.Name)
			}
		}
		linked, err := e.svc.ResetsForwarded(ctx)
		wantLinked, wantErr := e.svc.ResetsForwarded(ctx)
		if linked != wantLinked || (err == nil) != (wantErr == nil) {
			t.Errorf("no cloudflare %v: forwarded %v, %v; linked %v, %v", noCloudflare, linked, err, wantLinked, wantErr)
		}
		if _, err := v.ResetsForwarded(ctx); !errors.Is(err, ErrReadOnly) {
			t.Errorf("viewer's ResetsForwarded: %v", err)
		}
	}
	if IntegrationTypeDefault != cloudflare.IntegrationTypeOkta {
		t.Errorf("new integrations are of type %q", IntegrationTypeDefault)
	}
}
