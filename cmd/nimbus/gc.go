package main

import "os"

// heapFloorSize sets how much live heap the garbage collector assumes at
// least. Nimbus's live heap is a few MiB, while requests allocate a lot of
// short-lived memory (the state engine allocates its dirty pages at every
// commit): with a goal of twice a few MiB, the collector ran dozens of times
// a second and took about a third of the CPU of a stream of small S3 PUTs.
const heapFloorSize = 16 << 20

// heapFloor is allocated once and never written: the collector counts it as
// live (so the next collection waits for twice the real live heap plus
// 16 MiB), but its pages are never touched, so it takes no memory. With a
// large live heap it changes nothing. It is not scanned (no pointers).
var heapFloor []byte

func init() {
	// Whoever tunes the collector themselves keeps their settings.
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	heapFloor = make([]byte, heapFloorSize)
}
