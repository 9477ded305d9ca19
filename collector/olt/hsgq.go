package olt

import (
	"context"
	"errors"
	"net/http"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
)

type hsgq struct{}

func newHSGQ(config.OLTTarget, *http.Client) driver { return hsgq{} }

func (hsgq) read(context.Context) (*Snapshot, error) {
	return nil, collector.Fail(collector.ReasonConfig, errors.New("the hsgq driver is not written yet"))
}
