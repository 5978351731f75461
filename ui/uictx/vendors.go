package uictx

import (
	"slices"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Vendors are the registered vendors (sources/vendors.Infos), in the
// registry's order: the header's, the sources panel's and the merge's.
// Screens show what the vendors report through them, never by a vendor's
// name.
type Vendors []vendorkit.Info

// Find is the vendor named name.
func (vs Vendors) Find(name string) (vendorkit.Info, bool) {
	for _, v := range vs {
		if v.Name == name {
			return v, true
		}
	}
	return vendorkit.Info{}, false
}

// Short is a vendor's name where room is short (the name itself for a
// vendor not registered).
func (vs Vendors) Short(name string) string {
	if v, ok := vs.Find(name); ok {
		return v.Short
	}
	return name
}

// Display is a vendor's name for people (the name itself for a vendor
// not registered).
func (vs Vendors) Display(name string) string {
	if v, ok := vs.Find(name); ok {
		return v.Display
	}
	return name
}

// Names are the vendors' names.
func (vs Vendors) Names() []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// Of are the vendors that report p, in the registry's order.
func (vs Vendors) Of(p model.Person) []string {
	var out []string
	for _, v := range vs {
		if slices.ContainsFunc(p.Views, func(view model.View) bool { return view.Vendor == v.Name }) {
			out = append(out, v.Name)
		}
	}
	return out
}

// WithLevels are the vendors that report a level per user, in their
// place: the Overview's panels, the Users screen's columns and the
// drill-down's sections.
func (vs Vendors) WithLevels() Vendors {
	var out Vendors
	for _, v := range vs {
		if len(v.Levels) > 0 {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b vendorkit.Info) int { return a.LevelsPlace - b.LevelsPlace })
	return out
}

// Scores is the vendor whose score buckets the Overview charts.
func (vs Vendors) Scores() (vendorkit.Info, bool) {
	for _, v := range vs {
		if v.Scores {
			return v, true
		}
	}
	return vendorkit.Info{}, false
}

// SignIns is the vendor whose sign-ins a person's drill-down lists and
// whose history back-fill the header shows.
func (vs Vendors) SignIns() (vendorkit.Info, bool) {
	for _, v := range vs {
		if v.SignIns {
			return v, true
		}
	}
	return vendorkit.Info{}, false
}
