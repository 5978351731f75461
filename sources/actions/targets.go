package actions

// Which vendor the service acts on and reads from, by the name the model
// and the registry know it by, so the dashboard finds a person's view
// there and words its notices without naming the vendor. They do no I/O,
// and answer whether the vendor is configured or not (CanReset says).

// ResetsIn is the vendor ResetUser resets a person's risk in: a
// ResetTarget's UserID is the person's user id there.
func (s *Service) ResetsIn() string { return ResetIn.Name }

// ReadsFrom is the vendor Behaviors, Integrations and UserDetail read:
// UserDetail's userID is the person's user id there.
func (s *Service) ReadsFrom() string { return ResetIn.Name }

// IntegrationTypeDefault is the type a new integration gets: the only one
// the vendor documents (IntegrationTypeOkta).
const IntegrationTypeDefault = IntegrationTypeOkta

func (v *Viewer) ResetsIn() string  { return v.s.ResetsIn() }
func (v *Viewer) ReadsFrom() string { return v.s.ReadsFrom() }
