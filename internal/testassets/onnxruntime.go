package testassets

import (
	"os"
	"os/exec"
)

// OnnxruntimeNode returns the node binary that runs the onnxruntime-node
// oracle scripts, or "" and why it cannot (node not on PATH, or the npm
// package not installed at the repository root), for the caller to skip
// or log.
func OnnxruntimeNode() (node, missing string) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "node is not on PATH (install Node.js and run `make deps`)"
	}
	pkg, err := RepoPath("node_modules/onnxruntime-node")
	if err == nil {
		_, err = os.Stat(pkg)
	}
	if err != nil {
		return "", "onnxruntime-node is missing (run `make deps` at the repository root)"
	}
	return node, ""
}
