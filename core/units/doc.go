// Package units formats quantities for messages the same way everywhere:
// the CLI, the page's Go core and the data-set reader.
//
// Byte counts are memory and file sizes, which are binary by nature, so
// they are written in IEC binary units with one decimal:
//
//	units.Bytes(512)       // "512 B"
//	units.Bytes(1536)      // "1.5 KiB"
//	units.Bytes(4 << 30)   // "4.0 GiB"
//
// Counts (MACs, parameters) get thousands separators: units.Thousands(12501632)
// is "12,501,632".
//
// The page's JavaScript (www/js/format.js, formatBytes) follows the same
// convention.
package units
