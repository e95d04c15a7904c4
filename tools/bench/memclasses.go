package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
)

// memClasses are the runtime's memory classes -memclasses prints (MiB):
// what the heap holds beyond its live objects (free spans kept, space left
// in spans), and the runtime's own memory, which MemStats sums into Sys.
var memClasses = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/metadata/other:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/other:bytes",
	"/memory/classes/profiling/buckets:bytes",
	"/memory/classes/total:bytes",
}

// printMemClasses writes one line of the memory classes at phase to w,
// with, on Linux, the process's peak and current RSS split into anonymous
// memory and the mapped binary (/proc/self/status).
func printMemClasses(w io.Writer, phase string) {
	s := make([]metrics.Sample, len(memClasses))
	for i, name := range memClasses {
		s[i].Name = name
	}
	metrics.Read(s)
	var b strings.Builder
	fmt.Fprintf(&b, "memclasses %-9s", phase)
	for i, x := range s {
		name := strings.TrimSuffix(strings.TrimPrefix(memClasses[i], "/memory/classes/"), ":bytes")
		v := 0.0
		if x.Value.Kind() == metrics.KindUint64 {
			v = float64(x.Value.Uint64()) / (1 << 20)
		}
		fmt.Fprintf(&b, " %s=%.2f", name, v)
	}
	if runtime.GOOS == "linux" {
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(status), "\n") {
				for _, k := range []string{"VmHWM:", "VmRSS:", "RssAnon:", "RssFile:"} {
					if strings.HasPrefix(l, k) {
						b.WriteString(" " + strings.Join(strings.Fields(l), ""))
					}
				}
			}
		}
	}
	fmt.Fprintln(w, b.String())
}
