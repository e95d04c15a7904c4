// Command archive packs a folder into a .zip or .tar.gz for the release
// (make site, make dist), with the same bytes on every machine: entries
// in name order, one fixed time stamp, permissions reduced to 0644/0755.
// It needs no zip program, which a fresh Debian lacks.
//
//	go run ./tools/archive OUT.zip|OUT.tar.gz DIR [PREFIX]
//
// Entries are named PREFIX/relative-path (PREFIX defaults to none).
package main
