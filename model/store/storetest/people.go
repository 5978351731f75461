package storetest

// peopleCases are the people area's cases.
var peopleCases = []Case{}
