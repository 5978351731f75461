package actions

import (
	"fmt"
	"net/netip"
)

// AddressClass is what kind of address an IP risk push names. Okta takes
// any address, but only one that can be a sign-in's source on the
// internet means anything to it: pushes of the unroutable classes are
// refused, private ones need the operator's confirmation.
type AddressClass int

const (
	AddressPublic        AddressClass = iota
	AddressPrivate                    // RFC 1918, CGNAT, ULA: pushed once the operator confirms
	AddressDocumentation              // RFC 5737, RFC 3849: refused, except on the simulator's tenant
	AddressUnroutable                 // unspecified, this network, broadcast, reserved, loopback, link-local, multicast: refused
)

func (c AddressClass) String() string {
	switch c {
	case AddressPublic:
		return "public"
	case AddressPrivate:
		return "private"
	case AddressDocumentation:
		return "documentation"
	case AddressUnroutable:
		return "unroutable"
	}
	return fmt.Sprintf("AddressClass(%d)", int(c))
}

// ranges are the classes net/netip has no method for, checked in order.
var ranges = []struct {
	prefix netip.Prefix
	class  AddressClass
	what   string // "%s" is the address
}{
	{netip.MustParsePrefix("0.0.0.0/8"), AddressUnroutable, `%s is in 0.0.0.0/8 ("this network", RFC 1122): no packet on the internet comes from it`},
	{netip.MustParsePrefix("255.255.255.255/32"), AddressUnroutable, "%s is the broadcast address: it never leaves the local network"},
	{netip.MustParsePrefix("240.0.0.0/4"), AddressUnroutable, "%s is in 240.0.0.0/4 (reserved, RFC 1112): it never appears on the internet"},
	{netip.MustParsePrefix("192.0.2.0/24"), AddressDocumentation, "%s is in a documentation range (192.0.2.0/24, RFC 5737): it never appears on the internet"},
	{netip.MustParsePrefix("198.51.100.0/24"), AddressDocumentation, "%s is in a documentation range (198.51.100.0/24, RFC 5737): it never appears on the internet"},
	{netip.MustParsePrefix("203.0.113.0/24"), AddressDocumentation, "%s is in a documentation range (203.0.113.0/24, RFC 5737): it never appears on the internet"},
	{netip.MustParsePrefix("2001:db8::/32"), AddressDocumentation, "%s is in a documentation range (2001:db8::/32, RFC 3849): it never appears on the internet"},
	{netip.MustParsePrefix("10.0.0.0/8"), AddressPrivate, "%s is in a private range (10.0.0.0/8, RFC 1918): Okta sees it only from inside a network that uses it"},
	{netip.MustParsePrefix("172.16.0.0/12"), AddressPrivate, "%s is in a private range (172.16.0.0/12, RFC 1918): Okta sees it only from inside a network that uses it"},
	{netip.MustParsePrefix("192.168.0.0/16"), AddressPrivate, "%s is in a private range (192.168.0.0/16, RFC 1918): Okta sees it only from inside a network that uses it"},
	{netip.MustParsePrefix("100.64.0.0/10"), AddressPrivate, "%s is in the carrier-grade NAT range (100.64.0.0/10, RFC 6598): many subscribers share it behind their provider's NAT"},
	{netip.MustParsePrefix("fc00::/7"), AddressPrivate, "%s is a unique local address (fc00::/7, RFC 4193): Okta sees it only from inside a network that uses it"},
}

// ClassifyIP says which class an address is in and why, in words that
// name it ("" for a public address). An IPv4-mapped IPv6 address
// (::ffff:127.0.0.1) is the IPv4 address it carries; the words name it as
// given.
func ClassifyIP(a netip.Addr) (AddressClass, string) {
	name := a.String()
	a = a.Unmap().WithZone("")
	v4 := a.Is4()
	switch {
	case a.IsUnspecified():
		return AddressUnroutable, name + " is the unspecified address: no packet on the internet comes from it"
	case a.IsLoopback() && v4:
		return AddressUnroutable, name + " is a loopback address (127.0.0.0/8): it never leaves the host"
	case a.IsLoopback():
		return AddressUnroutable, name + " is the loopback address: it never leaves the host"
	case a.IsLinkLocalUnicast() && v4:
		return AddressUnroutable, name + " is link-local (169.254.0.0/16): it never crosses a router"
	case a.IsLinkLocalUnicast():
		return AddressUnroutable, name + " is link-local (fe80::/10): it never crosses a router"
	case a.IsMulticast() && v4:
		return AddressUnroutable, name + " is multicast (224.0.0.0/4): it is a group, never a sign-in's source"
	case a.IsMulticast():
		return AddressUnroutable, name + " is multicast (ff00::/8): it is a group, never a sign-in's source"
	}
	for _, r := range ranges {
		if r.prefix.Contains(a) {
			return r.class, fmt.Sprintf(r.what, name)
		}
	}
	// What netip counts as private beyond the ranges above (none today).
	if a.IsPrivate() {
		return AddressPrivate, name + " is in a private range: Okta sees it only from inside a network that uses it"
	}
	return AddressPublic, ""
}

// checkAddress is the address-class problem of a push of a ("" when it
// may be pushed); confirm says the operator's confirmation
// (PushRequest.AllowPrivate) lifts it.
func checkAddress(a netip.Addr, allowPrivate, allowDocumentation bool) (problem string, confirm bool) {
	class, why := ClassifyIP(a)
	switch class {
	case AddressUnroutable:
		return why, false
	case AddressDocumentation:
		if allowDocumentation {
			return "", false
		}
		return why + "; only a simulator's tenant takes them (okta.allow_documentation_ranges)", false
	case AddressPrivate:
		if allowPrivate {
			return "", false
		}
		return why, true
	}
	return "", false
}
