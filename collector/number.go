package collector

import (
	"math"
	"strconv"
)

// Number is a sample value that may know the decimal it was read from. Devices write
// their readings in decimal (-17.06 dBm, 46.00 °C, 12.50 mA), and a Number made from
// those digits (Decimal) is written to the exposition straight from them: what writing
// its float gives, the shortest decimal that reads back as that float, without looking
// for it. Looking for it was a quarter of what exporting an OLT's page cost.
// Lines.AddEach writes Numbers; Float makes one of any float64.
type Number struct {
	f float64
	// dec is n×10^-places as decimalKnown | decimalNeg | places<<decimalPlacesShift | n,
	// or 0 when f was not read from a decimal.
	dec uint64
}

const (
	decimalKnown       = 1 << 63
	decimalNeg         = 1 << 62
	decimalPlacesShift = 50
	decimalDigitsMask  = 1<<decimalPlacesShift - 1
	// maxDecimalDigits bounds n: below 10^15 (and 2^50), n has at most 15 significant
	// digits, and no two such decimals are nearest to the same float64 (IEEE doubles
	// hold 15.95 decimal digits). So the shortest decimal that reads back as the float
	// nearest n×10^-places is n×10^-places itself, n's trailing zeros dropped.
	maxDecimalDigits = 1e15
	// maxDecimalPlaces keeps 10^places exact as a float64 (up to 10^22).
	maxDecimalPlaces = 22
)

// Float returns v as a Number, written as floats are (NaN: left out by Lines.AddEach).
func Float(v float64) Number { return Number{f: v} }

// Decimal returns the Number n×10^-places, negative when neg: the float64 nearest that
// decimal (as strconv.ParseFloat reads it), written with n's digits. ok is false when n
// has more than 15 digits or places is not within 0–22: the caller then reads the text
// as a float (strconv) and uses Float.
func Decimal(n uint64, places int, neg bool) (Number, bool) {
	if n >= maxDecimalDigits || places < 0 || places > maxDecimalPlaces {
		return Number{}, false
	}
	v := float64(n) // exact: n < 2^53
	if places > 0 {
		v /= exactPow10[places] // both exact, and IEEE division rounds correctly
	}
	dec := decimalKnown | uint64(places)<<decimalPlacesShift | n
	if neg {
		v, dec = -v, dec|decimalNeg
	}
	return Number{f: v, dec: dec}, true
}

// Float64 is the Number's value.
func (x Number) Float64() float64 { return x.f }

// String is the Number as the exposition writes it (NaN for none).
func (x Number) String() string { return string(appendNumber(nil, x)) }

// appendNumber writes x as appendFloat writes x.Float64().
func appendNumber(b []byte, x Number) []byte {
	if x.dec == 0 {
		return appendFloat(b, x.f)
	}
	return appendDecimal(b, x.dec&decimalDigitsMask, int(x.dec>>decimalPlacesShift&0x3f), x.dec&decimalNeg != 0)
}

// exactPow10 are the powers of ten that are exact float64s.
var exactPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// uintPow10 are the powers of ten below 2^64.
var uintPow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// appendDecimal writes n×10^-places (n < 10^15, places ≤ 22) the way strconv's shortest
// 'g' writes the float64 nearest it: n's digits without trailing zeros are that float's
// shortest form (see maxDecimalDigits), and 'g' writes them with an exponent below 1e-4
// and from 1e6. Zero is written 0 whatever its sign, as appendFloat writes it.
func appendDecimal(b []byte, n uint64, places int, neg bool) []byte {
	if n == 0 {
		return append(b, '0')
	}
	for places > 0 && n%10 == 0 {
		n /= 10
		places--
	}
	switch {
	case places == 0:
		if n >= 1e6 {
			return appendExponent(b, n, 0, neg)
		}
		return appendUnsigned(b, n, neg)
	case places >= len(uintPow10) || places > 4 && n < uintPow10[places-4]:
		return appendExponent(b, n, places, neg) // below 1e-4 (n < 10^15 < 10^(19-4))
	case places+6 < len(uintPow10) && n >= uintPow10[places+6]:
		return appendExponent(b, n, places, neg) // 1e6 or more
	}
	return appendPointed(b, n, places, neg)
}

// appendExponent writes n×10^-places (n > 0) as 'g' does outside its fixed range:
// d.ddde±XX, the digits n's without trailing zeros, the exponent of at least two digits.
func appendExponent(b []byte, n uint64, places int, neg bool) []byte {
	for n%10 == 0 {
		n /= 10
		places--
	}
	var buf [24]byte
	i := len(buf)
	digits := 1
	for ; n >= 10; n /= 10 {
		i--
		buf[i] = byte('0' + n%10)
		digits++
	}
	if i < len(buf) {
		i--
		buf[i] = '.'
	}
	i--
	buf[i] = byte('0' + n)
	if neg {
		i--
		buf[i] = '-'
	}
	b = append(b, buf[i:]...)
	exp := digits - 1 - places
	sign := byte('+')
	if exp < 0 {
		sign, exp = '-', -exp
	}
	b = append(b, 'e', sign)
	if exp < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(exp), 10)
}

// appendWhole writes a whole f with 1e6 ≤ |f| < 1e15 as 'g' does: such a float is an
// integer of at most 15 digits, its own shortest form.
func appendWhole(b []byte, f float64) []byte {
	return appendExponent(b, uint64(math.Abs(f)), 0, f < 0)
}
