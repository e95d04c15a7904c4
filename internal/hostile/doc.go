// Package hostile generates hostile and broken inputs for the pare CLI:
// models, tensors, data sets, archives and command lines an attacker or a
// damaged disk could hand it. Write lays the files out in a folder and
// returns one Case per command line, with the error text a user must see.
//
// The same cases drive two harnesses: the table test of cmd/pare (in
// process, with an allocation cap per case, natively and under wasm) and
// tools/hostile (out of process, under an address-space limit, against any
// pare binary, to count panics and out-of-memory crashes before and after
// a change).
package hostile
