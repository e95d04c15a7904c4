//go:build embedsite

package webapp

import (
	"embed"
	"io/fs"
)

//go:embed all:site
var site embed.FS

// Embedded reports whether this binary carries the web app.
func Embedded() bool { return true }

// Files returns the web app, index.html at its root.
func Files() fs.FS {
	sub, err := fs.Sub(site, "site")
	if err != nil {
		panic(err) // "site" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}
