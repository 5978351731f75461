package table

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func BenchmarkMicroProbe(b *testing.B) {
	th := newTheme(termenv.TrueColor)
	st := th.Level(5)
	b.ReportAllocs()
	for b.Loop() {
		sink = st.Render("x")
	}
}
func BenchmarkMicroColorOnly(b *testing.B) {
	th := newTheme(termenv.TrueColor)
	st := th.Level(5)
	b.ReportAllocs()
	for b.Loop() {
		_ = colorOnly(st)
	}
}
func BenchmarkMicroWidthASCII(b *testing.B) {
	s := "session 0 from a new device in a country not seen for this user in 90 days"
	b.ReportAllocs()
	for b.Loop() {
		_ = ansi.StringWidth(s)
	}
}
func BenchmarkMicroWidthCJK(b *testing.B) {
	s := "山田 太郎 👩‍💻 dev-ops"
	b.ReportAllocs()
	for b.Loop() {
		_ = ansi.StringWidth(s)
	}
}
func BenchmarkMicroTruncate(b *testing.B) {
	s := "session 0 from a new device in a country not seen for this user in 90 days"
	b.ReportAllocs()
	for b.Loop() {
		sink = ansi.Truncate(s, 50, "…")
	}
}
func BenchmarkMicroRenderRow(b *testing.B) {
	m := benchTable(b, 46)
	r := m.Rows()[3]
	b.ReportAllocs()
	for b.Loop() {
		_ = m.renderRow(r, false)
	}
}
