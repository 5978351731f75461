package postgres

// SetAlertCacheBounds makes the alert cache keep at most cached whole
// alerts and list live alerts only while there are at most listed (-1:
// never), so tests reach the paths a large store takes.
func (s *Store) SetAlertCacheBounds(cached, listed int) { s.alerts.SetBounds(cached, listed) }
