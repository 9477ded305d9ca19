package collector

import (
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"
)

// Number is a sample value that may know its text. Devices write their readings in
// decimal (-17.06 dBm, 46.00 °C, 12.50 mA), and a Number read from such text
// (ParseDecimal, Decimal) keeps the shortest form of its value, which the exposition
// writes as it is: working that form out from the float, for every reading of every
// scrape, was a quarter of what exporting an OLT's page cost. Lines.AddEach writes
// Numbers; Float makes one of any float64.
type Number struct {
	f float64
	// w says how the Number is written. Its top byte is 0: as its float; 1–7: the
	// text, that many bytes in the bytes below (first byte lowest), copied as one
	// word; numberDigits: from n×10^-places, packed below as digitsNeg |
	// places<<digitsPlacesShift | n (a shortest form longer than 7 bytes).
	w uint64
}

const (
	maxPackedText     = 7
	numberDigits      = 0x80
	digitsNeg         = 1 << 55
	digitsPlacesShift = 50
	digitsMask        = 1<<digitsPlacesShift - 1
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
	x := Number{f: decimalValue(n, places, neg)}
	var buf [24]byte
	if t := appendDecimal(buf[:0], n, places, neg); len(t) <= maxPackedText {
		x.w = packText(t)
	} else {
		x.w = numberDigits<<56 | uint64(places)<<digitsPlacesShift | n
		if neg {
			x.w |= digitsNeg
		}
	}
	return x, true
}

// packText packs a text of 1–7 bytes as Number.w: two loads that overlap, not a loop.
func packText(t []byte) uint64 {
	var w uint64
	switch n := len(t); {
	case n >= 4:
		w = uint64(binary.LittleEndian.Uint32(t)) | uint64(binary.LittleEndian.Uint32(t[n-4:]))<<(8*(n-4))
	case n >= 2:
		w = uint64(binary.LittleEndian.Uint16(t)) | uint64(binary.LittleEndian.Uint16(t[n-2:]))<<(8*(n-2))
	default:
		w = uint64(t[0])
	}
	return w | uint64(len(t))<<56
}

// zeroText is 0's text, whatever its sign (appendFloat writes -0 as 0).
var zeroText = packText([]byte("0"))

// decimalValue is the float64 nearest n×10^-places (n < 2^53, places ≤ 22).
func decimalValue(n uint64, places int, neg bool) float64 {
	v := float64(n) // exact
	if places > 0 {
		v /= exactPow10[places] // both exact, and IEEE division rounds correctly
	}
	if neg {
		v = -v
	}
	return v
}

// ParseDecimal reads what devices write for a reading: an optional sign, at most 15 digits
// and an optional decimal point ("-17.06", "46.00", "3600"), with nothing around them.
// ok is false for anything else (exponents, spaces, words): the caller then reads it
// another way and uses Float.
//
// Its value is strconv.ParseFloat's. Its text, the shortest form of that value, is s
// itself without the zeros after the point (nor a point they leave) when s has no + nor
// leading zeros and reads from 1 to below 1e6; otherwise it is made from the digits, as
// Decimal makes it.
func ParseDecimal(s string) (Number, bool) { return ParseDecimalShifted(s, 0) }

// ParseDecimalShifted is ParseDecimal with the value times 10^-shift (shift ≥ 0): a
// reading in mA as amperes is shift 3, the point moved in the digits, so 14.20 mA is the
// float nearest 0.0142, not 14.2/1000 (0.014199999999999999).
func ParseDecimalShifted(s string, shift int) (Number, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		i, neg = 1, s[0] == '-'
	}
	start := i
	var n uint64
	for ; i < len(s) && s[i]-'0' <= 9; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	whole, places, point := i-start, 0, len(s)
	if i < len(s) && s[i] == '.' {
		point = i
		i++
		frac := i
		for ; i < len(s) && s[i]-'0' <= 9; i++ {
			n = n*10 + uint64(s[i]-'0')
		}
		places = i - frac
	}
	if i != len(s) || whole+places == 0 || whole+places > 15 {
		return Number{}, false
	}
	if n == 0 {
		return Number{f: decimalValue(0, 0, neg), w: zeroText}, true
	}
	if shift != 0 || whole == 0 || whole > 6 || s[start] == '0' || s[0] == '+' {
		return Decimal(n, places+shift, neg)
	}
	end := len(s)
	if point < len(s) {
		for s[end-1] == '0' {
			end--
		}
		if end == point+1 {
			end = point
		}
	}
	if end > maxPackedText {
		return Decimal(n, places, neg)
	}
	// The text's bytes, read (never written) as a slice for the word loads.
	return Number{f: decimalValue(n, places, neg), w: packText(unsafe.Slice(unsafe.StringData(s), end))}, true
}

// Float64 is the Number's value.
func (x Number) Float64() float64 { return x.f }

// String is the Number as the exposition writes it (NaN for none).
func (x Number) String() string { return string(appendNumber(nil, x)) }

// appendNumber writes x as appendFloat writes x.Float64().
func appendNumber(b []byte, x Number) []byte {
	switch tag := x.w >> 56; {
	case tag == 0:
		return appendFloat(b, x.f)
	case tag <= maxPackedText:
		// The packed text copied as one word (the length byte lands past the end).
		at := len(b)
		b = grown(b, 8)
		binary.LittleEndian.PutUint64(b[at:], x.w)
		return b[:at+int(tag)]
	}
	return appendDecimal(b, x.w&digitsMask, int(x.w>>digitsPlacesShift&0x1f), x.w&digitsNeg != 0)
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
