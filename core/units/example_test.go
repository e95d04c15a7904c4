package units_test

import (
	"fmt"

	"github.com/pare-ml/pare/core/units"
)

func ExampleBytes() {
	fmt.Println(units.Bytes(900), units.Bytes(78666*4), units.Bytes(4<<30))
	// Output: 900 B 307.3 KiB 4.0 GiB
}
