package config

import _ "embed"

// Example is a commented config that enables every source, with secrets
// taken from the environment. It parses cleanly once ONELOGIN_CLIENT_ID,
// ONELOGIN_CLIENT_SECRET, CASB_ACCESS_KEY, CASB_ACCESS_SECRET,
// CLOUDFLARE_API_TOKEN and OKTA_API_TOKEN are set.
//
//go:embed example.yaml
var Example string
