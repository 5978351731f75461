// Package config finds, loads, expands and validates risktop's YAML config
// file into plain values. It imports no vendor: each vendor's section is
// read by the schema in its vendor.Descriptor, which the caller passes to
// Load (sources/vendors.All), and Config.Source hands back its values.
//
// The file (see Example, the README's commented config):
//
//	refresh: 30s      # default poll interval, at least 5s
//	read_only: true   # actions need false here or --write
//	store: ""         # default $XDG_STATE_HOME/risktop/risktop.db
//	retention: 90d
//	audit_log: ""     # JSON-lines copy of the audit log; "" for none
//	export_dir: ""    # default $XDG_STATE_HOME/risktop/exports
//	serve:            # risktop serve; its flags override these
//	  idle_timeout: 30m   # no key press for this long closes a session; 0: never
//	  max_sessions: 16
//	sources:          # a vendor that is absent is off
//	  onelogin:   {base_url: …, client_id: …, client_secret: "${ONELOGIN_CLIENT_SECRET}", interval: 30s, backfill: 24h}
//	  casb:       {base_url: …, access_key: …, access_secret: …, report: Userrisk, interval: 5m}
//	  cloudflare: {base_url: …, account_id: …, api_token: …, interval: 60s}  # or api_email + api_key
//	  okta:       {base_url: …, api_token: …, requests_per_minute: 3}  # or client_id + private_key_file; push: ssf with ssf_issuer, ssf_key_file, ssf_key_id
//
// Expansion: ${NAME} in any value is replaced by the environment variable
// (unset is an error; set but empty is kept, and an empty secret is an
// error). $$ is a literal $. Any other $ stays as written, and $NAME without
// braces is not expanded, so literal values containing $ survive.
//
// Secrets: client_secret, access_key, access_secret, api_token, api_key,
// private_key and ssf_key may each be given instead as <key>_file: /path, whose content
// (trailing newlines removed) is the secret. ~ is expanded, and relative
// paths (there and in store, audit_log and export_dir) are relative to the
// config file. A <key>_file must be a regular file of at most 16 KiB
// (MaxSecretFile): a device or a pipe is refused before it is opened.
// Secrets are held as secret.Value, so no error, warning or %v of a Config
// shows them, and a problem with any value that came from ${VAR} names the
// variable, never the value (it may be a secret put in the wrong key).
//
// Validation reports every problem at once as *Errors, one line each,
// "file:line:col: key.path: what is wrong; what to do".
package config
