//go:build !embedsite

package webapp

import "io/fs"

// Embedded reports whether this binary carries the web app: not without
// the embedsite build tag.
func Embedded() bool { return false }

// Files returns nil: this build carries no web app.
func Files() fs.FS { return nil }
