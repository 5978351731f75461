package table_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/theme"
)

func Example() {
	r := lipgloss.NewRenderer(io.Discard) // the session's renderer over SSH
	r.SetColorProfile(termenv.Ascii)
	th := theme.New(r)

	t := table.New(table.StylesFrom(th),
		table.Column{Title: "User", Flex: 1, Min: 6},
		table.Column{Title: "Score", Width: 5, Align: table.AlignRight},
		table.Column{Title: "Source", Width: 10},
	)
	t.SetEmptyMessage("no users")
	t.SetSize(32, 4) // from tea.WindowSizeMsg; 3 rows fit under the header
	// A caller paging a store query asks for t.VisibleRows() rows.
	t.SetRows([]table.Row{
		{Cells: []string{"山田 太郎", "87", "onelogin"}},
		{Cells: []string{"alice@example.com", "12", "okta"}},
	})
	t.MoveDown(1)
	for _, l := range strings.Split(t.View(), "\n") {
		fmt.Printf("|%s|\n", l)
	}
	row, _ := t.Selected()
	fmt.Println(row.Cells[0])
	// Output:
	// | User           Score Source    |
	// | 山田 太郎         87 onelogin  |
	// |>alice@example…    12 okta      |
	// |                                |
	// alice@example.com
}
