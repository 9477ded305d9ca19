package olt

import (
	"context"
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

func TestParseVSOLErrors(t *testing.T) {
	for _, tt := range []struct{ page, want string }{
		{`<html><body>no table</body></html>`, "no ONU table"},
		{`<table><tr><td class="hd">Name</td><td class="hd">Status</td></tr></table>`, "no ONU id column"},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Name</td></tr></table>`, "no status column"},
		{`<table><tr><td class="hd">ONU ID</td><td class="hd">Status</td></tr><tr><td>x</td><td>Online</td></tr></table>`, `ONU id "x" cannot be read`},
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

// FuzzParseVSOL: no page crashes the parser; accepted ONUs have an id and a known state.
func FuzzParseVSOL(f *testing.F) {
	page := fixturePage(f, "vsol-onuinfo.html")
	f.Add(page)
	f.Fuzz(func(t *testing.T, page []byte) {
		sessionKey(page)
		got, err := parseVSOL(page, 1)
		if err != nil {
			return
		}
		for _, o := range got.onus {
			if o.ID == "" || !slices.Contains(States, o.State) {
				t.Fatalf("bad ONU %+v", o)
			}
		}
	})
}
