package olt

import (
	"context"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/rondanet/ronda/collector"
)

func TestParseVSOLFixture(t *testing.T) {
	page := fixturePage(t, "vsol-onuinfo.html") // GB2312, said only in its <meta>
	if key, ok := sessionKey(page); !ok || key != "a1B2c3" {
		t.Errorf("SessionKey %q %v", key, ok)
	}
	got, err := parseVSOL(page, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.pons != 3 {
		t.Errorf("%d PONs in the selector, want 3", got.pons)
	}
	var rows []string
	for _, o := range got.onus {
		rows = append(rows, describe(o))
	}
	want := []string{
		`0/1:1 up name="王家 小卖部" mac=E0:67:B3:11:00:01 fw="" auth="activated" ctc="" reason=onu_init rx=-21.37 tx=2.41 temp=44.2 volt=3.3 bias=0.0118 dist=2350 gasp=0`,
		`0/1:2 pwrdown name="Toko & Warung" mac=E0:67:B3:11:00:02 fw="" auth="activated" ctc="" reason=other gasp=1`,
		`0/1:3 down name="Kantor" mac=E0:67:B3:11:00:03 fw="" auth="deactivated" ctc="" reason=timeout gasp=0`,
		`0/1:4 los name="Sekolah" mac=E0:67:B3:11:00:04 fw="" auth="activated" ctc="" tx=2.1 temp=39 volt=3.31 bias=0.009`,
	}
	if !slices.Equal(rows, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseVSOLSkipsRowsThatAreNotONUs: rows of the table that are not ONUs (a footer, the
// "no data" row of a PON without ONUs, a blank or repeated header row) are left out instead
// of failing the whole read. FIELD-NOTES do not show these rows: the shapes here are the
// usual ones of such web UIs (a cell spanning the table, or a row with no status).
func TestParseVSOLSkipsRowsThatAreNotONUs(t *testing.T) {
	const head = `<table><tr><td class='hd'>ONU ID</td><td class='hd'>Status</td><td class='hd'>Name</td></tr>`
	const onus = `<tr><td>EPON0/1:1</td><td>Online</td><td>a</td></tr><tr><td>EPON0/1:2</td><td>Offline</td><td>b</td></tr>`
	// Columns are found by their header, so a firmware may put the status first.
	const statusFirst = `<table><tr><td class='hd'>Status</td><td class='hd'>ONU ID</td><td class='hd'>Name</td></tr>`
	for _, tt := range []struct {
		name, head, rows string
		want             []string
	}{
		{"footer spanning the table", head, onus + `<tr><td colspan="3">Total: 2</td></tr>`, []string{"0/1:1", "0/1:2"}},
		{"footer in the id column", head, onus + `<tr><td>Total: 2</td><td></td><td></td></tr>`, []string{"0/1:1", "0/1:2"}},
		{"no data, spanning", head, `<tr><td colspan="3" align="center">No data</td></tr>`, nil},
		{"no data, in the first cell", head, `<tr><td>No Data</td><td></td><td></td></tr>`, nil},
		{"blank row", head, `<tr><td>EPON0/1:1</td><td>Online</td><td>a</td></tr><tr><td></td><td></td><td></td></tr>`, []string{"0/1:1"}},
		{"header repeated", head, onus + `<tr><td class='hd'>ONU ID</td><td class='hd'>Status</td><td class='hd'>Name</td></tr>`, []string{"0/1:1", "0/1:2"}},
		{"no data, spanning, status column first", statusFirst, `<tr><td colspan="3" align="center">No data</td></tr>`, nil},
		{"footer spanning, status column first", statusFirst, `<tr><td>Online</td><td>EPON0/1:1</td><td>a</td></tr><tr><td colspan="3">Total: 1</td></tr>`, []string{"0/1:1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVSOL([]byte(tt.head+tt.rows+`</table>`), 1)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range got.onus {
				ids = append(ids, o.PON+":"+o.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ONUs %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestParseVSOLErrors(t *testing.T) {
	for _, tt := range []struct{ page, want string }{
		{`<html><body>no table</body></html>`, "no ONU table"},
		{`<table><tr><td class="hd">Name</td><td class="hd">Status</td></tr></table>`, "no ONU id column"},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Name</td></tr></table>`, "no status column"},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td>x</td><td>Online</td></tr></table>`, `ONU id "x" cannot be read`},
		// Rows with a status are ONUs: one whose id cannot be read is a layout this parser
		// does not know (ids written another way, a cell added before them), not a row to
		// skip, even when no row can be read at all.
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td>EPON0/1:1</td><td>Online</td></tr><tr><td>ONU-2</td><td>Offline</td></tr></table>`, `ONU id "ONU-2" cannot be read`},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td></td><td>Online</td></tr><tr><td></td><td>Offline</td></tr></table>`, `ONU id "" cannot be read`},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td>1/1/1</td><td>Online</td></tr><tr><td colspan="2">Total: 1</td></tr></table>`, `ONU id "1/1/1" cannot be read`},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td>ONU:5</td><td>Online</td></tr></table>`, `ONU id "ONU:5" cannot be read`},
	} {
		_, err := parseVSOL([]byte(tt.page), 1)
		if err == nil || !strings.Contains(err.Error(), tt.want) || collector.Classify(context.Background(), err) != collector.ReasonProtocol {
			t.Errorf("%s: %v, want %q (protocol)", tt.page, err, tt.want)
		}
	}
	if !isLoginPage([]byte(`<input type="password" name="pass">`)) || isLoginPage([]byte(`<td>pass</td>`)) {
		t.Error("isLoginPage")
	}
}

// TestVSOLONUNumber: V-SOL and C-Data write an ONU's id as its PON port and number,
// "EPON0/1:5" or "GPON0/1:5", some firmwares without the word or with the number alone. An id
// of any other shape is not one of these with a number at its end: taking whatever follows
// its last ':' would read text of a layout the parser does not know as ONU numbers.
func TestVSOLONUNumber(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"EPON0/1:5", "5"},
		{"GPON0/2:17", "17"},
		{"0/1:64", "64"},
		{"EPON0/16:128", "128"},
		{"5", "5"},
		{"007", "7"},
		{"x:5", ""},
		{":5", ""},
		{"EPON:5", ""},
		{"EPON0/:5", ""},
		{"EPON/1:5", ""},
		{"0/1/1:5", ""},
		{"1:5", ""},
		{"ONU0/1:5", ""},
		{"Total: 5", ""},
		{"EPON0/1:5:6", ""},
		{"EPON0/1:", ""},
		{"EPON0/1:x", ""},
		{"EPON0/1: 5", ""},
		{"EPON 0/1:5", ""},
		{"EPONGPON0/1:5", ""},
		{"EPON0/1:70000", ""},
		{"-5", ""},
		{"", ""},
	} {
		if got := vsolONUNumber(tt.id); got != tt.want {
			t.Errorf("vsolONUNumber(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// FuzzParseVSOL: no page crashes the parser; accepted ONUs have an id and a known state.
func FuzzParseVSOL(f *testing.F) {
	page := fixturePage(f, "vsol-onuinfo.html")
	f.Add(page)
	f.Fuzz(func(t *testing.T, page []byte) {
		sessionKey(page)
		got, err := parseVSOL(page, 1)
		if err != nil {
			if collector.Classify(context.Background(), err) != collector.ReasonProtocol {
				t.Fatalf("error without the protocol reason: %v", err)
			}
			return
		}
		for _, o := range got.onus {
			if o.PON != "0/1" || o.ID == "" || !slices.Contains(States, o.State) {
				t.Fatalf("bad ONU %+v", o)
			}
		}
	})
}

// FuzzParseVSOLColumnOrder: columns are found by their header, so a table whose columns
// come in another order reads the same, rows that are not ONUs included: a row of cells
// (one per line of rows, cells split at '|') is written in both orders, a row of one cell
// spans the table as a footer or "no data" row does.
func FuzzParseVSOLColumnOrder(f *testing.F) {
	f.Add("EPON0/1:1|Online|Toko|-20.5\nEPON0/1:2|Offline|Kantor|--\nTotal: 2", uint8(1))
	f.Add("No data", uint8(1))
	f.Add("Total: 2||", uint8(2))
	f.Fuzz(func(t *testing.T, rows string, shift uint8) {
		headers := []string{"ONU ID", "Status", "Name", "Rx Power(dBm)"}
		table := func(order []int) []byte {
			var b strings.Builder
			b.WriteString("<table><tr>")
			for _, c := range order {
				b.WriteString("<td class='hd'>" + headers[c] + "</td>")
			}
			b.WriteString("</tr>")
			for row := range strings.SplitSeq(rows, "\n") {
				cells := strings.Split(row, "|")
				if len(cells) == 1 {
					b.WriteString(`<tr><td colspan="4">` + html.EscapeString(row) + "</td></tr>")
					continue
				}
				cells = append(cells, make([]string, len(headers))...)[:len(headers)]
				b.WriteString("<tr>")
				for _, c := range order {
					b.WriteString("<td>" + html.EscapeString(cells[c]) + "</td>")
				}
				b.WriteString("</tr>")
			}
			b.WriteString("</table>")
			return []byte(b.String())
		}
		read := func(order []int) string {
			page, err := parseVSOL(table(order), 1)
			if err != nil {
				return "error: " + err.Error()
			}
			var onus []string
			for _, o := range page.onus {
				onus = append(onus, describe(o))
			}
			return strings.Join(onus, "\n")
		}
		k := int(shift) % len(headers)
		rotated := []int{0, 1, 2, 3}
		rotated = append(rotated[k:], rotated[:k]...)
		if got, want := read(rotated), read([]int{0, 1, 2, 3}); got != want {
			t.Fatalf("columns in the order %v read\n%s\nin the header's\n%s", rotated, got, want)
		}
	})
}
