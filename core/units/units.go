package units

import (
	"fmt"
	"math"
	"strconv"
)

// Bytes formats n bytes in binary units (B, KiB, MiB, GiB, TiB) with one
// decimal, whole bytes below 1 KiB.
func Bytes(n int64) string {
	const unit = 1 << 10
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, name := range []string{"KiB", "MiB", "GiB"} {
		v /= unit
		if r := math.Abs(math.Round(v*10) / 10); r < unit { // 1023.96 KiB is "1.0 MiB"
			return fmt.Sprintf("%.1f %s", v, name)
		}
	}
	return fmt.Sprintf("%.1f TiB", v/unit)
}

// Thousands writes n with a comma between groups of three digits, as
// counts of MACs and parameters are shown: 12501632 is "12,501,632".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}
