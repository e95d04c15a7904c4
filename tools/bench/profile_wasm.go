//go:build wasm

package main

// canProfile: this build writes no profiles (profile.go says why).
const canProfile = false

func startCPUProfile(string) (func(), error) { return nil, errNoProfile }

func stopCPUProfile() {}

func writeHeapProfile(string) error { return errNoProfile }
