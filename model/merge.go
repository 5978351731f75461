package model

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Person is one human joined across vendors.
type Person struct {
	Key      string // normalised email; "name:<name>" or "<vendor>:<id>" when no vendor gave an address
	Email    string
	Name     string
	Level    Level // the highest level among the views
	Score    int   // the highest 0–100 score among the views, or NoScore
	LastSeen time.Time
	Views    []View // each vendor's own view, riskiest first
}

// Reading is the view a person's level comes from, for saying whose
// score stands beside it: of the views at the person's level, the one
// with the highest score (false when none of them has a score). A person
// Critical in OneLogin at 99 and Medium at 40 in CASB reads "Critical
// (OneLogin 99)", never "Critical (CASB 40)".
func (p Person) Reading() (View, bool) {
	var best View
	found := false
	for _, v := range p.Views {
		if v.Level == p.Level && v.Score != NoScore && (!found || v.Score > best.Score) {
			best, found = v, true
		}
	}
	return best, found
}

// View is a vendor's view of a person and how it was joined to them.
type View struct {
	UserRisk
	JoinedBy string // "email", "name" (a unique name match), or "" (the view alone)
}

// Merge joins vendor views into people.
//
// Views with an email address are joined by the normalised address
// (OneLogin's carry the address its Users API gave for the event's
// user_id). A view without one (OneLogin events name the person, not their
// login, when the Users API could not be read) joins the one person who
// already carries exactly that display name, case and spacing aside, and
// only when no other user of a vendor without an address shares the name;
// that join is a guess, JoinedBy "name", which the screen says. Otherwise
// it stands alone: under its name, or its vendor id when others share it. Each person's level and score are the highest of their views,
// and their views riskiest first, then in vendors' order (the registry's
// display order; a vendor not in it last).
// People come back riskiest first, then most recently seen, then by key.
func Merge(views []UserRisk, vendors []string) []Person {
	byKey := map[string]*Person{}
	var order []string
	add := func(key string, v View) {
		p, ok := byKey[key]
		if !ok {
			p = &Person{Key: key, Score: NoScore}
			byKey[key] = p
			order = append(order, key)
		}
		p.Views = append(p.Views, v)
	}
	var nameless []UserRisk
	for _, v := range views {
		if key := v.Key(); key != "" {
			add(key, View{UserRisk: v, JoinedBy: "email"})
		} else {
			nameless = append(nameless, v)
		}
	}
	// Index display names of the people joined by email.
	names := map[string][]string{}
	for _, key := range order {
		seen := map[string]bool{}
		for _, v := range byKey[key].Views {
			if n := normName(v.Name); n != "" && !seen[n] {
				seen[n] = true
				names[n] = append(names[n], key)
			}
		}
	}
	// Distinct vendor users behind each name among the views without an
	// address: two OneLogin users called "Ava Chen" are two people, and
	// neither may take the one Ava Chen who has an address.
	owners := map[string]map[string]bool{}
	for _, v := range nameless {
		if n := normName(v.Name); n != "" {
			if owners[n] == nil {
				owners[n] = map[string]bool{}
			}
			owners[n][v.LocalKey()] = true
		}
	}
	for _, v := range nameless {
		n := normName(v.Name)
		switch {
		case n != "" && len(names[n]) == 1 && len(owners[n]) == 1:
			// A guess, marked as one: the screen says "by name".
			add(names[n][0], View{UserRisk: v, JoinedBy: "name"})
		case n != "" && len(owners[n]) == 1:
			add("name:"+n, View{UserRisk: v})
		default:
			add(v.LocalKey(), View{UserRisk: v})
		}
	}
	people := make([]Person, 0, len(order))
	for _, key := range order {
		people = append(people, finish(*byKey[key], vendors))
	}
	sort.SliceStable(people, func(i, j int) bool {
		a, b := people[i], people[j]
		if a.Level != b.Level {
			return a.Level > b.Level
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if !a.LastSeen.Equal(b.LastSeen) {
			return a.LastSeen.After(b.LastSeen)
		}
		return a.Key < b.Key
	})
	return people
}

func finish(p Person, vendors []string) Person {
	sort.SliceStable(p.Views, func(i, j int) bool {
		if p.Views[i].Level != p.Views[j].Level {
			return p.Views[i].Level > p.Views[j].Level
		}
		return vendorRank(vendors, p.Views[i].Vendor) < vendorRank(vendors, p.Views[j].Vendor)
	})
	for _, v := range p.Views {
		p.Level = Max(p.Level, v.Level)
		if v.Score > p.Score {
			p.Score = v.Score
		}
		if v.LastSeen.After(p.LastSeen) {
			p.LastSeen = v.LastSeen
		}
		if p.Email == "" && v.Key() != "" {
			p.Email = v.Key()
		}
		if p.Name == "" && v.JoinedBy == "email" && v.Name != "" && v.Name != v.Email {
			p.Name = v.Name // as spelled by a vendor that also gave the address
		}
	}
	if p.Name == "" && len(p.Views) > 0 {
		p.Name = p.Views[0].Name
		if p.Name == "" && p.Email == "" {
			p.Name = p.Views[0].Email // a user name that is not an address still names them
		}
	}
	return p
}

func vendorRank(vendors []string, v string) int {
	if i := slices.Index(vendors, v); i >= 0 {
		return i
	}
	return len(vendors)
}

// normName folds case and runs of spaces so "Ava  chen" matches "Ava Chen".
func normName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
