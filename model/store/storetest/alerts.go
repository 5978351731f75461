package storetest

// alertsCases are the alerts area's cases.
var alertsCases = []Case{}
