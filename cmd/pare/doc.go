// Command pare is the native command line of Pare, on the same core as the
// browser app: it inspects, runs, evaluates and times ONNX models, and
// serves the web app on the local machine.
//
//	pare info  MODEL [--json]
//	pare run   MODEL -i NAME=FILE ... -o DIR
//	pare eval  MODEL --data PATH [--scale S] [--mean M,..] [--std S,..] [--limit N] [--json]
//	pare bench MODEL [--runs N] [--json]
//	pare serve [--addr 127.0.0.1:PORT] [--dir www]
//
// Machine-readable output (--json) uses the stable keys documented in
// docs/cli.md.
package main
