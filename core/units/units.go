package units

import (
	"fmt"
	"math"
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
