package users

import (
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func TestIPsSeenWithoutScores(t *testing.T) {
	evs := []model.Event{
		{IP: "198.51.100.7", Score: model.NoScore, Time: time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)},
		{IP: "198.51.100.7", Score: model.NoScore, Time: time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC).Add(-time.Minute)},
		{IP: "192.0.2.1", Score: 42, Time: time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)},
		{IP: "192.0.2.1", Score: model.NoScore, Time: time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)},
	}
	ips := ipsSeen(evs)
	if len(ips) != 2 || ips[0].IP != "192.0.2.1" || ips[0].MaxScore != 42 || ips[0].Events != 2 {
		t.Fatalf("scored address first: %+v", ips)
	}
	if ips[1].MaxScore != model.NoScore || ips[1].Level != model.LevelUnknown {
		t.Fatalf("unscored address %+v", ips[1])
	}
	if got := worstOf(ips[1], "OneLogin"); got != "no score" {
		t.Fatalf("unscored address shows %q", got)
	}
	if got := worstOf(model.IPRisk{MaxScore: 0, Level: model.LevelNone}, "OneLogin"); got != "at worst None (OneLogin 0)" {
		t.Fatalf("score 0 shows %q", got)
	}
}
