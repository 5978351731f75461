package storetest

// eventsCases are the events area's cases.
var eventsCases = []Case{}
