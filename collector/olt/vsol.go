package olt

import (
	"context"
	"errors"
	"net/http"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

type vsol struct{}

func newVSOL(config.OLTTarget, *http.Client) driver { return vsol{} }

func (vsol) read(context.Context) (*Snapshot, error) {
	return nil, collector.Fail(collector.ReasonConfig, errors.New("the vsol driver is not written yet"))
}
