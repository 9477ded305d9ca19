package sim

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/rondanet/ronda/internal/sim/routeros"
)

// newRouter builds a router from its spec, with its users and the sessions marked online.
// It does not start listening.
func newRouter(rs RouterSpec, clock routeros.Clock, logger *slog.Logger) (*routeros.Router, error) {
	now := clock.Now()
	username := rs.API.Username
	if username == "" {
		username = "admin"
	}
	r := routeros.NewRouter(routeros.Options{
		Identity:    rs.Identity,
		Version:     rs.Version,
		Board:       rs.Board,
		Username:    username,
		Password:    rs.API.Password,
		LegacyLogin: rs.LegacyLogin,
		EmptyReply:  rs.EmptyReply,
		Clock:       clock,
		BootTime:    now.Add(-time.Duration(rs.Uptime)),
		Logger:      logger.With("router", rs.Name),
	})
	type online struct{ name, address string }
	var logins []online
	for bi, us := range rs.Users {
		if us.Generate != nil {
			users, onlineNames := generateUsers(rs.Name, bi, *us.Generate, now, r)
			for _, u := range users {
				if err := r.AddUser(u); err != nil {
					return nil, fmt.Errorf("router %s: %w", rs.Name, err)
				}
			}
			for _, n := range onlineNames {
				logins = append(logins, online{name: n})
			}
			continue
		}
		u := routeros.User{
			Name: us.Name, Password: us.Password, Profile: us.Profile, Server: us.Server,
			MACAddress: us.MACAddress, Comment: us.Comment, Disabled: us.Disabled,
			LimitUptime: time.Duration(us.LimitUptime), Uptime: time.Duration(us.Uptime),
		}
		if err := r.AddUser(u); err != nil {
			return nil, fmt.Errorf("router %s: %w", rs.Name, err)
		}
		if us.Online {
			logins = append(logins, online{us.Name, us.Address})
		}
	}
	for _, o := range logins {
		if _, err := r.Login(o.name, o.address, ""); err != nil {
			return nil, fmt.Errorf("router %s: starting the session of %s: %w", rs.Name, o.name, err)
		}
	}
	return r, nil
}

// voucherAlphabet leaves out characters people misread on printed vouchers (0/o, 1/l/i).
const voucherAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

var generatedLimits = []time.Duration{time.Hour, 3 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// generateUsers makes a generate block's users. Everything comes from a PRNG seeded with
// the router name and the block's position, so the same scenario always gives the same
// users; the ratios are applied exactly (a shuffled index decides who is limited or online).
func generateUsers(router string, block int, g GenerateSpec, now time.Time, existing *routeros.Router) ([]routeros.User, []string) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", router, block)
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(block)))

	limitedN := int(float64(g.Count)*g.LimitedRatio + 0.5)
	onlineN := int(float64(g.Count)*g.OnlineRatio + 0.5)
	limitedRank := rng.Perm(g.Count)
	onlineRank := rng.Perm(g.Count)
	batch := 100 + rng.IntN(900)
	// Mikhmon writes the voucher batch's creation date into the comment as mm.dd.yy.
	created := now.AddDate(0, 0, -1-rng.IntN(30)).Format("01.02.06")

	taken := map[string]bool{}
	users := make([]routeros.User, 0, g.Count)
	var online []string
	for i := range g.Count {
		u := routeros.User{Profile: g.Profile}
		if g.VoucherPrefix != "" {
			// Draw codes until one is free (31^5 codes: collisions are rare).
			for u.Name == "" || taken[u.Name] || exists(existing, u.Name) {
				code := make([]byte, 5)
				for k := range code {
					code[k] = voucherAlphabet[rng.IntN(len(voucherAlphabet))]
				}
				u.Name = g.VoucherPrefix + string(code)
			}
		} else {
			u.Name = fmt.Sprintf("%s%03d", cmp.Or(g.NamePrefix, "member"), i+1)
		}
		taken[u.Name] = true
		if g.VoucherPrefix != "" {
			u.Password = u.Name // Mikhmon's default "user = password" vouchers
			u.Comment = fmt.Sprintf("vc-%d-%s-", batch, created)
		} else {
			u.Password = fmt.Sprintf("pw%04d", rng.IntN(10000))
		}
		if limitedRank[i] < limitedN {
			u.LimitUptime = time.Duration(g.LimitUptime)
			if u.LimitUptime == 0 {
				u.LimitUptime = generatedLimits[rng.IntN(len(generatedLimits))]
			}
			// Up to 90% used, in whole minutes.
			u.Uptime = (time.Duration(rng.Int64N(int64(u.LimitUptime)*9/10)) / time.Minute) * time.Minute
		} else {
			u.Uptime = time.Duration(rng.IntN(200*60)) * time.Minute
		}
		u.BytesIn = int64(u.Uptime/time.Second) * int64(200+rng.IntN(800))
		u.BytesOut = int64(u.Uptime/time.Second) * int64(2000+rng.IntN(30000))
		if onlineRank[i] < onlineN {
			online = append(online, u.Name)
		}
		users = append(users, u)
	}
	return users, online
}

func exists(r *routeros.Router, name string) bool {
	_, ok := r.User(name)
	return ok
}
