// Package model holds the domain types every other package shares: risk
// levels, score buckets, events, user and IP risk, source health, and the
// rules that merge one person's risk across vendors.
package model
