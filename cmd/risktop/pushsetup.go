package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/risktop/risktop/sources/actions"
)

// The push vendor's own commands (`risktop okta ...`). Only ssf-setup for
// now.

var pushVendorSynopsis = `
ssf-setup prints what to register at ` + actions.PushTo.Display + ` before pushing over the Shared
Signals Framework (push: ssf): the JWKS to publish (the public half of
ssf_key_file, with ssf_key_id as its kid) and the Security Events Provider
to create with that JWKS's URL and ssf_issuer. Nothing secret is printed:
the private key never leaves the config's file.

Exit status: 0 when printed, 2 on bad arguments or config errors (push is
not ssf, or the key cannot be read).`

func runPushVendor(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags(actions.PushTo.Name+" ssf-setup [--jwks-url URL] [flags]", pushVendorSynopsis, out, errOut)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	jwksURL := fs.String("jwks-url", "", "the HTTPS URL where you will publish the JWKS (default: a placeholder to replace)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "ssf-setup" {
		return usageError(fs, "say what to do: ssf-setup")
	}
	if u := strings.TrimSpace(*jwksURL); u != "" && !strings.HasPrefix(u, "https://") {
		return usageError(fs, "--jwks-url %q must be an https:// URL (Okta fetches the JWKS from it)", u)
	}
	cfg, err := loadConfig(*cfgPath, errOut)
	if err != nil {
		return err
	}
	setup, err := actions.SSFSetupOf(cfg.Source(actions.PushTo.Name), strings.TrimSpace(*jwksURL))
	if err != nil {
		return failf(errOut, 2, "%s ssf-setup: %v", actions.PushTo.Name, err)
	}
	fmt.Fprint(out, setup.String())
	return nil
}
