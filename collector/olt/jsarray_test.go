package olt

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestJSArray(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string
	}{
		{"plain", `var onutable=new Array('a','b','c');`, []string{"a", "b", "c"}},
		{"spaces and newlines", "var onutable = new  Array (\n 'a' ,\n\t'b'\r\n, 'c'\n);", []string{"a", "b", "c"}},
		{"empty", `var onutable=new Array();`, nil},
		{"empty with space", "var onutable=new Array(\n);", nil},
		{"trailing comma", `var onutable=new Array('a','b',);`, []string{"a", "b"}},
		{"escaped quotes", `var onutable=new Array('Jum\'at','say \"hi\"','back\\slash');`, []string{"Jum'at", `say "hi"`, `back\slash`}},
		{"comma and parenthesis inside quotes", `var onutable=new Array('Toko Maju, Blok C','(x)');`, []string{"Toko Maju, Blok C", "(x)"}},
		{"double quotes", `var onutable=new Array("a'b","c");`, []string{"a'b", "c"}},
		{"hex and unicode escapes", `var onutable=new Array('\x3c/script>','\u00e9');`, []string{"</script>", "é"}},
		{"other escapes", `var onutable=new Array('a\nb\tc','\q');`, []string{"a\nb\tc", "q"}},
		{"bare numbers", `var onutable=new Array(1, -2.5,'x');`, []string{"1", "-2.5", "x"}},
		{"utf-8 as is", `var onutable=new Array('王家','Dédé');`, []string{"王家", "Dédé"}},
		{"name must stand alone", `var myonutable=new Array('no'); var onutable=new Array('yes');`, []string{"yes"}},
		{"other uses of the name first", `if (onutable.length == 0) x(); var onutable=new Array('yes');`, []string{"yes"}},
		{"empty strings", `var onutable=new Array('','');`, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsArray(tt.script, "onutable")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJSArrayErrors(t *testing.T) {
	tests := []struct {
		name, script, want string
		noArray            bool
	}{
		{"absent", `var other=new Array('a');`, "no such array", true},
		{"cut short", `var onutable=new Array('a','b`, "string not closed", false},
		{"cut after a comma", `var onutable=new Array('a',`, "ends before its closing parenthesis", false},
		{"no closing parenthesis", `var onutable=new Array('a' 'b')`, "expected , or ) but found", false},
		{"newline in a string", "var onutable=new Array('a\nb');", "not closed before the end of the line", false},
		{"bad hex escape", `var onutable=new Array('\xZZ');`, `invalid \x escape`, false},
		{"short unicode escape", `var onutable=new Array('\u00`, `\u escape cut short`, false},
		{"a call inside", `var onutable=new Array(f('a'));`, "unexpected", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsArray(tt.script, "onutable")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if errors.Is(err, errNoArray) != tt.noArray {
				t.Errorf("errors.Is(err, errNoArray) = %v, want %v", !tt.noArray, tt.noArray)
			}
		})
	}
}

func TestJSDivisor(t *testing.T) {
	tests := []struct {
		script string
		want   int
		ok     bool
	}{
		{`var lineNum=(onutable.length)/22;`, 22, true},
		{`var lineNum = ( onutable.length ) / 16 ;`, 16, true},
		{`var lineNum=onutable.length/13;`, 13, true},
		{`for (i=0;i<onutable.length;i++) {} var lineNum=(onutable.length)/11;`, 11, true},
		{`var lineNum=(onutable.length)/0;`, 0, false},
		{`var lineNum=(onutable.length)/x;`, 0, false},
		{`var lineNum=10;`, 0, false},
	}
	for _, tt := range tests {
		got, ok := jsDivisor(tt.script, "onutable")
		if got != tt.want || ok != tt.ok {
			t.Errorf("jsDivisor(%q) = %d, %v, want %d, %v", tt.script, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzJSArray: no input crashes the tokenizer, and every list it reads survives being
// written back as a literal and read again.
func FuzzJSArray(f *testing.F) {
	f.Add(`var onutable=new Array('0/1:1','NA','E0:E8:E6:A0:69:09','Up');`)
	f.Add(`var onutable=new Array('Jum\'at, \x3c','\u00e9',1,);`)
	f.Add("var onutable = new Array(\n\"a\"\n);")
	f.Add(`var onutable=new Array('a\`)
	f.Fuzz(func(t *testing.T, script string) {
		got, err := jsArray(script, "onutable")
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString("var onutable=new Array(")
		for i, e := range got {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\'')
			for _, c := range []byte(e) {
				switch c {
				case '\'', '\\':
					b.WriteByte('\\')
					b.WriteByte(c)
				case '\n':
					b.WriteString(`\n`)
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('\'')
		}
		b.WriteString(");")
		again, err := jsArray(b.String(), "onutable")
		if err != nil {
			t.Fatalf("re-reading %q: %v", b.String(), err)
		}
		if !slices.Equal(again, got) {
			t.Fatalf("round trip changed %q into %q", got, again)
		}
	})
}
