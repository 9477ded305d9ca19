package olt

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// names are customer names as operators type them into the OLT, some with characters
// beyond ASCII, an apostrophe or a comma.
var names = []string{
	"Warung Bu Tini", "Pak Dédé RT04", "Masjid Al-Ikhlas", "Toko Maju, Blok C", "Jum'at Berkah",
	"Bengkel Śrī", "Kost Melati", "Rumah Pak Ahmad", "Sekolah SDN 3", "Klinik Sehat",
	"Café Kopi Kenangan", "Budi Santoso", "Siti Aminah", "Ruko № 12", "Posyandu Mawar",
	"Agus (tetangga)", "王家 Wang", "Dewi Lestari", "Pos Kamling", "Kantor Desa",
}

// Populate makes a deterministic population: pons PONs of perPON ONUs each, mostly
// healthy, with a few of every trouble an operator meets (weak signal, overheating, down
// with TIMEOUT, powered down with a dying gasp, a loop, deactivated, bad DDM readings).
// The same seed always gives the same ONUs.
func Populate(seed uint64, pons, perPON int, now time.Time) []*ONU {
	rng := rand.New(rand.NewPCG(seed, 0x6f6c74))
	onus := make([]*ONU, 0, pons*perPON)
	for p := 1; p <= pons; p++ {
		for id := 1; id <= perPON; id++ {
			o := &ONU{
				PON: p, ID: id,
				Name:     names[(p*perPON+id+int(seed))%len(names)],
				MAC:      fmt.Sprintf("E0:E8:E6:%02X:%02X:%02X", byte(seed), p, id),
				Firmware: "V2.1.05",
				Status:   StatusUp, Active: true,
				RTT:     400 + rng.IntN(12000), // 0.5 km to 20 km
				RxPower: round2(-24 + rng.Float64()*8),
				TxPower: round2(1.5 + rng.Float64()*1.5),
				Temp:    round2(35 + rng.Float64()*15),
				Voltage: round2(3.25 + rng.Float64()*0.1),
				BiasMA:  round2(8 + rng.Float64()*8),
				Reason:  OfflineONUInit,
				Deregs:  rng.IntN(4),
				Since:   now.Add(-time.Duration(1+rng.IntN(30*24*3600)) * time.Second),
			}
			// Every ONU's trouble is chosen by its place, so each PON shows each kind.
			switch id % 16 {
			case 3:
				o.RxPower = round2(-27.2 - rng.Float64()*1.5) // weak
			case 5:
				o.Temp = round2(62 + rng.Float64()*10) // hot
			case 7:
				o.Status, o.Reason = StatusDown, OfflineTimeout
				o.Deregs += 3
			case 9:
				o.Status, o.Reason, o.DyingGasp = StatusPwrDown, OfflineOther, true
			case 11:
				if id%32 == 11 {
					o.Status = StatusLoopDetected
				}
			case 13:
				if id%32 == 13 {
					o.Active = false
					o.Status, o.Reason = StatusDown, OfflineOLTInit
				} else {
					o.Glitch = []Glitch{GlitchAllOnes, GlitchNaN, GlitchFloor}[(id/32+p)%3]
				}
			}
			if !o.online() {
				o.Since = now.Add(-time.Duration(60+rng.IntN(3*24*3600)) * time.Second)
			}
			onus = append(onus, o)
		}
	}
	return onus
}

func round2(v float64) float64 { return float64(int(v*100)) / 100 }
