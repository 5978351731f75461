package storetest

// outboxCases are the outbox area's cases.
var outboxCases = []Case{}
