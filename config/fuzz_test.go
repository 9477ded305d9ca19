package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rondanet/ronda/config"
)

// FuzzParse checks that no input crashes Parse, that every refusal is an *Error with at
// least one problem, and that every accepted config survives a Redacted round trip.
func FuzzParse(f *testing.F) {
	f.Setenv("RONDA_TEST_PASSWORD", "from-env")
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Named as if in testdata, so relative password and CA files resolve to its fixtures.
	const filename = "testdata/fuzz.yml"
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, filename)
		if err != nil {
			var configErr *config.Error
			if !errors.As(err, &configErr) {
				t.Fatalf("error is a %T, want *config.Error: %v", err, err)
			}
			if len(configErr.Problems) == 0 {
				t.Fatal("an *Error without problems")
			}
			for _, p := range configErr.Problems {
				if p.Message == "" {
					t.Fatalf("a problem without a message: %+v", p)
				}
			}
			return
		}
		dump, err := cfg.Redacted()
		if err != nil {
			t.Fatalf("Redacted: %v", err)
		}
		again, err := config.Parse(dump, filename)
		if err != nil {
			t.Fatalf("the dump of an accepted config is refused: %v\n%s", err, dump)
		}
		if !reflect.DeepEqual(again.Targets(), cfg.Targets()) || !reflect.DeepEqual(again.MikroTik, cfg.MikroTik) {
			t.Fatalf("round trip changed the config:\n%s", dump)
		}
	})
}
