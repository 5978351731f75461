package store

import "strings"

// Free text is matched with LIKE (ASCII case-insensitive) over the
// columns it covers, not with an FTS5 index. Both were measured on the
// 1M-event benchmark store (docs/PERFORMANCE.md, "Store"):
//
//   - FTS5 trigram: 35–130 µs an event to index even in 20,000-row bulk
//     transactions, and 55–213 ms a 50-event PutEvents when indexed in
//     the ingest transaction (FTS5 writes and merges a segment at every
//     commit), against 4–5 ms for the whole batch without it. Its page
//     queries were not all fast either: a rare name took 19 ms, an address
//     97 ms and a common word 1.3 s (every match is fetched, then sorted).
//   - LIKE costs ingest nothing. A text page walks the table newest first
//     and stops when full, so a word in many events takes 10–25 ms and any
//     word within a day's window 6–12 ms; a word that matches (almost)
//     nothing reads the whole table: 1–1.9 s at 1M events. Counting text
//     matches always reads the whole window.
//
// Names and emails are matched in the users table, which is small. The
// event type's name is matched first: it is short, and a word like
// "failed" is found there without reading the reasons.
func textFilter(w *where, text string) {
	like := "%" + likeEscaper.Replace(text) + "%"
	w.add(`(e.type_name LIKE ? ESCAPE '\' OR e.reasons LIKE ? ESCAPE '\' OR e.app LIKE ? ESCAPE '\' OR e.ip LIKE ? ESCAPE '\'
		OR e.uid IN (SELECT uid FROM users WHERE user_name || char(10) || user_key LIKE ? ESCAPE '\'))`,
		like, like, like, like, like)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
