package actions

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/risktop/risktop/model/store"
)

// Every class of address push-ip and the dashboard refuse, ask about or
// accept, each with its reason in words.
func TestAddressClasses(t *testing.T) {
	for _, c := range []struct {
		ip    string
		class AddressClass
		why   string // part of the reason ("" for a public address)
	}{
		{"8.8.8.8", AddressPublic, ""},
		{"2606:4700::1111", AddressPublic, ""},
		{"100.63.255.255", AddressPublic, ""}, // just below CGNAT
		{"172.32.0.1", AddressPublic, ""},     // just above 172.16/12
		{"::ffff:8.8.4.4", AddressPublic, ""},

		{"0.0.0.0", AddressUnroutable, "0.0.0.0 is the unspecified address"},
		{"::", AddressUnroutable, ":: is the unspecified address"},
		{"0.1.2.3", AddressUnroutable, `0.1.2.3 is in 0.0.0.0/8 ("this network"`},
		{"255.255.255.255", AddressUnroutable, "255.255.255.255 is the broadcast address"},
		{"240.0.0.9", AddressUnroutable, "240.0.0.9 is in 240.0.0.0/4 (reserved"},
		{"127.0.0.1", AddressUnroutable, "127.0.0.1 is a loopback address (127.0.0.0/8): it never leaves the host"},
		{"127.8.9.10", AddressUnroutable, "loopback"},
		{"::1", AddressUnroutable, "::1 is the loopback address"},
		{"::ffff:127.0.0.1", AddressUnroutable, "::ffff:127.0.0.1 is a loopback address (127.0.0.0/8"},
		{"169.254.10.20", AddressUnroutable, "169.254.10.20 is link-local (169.254.0.0/16): it never crosses a router"},
		{"fe80::1", AddressUnroutable, "fe80::1 is link-local (fe80::/10)"},
		{"224.0.0.251", AddressUnroutable, "224.0.0.251 is multicast (224.0.0.0/4)"},
		{"239.1.1.1", AddressUnroutable, "multicast"},
		{"ff02::1", AddressUnroutable, "ff02::1 is multicast (ff00::/8)"},

		{"192.0.2.1", AddressDocumentation, "192.0.2.1 is in a documentation range (192.0.2.0/24, RFC 5737): it never appears on the internet"},
		{"198.51.100.7", AddressDocumentation, "(198.51.100.0/24, RFC 5737)"},
		{"203.0.113.9", AddressDocumentation, "203.0.113.9 is in a documentation range (203.0.113.0/24, RFC 5737): it never appears on the internet"},
		{"2001:db8::7", AddressDocumentation, "2001:db8::7 is in a documentation range (2001:db8::/32, RFC 3849)"},
		{"::ffff:203.0.113.9", AddressDocumentation, "documentation range"},

		{"10.1.2.3", AddressPrivate, "10.1.2.3 is in a private range (10.0.0.0/8, RFC 1918)"},
		{"172.16.0.1", AddressPrivate, "(172.16.0.0/12, RFC 1918)"},
		{"172.31.255.254", AddressPrivate, "(172.16.0.0/12, RFC 1918)"},
		{"192.168.1.1", AddressPrivate, "(192.168.0.0/16, RFC 1918)"},
		{"100.64.0.1", AddressPrivate, "100.64.0.1 is in the carrier-grade NAT range (100.64.0.0/10, RFC 6598)"},
		{"100.127.255.255", AddressPrivate, "carrier-grade NAT"},
		{"fd12:3456::1", AddressPrivate, "fd12:3456::1 is a unique local address (fc00::/7, RFC 4193)"},
		{"::ffff:10.0.0.1", AddressPrivate, "RFC 1918"},
	} {
		class, why := ClassifyIP(netip.MustParseAddr(c.ip))
		if class != c.class || (c.why == "") != (why == "") || !strings.Contains(why, c.why) {
			t.Errorf("%s: %v %q, want %v %q", c.ip, class, why, c.class, c.why)
		}
	}
}

// The service refuses the unroutable classes and documentation ranges
// (unless its Okta tenant is the simulator), and asks about private ones
// (AllowPrivate confirms).
func TestCheckPushAddressClasses(t *testing.T) {
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	demo, err := New(Options{Store: st, AllowDocumentationRanges: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		svc     *Service
		req     PushRequest
		want    string // the ip problem, "" for none
		confirm bool   // the problem is one a confirmation lifts
	}{
		{svc, PushRequest{IP: "8.8.8.8", Level: "HIGH"}, "", false},
		{svc, PushRequest{IP: "127.0.0.1", Level: "HIGH"}, "127.0.0.1 is a loopback address", false},
		{svc, PushRequest{IP: "127.0.0.1", Level: "HIGH", AllowPrivate: true}, "loopback", false},
		{demo, PushRequest{IP: "0.0.0.0", Level: "HIGH"}, "unspecified", false},
		{svc, PushRequest{IP: "203.0.113.9", Level: "HIGH"}, "203.0.113.9 is in a documentation range", false},
		{demo, PushRequest{IP: "203.0.113.9", Level: "HIGH"}, "", false},
		{demo, PushRequest{IP: "2001:db8::7", Level: "HIGH"}, "", false},
		{svc, PushRequest{IP: "10.0.0.5", Level: "HIGH"}, "10.0.0.5 is in a private range (10.0.0.0/8, RFC 1918)", true},
		{svc, PushRequest{IP: "10.0.0.5", Level: "HIGH", AllowPrivate: true}, "", false},
		{demo, PushRequest{IP: "fd00::5", Level: "HIGH"}, "unique local", true},
	} {
		var got []Problem
		for _, p := range c.svc.CheckPush(c.req) {
			if p.Field == "ip" {
				got = append(got, p)
			}
		}
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%+v: problems %+v, want none", c.req, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, c.want) || got[0].Confirm != c.confirm):
			t.Errorf("%+v: problems %+v, want one with %q (confirm %v)", c.req, got, c.want, c.confirm)
		}
	}
	// Without a service (push-ip, before its config is read) documentation
	// ranges wait for the config; the rest are the same.
	if ps := CheckPush(PushRequest{IP: "203.0.113.9", Level: "HIGH"}, true); len(ps) != 0 {
		t.Errorf("CheckPush with documentation ranges allowed: %+v", ps)
	}
	if ps := CheckPush(PushRequest{IP: "255.255.255.255", Level: "HIGH"}, true); len(ps) != 1 || !strings.Contains(ps[0].Message, "broadcast") {
		t.Errorf("CheckPush of the broadcast address: %+v", ps)
	}
}

// QueuePush refuses an unroutable or unconfirmed private address (nothing
// queued, the refusal audited) and queues a confirmed private one.
func TestQueuePushRefusesUnroutable(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	_, err := e.svc.QueuePush(ctx, who, []PushRequest{
		{IP: "8.8.8.8", Level: "HIGH"},
		{IP: "::ffff:127.0.0.1", Level: "HIGH"},
		{IP: "192.168.7.7", Level: "HIGH"},
	})
	var pe *PushError
	if !errors.As(err, &pe) || len(pe.Problems) != 2 || pe.Problems[0].Index != 1 || pe.Problems[1].Index != 2 || !pe.Problems[1].Confirm {
		t.Fatalf("err = %v (%+v)", err, pe)
	}
	if all, _ := e.store.Outbox(ctx, "", 10); len(all) != 0 {
		t.Fatalf("queued despite problems: %+v", all)
	}
	got := briefs(e.sameAudit(t))
	want := []brief{{ActionPushIP, ResultRefused, "::ffff:127.0.0.1", 0}, {ActionPushIP, ResultRefused, "192.168.7.7", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("audit %+v, want %+v", got, want)
	}
	outs, err := e.svc.QueuePush(ctx, who, []PushRequest{{IP: "192.168.7.7", Level: "HIGH", AllowPrivate: true}})
	if err != nil || len(outs) != 1 || !outs[0].Queued {
		t.Fatalf("confirmed private push: %+v, %v", outs, err)
	}
}

func TestPluralSaysOneAsOne(t *testing.T) {
	for n, want := range map[int]string{0: "0 attempts", 1: "1 attempt", 8: "8 attempts"} {
		if got := plural(n, "attempt", "attempts"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
