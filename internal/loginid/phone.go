package loginid

import (
	"fmt"
	"regexp"
	"strings"
)

// phoneShape is the gate Authgear puts before libphonenumber
// (pkg/util/phone/parser.go): a "+", then digits, spaces and hyphens.
var phoneShape = regexp.MustCompile(`^ *\+[0-9\ \-]*$`)

// E.164 allows at most 15 digits; 7 is a floor below which no country has
// possible numbers. This stands in for libphonenumber's IsPossibleNumber.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

func normalizePhone(v string) (string, error) {
	if !phoneShape.MatchString(v) {
		return "", fmt.Errorf("%w: phone number must be + and digits", ErrInvalid)
	}
	var b strings.Builder
	b.WriteByte('+')
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	out := b.String()
	digits := len(out) - 1
	if digits < minPhoneDigits || digits > maxPhoneDigits || out[1] == '0' {
		return "", fmt.Errorf("%w: not a possible phone number", ErrInvalid)
	}
	return out, nil
}
