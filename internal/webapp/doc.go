// Package webapp holds the web app that a release build of pare carries,
// so that `pare serve` works from any folder with nothing beside the
// binary.
//
// The files are embedded only under the build tag embedsite, from site/
// in this folder, which `make release` fills with the output of
// `make site` (the built page: wasm, demo, scripts) before it builds;
// site/ is not committed. A plain `go build ./cmd/pare` has no site
// (Embedded reports false) and pare serve says how to get one.
package webapp
