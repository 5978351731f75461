package ui
import ("testing";"fmt")
func TestZZDump(t *testing.T) {
	for _, sz := range [][2]int{{80,24},{160,48}} {
		a := newFixtureApp(t, sz[0], sz[1], 400)
		fmt.Println(a.View())
	}
}
